/**
 * The codec: the only place bytes become protocol objects and back.
 *
 * Decoding (1) refuses input over the message type's size limit before
 * parsing, (2) parses with protobufjs, (3) converts to the TypeScript types
 * of protocol/types.ts while checking every field (lengths, enum values,
 * counts against protocol/limits.ts, safe integers), and (4) re-encodes the
 * result with this codec and requires the exact received bytes. Step (4)
 * makes the encoding unique: one logical message has exactly one byte
 * string, so ids and signatures can never be split across re-encodings.
 *
 * Encoding omits every default value (proto3 canonical form): zero numbers,
 * empty bytes and strings, false, and UNSPECIFIED enums are not written.
 */
import protobuf from 'protobufjs'
import { descriptor } from '../pb/descriptor.js'
import { CLAIM_WIRE, KIND_WIRE, OPINION_WIRE, ROLE_WIRE, ROLES } from '../kinds.js'
import * as L from '../limits.js'
import type {
  Attestation, Body, Entry, Equivocation, GuardianCounts, Head, KeyEpoch, Member, NodeKey, Opinion, Policy,
  Retraction, Roster, RosterSignature, SealedKey, Segment, SignedRoster, SyncRequest, SyncResponse
} from '../types.js'
import { InvalidFieldError, OversizeError } from './errors.js'
import * as S from './shapes.js'
import {
  bytes, count, decodeStrict, encodeWire, enumName, exactLength, limitText, num, optionalLength, put, referenceDecoding, safeInt, str, u64, type Wire
} from './wire.js'
import { decodeAttestationEntry } from './entry-fast.js'

export * from './errors.js'
export { withReferenceDecoding } from './wire.js'

const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace)
const type = (name: string): protobuf.Type => root.lookupType(`alliance.v1.${name}`)
const T = {
  Entry: type('Entry'),
  Roster: type('Roster'),
  SignedRoster: type('SignedRoster'),
  Segment: type('Segment'),
  Equivocation: type('Equivocation'),
  SyncRequest: type('SyncRequest'),
  SyncResponse: type('SyncResponse')
}

// ------------------------------------------------------------------ bodies

function fingerprintOf (b: Uint8Array, kind: string, field: string): Uint8Array {
  if (kind === 'product-image') {
    if (b.length < L.MIN_IMAGE_HASH_BYTES || b.length > L.FINGERPRINT_BYTES) {
      throw new InvalidFieldError(field, `product-image hash must be ${L.MIN_IMAGE_HASH_BYTES}..${L.FINGERPRINT_BYTES} bytes, got ${b.length}`)
    }
    return b
  }
  return exactLength(b, L.FINGERPRINT_BYTES, field)
}

function attestationFrom (w: Wire): Attestation {
  const kind = enumName(KIND_WIRE, w.kind, 'attestation.kind')
  const confidence = num(w.confidence)
  if (confidence > L.MAX_CONFIDENCE) throw new InvalidFieldError('attestation.confidence', `must be 0..${L.MAX_CONFIDENCE}`)
  return {
    type: 'attestation',
    fingerprint: fingerprintOf(bytes(w.fingerprint), kind, 'attestation.fingerprint'),
    kind,
    claim: enumName(CLAIM_WIRE, w.claim, 'attestation.claim'),
    reason: num(w.reason),
    confidence,
    evidenceDigest: optionalLength(bytes(w.evidenceDigest), L.DIGEST_BYTES, 'attestation.evidenceDigest'),
    expires: u64(w.expires, 'attestation.expires'),
    epoch: num(w.epoch)
  }
}

function attestationTo (a: Attestation): Wire {
  const w: Wire = {}
  put(w, 'fingerprint', a.fingerprint)
  put(w, 'kind', KIND_WIRE.wireOf(a.kind))
  put(w, 'claim', CLAIM_WIRE.wireOf(a.claim))
  put(w, 'reason', a.reason)
  put(w, 'confidence', a.confidence)
  put(w, 'evidenceDigest', a.evidenceDigest)
  put(w, 'expires', a.expires)
  put(w, 'epoch', a.epoch)
  return w
}

function retractionFrom (w: Wire): Retraction {
  const kind = enumName(KIND_WIRE, w.kind, 'retraction.kind')
  return {
    type: 'retraction',
    target: exactLength(bytes(w.target), L.ID_BYTES, 'retraction.target'),
    fingerprint: fingerprintOf(bytes(w.fingerprint), kind, 'retraction.fingerprint'),
    kind,
    epoch: num(w.epoch)
  }
}

