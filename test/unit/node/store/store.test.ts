import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { bytesEqual, compareBytes, toHex } from '../../../../protocol/bytes.js'
import { appendSegment, type LogEntry, type LogHead } from '../../../../protocol/log/index.js'
import type { Signer } from '../../../../protocol/ed25519.js'
import type { Body } from '../../../../protocol/types.js'
import { createStore, LevelStore, MemoryStore, type CheckedEntry, type Store, type StoredEntry } from '../../../../node/store/index.js'
import { SUBLEVELS, entryValue, headValue, logKey } from '../../../../node/store/keys.js'
import { GENESIS_TIME, makeAlliance } from '../../../helpers/alliance.js'
import { collect } from '../../../helpers/iter.js'

const DAY = 86_400_000
const T0 = GENESIS_TIME + DAY
const alliance = makeAlliance()
const [A, B, C] = alliance.orgs.map(o => o.nodes[0].signer)

function attest (i: number): Body {
  const fingerprint = new Uint8Array(32)
  new DataView(fingerprint.buffer).setUint32(0, i)
  return { type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 80, evidenceDigest: new Uint8Array(0), expires: T0 + 30 * DAY, epoch: 1 }
}

/** A signed segment of `n` entries continuing `head`; `salt` makes bodies differ between forks. */
function segment (signer: Signer, head: LogHead | undefined, n: number, salt = 0): { entries: LogEntry[], signature: Uint8Array } {
  const first = (head?.seq ?? 0) + 1
  const s = appendSegment({ signer, alliance: alliance.alliance, head, bodies: Array.from({ length: n }, (_, i) => attest(salt * 1_000_000 + first + i)), time: T0 + first })
  return { entries: s.entries, signature: s.segment.signature }
}

const tip = (entries: LogEntry[]): LogHead => {
  const l = entries[entries.length - 1]
  return { seq: l.entry.seq, id: l.id, time: l.entry.time }
}

/** A log written as signed segments of the given sizes: its entries and the signature at each segment end. */
interface Written { entries: LogEntry[], sigs: Map<number, Uint8Array> }
async function write (store: Store, signer: Signer, sizes: number[]): Promise<Written> {
  const out: Written = { entries: [], sigs: new Map() }
  for (const n of sizes) {
    const s = segment(signer, out.entries.length === 0 ? undefined : tip(out.entries), n)
    await store.append(signer.publicKey, s.entries, s.signature)
    out.entries.push(...s.entries)
    out.sigs.set(tip(s.entries).seq, s.signature)
  }
  return out
}

const plain = (b: Uint8Array | undefined): number[] | undefined => b === undefined ? undefined : [...b]
const seqs = (es: StoredEntry[]): number[] => es.map(e => e.seq)

interface Impl {
  /** A fresh store, or (with `dir`) one over that LevelDB directory. */
  make: (dir: string) => Store
  persistent: boolean
}
const impls: Array<[string, Impl]> = [
  ['memory', { make: () => new MemoryStore(), persistent: false }],
  ['level', { make: dir => new LevelStore({ path: dir }), persistent: true }],
  // the start-up walk with its ids hashed on a worker thread, in chunks of 4 (so damage falls in every position of a chunk)
  ['level, ids checked on a thread', { make: dir => new LevelStore({ path: dir, idThreadFrom: 1, checkChunk: 4 }), persistent: true }]
]

