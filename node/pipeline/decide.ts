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
import { SEEN_FP_BYTES, type SeenListingRecord } from './codec.js'
import type { ListingEntry } from './entry.js'

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

export function decideEntry (core: MatchCore, e: ListingEntry, seen: SeenListingRecord[]): DecisionOut {
  core.begin()
  for (let c = 0; c < e.values.length; c++) {
    const b = e.values[c]
    if (b === undefined || b.length === 0) continue
    for (const p of COLUMN_PROBES[c]) core.probe(p.id, b, 0, b.length)
  }
  const matches = core.nMatch > 0 ? core.matches() : []
  const action: Action = matches.length > 0 ? core.actionName : 'none'
  let invalid = ''
  if (core.nInvalid > 0) invalid = JSON.stringify(core.rejects(0, undefined).map(r => ({ column: r.column, kind: r.kind, why: r.why, bytes: r.bytes })))
  if (core.nSeen > 0) {
    const probes: number[] = new Array(core.nSeen)
    const fps: Uint8Array[] = new Array(core.nSeen)
    for (let i = 0; i < core.nSeen; i++) {
      probes[i] = core.seenProbe[i]
      fps[i] = core.seenFp.slice(i * 32, i * 32 + SEEN_FP_BYTES) // copied: the core reuses its arrays for the next listing
    }
    seen.push({ listingId: e.listingId, probes, fps })
  }
  return { id: e.id, listingId: e.listingId, action, matches, explanation: matches.length > 0 ? JSON.stringify(matches) : '', invalid }
}
