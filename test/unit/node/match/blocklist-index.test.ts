import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import fc from 'fast-check'
import { toHex } from '../../../../protocol/bytes.js'
import type { Status } from '../../../../protocol/consensus/rule.js'
import { BlocklistIndex, ORGS_INLINE, type IndexInput } from '../../../../node/match/index.js'
import { tsxEsmApi } from '../../../../node/worker-thread.js'

const STATUSES: Array<Status | 'absent'> = ['listed', 'disputed', 'candidate', 'absent']
const ORGS = ['brand-a', 'brand-b', 'brand-c', 'platform', 'police']

/** A small pool of fingerprints so operations collide often; some share their first 28 bytes. */
const fingerprints = Array.from({ length: 24 }, (_, i) => {
  const f = new Uint8Array(32).fill(0xab)
  if (i % 2 === 0) f[31] = i
  else for (let j = 0; j < 32; j++) f[j] = (i * 31 + j * 7) & 0xff
  return f
})

const op = fc.record({
  f: fc.integer({ min: 0, max: fingerprints.length - 1 }),
  status: fc.constantFrom(...STATUSES),
  orgs: fc.subarray(ORGS),
  neg: fc.subarray(ORGS, { maxLength: 2 }),
  expires: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 2 ** 40 }))
})

function input (o: { f: number, status: Status | 'absent', orgs: string[], neg: string[], expires: number }): IndexInput {
  return { fingerprint: fingerprints[o.f], kind: 'email', status: o.status, positive: o.orgs.map(org => ({ org })), negative: o.neg.map(org => ({ org })), expires: o.expires, confirmations: o.orgs.length }
}

