/**
 * Deciding a batch of listing entries with the matcher core — the code
 * `alliance match` runs — once resolver.ts made every value's fingerprint
 * known. One decision per listing: action, the explanation of each matched
 * identifier (JSON, as in a decisions file's `matches`), the invalid
 * identifiers (column, kind, why; never the value), and the fingerprints of
 * the listing's valid identifiers for the seen-store.
 */
import type { Action, MatchExplanation } from '../match/index.js'
import { COLUMN_PROBES } from '../match/columns.js'
import type { MatchCore } from '../match/core.js'
import { SeenBatchBuilder } from './codec.js'
import type { ComponentLogger } from '../logger.js'
import type { DeadEntry, ListingEntry } from './entry.js'

export interface DecisionOut {
  /** Decision id: the input entry's id (stable: a listing decided twice carries the same id). */
  id: string
  listingId: string
  action: Action
  matches: MatchExplanation[]
  /** JSON of `matches`, '' when none. */
  explanation: string
  /** JSON of the invalid identifiers, '' when none. */
  invalid: string
}

const NO_MATCHES: MatchExplanation[] = Object.freeze([]) as unknown as MatchExplanation[]

export function decideEntry (core: MatchCore, e: ListingEntry, seen: SeenBatchBuilder): DecisionOut {
  core.begin()
  for (let c = 0; c < e.values.length; c++) {
    const b = e.values[c]
    if (b === undefined || b.length === 0) continue
    const fh = core.cache.fieldHash(b, 0, b.length) // once for every probe of the column
    for (const p of COLUMN_PROBES[c]) core.probe(p.id, b, 0, b.length, undefined, fh)
  }
  const matches = core.nMatch > 0 ? core.matches() : NO_MATCHES
  const action: Action = matches.length > 0 ? core.actionName : 'none'
  let invalid = ''
  if (core.nInvalid > 0) invalid = JSON.stringify(core.rejects(0, undefined).map(r => ({ column: r.column, kind: r.kind, why: r.why, bytes: r.bytes })))
  seen.add(e.listingId, core.nSeen, core.seenProbe, core.seenFp)
  return { id: e.id, listingId: e.listingId, action, matches, explanation: matches.length > 0 ? JSON.stringify(matches) : '', invalid }
}

/**
 * Decides a batch: one decision per listing, and the batch's seen listings.
 * A listing whose decision throws (a bug) becomes an `internal_error` dead
 * letter; the others are decided.
 */
export function decideBatch (core: MatchCore, listings: readonly ListingEntry[], dead: DeadEntry[], log: ComponentLogger): { decisions: DecisionOut[], seen: SeenBatchBuilder } {
  const seen = new SeenBatchBuilder()
  const decisions: DecisionOut[] = []
  for (const e of listings) {
    try {
      decisions.push(decideEntry(core, e, seen))
    } catch (err) {
      log.error('deciding a listing entry failed; dead-lettered', { entry: e.id, error: (err as Error).message })
      dead.push({ id: e.id, reason: 'internal_error', listingId: e.listingId })
    }
  }
  return { decisions, seen }
}
