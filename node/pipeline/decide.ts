/**
 * A listing's decision from the matcher core — the code `alliance match`
 * runs — once batch.ts probed every value: action, the explanation of each
 * matched identifier (JSON, as in a decisions file's `matches`), the
 * invalid identifiers (column, kind, why; never the value), and the
 * fingerprints of the listing's valid identifiers for the seen-store.
 */
import type { Action, MatchExplanation } from '../match/index.js'
import type { MatchCore } from '../match/core.js'
import type { SeenBatchBuilder } from './codec.js'
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

const NO_MATCHES: MatchExplanation[] = Object.freeze([]) as unknown as MatchExplanation[]

/**
 * The decision of listing `e` once every one of its values was probed on
 * `core` since `core.begin()` (batch.ts); its seen fingerprints go to `seen`.
 */
export function finishEntry (core: MatchCore, e: ListingEntry, seen: SeenBatchBuilder): DecisionOut {
  const matches = core.nMatch > 0 ? core.matches() : NO_MATCHES
  const action: Action = matches.length > 0 ? core.actionName : 'none'
  let invalid = ''
  if (core.nInvalid > 0) invalid = JSON.stringify(core.rejects(0, undefined).map(r => ({ column: r.column, kind: r.kind, why: r.why, bytes: r.bytes })))
  seen.add(e.listingId, core.nSeen, core.seenProbe, core.seenFp)
  return { id: e.id, listingId: e.listingId, action, matches, explanation: matches.length > 0 ? JSON.stringify(matches) : '', invalid }
}
