/**
 * Retroactive decisions: when the blocklist changes so that a fingerprint
 * now leads to a more severe action (absent → listed, candidate → listed,
 * listed → disputed is *less* severe and yields nothing), every listing
 * the seen-store remembers with that fingerprint gets a new decision,
 * without rescanning any file.
 *
 * The daemon's loop:
 *   for (const change of blocklistIndex.applyAll(explanationsOfChangedFingerprints)) {
 *     for await (const d of retroactiveDecisions(change, blocklistIndex, seenStore, policy)) emit(d)
 *   }
 *
 * A retroactive decision is about the identifier that changed: its action
 * is that identifier's action. The listing's other identifiers are not
 * re-read (the store keeps fingerprints, not listings); the platform takes
 * the more severe of what it already decided and this.
 */
import { toHex } from '../../protocol/bytes.js'
import type { BlocklistIndex, IndexChange } from './blocklist-index.js'
import { isoOrNull, type MatchExplanation, type RetroDecision } from './decision.js'
import { actionFor, severity, type MatchPolicy } from './policy.js'
import type { SeenStore } from './seen-store.js'

/** Whether a change makes some identifier's action more severe under the policy (so retro decisions are due). */
export function escalates (change: IndexChange, policy: MatchPolicy): boolean {
  if (change.kind === undefined) return change.to !== 'absent' && change.from === 'absent' && severity(policy.actions[change.to]) > 0
  return severity(actionFor(policy, change.kind, change.to)) > severity(actionFor(policy, change.kind, change.from))
}

export async function * retroactiveDecisions (change: IndexChange, index: BlocklistIndex, seen: SeenStore, policy: MatchPolicy): AsyncGenerator<RetroDecision> {
  if (change.to === 'absent' || change.fingerprint.length !== 32) return
  const x = index.explain(change.fingerprint)
  if (x === undefined) return
  const fingerprint = toHex(change.fingerprint)
  for await (const l of seen.listingsFor(change.fingerprint)) {
    const before = actionFor(policy, l.kind, change.from)
    const action = actionFor(policy, l.kind, x.status)
    if (severity(action) <= severity(before)) continue
    const match: MatchExplanation = {
      column: l.column,
      kind: l.kind,
      fingerprint,
      status: x.status,
      action,
      orgs: x.orgs,
      orgCount: x.orgCount,
      disputedBy: x.disputedBy,
      confirmations: x.confirmations,
      expires: isoOrNull(x.expires)
    }
    yield { listingId: l.listingId, action, matches: [match], retro: true, seenAt: l.seenAt }
  }
}
