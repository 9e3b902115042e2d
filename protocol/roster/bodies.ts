/**
 * Which `roster` and `key-epoch` bodies a node stores (issue 12 item 4).
 *
 * A log entry's body is kept and synced to every member, so a body that
 * means nothing to the chain is junk every node pays for. Before a run of
 * entries is stored, its roster and key-epoch bodies are checked in log
 * order against the chain, and against versions earlier in the same run
 * (the node adopting version n+1 publishes it and the key-epoch entry of the
 * epoch it opens in one segment):
 *
 * roster — the signed version must be one the chain holds (a
 *   republication), the valid next version, or a valid *conflicting*
 *   version: signed by the governance threshold of the version before it
 *   but different from the one held (governance equivocation: kept as
 *   evidence, returned as a fork). A version further ahead cannot be judged
 *   yet (BodyAheadError: the node syncs and tries again); anything else is
 *   refused with the verification's named error.
 * key-epoch — must name a suite, epoch and commitment that some version of
 *   the chain has. Two forms are legitimate: with sealed keys (the
 *   distribution, published by the node that adopts the version opening the
 *   epoch, or sealing the key to newcomers) whose recipients must be distinct
 *   box keys of nodes of a version with that epoch; and with none (a member's
 *   announcement that it moved to that epoch). An epoch beyond every
 *   version's cannot be judged yet (BodyAheadError).
 * Each has its own size limit in the codec (MAX_ROSTER_ENTRY_BYTES,
 * MAX_KEY_EPOCH_ENTRY_BYTES, and the statement limit for an announcement).
 */
import { bytesEqual, toHex } from '../bytes.js'
import { decodeRoster } from '../codec/index.js'
import { ProtocolError } from '../errors.js'
import type { Body, GuardianCounts, KeyEpoch, SignedRoster } from '../types.js'
import { RosterChainError, rosterId, verifyNext, type RosterChain, type RosterVersion } from './index.js'

/** A body that names nothing the chain has: refused, never stored. */
export class JunkBodyError extends ProtocolError {
  constructor (why: string) {
    super('junk_body', `entry body refused: ${why}`)
    this.name = 'JunkBodyError'
  }
}

/** A body that names a roster version or key epoch beyond the chain this node holds: judged after the next sync. */
export class BodyAheadError extends ProtocolError {
  constructor (why: string) {
    super('body_ahead', `entry body cannot be judged yet: ${why}`)
    this.name = 'BodyAheadError'
  }
}

/**
 * Two valid, different versions with one number, each signed by the
 * governance threshold of the version before it: portable evidence against
 * `orgs`, the orgs whose keys signed both (with a threshold of more than
 * half, two such versions always share one).
 */
export interface RosterFork {
  version: number
  /** The two signed versions, ordered by id (every node keeps the same pair). */
  a: SignedRoster
  b: SignedRoster
  orgs: string[]
}

/** Checks a claimed fork: both versions verify against `prev` and differ. Throws the verification's named error. */
export function verifyRosterFork (prev: RosterVersion, x: SignedRoster, y: SignedRoster): RosterFork {
  const vx = verifyNext(prev, x)
  const vy = verifyNext(prev, y)
  if (bytesEqual(vx.id, vy.id)) throw new RosterChainError('the two versions are the same')
  const [a, b] = toHex(vx.id) < toHex(vy.id) ? [vx, vy] : [vy, vx]
  return { version: vx.roster.version, a: a.signed, b: b.signed, orgs: a.signers.filter(o => b.signers.includes(o)) }
}

/**
 * Checks the roster and key-epoch bodies of entries about to be stored, in
 * order. Throws JunkBodyError, BodyAheadError or the roster verification's
 * named error; returns the governance forks the run reveals.
 */
export function checkChainBodies (chain: RosterChain, bodies: Body[], orgs?: readonly string[]): { forks: RosterFork[] } {
  const versions: RosterVersion[] = [...chain.versions]
  const forks: RosterFork[] = []
  for (const [i, body] of bodies.entries()) {
    if (body.type === 'guardian-counts') {
      checkGuardianCounts(versions, body, orgs?.[i])
    } else if (body.type === 'roster') {
      const fork = checkRoster(chain.alliance, versions, body.signed)
      if (fork !== undefined) forks.push(fork)
    } else if (body.type === 'key-epoch') {
      checkKeyEpoch(versions, body)
    }
  }
  return { forks }
}

