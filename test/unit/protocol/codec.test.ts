import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import {
  DECODERS, decodeEntry, decodeRoster, decodeSegment, decodeSyncRequest, encodeEntry, encodeEquivocation,
  encodeRoster, encodeSegment, encodeSignedRoster, encodeSyncRequest, encodeSyncResponse
} from '../../../protocol/codec/index.js'
import * as L from '../../../protocol/limits.js'
import type { Entry } from '../../../protocol/types.js'
import { renderDescriptor } from '../../../scripts/generate-proto.js'
import * as arb from '../../helpers/arbitraries.js'

const ENCODERS: Record<keyof typeof DECODERS, (v: any) => Uint8Array> = {
  entry: encodeEntry,
  roster: encodeRoster,
  signedRoster: encodeSignedRoster,
  segment: encodeSegment,
  syncRequest: encodeSyncRequest,
  syncResponse: encodeSyncResponse,
  equivocation: encodeEquivocation
}
const ARBS: Record<keyof typeof DECODERS, fc.Arbitrary<any>> = {
  entry: arb.entry,
  roster: arb.roster,
  signedRoster: arb.signedRoster,
  segment: arb.segment,
  syncRequest: arb.syncRequest,
  syncResponse: arb.syncResponse,
  equivocation: arb.equivocation
}

function attestationEntry (over: Partial<Entry> = {}): Entry {
  return {
    author: new Uint8Array(32).fill(1),
    seq: 2,
    prev: new Uint8Array(32).fill(2),
    time: 1_764_000_000_000,
    body: { type: 'attestation', fingerprint: new Uint8Array(32).fill(3), kind: 'phone', claim: 'counterfeit-seller', reason: 7, confidence: 90, evidenceDigest: new Uint8Array(0), expires: 1_772_000_000_000, epoch: 1 },
    ...over
  }
}

