import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemorySeenStore } from '../../../../node/match/index.js'
import { PROBES } from '../../../../node/match/columns.js'
import { SeenSnapshotError, readSeenSnapshot, writeSeenSnapshot } from '../../../../node/match/seen-snapshot.js'

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

describe('node/match seen-listings snapshot', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'alliance-seen-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  const pool = Array.from({ length: 500 }, () => new Uint8Array(randomBytes(32)))

  it('round-trips: the loaded store answers listingsFor exactly as the saved one, and keeps growing', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 3000, 4, 1_700_000_000_000))
    store.add(batch(pool, 3000, 1000, 2, 1_700_000_100_000))
    const path = join(dir, 'seen.bin')
    await writeSeenSnapshot(path, store.arrays())
    assert.equal(statSync(path).mode & 0o777, 0o600)
    const loaded = MemorySeenStore.fromArrays(await readSeenSnapshot(path) as NonNullable<Awaited<ReturnType<typeof readSeenSnapshot>>>)
    assert.deepEqual([loaded.listings, loaded.pairs, loaded.fingerprints], [store.listings, store.pairs, store.fingerprints])
    assert.deepEqual(seenAll(loaded, pool), seenAll(store, pool))
    const more = batch(pool, 9000, 200, 3, 1_700_000_200_000)
    store.add(more)
    loaded.add(more)
    assert.deepEqual(seenAll(loaded, pool), seenAll(store, pool))
    // an empty store round-trips too
    await writeSeenSnapshot(path, new MemorySeenStore().arrays())
    assert.equal(MemorySeenStore.fromArrays(await readSeenSnapshot(path) as NonNullable<Awaited<ReturnType<typeof readSeenSnapshot>>>).listings, 0)
  })

  it('no file: nothing to load', async () => {
    assert.equal(await readSeenSnapshot(join(dir, 'none.bin')), undefined)
  })

  it('a flipped byte, a truncated or extended file, or a foreign file is a SeenSnapshotError naming the problem', async () => {
    const store = new MemorySeenStore()
    store.add(batch(pool, 0, 500, 3, 1_700_000_000_000))
    const path = join(dir, 'seen.bin')
    await writeSeenSnapshot(path, store.arrays())
    const good = readFileSync(path)
    const cases: Array<[string, Buffer, RegExp]> = [
      ['flipped', Buffer.from(good).fill(good[good.length - 100] ^ 1, good.length - 100, good.length - 99), /checksum/],
      ['truncated', good.subarray(0, good.length - 1), /truncated/],
      ['appended', Buffer.concat([good, Buffer.from([0])]), /truncated or appended/],
      ['foreign', Buffer.from('{"not":"a snapshot"}\n'), /not an alliance-seen\/1 file/],
      ['bad header', Buffer.from('alliance-seen/1\n{oops\n'), /unreadable header/]
    ]
    for (const [what, bytes, why] of cases) {
      writeFileSync(path, bytes)
      await assert.rejects(readSeenSnapshot(path), (err: Error) => err instanceof SeenSnapshotError && why.test(err.message), what)
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
