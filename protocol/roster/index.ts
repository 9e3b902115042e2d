/**
 * The roster: who is in the alliance, with which keys, under which policy.
 *
 * Version 1 (genesis) must be signed by every founding org. Version n+1 is
 * valid only when it names `prev = id(version n)` and carries signatures of
 * at least `governanceThreshold` distinct orgs of version n, each made by a
 * node key that version n lists for that org. A roster signature signs
 * `"alliance-node/v1/roster-signature" 0x00 || id(roster bytes)` where
 * `id = SHA-256("alliance-node/v1/roster-id" 0x00 || roster bytes)`.
 */
import { bytesEqual, toHex } from '../bytes.js'
import { decodeRoster, encodeRoster } from '../codec/index.js'
import { assertStrongEd25519Key, verifySignature, type Signer } from '../ed25519.js'
import { assertStrongX25519Key } from '../x25519.js'
import { MAX_ROSTER_NODES } from '../limits.js'
import { ProtocolError } from '../errors.js'
import { TAGS, tagPrefix, taggedHash } from '../hash.js'
import type { Role } from '../kinds.js'
import { concatBytes } from '../bytes.js'
import type { Member, NodeKey, Policy, Roster, RosterSignature, SignedRoster } from '../types.js'
import { assertEpochContinuity, validateGuardianPolicy } from './guardians.js'
import { assertReasonContinuity, validateReasons } from './reasons.js'

export class InvalidRosterError extends ProtocolError {
  constructor (why: string) {
    super('invalid_roster', `roster rejected: ${why}`)
    this.name = 'InvalidRosterError'
  }
}

/** A roster version without enough valid signatures from the orgs that must approve it. */
export class InsufficientSignaturesError extends ProtocolError {
  readonly have: number
  readonly need: number
  constructor (have: number, need: number, missing: string[]) {
    super('insufficient_signatures', `roster has signatures of ${have} orgs, needs ${need}` + (missing.length > 0 ? `; not yet signed by: ${missing.join(', ')}` : ''))
    this.name = 'InsufficientSignaturesError'
    this.have = have
    this.need = need
  }
}

export class RosterSignatureError extends ProtocolError {
  constructor (why: string) {
    super('bad_roster_signature', `roster signature rejected: ${why}`)
    this.name = 'RosterSignatureError'
  }
}

/** A roster version that does not follow the chain we hold. */
export class RosterChainError extends ProtocolError {
  constructor (why: string) {
    super('roster_chain', `roster version does not extend the chain: ${why}`)
    this.name = 'RosterChainError'
  }
}

/** The smallest number of orgs that is more than half of `orgs`: the least governance threshold allowed. */
export function majority (orgs: number): number {
  return Math.floor(orgs / 2) + 1
}

export const ORG_ID_RE = /^[a-z0-9][a-z0-9.-]{0,62}$/
/** Entries may not be dated more than a day ahead, whatever the roster says. */
export const MAX_CLOCK_TOLERANCE_MS = 24 * 3600_000

export function rosterId (rosterBytes: Uint8Array): Uint8Array {
  return taggedHash(TAGS.rosterId, rosterBytes)
}

export function rosterSignatureMessage (rosterBytes: Uint8Array): Uint8Array {
  return concatBytes(tagPrefix(TAGS.rosterSignature), rosterId(rosterBytes))
}

export function signRoster (signer: Signer, rosterBytes: Uint8Array): RosterSignature {
  return { key: signer.publicKey, signature: signer.sign(rosterSignatureMessage(rosterBytes)) }
}

