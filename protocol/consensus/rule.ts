/**
 * The consensus rule (DESIGN.md §5) as pure functions of statements, a
 * policy and a clock. Every node that holds the same verified entries
 * computes the same explanation at the same `now`.
 *
 * Decisions this file makes:
 * - Per org only its latest statement on a fingerprint counts, ordered by
 *   (time, entry id bytes). Several keys, duplicates and replays of one org
 *   therefore count once.
 * - The latest statement counts while `now < expires` and while the org is
 *   a member of the current roster. An expired latest statement, a
 *   retraction (neutral) or a non-member counts nothing: there is no fall
 *   back to an org's older statement.
 * - Positive statements add the org's weight; weight 0 means the org cannot
 *   vouch. Negative statements (false positive, upheld dispute, authorised
 *   reseller) count from any member whatever its weight: a platform that
 *   may not vouch can still report a false positive.
 * - A fingerprint whose positive orgs all weigh 0 is 'absent', not
 *   'candidate': nothing that can ever reach quorum vouches for it.
 * - `expires` is exact: the first expiry of a counted statement after which
 *   the status differs (not merely the earliest expiry), +Infinity if none.
 * - The explanation's `kind` is that of the org-latest statement that is
 *   latest overall. (The kind is hashed into the fingerprint, so in practice
 *   all statements agree; this only makes the answer deterministic if not.)
 */
import { bytesEqual, compareBytes } from '../bytes.js'
import type { Kind } from '../kinds.js'
import { InvalidStatementError } from './errors.js'
import { validateStatement } from './statement.js'
import type { Source, StatementView } from './statement.js'
import { STATUS_NAMES, Tally, checkQuorum, checkWeight } from './tally.js'

export interface ConsensusPolicy {
  /** k: summed weight of positive orgs needed to list a fingerprint. A positive integer. */
  quorum: number
  /** Role weight of an org: a non-negative integer, 1 by default; 0 = cannot vouch. */
  weightOf: (org: string) => number
  /** Whether the org is in the CURRENT roster. */
  isMember: (org: string) => boolean
}

export type Status = 'listed' | 'disputed' | 'candidate'

/** One counted statement in an explanation. */
export interface Vote {
  org: string
  entryId: Uint8Array
  time: number
  expires: number
  source: Source
  /** The org's weight (for negative votes too, for display; it does not matter for them). */
  weight: number
  /** The attestation's reason code; 0 for none and for opinions. */
  reason: number
}

export interface Explanation {
  fingerprint: Uint8Array
  /** Undefined only when no statement about the fingerprint is known (ConsensusIndex.explain). */
  kind: Kind | undefined
  status: Status | 'absent'
  /** Counted positive statements, one per org, ordered by org. */
  positive: Vote[]
  /** Counted negative statements, one per org, ordered by org. */
  negative: Vote[]
  /** Σ weight of the positive orgs. */
  weight: number
  quorum: number
  /** When this status next changes by expiry alone; +Infinity if never. */
  expires: number
  /** Counted positive opinions ('confirmed', 'removed'). */
  confirmations: number
}

/** Whether `a` supersedes `b` from the same org: later time, then greater entry id bytes. */
export function isLater (a: Pick<StatementView, 'time' | 'entryId'>, b: Pick<StatementView, 'time' | 'entryId'>): boolean {
  return a.time > b.time || (a.time === b.time && compareBytes(a.entryId, b.entryId) > 0)
}

/** Each org's latest statement, by (time, entry id bytes). Insensitive to order and repetition. */
export function latestPerOrg<T extends StatementView> (statements: readonly T[]): Map<string, T> {
  const latest = new Map<string, T>()
  for (const s of statements) {
    const kept = latest.get(s.org)
    if (kept === undefined || isLater(s, kept)) latest.set(s.org, s)
  }
  return latest
}

/** decide() runs to completion synchronously, so one tally serves every call (four typed arrays per call cost more than the rule). */
const TALLY = new Tally()

/**
 * The status of one fingerprint at `now`, with its explanation.
 * `statements` are all known statements about that one fingerprint
 * (at least one); statements about other fingerprints are an error.
 */
export function decide (statements: readonly StatementView[], policy: ConsensusPolicy, now: number): Explanation {
  checkQuorum(policy.quorum)
  if (statements.length === 0) throw new InvalidStatementError('no_statements', 'decide() needs at least one statement to know the fingerprint')
  const fingerprint = statements[0].fingerprint
  for (const s of statements) {
    validateStatement(s)
    if (!bytesEqual(s.fingerprint, fingerprint)) throw new InvalidStatementError('mixed_fingerprints', 'decide() takes the statements of one fingerprint')
  }
  const tally = TALLY
  tally.reset()
  const positive: Vote[] = []
  const negative: Vote[] = []
  let confirmations = 0
  let newest: StatementView | undefined
  for (const s of latestPerOrg(statements).values()) {
    if (newest === undefined || isLater(s, newest)) newest = s
    if (s.stance === 'neutral' || !(now < s.expires) || !policy.isMember(s.org)) continue
    const weight = checkWeight(s.org, policy.weightOf(s.org))
    const vote: Vote = { org: s.org, entryId: s.entryId, time: s.time, expires: s.expires, source: s.source, weight, reason: s.reason ?? 0 }
    if (s.stance === 'positive') {
      positive.push(vote)
      if (s.source === 'confirmed' || s.source === 'removed') confirmations++
    } else {
      negative.push(vote)
    }
    tally.add(s.stance === 'negative', weight, s.expires)
  }
  positive.sort(byOrg)
  negative.sort(byOrg)
  return {
    fingerprint,
    kind: newest?.kind,
    status: STATUS_NAMES[tally.status(policy.quorum)],
    positive,
    negative,
    weight: tally.weight,
    quorum: policy.quorum,
    expires: tally.nextChange(policy.quorum),
    confirmations
  }
}

/** Votes by org name: the order of an explanation's votes (the index's explanations too). */
export function byOrg (a: Vote, b: Vote): number {
  return a.org < b.org ? -1 : a.org > b.org ? 1 : 0
}
