/**
 * protocol/consensus/image.ts and ConsensusIndex.image / fromImage: an index
 * rebuilt from its image (through its byte form) answers every query as the
 * original did, now and after more statements, expiries and exclusions; a
 * damaged image is refused whole.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ConsensusIndex } from '../../../../protocol/consensus/index.js'
import { decodeIndexImage, encodeIndexImage } from '../../../../protocol/consensus/image.js'
import type { ConsensusPolicy } from '../../../../protocol/consensus/rule.js'
import type { Statement } from '../../../../protocol/consensus/statement.js'
import { FPS, ORGS, authorKey, fromSpecs, policy, specArb, stmt, fp } from './helpers.js'

function roundTrip (index: ConsensusIndex, p: ConsensusPolicy): ConsensusIndex {
  const parts = encodeIndexImage(index.image())
  const bytes = new Uint8Array(parts.reduce((n, x) => n + x.length, 0))
  let at = 0
  for (const x of parts) { bytes.set(x, at); at += x.length }
  return ConsensusIndex.fromImage(p, decodeIndexImage(bytes))
}

/** Every answer the index gives. */
function answers (index: ConsensusIndex): unknown {
  return {
    now: index.now,
    size: index.size,
    counts: index.counts(),
    excluded: index.excluded(),
    statuses: FPS.map(f => index.status(f)),
    explain: FPS.map(f => index.explain(f)),
    entries: [...index.entries()],
    listed: [...index.statuses({ status: 'listed' })]
  }
}

const p = policy(2, { e: 0 })

describe('consensus index image', function () {
  this.timeout(60_000)

  it('load(save(index)) answers every query like the original, and goes on doing so after more statements, expiries and exclusions', () => {
    fc.assert(fc.property(
      fc.array(specArb, { minLength: 0, maxLength: 60, size: 'max' }),
      fc.array(specArb, { maxLength: 30, size: 'max' }),
      fc.array(fc.nat({ max: 8 }), { maxLength: 90, size: 'max' }),
      fc.array(fc.nat({ max: 60 }), { maxLength: 60, size: 'max' }),
      fc.option(fc.nat({ max: ORGS.length - 1 })),
      (before, after, advances, reasons, excludeOrg) => {
        const reasonOf = (i: number): number => [0, 3, 254, 255, 300, 0xffffffff][(reasons[i] ?? 0) % 6]
        const first: Statement[] = fromSpecs(before).map((s, i) => s.source === 'attestation' ? { ...s, reason: reasonOf(i) } : s)
        const index = new ConsensusIndex(p)
        let now = 0
        first.forEach((s, i) => { index.apply(s); now += advances[i] ?? 0; index.advanceTo(now) })
        if (excludeOrg !== null) index.exclude([authorKey(ORGS[excludeOrg], 1)])
        const loaded = roundTrip(index, p)
        assert.deepEqual(answers(loaded), answers(index))
        // the same further history on both: same changes returned, same answers
        const more = fromSpecs(after, 10_000)
        more.forEach((s, i) => {
          assert.deepEqual(loaded.apply(s), index.apply(s))
          now += advances[before.length + i] ?? 0
          assert.deepEqual(loaded.advanceTo(now), index.advanceTo(now))
        })
        assert.deepEqual(loaded.exclude([authorKey(ORGS[0], 2)]), index.exclude([authorKey(ORGS[0], 2)]))
        assert.deepEqual(loaded.advanceTo(now + 100), index.advanceTo(now + 100))
        assert.deepEqual(answers(loaded), answers(index))
      }), { numRuns: 300 })
  })

  it('an empty index and a large one (several struct chunks) round-trip', () => {
    assert.deepEqual(answers(roundTrip(new ConsensusIndex(p, 5), p)), answers(new ConsensusIndex(p, 5)))
    const big = new ConsensusIndex(policy(1))
    for (let i = 0; i < 70_000; i++) {
      const f = new Uint8Array(32)
      new DataView(f.buffer).setUint32(0, i)
      big.apply(stmt({ org: ORGS[i % 3], fp: f, time: i, expires: 100_000 + i }))
    }
    const loaded = roundTrip(big, policy(1))
    assert.equal(loaded.size, 70_000)
    assert.deepEqual(loaded.counts(), big.counts())
    assert.deepEqual([...loaded.statuses()].map(s => s.status), [...big.statuses()].map(s => s.status))
    assert.deepEqual(loaded.advanceTo(150_000).length, big.advanceTo(150_000).length)
    assert.deepEqual(loaded.counts(), big.counts())
  })

  it('a damaged image is refused whole with InvalidImageError', () => {
    const index = new ConsensusIndex(p)
    for (let i = 0; i < 5; i++) index.apply(stmt({ org: ORGS[i % 3], fp: fp(i + 1) }))
    const image = index.image()
    const recs = image.records.bytes[0]
    const slots = image.slots.bytes[0]
    const damaged = (edit: (r: Uint8Array, s: Uint8Array) => void): ConsensusIndex => {
      const r = recs.slice()
      const s = slots.slice()
      edit(r, s)
      return ConsensusIndex.fromImage(p, { ...image, records: { ...image.records, bytes: [r] }, slots: { ...image.slots, bytes: [s] } })
    }
    const i32 = (b: Uint8Array, struct: number, field: number, v: number): void => { new DataView(b.buffer).setInt32(struct * 64 + field * 4, v, true) }
    assert.ok(damaged(() => {}) instanceof ConsensusIndex, 'the undamaged copy loads')
    assert.throws(() => damaged((_, s) => { i32(s, 0, 4, 0) }), { name: 'InvalidImageError' }, 'a slot list that loops')
    assert.throws(() => damaged((_, s) => { i32(s, 1, 5, 99) }), { name: 'InvalidImageError' }, 'an unknown org')
    assert.throws(() => damaged((r) => { r[64 + 12] = 9 }), { name: 'InvalidImageError' }, 'a status code out of range')
    assert.throws(() => damaged((r) => { r[64 + 13] = 0 }), { name: 'InvalidImageError' }, 'an empty fingerprint')
    assert.throws(() => damaged((r) => { r.copyWithin(64 + 13, 13, 64) }), { name: 'InvalidImageError' }, 'a fingerprint held twice')
    assert.throws(() => damaged((r) => { i32(r, 2, 2, -1); r[2 * 64 + 12] = 0 }), { name: 'InvalidImageError' }, 'a slot no record links')
    const bytes = encodeIndexImage(image)
    const whole = new Uint8Array(bytes.reduce((n, x) => n + x.length, 0))
    let at = 0
    for (const x of bytes) { whole.set(x, at); at += x.length }
    assert.throws(() => decodeIndexImage(whole.subarray(0, whole.length - 1)), { name: 'InvalidImageError' })
    assert.throws(() => decodeIndexImage(Uint8Array.from([...whole, 0])), { name: 'InvalidImageError' })
  })
})