describe('node/match BlocklistIndex', () => {
  it('behaves like a Map under any sequence of inserts, updates and deletes (fast-check model)', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), fc.boolean(), (ops, batch) => {
      const index = BlocklistIndex.create({ initialCapacity: 1, maxEntries: 64 })
      const model = new Map<string, { status: Status, orgs: string[], neg: string[], expires: number }>()
      const apply = (o: typeof ops[number]): void => {
        const key = toHex(fingerprints[o.f])
        const before = model.get(key)?.status ?? 'absent'
        if (o.status === 'absent') model.delete(key)
        else model.set(key, { status: o.status, orgs: o.orgs, neg: o.neg, expires: o.expires })
        if (!batch) {
          const c = index.apply(input(o))
          assert.ok(c !== undefined)
          assert.equal(c.from, before)
          assert.equal(c.to, o.status)
        }
      }
      for (const o of ops) apply(o)
      if (batch) index.applyAll(ops.map(input))
      assert.equal(index.size, model.size)
      const counts = { listed: 0, disputed: 0, candidate: 0 }
      for (const m of model.values()) counts[m.status]++
      assert.deepEqual(index.counts(), counts)
      for (const f of fingerprints) {
        const m = model.get(toHex(f))
        assert.equal(index.status(f), m?.status ?? 'absent')
        const x = index.explain(f)
        if (m === undefined) { assert.equal(x, undefined); continue }
        assert.ok(x !== undefined)
        assert.equal(x.status, m.status)
        assert.equal(x.expires, m.expires)
        assert.equal(x.kind, 'email')
        assert.equal(x.orgCount, m.orgs.length)
        assert.equal(x.disputedCount, m.neg.length)
        assert.deepEqual(x.orgs, m.orgs.slice(0, x.orgs.length))
        assert.deepEqual(x.disputedBy, m.neg.slice(0, x.disputedBy.length))
        assert.equal(x.orgs.length, Math.min(m.orgs.length, ORGS_INLINE - Math.min(m.neg.length, 2)))
      }
      assert.equal([...index.entries()].length, model.size)
    }), { numRuns: 300 })
  })

  it('looks up at an offset inside a larger buffer without allocating a copy', () => {
    const index = BlocklistIndex.create()
    const f = fingerprints[3]
    index.apply({ fingerprint: f, kind: 'phone', status: 'listed', positive: [{ org: 'a' }], negative: [], expires: 5 })
    const buf = new Uint8Array(100)
    buf.set(f, 40)
    assert.equal(index.statusCode(buf, 40), 2)
    assert.equal(index.statusCode(buf, 0), 0)
  })

  it('grows past its initial capacity and keeps every entry (rehash, slab growth, reused entry numbers)', () => {
    const index = BlocklistIndex.create({ initialCapacity: 1 })
    const fp = (i: number): Uint8Array => { const f = new Uint8Array(32); new DataView(f.buffer).setUint32(0, i); f[31] = 1; return f }
    const make = (i: number, status: Status | 'absent'): IndexInput => ({ fingerprint: fp(i), kind: 'domain', status, positive: [{ org: `org-${i % 7}` }], negative: [], expires: i })
    index.applyAll(Array.from({ length: 20_000 }, (_, i) => make(i, 'listed')))
    for (let i = 0; i < 20_000; i += 2) index.apply(make(i, 'absent'))
    for (let i = 20_000; i < 25_000; i++) index.apply(make(i, 'candidate'))
    assert.equal(index.size, 15_000)
    for (let i = 0; i < 25_000; i++) {
      const want = i >= 20_000 ? 'candidate' : i % 2 === 0 ? 'absent' : 'listed'
      assert.equal(index.status(fp(i)), want, String(i))
    }
    assert.deepEqual(index.explain(fp(20_003))?.orgs, [`org-${20_003 % 7}`])
    assert.ok(index.memoryBytes() / index.size < 180) // 64 B + slots, slabs grown by doubling
  })

  it('ignores fingerprints that are not 32 bytes (perceptual hashes are matched elsewhere)', () => {
    const index = BlocklistIndex.create()
    assert.equal(index.apply({ fingerprint: new Uint8Array(8), kind: 'product-image', status: 'listed', positive: [], negative: [], expires: 1 }), undefined)
    assert.equal(index.size, 0)
  })

  it('an attached view reads the owner\'s live changes and refuses writes', () => {
    const owner = BlocklistIndex.create({ initialCapacity: 1 })
    const view = BlocklistIndex.attach(owner.share())
    const f = fingerprints[5]
    assert.equal(view.status(f), 'absent')
    owner.apply({ fingerprint: f, kind: 'email', status: 'listed', positive: [{ org: 'brand-a' }, { org: 'new-org' }], negative: [], expires: 9 })
    assert.equal(view.status(f), 'listed')
    assert.deepEqual(view.explain(f)?.orgs, ['brand-a', 'new-org'])
    owner.applyAll(fingerprints.map((fingerprint, i) => ({ fingerprint, kind: 'email', status: i === 5 ? 'disputed' : 'candidate', positive: [{ org: 'x' }], negative: i === 5 ? [{ org: 'platform' }] : [], expires: 1 })))
    assert.equal(view.status(f), 'disputed')
    assert.deepEqual(view.explain(f)?.disputedBy, ['platform'])
    assert.equal(view.size, fingerprints.length)
    assert.throws(() => view.apply({ fingerprint: f, kind: 'email', status: 'absent', positive: [], negative: [], expires: 0 }), { name: 'ReadOnlyIndexError' })
    assert.equal(view.readOnly, true)
  })

  it('a worker thread reads the shared index while the owner grows it (no torn answers)', async function () {
    this.timeout(20_000)
    const owner = BlocklistIndex.create({ initialCapacity: 1 })
    const fp = (i: number): Uint8Array => { const f = new Uint8Array(32).fill(7); new DataView(f.buffer).setUint32(4, i); return f }
    const stable = fp(0)
    owner.apply({ fingerprint: stable, kind: 'phone', status: 'listed', positive: [{ org: 'a' }], negative: [], expires: 1 })
    // the worker looks the stable fingerprint up in a loop while this thread inserts, grows and deletes
    const stop = new Int32Array(new SharedArrayBuffer(4))
    const url = new URL('./index-reader.fixture.ts', import.meta.url).href
    const tsx = tsxEsmApi(import.meta.url)
    const w = new Worker(`import(${JSON.stringify(tsx)}).then(m => { m.register(); return import(${JSON.stringify(url)}) })`, { eval: true, execArgv: [], workerData: { shared: owner.share(), fp: stable, stop } })
    const messages: Array<{ t: string, reads?: number, wrong?: number }> = []
    let notify: () => void = () => {}
    w.on('message', m => { messages.push(m); notify() })
    const next = async (): Promise<{ t: string, reads?: number, wrong?: number }> => {
      while (messages.length === 0) await new Promise<void>((resolve, reject) => { notify = resolve; w.once('error', reject) })
      return messages.shift() as { t: string }
    }
    assert.equal((await next()).t, 'reading')
    for (let i = 1; i <= 30_000; i++) owner.apply({ fingerprint: fp(i), kind: 'phone', status: 'candidate', positive: [{ org: 'b' }], negative: [], expires: 1 })
    for (let i = 1; i <= 30_000; i += 3) owner.apply({ fingerprint: fp(i), kind: 'phone', status: 'absent', positive: [], negative: [], expires: 1 })
    Atomics.store(stop, 0, 1)
    const r = await next()
    await w.terminate()
    assert.equal(r.wrong, 0)
    assert.ok((r.reads ?? 0) > 0)
  })
})