function retractionTo (r: Retraction): Wire {
  const w: Wire = {}
  put(w, 'target', r.target)
  put(w, 'fingerprint', r.fingerprint)
  put(w, 'kind', KIND_WIRE.wireOf(r.kind))
  put(w, 'epoch', r.epoch)
  return w
}

function opinionFrom (w: Wire): Opinion {
  const kind = enumName(KIND_WIRE, w.kind, 'opinion.kind')
  return {
    type: 'opinion',
    fingerprint: fingerprintOf(bytes(w.fingerprint), kind, 'opinion.fingerprint'),
    kind,
    opinion: enumName(OPINION_WIRE, w.opinion, 'opinion.opinion'),
    expires: u64(w.expires, 'opinion.expires'),
    noteDigest: optionalLength(bytes(w.noteDigest), L.DIGEST_BYTES, 'opinion.noteDigest'),
    epoch: num(w.epoch)
  }
}

function opinionTo (o: Opinion): Wire {
  const w: Wire = {}
  put(w, 'fingerprint', o.fingerprint)
  put(w, 'kind', KIND_WIRE.wireOf(o.kind))
  put(w, 'opinion', OPINION_WIRE.wireOf(o.opinion))
  put(w, 'expires', o.expires)
  put(w, 'noteDigest', o.noteDigest)
  put(w, 'epoch', o.epoch)
  return w
}

function sealedKeyFrom (w: Wire, i: number): SealedKey {
  const ciphertext = bytes(w.ciphertext)
  if (ciphertext.length === 0 || ciphertext.length > L.MAX_SEALED_CIPHERTEXT_BYTES) {
    throw new InvalidFieldError(`keyEpoch.sealed[${i}].ciphertext`, `must be 1..${L.MAX_SEALED_CIPHERTEXT_BYTES} bytes`)
  }
  return {
    recipient: exactLength(bytes(w.recipient), L.KEY_BYTES, `keyEpoch.sealed[${i}].recipient`),
    enc: exactLength(bytes(w.enc), L.KEY_BYTES, `keyEpoch.sealed[${i}].enc`),
    ciphertext
  }
}

function keyEpochFrom (w: Wire): KeyEpoch {
  const sealed = count(w.sealed as Wire[], L.MAX_SEALED_KEYS, 'keyEpoch.sealed')
  const suite = limitText(str(w.suite), L.MAX_ID_CHARS, 'keyEpoch.suite')
  if (suite === '') throw new InvalidFieldError('keyEpoch.suite', 'is required')
  return {
    type: 'key-epoch',
    suite,
    epoch: num(w.epoch),
    commitment: exactLength(bytes(w.commitment), L.DIGEST_BYTES, 'keyEpoch.commitment'),
    sealed: sealed.map(sealedKeyFrom)
  }
}

function keyEpochTo (k: KeyEpoch): Wire {
  const w: Wire = {}
  put(w, 'suite', k.suite)
  put(w, 'epoch', k.epoch)
  put(w, 'commitment', k.commitment)
  put(w, 'sealed', k.sealed.map(s => {
    const o: Wire = {}
    put(o, 'recipient', s.recipient)
    put(o, 'enc', s.enc)
    put(o, 'ciphertext', s.ciphertext)
    return o
  }))
  return w
}

function guardianCountsFrom (w: Wire): GuardianCounts {
  const counts = count(w.counts as Wire[], L.MAX_MEMBERS, 'guardianCounts.counts').map((c, i) => ({
    org: limitText(str(c.org), L.MAX_ID_CHARS, `guardianCounts.counts[${i}].org`),
    evaluations: u64(c.evaluations, `guardianCounts.counts[${i}].evaluations`)
  }))
  for (let i = 0; i < counts.length; i++) {
    if (counts[i].org === '') throw new InvalidFieldError(`guardianCounts.counts[${i}].org`, 'is required')
    if (i > 0 && !(counts[i - 1].org < counts[i].org)) throw new InvalidFieldError('guardianCounts.counts', 'must be sorted by org, each org once')
  }
  return { type: 'guardian-counts', epoch: num(w.epoch), day: num(w.day), counts }
}

function guardianCountsTo (g: GuardianCounts): Wire {
  const w: Wire = {}
  put(w, 'epoch', g.epoch)
  put(w, 'day', g.day)
  put(w, 'counts', g.counts.map(c => {
    const o: Wire = {}
    put(o, 'org', c.org)
    put(o, 'evaluations', c.evaluations)
    return o
  }))
  return w
}