/** Adds the next version to `versions` if it is one; returns a fork if it conflicts with a held one. */
function checkRoster (alliance: string, versions: RosterVersion[], signed: SignedRoster): RosterFork | undefined {
  const id = rosterId(signed.roster)
  if (versions.some(v => bytesEqual(v.id, id))) return undefined
  const roster = decodeRoster(signed.roster)
  if (roster.alliance !== alliance) throw new JunkBodyError(`a roster of alliance ${roster.alliance}, not ${alliance}`)
  const current = versions[versions.length - 1]
  if (roster.version > current.roster.version + 1) throw new BodyAheadError(`roster version ${roster.version}; this node holds up to ${current.roster.version}`)
  if (roster.version === current.roster.version + 1) {
    versions.push(verifyNext(current, signed))
    return undefined
  }
  if (roster.version < 2) throw new JunkBodyError('a genesis other than this alliance\'s')
  const prev = versions[roster.version - 2]
  return verifyRosterFork(prev, versions[roster.version - 1].signed, signed)
}

/**
 * guardian-counts — the epoch must be a toprf epoch of the chain, the author
 * one of its guardians, the day not before the epoch's first version took
 * effect, and every counted org a member of some version of the chain.
 */
function checkGuardianCounts (versions: RosterVersion[], g: GuardianCounts, author: string | undefined): void {
  const matching = versions.filter(v => v.roster.policy.epoch === g.epoch && v.roster.policy.guardians.length > 0)
  if (matching.length === 0) {
    const newest = Math.max(...versions.map(v => v.roster.policy.epoch))
    if (g.epoch > newest) throw new BodyAheadError(`guardian counts of key epoch ${g.epoch}; the roster versions held open up to ${newest}`)
    throw new JunkBodyError(`guardian counts of key epoch ${g.epoch}, which has no guardians`)
  }
  if (author !== undefined && !matching[0].roster.policy.guardians.some(x => x.org === author)) throw new JunkBodyError(`guardian counts by ${author}, not a guardian of key epoch ${g.epoch}`)
  if (g.day < Math.floor(matching[0].roster.time / 86_400_000)) throw new JunkBodyError(`guardian counts for day ${g.day}, before key epoch ${g.epoch} took effect`)
  const orgs = new Set(versions.flatMap(v => v.roster.members.map(m => m.org)))
  for (const c of g.counts) if (!orgs.has(c.org)) throw new JunkBodyError(`guardian counts name ${c.org}, not a member org`)
}

function checkKeyEpoch (versions: RosterVersion[], k: KeyEpoch): void {
  const matching = versions.filter(v => {
    const p = v.roster.policy
    return p.epoch === k.epoch && p.suite === k.suite && bytesEqual(p.epochKeyCommitment, k.commitment)
  })
  if (matching.length === 0) {
    const newest = Math.max(...versions.map(v => v.roster.policy.epoch))
    if (k.epoch > newest) throw new BodyAheadError(`key epoch ${k.epoch}; the roster versions held open up to ${newest}`)
    throw new JunkBodyError(`no roster version has key epoch ${k.epoch} of suite ${k.suite} with this commitment`)
  }
  if (k.sealed.length === 0) return
  const boxes = new Set<string>()
  for (const v of matching) for (const m of v.roster.members) for (const n of m.nodes) boxes.add(toHex(n.boxKey))
  const seen = new Set<string>()
  for (const s of k.sealed) {
    const r = toHex(s.recipient)
    if (!boxes.has(r)) throw new JunkBodyError(`a key of epoch ${k.epoch} sealed to ${r.slice(0, 16)}…, not a node of a roster version with that epoch`)
    if (seen.has(r)) throw new JunkBodyError(`a key of epoch ${k.epoch} sealed twice to ${r.slice(0, 16)}…`)
    seen.add(r)
  }
}
