/**
 * Retroactive decisions from a change record of the blocklist stream: the
 * listings a seen-store remembers with the changed fingerprint, when the
 * change makes its action more severe. The rule and the output are those of
 * node/match/retro.ts (`escalates`, `retroactiveDecisions`); the
 * explanation comes from the change record itself instead of a live index,
 * because a worker replaying older changes (after a restart, or adopting a
 * dead worker's listings) has an index that is already newer.
 *
 * Retroactive decision ids are stable — a hash of (change id, listing id,
 * column) — so the same decision written by two workers (or twice by one)
 * can be de-duplicated downstream.
 */
import { createHash } from 'node:crypto'
import { toHex } from '../../protocol/bytes.js'
import { escalates, type Action, type BlocklistIndex, type MatchExplanation, type MatchPolicy, type MemorySeenStore } from '../match/index.js'
import { isoOrNull } from '../match/decision.js'
import { ORGS_INLINE } from '../match/index.js'
import { actionFor, severity } from '../match/policy.js'
import type { Status } from '../../protocol/consensus/rule.js'
import { seenLookupKey, type BlocklistRecord } from './codec.js'

export interface RetroOut {
  id: string
  listingId: string
  action: Action
  explanation: string
  invalid: ''
}

/** The explanation a worker's BlocklistIndex would give for the record (orgs as the index keeps them). */
function explanationOf (rec: BlocklistRecord): { orgs: string[], orgCount: number, disputedBy: string[], confirmations: number, expires: number } {
  const neg = rec.negative
  const pos = rec.positive
  const negKept = Math.min(neg.length, 2, ORGS_INLINE)
  const posKept = Math.min(pos.length, ORGS_INLINE - negKept)
  const negKept2 = Math.min(neg.length, ORGS_INLINE - posKept)
  return {
    orgs: pos.slice(0, posKept).map(v => v.org),
    orgCount: Math.min(pos.length, 255),
    disputedBy: neg.slice(0, negKept2).map(v => v.org),
    confirmations: Math.min(rec.confirmations ?? 0, 0xffff),
    expires: rec.expires
  }
}

export function retroId (changeId: string, listingId: string, column: string): string {
  return 'r-' + createHash('sha256').update(`${changeId}\n${column}\n${listingId}`).digest('hex').slice(0, 32)
}

/** Retroactive decisions for one change record against `seen`. */
export function retroDecisions (changeId: string, rec: BlocklistRecord, seen: MemorySeenStore, policy: MatchPolicy): RetroOut[] {
  if (rec.status === 'absent' || rec.kind === undefined) return []
  if (!escalates({ fingerprint: rec.fingerprint, kind: rec.kind, from: rec.from, to: rec.status }, policy)) return []
  const out: RetroOut[] = []
  const x = explanationOf(rec)
  const fingerprint = toHex(rec.fingerprint)
  for (const l of seen.listingsForSync(seenLookupKey(rec.fingerprint))) {
    const before = actionFor(policy, l.kind, rec.from)
    const action = actionFor(policy, l.kind, rec.status as Status)
    if (severity(action) <= severity(before)) continue
    const match: MatchExplanation = {
      column: l.column,
      kind: l.kind,
      fingerprint,
      status: rec.status as Status,
      action,
      orgs: x.orgs,
      orgCount: x.orgCount,
      disputedBy: x.disputedBy,
      confirmations: x.confirmations,
      expires: isoOrNull(x.expires)
    }
    out.push({ id: retroId(changeId, l.listingId, l.column), listingId: l.listingId, action, explanation: JSON.stringify([match]), invalid: '' })
  }
  return out
}

/**
 * Retroactive decisions for the changes folded into a snapshot that
 * replaces `before` (a reload): every fingerprint whose status differs
 * between the old index and the new one, as if its change had come on the
 * change stream.
 */
export function retroFromReload (version: string, before: BlocklistIndex, after: BlocklistIndex, seen: MemorySeenStore, policy: MatchPolicy): RetroOut[] {
  const out: RetroOut[] = []
  for (const x of after.entries()) {
    const from = before.status(x.fingerprint)
    if (from === x.status) continue
    const rec: BlocklistRecord = { fingerprint: x.fingerprint, kind: x.kind, status: x.status, from, positive: x.orgs.map(org => ({ org })), negative: x.disputedBy.map(org => ({ org })), expires: x.expires, confirmations: x.confirmations }
    // true counts beyond the kept names: pad like the codec does
    while (rec.positive.length < x.orgCount) (rec.positive as Array<{ org: string }>).push({ org: '' })
    while (rec.negative.length < x.disputedCount) (rec.negative as Array<{ org: string }>).push({ org: '' })
    out.push(...retroDecisions(version, rec, seen, policy))
  }
  return out
}