/** Structural and policy checks every roster version must pass. */
export function validateRoster (r: Roster): void {
  if (!ORG_ID_RE.test(r.alliance)) throw new InvalidRosterError(`alliance id "${r.alliance}" must match ${ORG_ID_RE.source}`)
  if (r.version < 1) throw new InvalidRosterError('version must be at least 1')
  if (r.version === 1 && r.prev.length !== 0) throw new InvalidRosterError('genesis (version 1) must not name a previous version')
  if (r.version > 1 && r.prev.length === 0) throw new InvalidRosterError(`version ${r.version} must name the id of version ${r.version - 1}`)
  if (r.members.length === 0) throw new InvalidRosterError('no members')
  const orgs = new Set<string>()
  const keys = new Set<string>()
  const peers = new Set<string>()
  let nodes = 0
  for (const m of r.members) {
    if (!ORG_ID_RE.test(m.org)) throw new InvalidRosterError(`org id "${m.org}" must match ${ORG_ID_RE.source}`)
    if (orgs.has(m.org)) throw new InvalidRosterError(`org ${m.org} listed twice`)
    orgs.add(m.org)
    if (m.roles.length === 0) throw new InvalidRosterError(`org ${m.org} has no role`)
    if (new Set(m.roles).size !== m.roles.length) throw new InvalidRosterError(`org ${m.org} lists a role twice`)
    if (m.nodes.length === 0) throw new InvalidRosterError(`org ${m.org} has no node`)
    nodes += m.nodes.length
    if (nodes > MAX_ROSTER_NODES) throw new InvalidRosterError(`more than ${MAX_ROSTER_NODES} nodes in all`)
    for (const n of m.nodes) {
      // a small-order signing key lets anyone sign as the org; a small-order box key makes its sealed keys readable
      assertStrongEd25519Key(n.signKey, `signing key of org ${m.org}`)
      assertStrongX25519Key(n.boxKey, `box key of org ${m.org}`)
      for (const [set, k, what] of [[keys, toHex(n.signKey), 'signing key'], [keys, 'box:' + toHex(n.boxKey), 'box key'], [peers, toHex(n.peerId), 'peer id']] as const) {
        if (set.has(k)) throw new InvalidRosterError(`${what} of org ${m.org} is used twice in the roster`)
        set.add(k)
      }
    }
  }
  const p = r.policy
  if (p.quorum < 1) throw new InvalidRosterError('policy.quorum must be at least 1')
  if (p.quorum > r.members.length) throw new InvalidRosterError(`policy.quorum ${p.quorum} exceeds the ${r.members.length} member orgs: nothing could ever be listed`)
  // more than half: two different versions n+1 then always share a signing org (which is the evidence
  // against it), and no minority can change the roster alone
  if (p.governanceThreshold < majority(r.members.length) || p.governanceThreshold > r.members.length) {
    throw new InvalidRosterError(`policy.governanceThreshold must be more than half of the ${r.members.length} member orgs: ${majority(r.members.length)}..${r.members.length}`)
  }
  if (p.maxLifetimeMs < 1) throw new InvalidRosterError('policy.maxLifetimeMs must be positive')
  if (p.clockToleranceMs > MAX_CLOCK_TOLERANCE_MS) throw new InvalidRosterError(`policy.clockToleranceMs must be at most ${MAX_CLOCK_TOLERANCE_MS}`)
  if (p.suite === '') throw new InvalidRosterError('policy.suite is required')
  if (new Set(p.roleWeights.map(w => w.role)).size !== p.roleWeights.length) throw new InvalidRosterError('policy.roleWeights names a role twice')
  validateGuardianPolicy(r, (why) => new InvalidRosterError(why))
  validateReasons(p.reasons, (why) => new InvalidRosterError(`policy.reasons: ${why}`))
}

/** A verified roster version with its lookup tables. */
export interface RosterVersion {
  id: Uint8Array
  bytes: Uint8Array
  roster: Roster
  signed: SignedRoster
  /** Orgs whose valid signatures this version carries. */
  signers: string[]
  memberOf (signKey: Uint8Array): { member: Member, node: NodeKey } | undefined
  member (org: string): Member | undefined
  byPeerId (peerId: Uint8Array): { member: Member, node: NodeKey } | undefined
  /** Vouching weight of an org: the highest weight among its roles (roles not named weigh 1). */
  weightOf (org: string): number
}