for (const [name, impl] of impls) {
  describe(`node/store (${name})`, () => {
    let dir: string
    let store: Store

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'alliance-store-'))
      store = impl.make(dir)
      await store.open()
    })

    afterEach(async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('appends segments and answers head, heads and idAt', async () => {
      assert.equal(store.head(A.publicKey), undefined)
      const w = await write(store, A, [5, 1, 4])
      const head = store.head(A.publicKey)
      assert.deepEqual(head && { ...head, id: plain(head.id) }, { seq: 10, id: plain(w.entries[9].id), time: w.entries[9].entry.time })
      for (const seq of [1, 5, 6, 7, 10]) assert.deepEqual(plain(await store.idAt(A.publicKey, seq)), plain(w.entries[seq - 1].id))
      assert.equal(await store.idAt(A.publicKey, 0), undefined)
      assert.equal(await store.idAt(A.publicKey, 11), undefined)
      assert.equal(await store.idAt(B.publicKey, 1), undefined)
      await write(store, B, [2])
      const heads = store.heads().map(h => [toHex(h.author), h.seq]).sort()
      assert.deepEqual(heads, [[toHex(A.publicKey), 10], [toHex(B.publicKey), 2]].sort())
    })

    it('range honours fromSeq, max and maxBytes, and returns exact bytes', async () => {
      const w = await write(store, A, [4, 6])
      const all = await store.range(A.publicKey, 1, 100)
      assert.deepEqual(seqs(all), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      all.forEach((e, i) => {
        assert.ok(bytesEqual(e.bytes, w.entries[i].bytes))
        assert.ok(bytesEqual(e.id, w.entries[i].id))
      })
      assert.deepEqual(seqs(await store.range(A.publicKey, 3, 4)), [3, 4, 5, 6])
      assert.deepEqual(seqs(await store.range(A.publicKey, 8, 100)), [8, 9, 10])
      assert.deepEqual(seqs(await store.range(A.publicKey, 0, 2)), [1, 2])
      assert.deepEqual(await store.range(A.publicKey, 11, 100), [])
      assert.deepEqual(await store.range(A.publicKey, 1, 0), [])
      assert.deepEqual(await store.range(B.publicKey, 1, 100), [])

      const size = (from: number, n: number): number => w.entries.slice(from - 1, from - 1 + n).reduce((s, e) => s + e.bytes.length, 0)
      assert.deepEqual(seqs(await store.range(A.publicKey, 2, 100, size(2, 3))), [2, 3, 4])
      assert.deepEqual(seqs(await store.range(A.publicKey, 2, 100, size(2, 3) + 1)), [2, 3, 4])
      assert.deepEqual(seqs(await store.range(A.publicKey, 2, 100, size(2, 3) - 1)), [2, 3])
      assert.deepEqual(seqs(await store.range(A.publicKey, 2, 2, size(2, 3))), [2, 3], 'max still applies')
      assert.deepEqual(seqs(await store.range(A.publicKey, 5, 100, 1)), [5], 'one entry even over maxBytes, so sync always progresses')
    })

    it('signatures come back on exactly the signed entries', async () => {
      const w = await write(store, A, [3, 1, 2])
      const unsigned = segment(A, tip(w.entries), 2)
      await store.append(A.publicKey, unsigned.entries)
      const viaRange = await store.range(A.publicKey, 1, 100)
      const viaAll = (await collect(store.all())).filter(e => bytesEqual(e.author, A.publicKey))
      for (const got of [viaRange, viaAll]) {
        assert.deepEqual(got.map(e => e.seq), [1, 2, 3, 4, 5, 6, 7, 8])
        assert.deepEqual(got.filter(e => e.signature !== undefined).map(e => e.seq), [3, 4, 6])
        for (const e of got) if (e.signature !== undefined) assert.deepEqual(plain(e.signature), plain(w.sigs.get(e.seq)))
      }
      // a range starting after a signed entry, and one ending on it
      assert.deepEqual((await store.range(A.publicKey, 5, 2)).map(e => e.signature !== undefined), [false, true])
    })

    it('all() streams every entry in (author, seq) order across authors', async () => {
      const logs = new Map<string, Written>()
      logs.set(toHex(C.publicKey), await write(store, C, [2]))
      logs.set(toHex(A.publicKey), await write(store, A, [3]))
      logs.set(toHex(B.publicKey), await write(store, B, [1, 1]))
      const more = segment(C, tip(logs.get(toHex(C.publicKey))!.entries), 2)
      await store.append(C.publicKey, more.entries, more.signature)
      logs.get(toHex(C.publicKey))!.entries.push(...more.entries)

      const expected = [A, B, C].map(s => s.publicKey).sort(compareBytes)
        .flatMap(k => logs.get(toHex(k))!.entries.map(e => [toHex(k), e.entry.seq, toHex(e.id)]))
      const got = (await collect(store.all())).map(e => [toHex(e.author), e.seq, toHex(e.id)])
      assert.deepEqual(got, expected)
    })

    it('rejects an append that does not continue the head, and changes nothing', async () => {
      const w = await write(store, A, [3])
      const before = await collect(store.all())
      const head = tip(w.entries)
      const attempts: Array<[string, () => Promise<void>]> = [
        ['gap', async () => await store.append(A.publicKey, segment(A, { ...head, seq: 5 }, 2).entries)],
        ['prev mismatch', async () => await store.append(A.publicKey, segment(A, { ...head, id: new Uint8Array(32).fill(1) }, 2).entries)],
        ['already held', async () => await store.append(A.publicKey, segment(A, undefined, 2).entries)],
        ['gap inside the batch', async () => {
          const s = segment(A, head, 3)
          await store.append(A.publicKey, [s.entries[0], s.entries[2]])
        }]
      ]
      for (const [what, attempt] of attempts) {
        await assert.rejects(attempt, { name: 'NonContiguousAppendError' }, what)
      }
      await assert.rejects(store.append(A.publicKey, []), { name: 'InvalidAppendError' })
      await assert.rejects(store.append(A.publicKey, segment(B, head, 1).entries), { name: 'InvalidAppendError' })
      assert.equal(store.head(A.publicKey)?.seq, 3)
      assert.deepEqual((await collect(store.all())).map(e => toHex(e.id)), before.map(e => toHex(e.id)))
      // the log still takes the right continuation
      await store.append(A.publicKey, segment(A, head, 1).entries)
      assert.equal(store.head(A.publicKey)?.seq, 4)
    })

    it('serialises concurrent appends: two built on one head, one wins', async () => {
      const w = await write(store, A, [2])
      const x = segment(A, tip(w.entries), 3, 1)
      const y = segment(A, tip(w.entries), 2, 2)
      const results = await Promise.allSettled([store.append(A.publicKey, x.entries, x.signature), store.append(A.publicKey, y.entries, y.signature)])
      assert.equal(results[0].status, 'fulfilled')
      assert.equal(results[1].status === 'rejected' && (results[1].reason as Error).name, 'NonContiguousAppendError')
      assert.equal(store.head(A.publicKey)?.seq, 5)
      assert.deepEqual(plain(await store.idAt(A.publicKey, 5)), plain(x.entries[2].id))
      // chained segments fired together land in order
      const p = segment(A, tip(x.entries), 1)
      const q = segment(A, tip(p.entries), 1)
      await Promise.all([store.append(A.publicKey, p.entries), store.append(A.publicKey, q.entries)])
      assert.equal(store.head(A.publicKey)?.seq, 7)
    })

    it('rosters round-trip in version order; meta round-trips', async () => {
      const second = makeAlliance({ alliance: 'second' }).signed
      await store.putRoster(2, second)
      await store.putRoster(1, alliance.signed)
      assert.deepEqual(await store.rosters(), [alliance.signed, second])

      assert.equal(await store.getMeta('sync'), undefined)
      await store.putMeta('sync', { cursor: 42, peers: ['a', 'b'], done: false })
      assert.deepEqual(await store.getMeta('sync'), { cursor: 42, peers: ['a', 'b'], done: false })
      await store.putMeta('sync', 7)
      assert.equal(await store.getMeta<number>('sync'), 7)
      await store.putMeta('sync', undefined)
      assert.equal(await store.getMeta('sync'), undefined)
    })

    it('evidence round-trips in (author, seq) order', async () => {
      const items = [
        { author: B.publicKey, seq: 9, evidence: Uint8Array.from([1, 2, 3]) },
        { author: A.publicKey, seq: 300, evidence: Uint8Array.from([4]) },
        { author: A.publicKey, seq: 2, evidence: Uint8Array.from([5, 6]) }
      ]
      for (const e of items) await store.putEvidence(e.author, e.seq, e.evidence)
      const expected = items.slice().sort((x, y) => compareBytes(x.author, y.author) || x.seq - y.seq)
      const got = await store.evidence()
      assert.deepEqual(got.map(e => [toHex(e.author), e.seq, plain(e.evidence)]), expected.map(e => [toHex(e.author), e.seq, plain(e.evidence)]))
    })

    it('checkChains finds nothing on an intact store', async () => {
      await write(store, A, [3, 2])
      await write(store, B, [1])
      const heads = store.heads()
      assert.deepEqual(await store.checkChains(), [])
      assert.deepEqual(store.heads(), heads)
    })

    it('checkChains hands every entry it verified to a visitor, in (author, seq) order, with recomputed ids', async () => {
      const a = await write(store, A, [3, 2])
      const b = await write(store, B, [1, 4])
      const seen: CheckedEntry[] = []
      assert.deepEqual(await store.checkChains({ entry: e => { seen.push(e) }, restart: () => { throw new Error('no restart on an intact store') } }), [])
      const expected = [...a.entries.map(e => [A.publicKey, e] as const), ...b.entries.map(e => [B.publicKey, e] as const)]
        .sort(([x, e], [y, f]) => compareBytes(x, y) || e.entry.seq - f.entry.seq)
      assert.deepEqual(seen.map(e => [toHex(e.author), e.seq, toHex(e.id), toHex(e.bytes)]), expected.map(([k, e]) => [toHex(k), e.entry.seq, toHex(e.id), toHex(e.bytes)]))
    })

    it('refuses work when not open', async () => {
      await store.close()
      assert.throws(() => store.head(A.publicKey), { name: 'StoreNotOpenError' })
      await assert.rejects(store.append(A.publicKey, segment(A, undefined, 1).entries), { name: 'StoreNotOpenError' })
      await assert.rejects(store.range(A.publicKey, 1, 1), { name: 'StoreNotOpenError' })
      await assert.rejects(collect(store.all()), { name: 'StoreNotOpenError' })
      await store.open()
    })

    if (!impl.persistent) return

    // ---------------------------------------------------------------- LevelDB only

    async function reopen (): Promise<void> {
      await store.close()
      store = impl.make(dir)
      await store.open()
    }

    /** Direct access to the LevelDB the store wrote, with the store closed. */
    async function tamper (fn: (db: Record<'entries' | 'sigs' | 'heads', ReturnType<typeof binary>>) => Promise<void>): Promise<void> {
      await store.close()
      const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
      await db.open()
      try {
        await fn({ entries: binary(db, SUBLEVELS.entries), sigs: binary(db, SUBLEVELS.sigs), heads: binary(db, SUBLEVELS.heads) })
      } finally {
        await db.close()
      }
      store = impl.make(dir)
      await store.open()
    }

    it('keeps everything across close and reopen (heads reloaded)', async () => {
      const w = await write(store, A, [3, 2])
      await write(store, B, [1])
      await store.putRoster(1, alliance.signed)
      await store.putMeta('k', { v: 1 })
      await store.putEvidence(A.publicKey, 2, Uint8Array.from([9]))
      const heads = store.heads().map(h => [toHex(h.author), h.seq, toHex(h.id), h.time]).sort()
      const all = (await collect(store.all())).map(e => [toHex(e.author), e.seq, toHex(e.bytes), plain(e.signature)])

      await reopen()
      assert.deepEqual(store.heads().map(h => [toHex(h.author), h.seq, toHex(h.id), h.time]).sort(), heads)
      assert.deepEqual((await collect(store.all())).map(e => [toHex(e.author), e.seq, toHex(e.bytes), plain(e.signature)]), all)
      assert.deepEqual(await store.rosters(), [alliance.signed])
      assert.deepEqual(await store.getMeta('k'), { v: 1 })
      assert.equal((await store.evidence()).length, 1)
      assert.deepEqual(await store.checkChains(), [])
      const next = segment(A, tip(w.entries), 1)
      await store.append(A.publicKey, next.entries, next.signature)
      assert.equal(store.head(A.publicKey)?.seq, 6)
    })

    it('writes an append as one atomic batch: entries, signature and head', async () => {
      const w = await write(store, A, [2])
      const s = segment(A, tip(w.entries), 5)
      // count the writes reaching LevelDB (sublevel writes end up in these)
      type Batch = { _put: (...args: unknown[]) => unknown, _write: (...args: unknown[]) => Promise<void> }
      const proto = Level.prototype as unknown as Record<'_put' | '_del' | '_batch', (...args: unknown[]) => Promise<void>> & { _chainedBatch: () => Batch }
      const saved = { _put: proto._put, _del: proto._del, _batch: proto._batch, _chainedBatch: proto._chainedBatch }
      const writes: Array<[string, number]> = []
      for (const m of ['_put', '_del', '_batch'] as const) {
        proto[m] = function (this: unknown, ...args: unknown[]) {
          writes.push([m, m === '_batch' ? (args[0] as unknown[]).length : 1])
          return saved[m].apply(this, args)
        }
      }
      // a chained batch: its puts are counted, and reach LevelDB in its one _write
      proto._chainedBatch = function (this: unknown) {
        const batch = saved._chainedBatch.apply(this)
        const put = batch._put.bind(batch)
        const write = batch._write.bind(batch)
        let puts = 0
        batch._put = (...args: unknown[]) => { puts++; return put(...args) }
        batch._write = async (...args: unknown[]) => { writes.push(['chained batch write', puts]); await write(...args) }
        return batch
      }
      try {
        await store.append(A.publicKey, s.entries, s.signature)
      } finally {
        Object.assign(proto, saved)
      }
      assert.deepEqual(writes, [['chained batch write', 5 + 1 + 1]])
    })

    it('a second store on the same directory is refused with StoreLockedError', async () => {
      const other = impl.make(dir)
      await assert.rejects(other.open(), { name: 'StoreLockedError' })
    })

    it('closing the store under a running all() ends it with StoreNotOpenError', async () => {
      await write(store, A, [3000])
      let n = 0
      await assert.rejects(async () => {
        for await (const e of store.all()) {
          assert.equal(e.seq, ++n)
          if (n === 10) await store.close()
        }
      }, { name: 'StoreNotOpenError' })
      assert.ok(n < 3000)
      await store.open()
    })

    /** A: 15 entries in segments ending at 5, 10, 15; B: 4 intact entries that must survive every repair. */
    async function damaged (): Promise<{ a: Written, b: Written }> {
      const a = await write(store, A, [5, 5, 5])
      const b = await write(store, B, [4])
      return { a, b }
    }

    /** After a repair to `through`: head, reads and raw keys agree, B is intact, and the log grows again. */
    async function assertRepaired (a: Written, b: Written, through: number): Promise<void> {
      assert.deepEqual(store.head(A.publicKey), { seq: through, id: a.entries[through - 1].id, time: a.entries[through - 1].entry.time })
      assert.deepEqual(seqs(await store.range(A.publicKey, 1, 100)), Array.from({ length: through }, (_, i) => i + 1))
      assert.equal(store.head(B.publicKey)?.seq, 4)
      assert.equal((await collect(store.all())).length, through + b.entries.length)
      assert.deepEqual(await store.checkChains(), [], 'a second check finds nothing')
      await tamper(async db => {
        const left = await db.entries.keys({ gt: logKey(A.publicKey, through), lte: logKey(A.publicKey, 1000) }).all()
        const sigs = await db.sigs.keys({ gt: logKey(A.publicKey, through), lte: logKey(A.publicKey, 1000) }).all()
        assert.deepEqual([left.length, sigs.length], [0, 0], 'the damaged tail and its signatures are gone')
      })
      // sync re-fetches the rest: the same entries continue the repaired head, signed as before
      const rest = a.entries.slice(through)
      await store.append(A.publicKey, rest, a.sigs.get(15))
      const tail = segment(A, tip(a.entries), 2)
      await store.append(A.publicKey, tail.entries, tail.signature)
      assert.equal(store.head(A.publicKey)?.seq, 17)
      await reopen()
      assert.deepEqual(await store.checkChains(), [])
      assert.deepEqual((await store.range(A.publicKey, 1, 100)).filter(e => e.signature !== undefined).map(e => e.seq), through < 5 ? [15, 17] : through < 10 ? [5, 15, 17] : [5, 10, 15, 17])
    }

    it('checkChains repairs an entry missing in the middle', async () => {
      const { a, b } = await damaged()
      await tamper(async db => { await db.entries.del(logKey(A.publicKey, 8)) })
      assert.equal(store.head(A.publicKey)?.seq, 15, 'the stale head is what open() finds')
      const damage = await store.checkChains()
      assert.deepEqual(damage.map(d => [toHex(d.author), d.validThrough, d.why]), [[toHex(A.publicKey), 7, 'missing_entry']])
      await assertRepaired(a, b, 7)
    })

    it('checkChains repairs a corrupted entry byte or stored id', async () => {
      for (const [seq, offset] of [[12, 32 + 40], [3, 5]]) {
        const { a, b } = await damaged()
        await tamper(async db => {
          const v = (await db.entries.get(logKey(A.publicKey, seq)))!.slice()
          v[offset] ^= 0x01
          await db.entries.put(logKey(A.publicKey, seq), v)
        })
        const damage = await store.checkChains()
        assert.deepEqual(damage.map(d => [toHex(d.author), d.validThrough, d.why]), [[toHex(A.publicKey), seq - 1, 'bad_id']])
        await assertRepaired(a, b, seq - 1)
        await reset()
      }
    })

    it('checkChains repairs a head record that points past the last entry', async () => {
      const { a, b } = await damaged()
      // the batch that wrote 13..15 is lost, but not the head it moved
      await tamper(async db => {
        for (const seq of [13, 14, 15]) await db.entries.del(logKey(A.publicKey, seq))
      })
      const damage = await store.checkChains()
      assert.deepEqual(damage.map(d => [toHex(d.author), d.validThrough, d.why]), [[toHex(A.publicKey), 12, 'head_mismatch']])
      await assertRepaired(a, b, 12)
    })

    it('checkChains repairs a head record that is missing or unreadable', async () => {
      for (const bad of [undefined, Uint8Array.from([1, 2, 3])]) {
        const { a, b } = await damaged()
        await tamper(async db => {
          if (bad === undefined) await db.heads.del(A.publicKey)
          else await db.heads.put(A.publicKey, bad)
        })
        assert.equal(store.head(A.publicKey), undefined)
        await assert.rejects(store.append(A.publicKey, segment(A, undefined, 1).entries), { name: 'StoreCorruptError' }, 'never overwrites a log it lost the head of')
        const damage = await store.checkChains()
        assert.deepEqual(damage.map(d => [toHex(d.author), d.validThrough, d.why]), [[toHex(A.publicKey), 15, 'head_mismatch']])
        assert.equal(store.head(A.publicKey)?.seq, 15)
        assert.ok(bytesEqual(store.head(A.publicKey)!.id, a.entries[14].id))
        assert.equal(store.head(B.publicKey)?.seq, b.entries.length)
        await reset()
      }
    })

    it('checkChains repairs a chain broken by a foreign entry with a consistent id', async () => {
      const { a, b } = await damaged()
      // entry 8 replaced by a fork of it: hashes fine, chains onto 7, but 9 does not chain onto it
      const fork = segment(A, tip(a.entries.slice(0, 7)), 1, 9).entries[0]
      await tamper(async db => { await db.entries.put(logKey(A.publicKey, 8), entryValue(fork.id, fork.bytes)) })
      const damage = await store.checkChains()
      assert.deepEqual(damage.map(d => [toHex(d.author), d.validThrough, d.why]), [[toHex(A.publicKey), 8, 'broken_chain']])
      assert.ok(bytesEqual(store.head(A.publicKey)!.id, fork.id), 'the fork entry is intact by itself, so it is the head now')
      assert.equal(store.head(B.publicKey)?.seq, b.entries.length)
    })

    it('checkChains hands a visitor exactly the entries it keeps when it repairs', async () => {
      const damages: Array<[string, (db: Record<'entries' | 'sigs' | 'heads', ReturnType<typeof binary>>) => Promise<void>]> = [
        ['missing entry', async db => { await db.entries.del(logKey(A.publicKey, 8)) }],
        ['bad id', async db => {
          const v = (await db.entries.get(logKey(A.publicKey, 12)))!.slice()
          v[40] ^= 0x01
          await db.entries.put(logKey(A.publicKey, 12), v)
        }],
        ['lost tail', async db => { for (const seq of [13, 14, 15]) await db.entries.del(logKey(A.publicKey, seq)) }],
        ['lost head', async db => { await db.heads.del(A.publicKey) }]
      ]
      for (const [what, damage] of damages) {
        await damaged()
        await tamper(damage)
        const seen: CheckedEntry[] = []
        assert.equal((await store.checkChains({ entry: e => { seen.push(e) }, restart: () => {} })).length, 1, what)
        const kept = await collect(store.all())
        assert.deepEqual(seen.map(e => [toHex(e.author), e.seq, toHex(e.id)]), kept.map(e => [toHex(e.author), e.seq, toHex(e.id)]), what)
        await reset()
      }
    })

    it('checkChains truncates a long damaged tail completely', async function () {
      this.timeout(20_000)
      const a = await write(store, A, [1, ...Array(10).fill(1000)])
      await tamper(async db => { await db.entries.del(logKey(A.publicKey, 2)) })
      const damage = await store.checkChains()
      assert.deepEqual(damage.map(d => [d.validThrough, d.why]), [[1, 'missing_entry']])
      assert.deepEqual(seqs(await store.range(A.publicKey, 1, 100_000)), [1])
      assert.equal((await collect(store.all())).length, 1)
      await store.append(A.publicKey, a.entries.slice(1, 5))
      assert.equal(store.head(A.publicKey)?.seq, 5)
    })

    it('a head record alone, with no entries, is reset', async () => {
      await tamper(async db => {
        await db.heads.put(A.publicKey, headValue({ seq: 3, id: new Uint8Array(32).fill(2), time: T0 }))
      })
      assert.equal(store.head(A.publicKey)?.seq, 3)
      const damage = await store.checkChains()
      assert.deepEqual(damage.map(d => [d.validThrough, d.why]), [[0, 'head_mismatch']])
      assert.equal(store.head(A.publicKey), undefined)
      await write(store, A, [2])
      assert.equal(store.head(A.publicKey)?.seq, 2)
    })

    async function reset (): Promise<void> {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
      dir = mkdtempSync(join(tmpdir(), 'alliance-store-'))
      store = impl.make(dir)
      await store.open()
    }
  })
}

function binary (db: Level<Uint8Array, Uint8Array>, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
}

describe('node/store createStore', () => {
  it('gives a memory store without a path and a LevelDB store with one', () => {
    assert.ok(createStore() instanceof MemoryStore)
    assert.ok(createStore({ path: join(tmpdir(), 'unused') }) instanceof LevelStore)
  })
})
