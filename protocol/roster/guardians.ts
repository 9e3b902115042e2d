/**
 * The toprf part of a roster policy: who guards the epoch key's shares, how
 * many must answer, the Feldman commitments, and the daily quotas.
 *
 * For `toprf-ristretto255` a policy names g guardians (a member org and the
 * box key of the one node of that org that holds the share, with the share's
 * index 1..g), the threshold t (1 <= t <= g), exactly t share commitments,
 * and `epochKeyCommitment` = commitmentsDigest(epoch, commitments) (the same
 * tagged hash protocol/fingerprint/toprf/dealer.ts binds the sealed shares
 * to). Quotas name an org, a role or '*' once each. For `hmac-sha256` all of
 * these are empty.
 *
 * Within one epoch the key material cannot change: a version that keeps the
 * epoch keeps suite, commitment, guardians, threshold and commitments
 * (`assertEpochContinuity`). Quotas may change with any version.
 *
 * Checked here without loading libsodium (lengths and the digest only); a
 * node that builds the suite checks the commitments are group elements.
 */
import { bytesEqual, toHex } from '../bytes.js'
import { TAGS, taggedHash } from '../hash.js'
import { ROLES, type Role } from '../kinds.js'
import { MAX_GUARDIANS } from '../limits.js'
import type { GuardianRef, Member, Policy, Quota, Roster } from '../types.js'

/** The suite whose policies carry guardians (protocol/fingerprint/suite.ts TOPRF_RISTRETTO255). */
const TOPRF = 'toprf-ristretto255'
/** The quota subject that applies to every org not named by org id or role. */
export const DEFAULT_QUOTA_SUBJECT = '*'

/** SHA-256 binding an epoch's commitments (as protocol/fingerprint/toprf commitmentsDigest, without the element checks). */
export function shareCommitmentsDigest (epoch: number, commitments: readonly Uint8Array[]): Uint8Array {
  const e = new Uint8Array(4)
  new DataView(e.buffer).setUint32(0, epoch)
  return taggedHash(TAGS.toprfCommitments, e, Uint8Array.of(commitments.length), ...commitments)
}

/** Throws `fail(why)` unless the policy's toprf fields are consistent with its suite and members. */
export function validateGuardianPolicy (r: Roster, fail: (why: string) => Error): void {
  const p = r.policy
  if (p.suite !== TOPRF) {
    if (p.guardians.length > 0 || p.guardianThreshold !== 0 || p.shareCommitments.length > 0 || p.quotas.length > 0) {
      throw fail(`policy.guardians, guardianThreshold, shareCommitments and quotas belong to ${TOPRF}; suite ${p.suite} has none`)
    }
    return
  }
  const g = p.guardians.length
  if (g < 1 || g > MAX_GUARDIANS) throw fail(`${TOPRF} needs 1..${MAX_GUARDIANS} guardians, got ${g}`)
  if (p.guardianThreshold < 1 || p.guardianThreshold > g) throw fail(`policy.guardianThreshold must be 1..${g} (the guardians), got ${p.guardianThreshold}`)
  if (p.shareCommitments.length !== p.guardianThreshold) throw fail(`policy.shareCommitments must hold ${p.guardianThreshold} commitments (one per coefficient), got ${p.shareCommitments.length}`)
  const indices = new Set<number>()
  const boxes = new Set<string>()
  for (const gd of p.guardians) {
    const m = r.members.find(x => x.org === gd.org)
    if (m === undefined) throw fail(`guardian ${gd.org} is not a member org`)
    if (!m.nodes.some(n => bytesEqual(n.boxKey, gd.boxKey))) throw fail(`guardian ${gd.org}: its box key is not one of the org's nodes`)
    if (!Number.isInteger(gd.index) || gd.index < 1 || gd.index > g) throw fail(`guardian ${gd.org}: index must be 1..${g}, got ${gd.index}`)
    if (indices.has(gd.index)) throw fail(`guardian index ${gd.index} is used twice`)
    indices.add(gd.index)
    const b = toHex(gd.boxKey)
    if (boxes.has(b)) throw fail(`guardian ${gd.org}: one node holds two shares`)
    boxes.add(b)
  }
  if (!bytesEqual(p.epochKeyCommitment, shareCommitmentsDigest(p.epoch, p.shareCommitments))) {
    throw fail('policy.epochKeyCommitment is not the digest of policy.shareCommitments for this epoch')
  }
  const subjects = new Set<string>()
  for (const q of p.quotas) {
    if (subjects.has(q.subject)) throw fail(`quota subject ${q.subject} is named twice`)
    subjects.add(q.subject)
    const known = q.subject === DEFAULT_QUOTA_SUBJECT || (ROLES as readonly string[]).includes(q.subject) || r.members.some(m => m.org === q.subject)
    if (!known) throw fail(`quota subject ${q.subject} is neither a member org, a role (${ROLES.join(', ')}) nor '${DEFAULT_QUOTA_SUBJECT}'`)
  }
}

