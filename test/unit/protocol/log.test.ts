import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeSegment, encodeEntry, encodeSegment } from '../../../protocol/codec/index.js'
import {
  appendSegment, entryId, relateToHead, signEntryId, verifyEquivocation, verifySegment, type LogEntry, type VerifyContext
} from '../../../protocol/log/index.js'
import type { Body, Segment } from '../../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, makeOrg } from '../../helpers/alliance.js'

const DAY = 86_400_000
const T0 = GENESIS_TIME + DAY

function attest (i: number, expires = T0 + 30 * DAY): Body {
  const fingerprint = new Uint8Array(32)
  new DataView(fingerprint.buffer).setUint32(0, i)
  return { type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 80, evidenceDigest: new Uint8Array(0), expires, epoch: 1 }
}

describe('protocol/log', () => {
  const a = makeAlliance()
  const signer = a.orgs[0].nodes[0].signer
  const ctx: VerifyContext = {
    alliance: a.alliance,
    now: T0,
    clockToleranceMs: a.roster.policy.clockToleranceMs,
    maxLifetimeMs: a.roster.policy.maxLifetimeMs,
    orgAt: (k, t) => a.chain.orgAt(k, t)
  }
  const bulk = appendSegment({ signer, alliance: a.alliance, head: undefined, bodies: Array.from({ length: 100 }, (_, i) => attest(i)), time: T0 })

  it('a bulk segment of 100 entries verifies with one signature', () => {
    const v = verifySegment(decodeSegment(encodeSegment(bulk.segment)), ctx)
    assert.equal(v.entries.length, 100)
    assert.equal(v.signed, true)
    assert.deepEqual(v.orgs, Array(100).fill('brand-a'))
    assert.deepEqual(v.entries.map(e => e.id), bulk.entries.map(e => e.id))
  })

  it('a tampered entry breaks the chain or the signature', () => {
    for (const at of [0, 50, 99]) {
      const entries = bulk.segment.entries.slice()
      const e = bulk.entries[at].entry
      entries[at] = encodeEntry({ ...e, body: attest(10_000 + at) })
      assert.throws(() => verifySegment({ ...bulk.segment, entries }, ctx), (err: Error) => ['BrokenChainError', 'BadSignatureError'].includes(err.name))
    }
    const last = bulk.segment.entries.slice()
    last[99] = encodeEntry({ ...bulk.entries[99].entry, body: attest(777) })
    assert.throws(() => verifySegment({ ...bulk.segment, entries: last }, ctx), { name: 'BadSignatureError' })
  })

  it('a signature from another alliance does not verify here', () => {
    const sig = signEntryId(signer, 'other-alliance', bulk.entries[99].id)
    assert.throws(() => verifySegment({ ...bulk.segment, signature: sig }, ctx), { name: 'BadSignatureError' })
  })

  it('rejects a wrong chain, a reordered segment and mixed authors', () => {
    const entries = bulk.segment.entries.slice()
    ;[entries[3], entries[4]] = [entries[4], entries[3]]
    assert.throws(() => verifySegment({ ...bulk.segment, entries }, ctx), { name: 'BrokenChainError' })
    const other = appendSegment({ signer: a.orgs[1].nodes[0].signer, alliance: a.alliance, head: { seq: 100, id: bulk.entries[99].id, time: T0 }, bodies: [attest(1)], time: T0 })
    assert.throws(() => verifySegment({ entries: [...bulk.segment.entries, ...other.segment.entries], signature: other.segment.signature }, ctx), { name: 'MixedAuthorsError' })
  })

  it('rejects entries dated beyond the clock tolerance', () => {
    const s = appendSegment({ signer, alliance: a.alliance, head: undefined, bodies: [attest(1, T0 + 20 * DAY)], time: T0 + DAY })
    assert.throws(() => verifySegment(s.segment, ctx), { name: 'FutureEntryError' })
    assert.doesNotThrow(() => verifySegment(s.segment, { ...ctx, now: T0 + DAY - ctx.clockToleranceMs }))
  })

  it('rejects authors not in the roster at the entry time, and entries before genesis', () => {
    const outsider = makeOrg('outsider').nodes[0].signer
    const s = appendSegment({ signer: outsider, alliance: a.alliance, head: undefined, bodies: [attest(1)], time: T0 })
    assert.throws(() => verifySegment(s.segment, ctx), { name: 'UnknownAuthorError' })
    const early = appendSegment({ signer, alliance: a.alliance, head: undefined, bodies: [attest(1, GENESIS_TIME + DAY)], time: GENESIS_TIME - 1 })
    assert.throws(() => verifySegment(early.segment, ctx), { name: 'UnknownAuthorError' })
  })

  it('rejects expiry before the entry time or beyond the maximum lifetime', () => {
    const past = appendSegment({ signer, alliance: a.alliance, head: undefined, bodies: [attest(1, T0 - 1)], time: T0 })
    assert.throws(() => verifySegment(past.segment, ctx), { name: 'InvalidLifetimeError' })
    const far = appendSegment({ signer, alliance: a.alliance, head: undefined, bodies: [attest(1, T0 + ctx.maxLifetimeMs + 1)], time: T0 })
    assert.throws(() => verifySegment(far.segment, ctx), { name: 'InvalidLifetimeError' })
  })

  it('refuses unsigned segments where a signature is required (gossip)', () => {
    const unsigned: Segment = { entries: bulk.segment.entries.slice(0, 1), signature: new Uint8Array(0) }
    assert.throws(() => verifySegment(unsigned, { ...ctx, requireSignature: true }), { name: 'UnsignedSegmentError' })
    assert.equal(verifySegment(unsigned, ctx).signed, false)
  })

  it('relates a segment to the head we hold: append, duplicate, gap, fork', () => {
    const byseq = (entries: LogEntry[]) => (seq: number) => entries[seq - 1]?.id
    const v = verifySegment(bulk.segment, ctx).entries
    assert.deepEqual(relateToHead(v, undefined, () => undefined), { kind: 'append', from: 0 })
    const head50 = { seq: 50, id: v[49].id, time: T0 }
    assert.deepEqual(relateToHead(v, head50, byseq(v)), { kind: 'append', from: 50 })
    assert.deepEqual(relateToHead(v.slice(0, 50), head50, byseq(v)), { kind: 'duplicate' })
    assert.throws(() => relateToHead(v.slice(60), head50, byseq(v)), { name: 'SeqGapError' })
    const forked = appendSegment({ signer, alliance: a.alliance, head: { seq: 10, id: v[9].id, time: T0 }, bodies: [attest(999)], time: T0 })
    const fv = verifySegment(forked.segment, ctx).entries
    const rel = relateToHead(fv, head50, byseq(v))
    assert.equal(rel.kind, 'fork')
    assert.equal(rel.kind === 'fork' && rel.seq, 11)
  })

  it('equivocation evidence verifies offline, and bogus evidence is refused', () => {
    const head = { seq: 10, id: bulk.entries[9].id, time: T0 }
    const x = appendSegment({ signer, alliance: a.alliance, head, bodies: [attest(1)], time: T0 })
    const y = appendSegment({ signer, alliance: a.alliance, head, bodies: [attest(2)], time: T0 })
    const proof = verifyEquivocation({ a: x.segment, b: y.segment }, a.alliance)
    assert.equal(proof.seq, 11)
    assert.throws(() => verifyEquivocation({ a: x.segment, b: x.segment }, a.alliance), { name: 'InvalidEvidenceError' })
    assert.throws(() => verifyEquivocation({ a: x.segment, b: { ...y.segment, signature: new Uint8Array(0) } }, a.alliance), { name: 'InvalidEvidenceError' })
    const other = appendSegment({ signer: a.orgs[1].nodes[0].signer, alliance: a.alliance, head: undefined, bodies: [attest(2)], time: T0 })
    assert.throws(() => verifyEquivocation({ a: bulk.segment, b: other.segment }, a.alliance), { name: 'InvalidEvidenceError' })
  })

  it('entry ids are domain-separated hashes of the exact bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (x, y) => {
      if (Buffer.compare(x, y) !== 0) assert.notDeepEqual(entryId(x), entryId(y))
    }), { numRuns: 200 })
  })
})