describe('protocol/codec', () => {
  it('the committed descriptor matches alliance.proto (run `npm run generate` if not)', () => {
    const proto = readFileSync(new URL('../../../protocol/pb/alliance.proto', import.meta.url), 'utf8')
    const committed = readFileSync(new URL('../../../protocol/pb/descriptor.ts', import.meta.url), 'utf8')
    assert.equal(committed, renderDescriptor(proto))
  })

  for (const name of Object.keys(DECODERS) as Array<keyof typeof DECODERS>) {
    it(`${name}: decode(encode(x)) equals x and decode→encode reproduces the accepted bytes`, () => {
      fc.assert(fc.property(ARBS[name], (value) => {
        const bytes = ENCODERS[name](value)
        const decoded = DECODERS[name](bytes)
        assert.deepEqual(decoded, value)
        assert.deepEqual(ENCODERS[name](decoded), bytes)
      }), { numRuns: 300 })
    })
  }

  it('rejects an unknown trailing field as non-canonical', () => {
    const bytes = encodeEntry(attestationEntry())
    const extra = new Uint8Array([...bytes, 0xa0, 0x06, 0x01]) // field 100, varint 1
    assert.throws(() => decodeEntry(extra), { name: 'NonCanonicalEncodingError' })
  })

  it('rejects an explicitly encoded default value as non-canonical', () => {
    // Segment with an explicit empty signature field (field 2, length 0)
    const bytes = encodeSegment({ entries: [new Uint8Array([1])], signature: new Uint8Array(0) })
    assert.throws(() => decodeSegment(new Uint8Array([...bytes, 0x12, 0x00])), { name: 'NonCanonicalEncodingError' })
  })

  it('rejects fields in a non-canonical order', () => {
    const a = encodeSyncRequest({ alliance: 'x', heads: [], maxEntries: 5 })
    // maxEntries (field 3) before alliance (field 1)
    const reordered = new Uint8Array([...a.slice(3), ...a.slice(0, 3)])
    assert.throws(() => decodeSyncRequest(reordered), { name: 'NonCanonicalEncodingError' })
  })

  it('rejects unpacked repeated enums (same roles, other encoding)', () => {
    const r = { alliance: 'a', version: 1, prev: new Uint8Array(0), time: 1, members: [{ org: 'o', name: '', roles: ['brand', 'platform'] as any, nodes: [] }], policy: { quorum: 1, governanceThreshold: 1, roleWeights: [], maxLifetimeMs: 1, rateLimitPerHour: 0, suite: 's', epoch: 0, epochKeyCommitment: new Uint8Array(0), clockToleranceMs: 0, guardians: [], guardianThreshold: 0, shareCommitments: [], quotas: [], reasons: [] } }
    const packed = encodeRoster(r)
    // member: 0x2a len [0x0a 0x01 'o' 0x1a 0x02 0x01 0x02] → unpacked roles: 0x18 0x01 0x18 0x02
    const i = packed.indexOf(0x1a, 4)
    const member = [0x0a, 0x01, 0x6f, 0x18, 0x01, 0x18, 0x02]
    const unpacked = new Uint8Array([...packed.slice(0, i - 5), 0x2a, member.length, ...member, ...packed.slice(i + 4)])
    assert.deepEqual(decodeRoster(packed), r)
    assert.throws(() => decodeRoster(unpacked), (err: Error) => ['NonCanonicalEncodingError', 'MalformedMessageError'].includes(err.name))
  })

  it('rejects wrong lengths, unknown enums and missing bodies with InvalidFieldError', () => {
    assert.throws(() => decodeEntry(encodeEntry(attestationEntry({ author: new Uint8Array(31) }))), { name: 'InvalidFieldError', field: 'entry.author' })
    const e = attestationEntry()
    assert.throws(() => decodeEntry(encodeEntry({ ...e, body: { ...(e.body as any), fingerprint: new Uint8Array(16) } })), { name: 'InvalidFieldError', field: 'attestation.fingerprint' })
    assert.throws(() => decodeEntry(encodeEntry({ ...e, seq: 1 })), { name: 'InvalidFieldError', field: 'entry.prev' })
    // kind = 99 (unknown): patch the kind byte of an encoded entry
    const bytes = encodeEntry(e)
    const at = bytes.indexOf(0x10, bytes.length - 30) // attestation.kind tag inside the body
    const patched = bytes.slice(); patched[at + 1] = 99
    assert.throws(() => decodeEntry(patched), { name: 'InvalidFieldError' })
    // no body at all
    const noBody = encodeEntry(e).slice(0, 2 + 32 + 2 + 2 + 32 + 7)
    assert.throws(() => decodeEntry(noBody), (err: Error) => ['InvalidFieldError', 'MalformedMessageError'].includes(err.name))
  })

  it('refuses oversize input before parsing it', () => {
    assert.throws(() => decodeSegment(new Uint8Array(L.MAX_SEGMENT_BYTES + 1)), { name: 'OversizeError' })
    assert.throws(() => decodeEntry(new Uint8Array(L.MAX_ENTRY_BYTES + 1)), { name: 'OversizeError' })
  })

  it('enforces count limits while decoding', () => {
    const many = encodeSegment({ entries: Array.from({ length: L.MAX_SEGMENT_ENTRIES + 1 }, () => new Uint8Array([1])), signature: new Uint8Array(0) })
    assert.throws(() => decodeSegment(many), { name: 'TooManyError', field: 'segment.entries' })
  })

  it('rejects integers beyond 2^53 instead of rounding them', () => {
    // seq = 2^63 (varint of 10 bytes)
    const e = encodeEntry(attestationEntry())
    const seqAt = 34 // after author (0x0a 0x20 + 32 bytes)
    assert.equal(e[seqAt], 0x10)
    const big = [0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
    const patched = new Uint8Array([...e.slice(0, seqAt), ...big, ...e.slice(seqAt + 2)])
    assert.throws(() => decodeEntry(patched), { name: 'InvalidFieldError', field: 'entry.seq' })
  })
})
