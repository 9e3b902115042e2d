/**
 * LevelDB tables checked against their block checksums before LevelDB reads
 * them (node/store/table-check.ts): a real database on disk, its table
 * damaged byte by byte.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { LevelByteMap } from '../../../../node/store/byte-map.js'
import { LOST_DIR, checkTable, dataBlocks, findDamagedTables, guardTables } from '../../../../node/store/table-check.js'

/** A database of `n` records (the first half random, the rest compressible: raw and snappy blocks) whose records are all in one table file. */
async function tableDb (dir: string, n: number): Promise<{ path: string, table: string }> {
  const path = join(dir, 'db')
  const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: `key-${String(i).padStart(6, '0')}`, value: i < n / 2 ? randomBytes(64) : new Uint8Array(64).fill(i % 251) })))
  await db.close()
  // leveldb writes the log into a table when it opens again
  const again = new Level(path)
  await again.open()
  await again.close()
  const tables = readdirSync(path).filter(f => f.endsWith('.ldb'))
  assert.equal(tables.length, 1, `one table in ${path}: ${tables.join(', ')}`)
  return { path, table: join(path, tables[0]) }
}

describe('node/store table checksums', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'table-check-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('an intact table passes; one flipped bit anywhere in a block, its trailer or the footer handles is found', async () => {
    const { table } = await tableDb(dir, 3000)
    const pristine = readFileSync(table)
    checkTable(pristine)
    const blocks = dataBlocks(pristine)
    assert.ok(blocks.some(b => b.type === 0) && blocks.some(b => b.type === 1), 'raw and snappy blocks both present')
    // every byte before the footer's padding: blocks, trailers, the metaindex, the index and both handles
    const footerStart = pristine.length - 48
    let handleBytes = 0
    for (let i = 0, seen = 0; seen < 4; i++) if ((pristine[footerStart + i] & 0x80) === 0) { seen++; handleBytes = i + 1 }
    let flipped = 0
    let found = 0
    for (let at = 0; at < footerStart + handleBytes; at += 13) {
      const bytes = Buffer.from(pristine)
      bytes[at] ^= 1 << (at % 8)
      flipped++
      try { checkTable(bytes) } catch { found++ }
    }
    assert.ok(flipped > 500, `${flipped} flips`)
    assert.equal(found, flipped, `${flipped - found} of ${flipped} flips not found`)
    for (const at of [pristine.length - 1, pristine.length - 8]) {
      const bytes = Buffer.from(pristine)
      bytes[at] ^= 0x10
      assert.throws(() => checkTable(bytes), /magic/)
    }
    assert.throws(() => checkTable(pristine.subarray(0, pristine.length - 100)))
  })

  it('set-aside moves a damaged table to lost/ and rebuilds the database from the rest; refuse throws DamagedTablesError and changes nothing', async () => {
    const { path, table } = await tableDb(dir, 3000)
    const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    await db.put('after', new Uint8Array([1])) // in the log, not the table
    await db.close()
    const bytes = readFileSync(table)
    bytes[100] ^= 0x01
    writeFileSync(table, bytes)
    const name = table.slice(path.length + 1)
    assert.deepEqual((await findDamagedTables(path)).map(t => t.file), [name])

    await assert.rejects(guardTables(path, 'refuse', 'vault'), (err: Error & { files?: string[], reason?: string }) => {
      assert.equal(err.name, 'DamagedTablesError')
      assert.equal(err.reason, 'damaged_tables')
      assert.deepEqual(err.files, [name])
      return true
    })
    assert.deepEqual(readFileSync(table), bytes, 'refuse changed nothing')
    await assert.rejects(new LevelByteMap({ path, what: 'vault', damagedTables: 'refuse' }).open(), { name: 'DamagedTablesError' })

    const setAside = await guardTables(path, 'set-aside', 'cache')
    assert.deepEqual(setAside.map(t => t.file), [name])
    assert.ok(!existsSync(table) && existsSync(join(path, LOST_DIR, `${name}.damaged`)), 'the table moved to lost/')
    assert.deepEqual(await findDamagedTables(path), [])
    const reopened = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await reopened.open()
    try {
      assert.deepEqual([...(await reopened.get('after')) ?? []], [1], 'what was outside the damaged table is kept')
      assert.equal(await reopened.get('key-000001'), undefined, 'what the damaged table held is gone, not half-read')
    } finally {
      await reopened.close()
    }
  })

  it('a missing database directory has no damaged tables', async () => {
    assert.deepEqual(await findDamagedTables(join(dir, 'nothing')), [])
  })
})