function signedRosterFrom (w: Wire): SignedRoster {
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

function signedRosterTo (s: SignedRoster): Wire {
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

function bodyFrom (w: Wire): Body {
  switch (w.body as string | undefined) {
    case 'attestation': return attestationFrom(w.attestation)
    case 'retraction': return retractionFrom(w.retraction)
    case 'opinion': return opinionFrom(w.opinion)
    case 'roster': return { type: 'roster', signed: signedRosterFrom(w.roster) }
    case 'keyEpoch': return keyEpochFrom(w.keyEpoch)
    case 'guardianCounts': return guardianCountsFrom(w.guardianCounts)
    default: throw new InvalidFieldError('entry.body', 'is required')
  }
}

function bodyTo (b: Body, w: Wire): void {
  switch (b.type) {
    case 'attestation': w.attestation = attestationTo(b); break
    case 'retraction': w.retraction = retractionTo(b); break
    case 'opinion': w.opinion = opinionTo(b); break
    case 'roster': w.roster = signedRosterTo(b.signed); break
    case 'key-epoch': w.keyEpoch = keyEpochTo(b); break
    case 'guardian-counts': w.guardianCounts = guardianCountsTo(b); break
  }
}

// ------------------------------------------------------------------ entries

function entryFrom (w: Wire): Entry {
  const seq = u64(w.seq, 'entry.seq')
  if (seq < 1) throw new InvalidFieldError('entry.seq', 'must be at least 1')
  const prev = bytes(w.prev)
  if (seq === 1 && prev.length !== 0) throw new InvalidFieldError('entry.prev', 'must be empty for the first entry of a log')
  if (seq > 1) exactLength(prev, L.ID_BYTES, 'entry.prev')
  const body = bodyFrom(w)
  return {
    author: exactLength(bytes(w.author), L.KEY_BYTES, 'entry.author'),
    seq,
    prev,
    time: u64(w.time, 'entry.time'),
    body
  }
}

function entryTo (e: Entry): Wire {
  const w: Wire = {}
  put(w, 'author', e.author)
  put(w, 'seq', e.seq)
  put(w, 'prev', e.prev)
  put(w, 'time', e.time)
  bodyTo(e.body, w)
  return w
}

/**
 * Each body type's own entry size limit: statements and key-epoch
 * announcements (no sealed keys) are small; a roster or a key distribution
 * may be large, each up to what its counts allow.
 */
function entryLimit (b: Body): { what: string, limit: number } {
  switch (b.type) {
    case 'roster': return { what: 'roster entry', limit: L.MAX_ROSTER_ENTRY_BYTES }
    case 'key-epoch': return b.sealed.length > 0
      ? { what: 'key distribution entry', limit: L.MAX_KEY_EPOCH_ENTRY_BYTES }
      : { what: 'key epoch announcement', limit: L.MAX_STATEMENT_ENTRY_BYTES }
    case 'guardian-counts': return { what: 'guardian counts entry', limit: L.MAX_GUARDIAN_COUNTS_ENTRY_BYTES }
    default: return { what: 'statement entry', limit: L.MAX_STATEMENT_ENTRY_BYTES }
  }
}

export function encodeEntry (e: Entry): Uint8Array {
  safeInt(e.seq, 'entry.seq')
  safeInt(e.time, 'entry.time')
  const out = encodeWire(T.Entry, entryTo(e))
  const { limit } = entryLimit(e.body)
  if (out.length > limit) throw new OversizeError('entry', out.length, limit)
  return out
}

/** Decodes one entry, held to the size limit of its body type. */
export function decodeEntry (buf: Uint8Array): Entry {
  // the canonical attestation entry (a catch-up's million) first; anything else, valid or not, through the strict parser
  const fast = referenceDecoding() ? undefined : decodeAttestationEntry(buf)
  if (fast !== undefined) return fast
  const e = decodeStrict(T.Entry, 'entry', buf, L.MAX_ENTRY_BYTES, entryFrom, entryTo, S.ENTRY)
  const { what, limit } = entryLimit(e.body)
  if (buf.length > limit) throw new OversizeError(what, buf.length, limit)
  return e
}

// ------------------------------------------------------------------ roster

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

// ------------------------------------------------------------------ envelopes

function segmentFrom (w: Wire, field = 'segment'): Segment {
  const entries = count(w.entries as Uint8Array[], L.MAX_SEGMENT_ENTRIES, `${field}.entries`).map(bytes)
  if (entries.length === 0) throw new InvalidFieldError(`${field}.entries`, 'must hold at least one entry')
  return {
    entries,
    signature: optionalLength(bytes(w.signature), L.SIGNATURE_BYTES, `${field}.signature`)
  }
}

function segmentTo (s: Segment): Wire {
  const w: Wire = {}
  put(w, 'entries', s.entries)
  put(w, 'signature', s.signature)
  return w
}

export function encodeSegment (s: Segment): Uint8Array {
  const out = encodeWire(T.Segment, segmentTo(s))
  if (out.length > L.MAX_SEGMENT_BYTES) throw new OversizeError('segment', out.length, L.MAX_SEGMENT_BYTES)
  return out
}

/** Decodes a segment frame; its entries stay bytes until decodeEntry (ids cover exact bytes). */
export function decodeSegment (buf: Uint8Array): Segment {
  return decodeStrict(T.Segment, 'segment', buf, L.MAX_SEGMENT_BYTES, w => segmentFrom(w), segmentTo, S.SEGMENT)
}

function headFrom (w: Wire, i: number): Head {
  const f = `heads[${i}]`
  const seq = u64(w.seq, `${f}.seq`)
  if (seq < 1) throw new InvalidFieldError(`${f}.seq`, 'must be at least 1')
  return {
    author: exactLength(bytes(w.author), L.KEY_BYTES, `${f}.author`),
    seq,
    id: exactLength(bytes(w.id), L.ID_BYTES, `${f}.id`)
  }
}

function headTo (h: Head): Wire {
  const w: Wire = {}
  put(w, 'author', h.author)
  put(w, 'seq', h.seq)
  put(w, 'id', h.id)
  return w
}

function syncRequestFrom (w: Wire): SyncRequest {
  const alliance = limitText(str(w.alliance), L.MAX_ID_CHARS, 'syncRequest.alliance')
  if (alliance === '') throw new InvalidFieldError('syncRequest.alliance', 'is required')
  return {
    alliance,
    heads: count(w.heads as Wire[], L.MAX_HEADS, 'syncRequest.heads').map(headFrom),
    maxEntries: num(w.maxEntries)
  }
}

function syncRequestTo (r: SyncRequest): Wire {
  const w: Wire = {}
  put(w, 'alliance', r.alliance)
  put(w, 'heads', r.heads.map(headTo))
  put(w, 'maxEntries', r.maxEntries)
  return w
}

export function encodeSyncRequest (r: SyncRequest): Uint8Array {
  return encodeWire(T.SyncRequest, syncRequestTo(r))
}

export function decodeSyncRequest (buf: Uint8Array): SyncRequest {
  return decodeStrict(T.SyncRequest, 'sync request', buf, L.MAX_SYNC_REQUEST_BYTES, syncRequestFrom, syncRequestTo, S.SYNC_REQUEST)
}

function syncResponseFrom (w: Wire): SyncResponse {
  return {
    segments: count(w.segments as Wire[], L.MAX_SEGMENTS_PER_RESPONSE, 'syncResponse.segments').map((s, i) => segmentFrom(s, `syncResponse.segments[${i}]`)),
    done: w.done === true
  }
}

function syncResponseTo (r: SyncResponse): Wire {
  const w: Wire = {}
  put(w, 'segments', r.segments.map(segmentTo))
  put(w, 'done', r.done)
  return w
}

export function encodeSyncResponse (r: SyncResponse): Uint8Array {
  const out = encodeWire(T.SyncResponse, syncResponseTo(r))
  if (out.length > L.MAX_SYNC_RESPONSE_BYTES) throw new OversizeError('sync response', out.length, L.MAX_SYNC_RESPONSE_BYTES)
  return out
}

export function decodeSyncResponse (buf: Uint8Array): SyncResponse {
  return decodeStrict(T.SyncResponse, 'sync response', buf, L.MAX_SYNC_RESPONSE_BYTES, syncResponseFrom, syncResponseTo, S.SYNC_RESPONSE)
}

function equivocationFrom (w: Wire): Equivocation {
  if (w.a == null || w.b == null) throw new InvalidFieldError('equivocation', 'needs both segments a and b')
  return { a: segmentFrom(w.a, 'equivocation.a'), b: segmentFrom(w.b, 'equivocation.b') }
}

function equivocationTo (e: Equivocation): Wire {
  return { a: segmentTo(e.a), b: segmentTo(e.b) }
}

export function encodeEquivocation (e: Equivocation): Uint8Array {
  return encodeWire(T.Equivocation, equivocationTo(e))
}

export function decodeEquivocation (buf: Uint8Array): Equivocation {
  return decodeStrict(T.Equivocation, 'equivocation', buf, L.MAX_EQUIVOCATION_BYTES, equivocationFrom, equivocationTo, S.EQUIVOCATION)
}

/** Every decoder, by name: the fuzz tests and the bench iterate over this. */
export const DECODERS = {
  entry: decodeEntry,
  roster: decodeRoster,
  signedRoster: decodeSignedRoster,
  segment: decodeSegment,
  syncRequest: decodeSyncRequest,
  syncResponse: decodeSyncResponse,
  equivocation: decodeEquivocation
} as const
