/**
 * LevelDB tables checked against their block checksums before LevelDB reads
 * them (node/store/table-check.ts): a real database on disk, its table
 * damaged byte by byte.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { LevelByteMap } from '../../../../node/store/byte-map.js'
import { liveTables } from '../../../../node/store/manifest.js'
import { LOST_DIR, checkTable, dataBlocks, findDamagedTables, guardTables, repairFiles } from '../../../../node/store/table-check.js'

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

  it('only the tables the manifest names are checked: an unfinished one beside them is left to LevelDB, which deletes it', async () => {
    const { path, table } = await tableDb(dir, 3000)
    const name = table.slice(path.length + 1)
    const live = await liveTables(path)
    assert.deepEqual([...live ?? []], [[Number.parseInt(name, 10), statSync(table).size]])
    // what a flush killed half way leaves: the start of a table, no footer, a number the manifest does not name
    const unfinished = join(path, '000999.ldb')
    writeFileSync(unfinished, readFileSync(table).subarray(0, 1000))
    assert.deepEqual(await findDamagedTables(path), [])
    assert.deepEqual(await guardTables(path, 'refuse', 'vault'), [])
    const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    assert.equal((await db.keys().all()).length, 3000)
    await db.close()
    assert.ok(!existsSync(unfinished), 'LevelDB deleted the file it did not use')

    // a manifest whose last record was cut short still reads (LevelDB drops that record too)
    const manifest = join(path, readFileSync(join(path, 'CURRENT'), 'utf8').trim())
    appendFileSync(manifest, Buffer.from([1, 2, 3, 4, 100, 0, 1, 9, 9]))
    assert.equal((await liveTables(path))?.size, 1)
    // a used table shorter than the manifest says is damaged, whatever its bytes
    const bytes = readFileSync(table)
    writeFileSync(table, bytes.subarray(0, bytes.length - 1))
    assert.match((await findDamagedTables(path))[0]?.why ?? '', /manifest says/)
    writeFileSync(table, bytes)
    // a damaged manifest: nothing is known to be unused, so every table file is checked
    writeFileSync(unfinished, bytes.subarray(0, 1000))
    const m = readFileSync(manifest)
    m[10] ^= 0x01
    writeFileSync(manifest, m)
    assert.equal(await liveTables(path), undefined)
    assert.deepEqual((await findDamagedTables(path)).map(t => t.file), ['000999.ldb'])
  })

  it('after a repair a point read and an iterator agree: RepairDB puts every table in level 0, a compaction orders them', async () => {
    // two tables for one key: the newer record in the lower-numbered file, as a compaction
    // that finished after a flush leaves them; RepairDB keeps both numbers
    const tableOf = async (name: string, records: Array<[string, string]>): Promise<string> => {
      const path = join(dir, name)
      const db = new Level<string, string>(path)
      await db.open()
      await db.batch(records.map(([key, value]) => ({ type: 'put' as const, key, value })))
      await db.close()
      // leveldb writes the log into a table when it opens
      const again = new Level(path)
      await again.open()
      await again.close()
      const [t] = readdirSync(path).filter(f => f.endsWith('.ldb'))
      return join(path, t)
    }
    const newer = await tableOf('newer', [...Array.from({ length: 100 }, (_, i): [string, string] => [`filler-${i}`, 'x']), ['k', 'new']])
    const older = await tableOf('older', [['k', 'old']])
    const path = join(dir, 'repaired')
    mkdirSync(path)
    copyFileSync(newer, join(path, '000005.ldb'))
    copyFileSync(older, join(path, '000010.ldb'))
    await repairFiles(path)
    const db = new Level<string, string>(path)
    await db.open()
    try {
      const [[, iterated]] = await db.iterator({ gte: 'k', lte: 'k' }).all()
      assert.equal(iterated, 'new')
      assert.equal(await db.get('k'), 'new')
    } finally {
      await db.close()
    }
  })
})