function indexVersion (bytes: Uint8Array, roster: Roster, signed: SignedRoster, signers: string[]): RosterVersion {
  const keys = new Map<string, { member: Member, node: NodeKey }>()
  const peers = new Map<string, { member: Member, node: NodeKey }>()
  const orgs = new Map<string, Member>()
  for (const member of roster.members) {
    orgs.set(member.org, member)
    for (const node of member.nodes) {
      keys.set(toHex(node.signKey), { member, node })
      peers.set(toHex(node.peerId), { member, node })
    }
  }
  const roleWeight = new Map<Role, number>(roster.policy.roleWeights.map(w => [w.role, w.weight]))
  return {
    id: rosterId(bytes),
    bytes,
    roster,
    signed,
    signers,
    memberOf: k => keys.get(toHex(k)),
    member: org => orgs.get(org),
    byPeerId: p => peers.get(toHex(p)),
    weightOf: org => {
      const m = orgs.get(org)
      if (m === undefined) return 0
      return Math.max(...m.roles.map(r => roleWeight.get(r) ?? 1))
    }
  }
}

/**
 * Orgs of `approvers` with a valid signature in `signed`. A signature by a
 * key that is not an approver's, or that does not verify, is an error (a
 * tampered document must not pass as "one signature short").
 */
function signingOrgs (signed: SignedRoster, approvers: RosterVersion): string[] {
  const msg = rosterSignatureMessage(signed.roster)
  const orgs = new Set<string>()
  for (const s of signed.signatures) {
    const who = approvers.memberOf(s.key)
    if (who === undefined) throw new RosterSignatureError(`key ${toHex(s.key).slice(0, 16)}… is not a node of an approving org`)
    if (!verifySignature(s.key, msg, s.signature)) throw new RosterSignatureError(`signature by org ${who.member.org} does not verify`)
    orgs.add(who.member.org)
  }
  return [...orgs].sort()
}

/** Verifies a genesis roster: valid structure, and signed by every one of its orgs. */
export function verifyGenesis (signed: SignedRoster): RosterVersion {
  const roster = decodeRoster(signed.roster)
  validateRoster(roster)
  if (roster.version !== 1) throw new RosterChainError(`genesis must be version 1, got ${roster.version}`)
  const unsigned = indexVersion(signed.roster, roster, signed, [])
  const signers = signingOrgs(signed, unsigned)
  const missing = roster.members.map(m => m.org).filter(o => !signers.includes(o))
  if (missing.length > 0) throw new InsufficientSignaturesError(signers.length, roster.members.length, missing)
  return indexVersion(signed.roster, roster, signed, signers)
}

/** Verifies version n+1 against version n: chain link, structure, and the governance threshold of n's orgs. */
export function verifyNext (prev: RosterVersion, signed: SignedRoster): RosterVersion {
  const roster = decodeRoster(signed.roster)
  validateRoster(roster)
  if (roster.alliance !== prev.roster.alliance) throw new RosterChainError(`alliance ${roster.alliance} differs from ${prev.roster.alliance}`)
  if (roster.version !== prev.roster.version + 1) throw new RosterChainError(`expected version ${prev.roster.version + 1}, got ${roster.version}`)
  if (!bytesEqual(roster.prev, prev.id)) throw new RosterChainError(`prev does not name version ${prev.roster.version}`)
  if (roster.time < prev.roster.time) throw new RosterChainError('takes effect before the version it replaces')
  assertEpochContinuity(prev.roster.policy, roster.policy, (why) => new RosterChainError(why))
  assertReasonContinuity(prev.roster.policy, roster.policy, (why) => new RosterChainError(why))
  const signers = signingOrgs(signed, prev)
  const need = prev.roster.policy.governanceThreshold
  if (signers.length < need) {
    const missing = prev.roster.members.map(m => m.org).filter(o => !signers.includes(o))
    throw new InsufficientSignaturesError(signers.length, need, missing)
  }
  return indexVersion(signed.roster, roster, signed, signers)
}

/**
 * Indexes a roster document WITHOUT checking its signatures or chain: for
 * tools that need a version's lookup tables (e.g. the approvers of the next
 * version) when the version was verified elsewhere (by the running node).
 */
export function rosterVersionOf (signed: SignedRoster): RosterVersion {
  const roster = decodeRoster(signed.roster)
  validateRoster(roster)
  return indexVersion(signed.roster, roster, signed, [])
}