/** Throws `fail(why)` when `next` keeps `prev`'s epoch but changes its key material. */
export function assertEpochContinuity (prev: Policy, next: Policy, fail: (why: string) => Error): void {
  if (next.epoch < prev.epoch) throw fail(`key epoch ${next.epoch} goes back from ${prev.epoch}`)
  if (next.epoch !== prev.epoch) return
  const same = next.suite === prev.suite &&
    bytesEqual(next.epochKeyCommitment, prev.epochKeyCommitment) &&
    next.guardianThreshold === prev.guardianThreshold &&
    next.shareCommitments.length === prev.shareCommitments.length &&
    next.shareCommitments.every((c, i) => bytesEqual(c, prev.shareCommitments[i])) &&
    next.guardians.length === prev.guardians.length &&
    next.guardians.every((g, i) => g.org === prev.guardians[i].org && g.index === prev.guardians[i].index && bytesEqual(g.boxKey, prev.guardians[i].boxKey))
  if (!same) throw fail(`key epoch ${next.epoch} is kept but its suite, commitment or guardians change; open epoch ${prev.epoch + 1} instead (roster next --rotate-key)`)
}

/**
 * The daily quota of `member` under `policy`: its org's own quota, else the
 * least of its roles' quotas, else the '*' quota; undefined when none
 * applies (no limit).
 */
export function quotaOf (policy: Pick<Policy, 'quotas'>, member: Pick<Member, 'org' | 'roles'>): number | undefined {
  const by = new Map<string, Quota>(policy.quotas.map(q => [q.subject, q]))
  const own = by.get(member.org)
  if (own !== undefined) return own.perDay
  const roles = member.roles.map((r: Role) => by.get(r)?.perDay).filter((n): n is number => n !== undefined)
  if (roles.length > 0) return Math.min(...roles)
  return by.get(DEFAULT_QUOTA_SUBJECT)?.perDay
}

/** The guardian of `policy` whose share is sealed to `boxKey`, if any. */
export function guardianByBoxKey (policy: Pick<Policy, 'guardians'>, boxKey: Uint8Array): GuardianRef | undefined {
  return policy.guardians.find(g => bytesEqual(g.boxKey, boxKey))
}

/** Parses `subject=N/day` (N may use _ or , separators, or k/m suffixes); throws `fail(why)`. */
export function parseQuota (text: string, fail: (why: string) => Error): Quota {
  const m = /^([^=\s]+)=([0-9][0-9_,]*)(k|m)?(?:\/day)?$/i.exec(text.trim())
  if (m === null) throw fail(`quota "${text}" must look like brand=100000/day, platform=50m/day or *=1000000/day`)
  const base = Number(m[2].replace(/[_,]/g, ''))
  const mult = m[3] === undefined ? 1 : m[3].toLowerCase() === 'k' ? 1_000 : 1_000_000
  const perDay = base * mult
  if (!Number.isSafeInteger(perDay)) throw fail(`quota "${text}": ${m[2]} is not a whole number`)
  return { subject: m[1], perDay }
}
