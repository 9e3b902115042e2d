/**
 * Wire <-> domain conversion of rosters: the roster with its members, node
 * keys and policy, and the signed roster that carries it (an entry body and
 * a stored record of its own). Split from index.ts by message family; the
 * public encode/decode functions are re-exported there.
 */
import { ROLE_WIRE, ROLES } from '../kinds.js'
import * as L from '../limits.js'
import type { Member, NodeKey, Policy, Roster, RosterSignature, SignedRoster } from '../types.js'
import { InvalidFieldError, OversizeError } from './errors.js'
import * as S from './shapes.js'
import { T } from './types.js'
import {
  bytes, count, decodeStrict, encodeWire, enumName, exactLength, limitText, num, optionalLength, put, safeInt, str, u64, type Wire
} from './wire.js'

export function signedRosterFrom (w: Wire): SignedRoster {
  const roster = bytes(w.roster)
  if (roster.length === 0) throw new InvalidFieldError('signedRoster.roster', 'is required')
  if (roster.length > L.MAX_ROSTER_BYTES) throw new OversizeError('signedRoster.roster', roster.length, L.MAX_ROSTER_BYTES)
  const sigs = count(w.signatures as Wire[], L.MAX_ROSTER_SIGNATURES, 'signedRoster.signatures')
  return {
    roster,
    signatures: sigs.map((s, i): RosterSignature => ({
      key: exactLength(bytes(s.key), L.KEY_BYTES, `signedRoster.signatures[${i}].key`),
      signature: exactLength(bytes(s.signature), L.SIGNATURE_BYTES, `signedRoster.signatures[${i}].signature`)
    }))
  }
}

export function signedRosterTo (s: SignedRoster): Wire {
  const w: Wire = {}
  put(w, 'roster', s.roster)
  put(w, 'signatures', s.signatures.map(sig => {
    const o: Wire = {}
    put(o, 'key', sig.key)
    put(o, 'signature', sig.signature)
    return o
  }))
  return w
}

function policyFrom (w: Wire | undefined): Policy {
  if (w === undefined || w === null) throw new InvalidFieldError('roster.policy', 'is required')
  const weights = count(w.roleWeights as Wire[], L.MAX_MEMBERS, 'policy.roleWeights')
  const suite = limitText(str(w.suite), L.MAX_ID_CHARS, 'policy.suite')
  return {
    quorum: num(w.quorum),
    governanceThreshold: num(w.governanceThreshold),
    roleWeights: weights.map((rw, i) => ({ role: enumName(ROLE_WIRE, rw.role, `policy.roleWeights[${i}].role`), weight: num(rw.weight) })),
    maxLifetimeMs: u64(w.maxLifetimeMs, 'policy.maxLifetimeMs'),
    rateLimitPerHour: num(w.rateLimitPerHour),
    suite,
    epoch: num(w.epoch),
    epochKeyCommitment: optionalLength(bytes(w.epochKeyCommitment), L.DIGEST_BYTES, 'policy.epochKeyCommitment'),
    clockToleranceMs: u64(w.clockToleranceMs, 'policy.clockToleranceMs'),
    guardians: count(w.guardians as Wire[], L.MAX_GUARDIANS, 'policy.guardians').map((g, i) => ({
      org: limitText(str(g.org), L.MAX_ID_CHARS, `policy.guardians[${i}].org`),
      boxKey: exactLength(bytes(g.boxKey), L.KEY_BYTES, `policy.guardians[${i}].boxKey`),
      index: num(g.index)
    })),
    guardianThreshold: num(w.guardianThreshold),
    shareCommitments: count(w.shareCommitments as Uint8Array[], L.MAX_GUARDIANS, 'policy.shareCommitments')
      .map((c, i) => exactLength(bytes(c), L.KEY_BYTES, `policy.shareCommitments[${i}]`)),
    quotas: count(w.quotas as Wire[], L.MAX_QUOTAS, 'policy.quotas').map((q, i) => ({
      subject: limitText(str(q.subject), L.MAX_ID_CHARS, `policy.quotas[${i}].subject`),
      perDay: u64(q.perDay, `policy.quotas[${i}].perDay`)
    })),
    reasons: count(w.reasons as Wire[], L.MAX_REASONS, 'policy.reasons').map((r, i) => ({
      code: num(r.code),
      name: limitText(str(r.name), L.MAX_ID_CHARS, `policy.reasons[${i}].name`),
      description: limitText(str(r.description), L.MAX_REASON_DESCRIPTION_CHARS, `policy.reasons[${i}].description`)
    }))
  }
}

