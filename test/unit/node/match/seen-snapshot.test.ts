import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemorySeenStore } from '../../../../node/match/index.js'
import { PROBES } from '../../../../node/match/columns.js'
import {
  SEEN_SNAPSHOT_FORMAT, V1_PROBES, readSeenFile, readSeenSnapshot, writeSeenSnapshot, type SeenArrays, type SeenContext
} from '../../../../node/match/seen-snapshot.js'
import { canonicalVersions } from '../../../../protocol/kinds.js'

/** A batch of `listings` listings with `perListing` identifiers each, drawn from `pool` fingerprints. */
function batch (pool: Uint8Array[], first: number, listings: number, perListing: number, time: number): Parameters<MemorySeenStore['add']>[0] {
  const n = listings * perListing
  const fps = new Uint8Array(n * 32)
  const probes = new Uint8Array(n)
  const listing = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    fps.set(pool[(first * 7 + i * 13) % pool.length], i * 32)
    probes[i] = i % PROBES.length
    listing[i] = Math.floor(i / perListing)
  }
  return { fps, probes, listing, listingIds: Array.from({ length: listings }, (_, l) => `L${first + l}-ü`), time }
}

const seenAll = (s: MemorySeenStore, pool: Uint8Array[]): unknown[] => pool.map(fp => [...s.listingsForSync(fp)])

const CTX: SeenContext = { suite: 'hmac-sha256', epoch: 7 }

/**
 * The format-1 writer as it shipped (node/match/seen-snapshot.ts at
 * 10eddb0), kept here verbatim in substance so the migration is tested
 * against the bytes real format-1 files have.
 */
function writeV1 (path: string, a: SeenArrays): void {
  const sections = [a.fps, a.head, a.next, a.postListing, a.postProbe, a.idBytes, a.idStart, a.idEnd, a.time]
  const bytes = sections.map(s => Buffer.from(s.buffer, s.byteOffset, s.byteLength))
  const hash = createHash('sha256')
  for (const b of bytes) hash.update(b)
  const header = { fingerprints: a.head.length, pairs: a.next.length, listings: a.idStart.length, idBytes: a.idBytes.length, sha256: hash.digest('hex') }
  writeFileSync(path, Buffer.concat([Buffer.from(`alliance-seen/1\n${JSON.stringify(header)}\n`), ...bytes]), { mode: 0o600 })
}

/** Splits a snapshot file into its first line, parsed header and body. */
function parts (file: Buffer): { magic: string, header: any, body: Buffer } {
  const first = file.indexOf(10)
  const second = file.indexOf(10, first + 1)
  return { magic: file.subarray(0, first).toString(), header: JSON.parse(file.subarray(first + 1, second).toString()), body: file.subarray(second + 1) }
}