/**
 * Orgs that have signed `signed` so far, checked against `approvers` (the
 * document itself for a genesis, version n for version n+1). For tools that
 * collect signatures one org at a time.
 */
export function signaturesSoFar (signed: SignedRoster, approvers?: RosterVersion): string[] {
  const roster = decodeRoster(signed.roster)
  return signingOrgs(signed, approvers ?? indexVersion(signed.roster, roster, signed, []))
}

/** The unbroken chain of verified roster versions a node holds. */
export class RosterChain {
  readonly #versions: RosterVersion[]

  private constructor (genesis: RosterVersion) {
    this.#versions = [genesis]
  }

  static fromGenesis (signed: SignedRoster): RosterChain {
    return new RosterChain(verifyGenesis(signed))
  }

  /** Rebuilds a chain from stored versions (each re-verified). */
  static fromVersions (versions: SignedRoster[]): RosterChain {
    if (versions.length === 0) throw new RosterChainError('no versions')
    const chain = RosterChain.fromGenesis(versions[0])
    for (const v of versions.slice(1)) chain.extend(v)
    return chain
  }

  get alliance (): string { return this.#versions[0].roster.alliance }
  get current (): RosterVersion { return this.#versions[this.#versions.length - 1] }
  get versions (): readonly RosterVersion[] { return this.#versions }

  /**
   * Adds the next version. A version we already hold (same id) is a no-op and
   * returns undefined; anything else that does not extend the chain throws.
   */
  extend (signed: SignedRoster): RosterVersion | undefined {
    const id = rosterId(signed.roster)
    if (this.#versions.some(v => bytesEqual(v.id, id))) return undefined
    const next = verifyNext(this.current, signed)
    this.#versions.push(next)
    return next
  }

  /** The version in force at `time`: the last one whose time is ≤ `time`. */
  versionAt (time: number): RosterVersion | undefined {
    for (let i = this.#versions.length - 1; i >= 0; i--) {
      if (this.#versions[i].roster.time <= time) return this.#versions[i]
    }
    return undefined
  }

  /** Org of a signing key in the roster in force at `time`; undefined if not a member then. */
  orgAt (signKey: Uint8Array, time: number): string | undefined {
    return this.versionAt(time)?.memberOf(signKey)?.member.org
  }

  /**
   * When a signing key stopped being a node key: the `time` of the version
   * that dropped it (the latest such version, if it came back and went
   * again), or undefined if the current version lists it or none ever did.
   * A signed field of the roster, so the same on every node that holds the
   * chain, whenever each adopted the version.
   */
  removedAt (signKey: Uint8Array): number | undefined {
    const vs = this.#versions
    if (vs[vs.length - 1].memberOf(signKey) !== undefined) return undefined
    for (let i = vs.length - 1; i > 0; i--) {
      if (vs[i - 1].memberOf(signKey) !== undefined) return vs[i].roster.time
    }
    return undefined
  }

  /** Whether `org` is a member of the current version (removed orgs stop counting). */
  isMember (org: string): boolean {
    return this.current.member(org) !== undefined
  }
}

/**
 * Policy defaults for a new alliance; `roster create` starts from these.
 * `governanceThreshold` depends on the number of orgs: set it (at least
 * `majority(orgs)`), as `roster create` does.
 */
export const DEFAULT_POLICY: Policy = {
  quorum: 2,
  governanceThreshold: 1,
  roleWeights: [],
  maxLifetimeMs: 365 * 24 * 3600_000,
  rateLimitPerHour: 0,
  suite: 'hmac-sha256',
  epoch: 1,
  epochKeyCommitment: new Uint8Array(0),
  clockToleranceMs: 5 * 60_000,
  guardians: [],
  guardianThreshold: 0,
  shareCommitments: [],
  quotas: [],
  reasons: []
}

/** Unsigned SignedRoster for a roster document: collect signatures with signRoster(). */
export function unsignedRoster (roster: Roster): SignedRoster {
  validateRoster(roster)
  return { roster: encodeRoster(roster), signatures: [] }
}