function policyTo (p: Policy): Wire {
  const w: Wire = {}
  put(w, 'quorum', p.quorum)
  put(w, 'governanceThreshold', p.governanceThreshold)
  put(w, 'roleWeights', p.roleWeights.map(rw => {
    const o: Wire = {}
    put(o, 'role', ROLE_WIRE.wireOf(rw.role))
    put(o, 'weight', rw.weight)
    return o
  }))
  put(w, 'maxLifetimeMs', p.maxLifetimeMs)
  put(w, 'rateLimitPerHour', p.rateLimitPerHour)
  put(w, 'suite', p.suite)
  put(w, 'epoch', p.epoch)
  put(w, 'epochKeyCommitment', p.epochKeyCommitment)
  put(w, 'clockToleranceMs', p.clockToleranceMs)
  put(w, 'guardians', p.guardians.map(g => {
    const o: Wire = {}
    put(o, 'org', g.org)
    put(o, 'boxKey', g.boxKey)
    put(o, 'index', g.index)
    return o
  }))
  put(w, 'guardianThreshold', p.guardianThreshold)
  put(w, 'shareCommitments', p.shareCommitments)
  put(w, 'quotas', p.quotas.map(q => {
    const o: Wire = {}
    put(o, 'subject', q.subject)
    put(o, 'perDay', q.perDay)
    return o
  }))
  put(w, 'reasons', p.reasons.map(r => {
    const o: Wire = {}
    put(o, 'code', r.code)
    put(o, 'name', r.name)
    put(o, 'description', r.description)
    return o
  }))
  return w
}

function nodeKeyFrom (w: Wire, field: string): NodeKey {
  const peerId = bytes(w.peerId)
  if (peerId.length === 0 || peerId.length > 64) throw new InvalidFieldError(`${field}.peerId`, 'must be 1..64 bytes')
  return {
    signKey: exactLength(bytes(w.signKey), L.KEY_BYTES, `${field}.signKey`),
    boxKey: exactLength(bytes(w.boxKey), L.KEY_BYTES, `${field}.boxKey`),
    peerId,
    addrs: count(w.addrs as string[], L.MAX_ADDRS_PER_NODE, `${field}.addrs`).map((a, i) => limitText(a, L.MAX_TEXT_CHARS, `${field}.addrs[${i}]`))
  }
}

function memberFrom (w: Wire, i: number): Member {
  const f = `roster.members[${i}]`
  return {
    org: limitText(str(w.org), L.MAX_ID_CHARS, `${f}.org`),
    name: limitText(str(w.name), L.MAX_TEXT_CHARS, `${f}.name`),
    roles: count(w.roles as number[], ROLES.length, `${f}.roles`).map((r, j) => enumName(ROLE_WIRE, r, `${f}.roles[${j}]`)),
    nodes: count(w.nodes as Wire[], L.MAX_NODES_PER_MEMBER, `${f}.nodes`).map((n, j) => nodeKeyFrom(n, `${f}.nodes[${j}]`))
  }
}

function memberTo (m: Member): Wire {
  const w: Wire = {}
  put(w, 'org', m.org)
  put(w, 'name', m.name)
  put(w, 'roles', m.roles.map(r => ROLE_WIRE.wireOf(r)))
  put(w, 'nodes', m.nodes.map(n => {
    const o: Wire = {}
    put(o, 'signKey', n.signKey)
    put(o, 'boxKey', n.boxKey)
    put(o, 'peerId', n.peerId)
    put(o, 'addrs', n.addrs)
    return o
  }))
  return w
}

function rosterFrom (w: Wire): Roster {
  return {
    alliance: limitText(str(w.alliance), L.MAX_ID_CHARS, 'roster.alliance'),
    version: u64(w.version, 'roster.version'),
    prev: optionalLength(bytes(w.prev), L.ID_BYTES, 'roster.prev'),
    time: u64(w.time, 'roster.time'),
    members: count(w.members as Wire[], L.MAX_MEMBERS, 'roster.members').map(memberFrom),
    policy: policyFrom(w.policy)
  }
}

function rosterTo (r: Roster): Wire {
  const w: Wire = {}
  put(w, 'alliance', r.alliance)
  put(w, 'version', r.version)
  put(w, 'prev', r.prev)
  put(w, 'time', r.time)
  put(w, 'members', r.members.map(memberTo))
  // policy is a required sub-message: always written, even when all its fields are default
  w.policy = policyTo(r.policy)
  return w
}

export function encodeRoster (r: Roster): Uint8Array {
  safeInt(r.version, 'roster.version')
  safeInt(r.time, 'roster.time')
  const out = encodeWire(T.Roster, rosterTo(r))
  if (out.length > L.MAX_ROSTER_BYTES) throw new OversizeError('roster', out.length, L.MAX_ROSTER_BYTES)
  return out
}

export function decodeRoster (buf: Uint8Array): Roster {
  return decodeStrict(T.Roster, 'roster', buf, L.MAX_ROSTER_BYTES, rosterFrom, rosterTo, S.ROSTER)
}

export function encodeSignedRoster (s: SignedRoster): Uint8Array {
  return encodeWire(T.SignedRoster, signedRosterTo(s))
}

export function decodeSignedRoster (buf: Uint8Array): SignedRoster {
  return decodeStrict(T.SignedRoster, 'signed roster', buf, L.MAX_ENTRY_BYTES, signedRosterFrom, signedRosterTo, S.SIGNED_ROSTER)
}
