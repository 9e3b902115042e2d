import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MIN_CACHE_BYTES, ValueCache } from '../../../../node/match/value-cache.js'

const enc = new TextEncoder()

/** Fills the fingerprint of a value deterministically from its probe and key, so a wrong record is detectable. */
function fpOf (probe: number, key: Uint8Array): Uint8Array {
  const f = new Uint8Array(32)
  let h = probe * 131
  for (const b of key) h = (h * 31 + b) >>> 0
  for (let i = 0; i < 32; i++) { h = (h * 1103515245 + 12345) >>> 0; f[i] = h >>> 24 }
  return f
}

describe('node/match value cache', () => {
  it('returns the value stored for exactly this (probe, bytes), or a miss — never another key\'s (fast-check, with eviction)', () => {
    const key = fc.uint8Array({ minLength: 1, maxLength: 300 })
    // large keys wrap the 1 MiB ring within a run, so records are evicted, reinserted and skipped over
    const big = fc.integer({ min: 0, max: 40 }).map(i => new Uint8Array(30_000 + i * 750).fill(i))
    const small = fc.constantFrom(...['a', 'b', 'ab', 'ba', 'x'.repeat(200)].map(s => enc.encode(s)))
    const op = fc.record({ probe: fc.integer({ min: 0, max: 3 }), key: fc.oneof({ arbitrary: key, weight: 10 }, { arbitrary: small, weight: 5 }, { arbitrary: big, weight: 4 }), touch: fc.boolean() })
    let evictions = 0
    fc.assert(fc.property(fc.array(op, { minLength: 100, maxLength: 300 }), ops => {
      const cache = new ValueCache(MIN_CACHE_BYTES)
      const stored = new Map<string, Uint8Array>()
      for (const { probe, key, touch } of ops) {
        const h = cache.hashKey(probe, key, 0, key.length)
        let rec = cache.find(probe, key, 0, key.length, h)
        // keys longer than 300 bytes are the big ones, told apart by their length
        const id = `${probe}:${key.length}:${Buffer.from(key.subarray(0, 300)).toString('hex')}`
        if (rec >= 0) {
          assert.ok(stored.has(id), 'found a key that was never added')
          assert.deepEqual(cache.bytes.subarray(cache.fpOffset(rec), cache.fpOffset(rec) + 32), stored.get(id))
          if (!touch) continue
        }
        if (rec < 0) {
          rec = cache.add(probe, key, 0, key.length, h)
          assert.ok(rec >= 0)
          const f = fpOf(probe, key)
          cache.setFingerprint(rec, f, 0)
          stored.set(id, f)
        }
        // the record just added is always found
        assert.equal(cache.find(probe, key, 0, key.length, h), rec)
      }
      evictions += cache.stats().evictions
    }), { numRuns: 60 })
    assert.ok(evictions > 0)
  })

  it('evicts the oldest first but gives referenced records a second chance', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    const key = (i: number): Uint8Array => enc.encode(`seller-${i}@example.com`)
    const add = (i: number): void => {
      const k = key(i)
      const rec = cache.add(0, k, 0, k.length, cache.hashKey(0, k, 0, k.length))
      cache.setInvalid(rec, 3)
    }
    const has = (i: number): boolean => { const k = key(i); return cache.find(0, k, 0, k.length, cache.hashKey(0, k, 0, k.length)) >= 0 }
    for (let i = 0; i < 5000; i++) add(i)
    assert.ok(has(0) && has(4999))
    // touch 0..99 (has() sets the reference flag), then add until the oldest untouched ones are gone
    // (the 1 MiB arena holds ~13,000 such records: less than one more turn of the ring)
    for (let i = 0; i < 100; i++) has(i)
    for (let i = 5000; i < 17_000; i++) add(i)
    const s = cache.stats()
    assert.ok(s.evictions > 0 && s.reinsertions > 0)
    assert.ok(has(16_999), 'newest present')
    assert.ok(!has(100), 'an old untouched record was evicted')
    let kept = 0
    for (let i = 0; i < 100; i++) if (has(i)) kept++
    assert.equal(kept, 100, 'touched records kept longer')
    const k = key(16_999)
    const rec = cache.find(0, k, 0, k.length, cache.hashKey(0, k, 0, k.length))
    assert.ok(cache.invalid(rec) && cache.why(rec) === 3)
  })

  it('caches a status only for the index version it was looked up at', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    const k = enc.encode('+442079460958')
    const rec = cache.add(1, k, 0, k.length, cache.hashKey(1, k, 0, k.length))
    assert.equal(cache.status(rec, 4), -1)
    cache.setStatus(rec, 4, 2)
    assert.equal(cache.status(rec, 4), 2)
    assert.equal(cache.status(rec, 6), -1)
  })
})