function assemble (magic: string, header: unknown, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${magic}\n${JSON.stringify(header)}\n`), body])
}

describe('node/match seen-listings snapshot', () => {
  let dir: string
  let path: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'alliance-seen-'))
    path = join(dir, 'seen.bin')
  })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  const pool = Array.from({ length: 500 }, () => new Uint8Array(randomBytes(32)))

  it('round-trips: the loaded store answers listingsFor exactly as the saved one, and keeps growing', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 3000, 4, 1_700_000_000_000))
    store.add(batch(pool, 3000, 1000, 2, 1_700_000_100_000))
    await writeSeenSnapshot(path, store.arrays(), CTX)
    assert.equal(statSync(path).mode & 0o777, 0o600)
    const loaded = MemorySeenStore.fromArrays(await readSeenSnapshot(path, CTX) as SeenArrays)
    assert.deepEqual([loaded.listings, loaded.pairs, loaded.fingerprints], [store.listings, store.pairs, store.fingerprints])
    assert.deepEqual(seenAll(loaded, pool), seenAll(store, pool))
    const more = batch(pool, 9000, 200, 3, 1_700_000_200_000)
    store.add(more)
    loaded.add(more)
    assert.deepEqual(seenAll(loaded, pool), seenAll(store, pool))
    // an empty store round-trips too
    await writeSeenSnapshot(path, new MemorySeenStore().arrays(), CTX)
    assert.equal(MemorySeenStore.fromArrays(await readSeenSnapshot(path, CTX) as SeenArrays).listings, 0)
  })

  it('no file: nothing to load', async () => {
    assert.equal(await readSeenSnapshot(join(dir, 'none.bin'), CTX), undefined)
    assert.equal(await readSeenFile(join(dir, 'none.bin')), undefined)
  })

  it('the header names the format, byte order, columns, probes and what the fingerprints were made under', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 10, 3, 1))
    await writeSeenSnapshot(path, store.arrays(), CTX)
    const { magic, header, body } = parts(readFileSync(path))
    assert.equal(magic, 'alliance-seen/2')
    assert.equal(magic, SEEN_SNAPSHOT_FORMAT)
    assert.equal(header.byteOrder, 'LE')
    assert.deepEqual(header.fingerprints, { suite: 'hmac-sha256', epoch: 7, canonicalVersions: canonicalVersions() })
    assert.deepEqual(header.probes, PROBES.map(p => ({ column: p.column, kind: p.kind })))
    const a = store.arrays()
    assert.deepEqual(header.columns, [
      { name: 'fps', type: 'u8', length: a.fps.length },
      { name: 'head', type: 'i32', length: a.head.length },
      { name: 'next', type: 'i32', length: a.next.length },
      { name: 'postListing', type: 'i32', length: a.postListing.length },
      { name: 'postProbe', type: 'u8', length: a.postProbe.length },
      { name: 'idBytes', type: 'u8', length: a.idBytes.length },
      { name: 'idStart', type: 'i32', length: a.idStart.length },
      { name: 'idEnd', type: 'i32', length: a.idEnd.length },
      { name: 'time', type: 'f64', length: a.time.length }
    ])
    assert.equal(header.sha256, createHash('sha256').update(body).digest('hex'))
    const file = await readSeenFile(path)
    assert.deepEqual(file?.header.fingerprints, header.fingerprints)
    assert.equal(file?.header.format, 2)
  })

  it('another suite, key epoch or canonical version: SeenSnapshotEpochError naming what differs; readSeenFile still reads it', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 100, 2, 1))
    const cases: Array<[SeenContext, string[]]> = [
      [{ suite: 'toprf-ristretto255', epoch: 7 }, ['suite']],
      [{ suite: 'hmac-sha256', epoch: 8 }, ['epoch']],
      [{ suite: 'hmac-sha256', epoch: 7, canonicalVersions: { ...canonicalVersions(), phone: 2 } }, ['canonical:phone']],
      [{ suite: 'x', epoch: 0, canonicalVersions: { ...canonicalVersions(), email: 3 } }, ['suite', 'epoch', 'canonical:email']]
    ]
    for (const [written, differs] of cases) {
      await writeSeenSnapshot(path, store.arrays(), written)
      await assert.rejects(readSeenSnapshot(path, CTX), (err: Error & { differs?: string[], reason?: string }) => {
        assert.equal(err.name, 'SeenSnapshotEpochError')
        assert.equal(err.reason, 'seen_snapshot_epoch')
        assert.deepEqual(err.differs, differs)
        return true
      }, JSON.stringify(written))
      const file = await readSeenFile(path)
      assert.equal(file?.header.fingerprints.epoch, written.epoch)
      assert.deepEqual(seenAll(MemorySeenStore.fromArrays(file.arrays), pool), seenAll(store, pool))
    }
  })

  it('migration: a format-1 file is read with its listings intact, and refused for matching (its fingerprints predate canonical versions)', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 700, 3, 1_700_000_000_000))
    store.add(batch(pool, 700, 300, 5, 1_700_000_100_000))
    writeV1(path, store.arrays())
    const file = await readSeenFile(path)
    assert.ok(file !== undefined)
    assert.equal(file.header.format, 1)
    assert.deepEqual(file.header.fingerprints, { suite: undefined, epoch: undefined, canonicalVersions: undefined })
    assert.deepEqual(file.header.probes, V1_PROBES)
    const loaded = MemorySeenStore.fromArrays(file.arrays)
    assert.deepEqual([loaded.listings, loaded.pairs, loaded.fingerprints], [store.listings, store.pairs, store.fingerprints])
    assert.deepEqual(seenAll(loaded, pool), seenAll(store, pool))
    await assert.rejects(readSeenSnapshot(path, CTX), (err: Error & { differs?: string[] }) =>
      err.name === 'SeenSnapshotEpochError' && err.differs?.join() === 'suite,epoch,canonical')
    // a damaged format-1 file is still damaged
    const good = readFileSync(path)
    writeFileSync(path, Buffer.from(good).fill(good[good.length - 5] ^ 1, good.length - 5, good.length - 4))
    await assert.rejects(readSeenFile(path), { name: 'SeenSnapshotError' })
  })

  it('probes are mapped by (column, kind): a file written with another probe order reads right', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 400, PROBES.length, 5))
    const a = store.arrays()
    // the file's probe i is PROBES[perm[i]]; its postProbe values index the file's list
    const perm = PROBES.map((_, i) => PROBES.length - 1 - i)
    const inverse = new Uint8Array(PROBES.length)
    perm.forEach((to, i) => { inverse[to] = i })
    await writeSeenSnapshot(path, { ...a, postProbe: Uint8Array.from(a.postProbe, v => inverse[v]) }, CTX)
    const { magic, header, body } = parts(readFileSync(path))
    header.probes = perm.map(i => ({ column: PROBES[i].column, kind: PROBES[i].kind }))
    writeFileSync(path, assemble(magic, header, body))
    const loaded = MemorySeenStore.fromArrays(await readSeenSnapshot(path, CTX) as SeenArrays)
    assert.deepEqual(seenAll(loaded, pool), seenAll(store, pool))
  })

  it('a flipped byte, a truncated or extended file is a SeenSnapshotError; a foreign file or unknown layout a SeenSnapshotFormatError', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 500, 3, 1_700_000_000_000))
    await writeSeenSnapshot(path, store.arrays(), CTX)
    const good = readFileSync(path)
    const { magic, header, body } = parts(good)
    const edit = (f: (h: any) => void): Buffer => {
      const h = structuredClone(header)
      f(h)
      return assemble(magic, h, body)
    }
    const cases: Array<[string, Buffer, string]> = [
      ['flipped', Buffer.from(good).fill(good[good.length - 100] ^ 1, good.length - 100, good.length - 99), 'SeenSnapshotError'],
      ['truncated', good.subarray(0, good.length - 1), 'SeenSnapshotError'],
      ['appended', Buffer.concat([good, Buffer.from([0])]), 'SeenSnapshotError'],
      ['a count of 2^40 elements', edit(h => { h.columns[0].length = 2 ** 40 }), 'SeenSnapshotError'],
      ['format-1 count of 2^40', Buffer.from(`alliance-seen/1\n${JSON.stringify({ fingerprints: 2 ** 40, pairs: 0, listings: 0, idBytes: 0, sha256: '' })}\n`), 'SeenSnapshotError'],
      ['foreign', Buffer.from('{"not":"a snapshot"}\n'), 'SeenSnapshotFormatError'],
      ['bad header', Buffer.from('alliance-seen/2\n{oops\n'), 'SeenSnapshotFormatError'],
      ['newer format', assemble('alliance-seen/3', header, body), 'SeenSnapshotFormatError'],
      ['no second line', Buffer.from('alliance-seen/2\n{"x":1}'), 'SeenSnapshotFormatError'],
      ['unknown column', edit(h => { h.columns.push({ name: 'weight', type: 'f64', length: 0 }) }), 'SeenSnapshotFormatError'],
      ['missing column', edit(h => { h.columns.pop() }), 'SeenSnapshotFormatError'],
      ['repeated column', edit(h => { h.columns[8] = h.columns[7] }), 'SeenSnapshotFormatError'],
      ['column of another type', edit(h => { h.columns[1].type = 'u32' }), 'SeenSnapshotFormatError'],
      ['other byte order', edit(h => { h.byteOrder = 'BE' }), 'SeenSnapshotFormatError'],
      ['a probe this node does not have', edit(h => { h.probes[0] = { column: 'fax', kind: 'phone' } }), 'SeenSnapshotFormatError'],
      ['no fingerprint context', edit(h => { delete h.fingerprints }), 'SeenSnapshotFormatError'],
      ['epoch not a number', edit(h => { h.fingerprints.epoch = '7' }), 'SeenSnapshotFormatError']
    ]
    for (const [what, bytes, name] of cases) {
      writeFileSync(path, bytes)
      await assert.rejects(readSeenSnapshot(path, CTX), (err: Error) => {
        assert.equal(err.name, name, `${what}: ${err.name} ${err.message}`)
        return true
      }, what)
    }
  })

  it('arrays that do not hang together are refused before any lookup could misread them', () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 50, 2, 1))
    const spoil = (f: (a: ReturnType<MemorySeenStore['arrays']>) => void): void => {
      const a = store.arrays()
      const copy = { ...a, head: a.head.slice(), next: a.next.slice(), postListing: a.postListing.slice(), postProbe: a.postProbe.slice(), idEnd: a.idEnd.slice() }
      f(copy)
      assert.throws(() => MemorySeenStore.fromArrays(copy), { name: 'SeenSnapshotError' })
    }
    spoil(a => { a.postListing[0] = 1_000_000 })
    spoil(a => { a.next[0] = 5 })
    spoil(a => { a.head[0] = a.next.length })
    spoil(a => { a.postProbe[0] = 255 })
    spoil(a => { a.idEnd[0] = 1 << 30 })
  })
})
