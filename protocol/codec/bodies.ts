/**
 * Wire <-> domain conversion of an entry's body: attestation, retraction,
 * opinion, key epoch and guardian counts (a roster body is a signed roster,
 * converted in roster.ts). Split from index.ts by message family; the field
 * checks are those index.ts describes.
 */
import { CLAIM_WIRE, KIND_WIRE, OPINION_WIRE } from '../kinds.js'
import * as L from '../limits.js'
import type { Attestation, Body, GuardianCounts, KeyEpoch, Opinion, Retraction, SealedKey } from '../types.js'
import { InvalidFieldError } from './errors.js'
import { signedRosterFrom, signedRosterTo } from './roster.js'
import { bytes, count, enumName, exactLength, limitText, num, optionalLength, put, str, u64, type Wire } from './wire.js'

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

export function bodyFrom (w: Wire): Body {
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

export function bodyTo (b: Body, w: Wire): void {
  switch (b.type) {
    case 'attestation': w.attestation = attestationTo(b); break
    case 'retraction': w.retraction = retractionTo(b); break
    case 'opinion': w.opinion = opinionTo(b); break
    case 'roster': w.roster = signedRosterTo(b.signed); break
    case 'key-epoch': w.keyEpoch = keyEpochTo(b); break
    case 'guardian-counts': w.guardianCounts = guardianCountsTo(b); break
  }
}
