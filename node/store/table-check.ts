/**
 * LevelDB table files checked against their own block checksums before
 * LevelDB reads them.
 *
 * classic-level reads tables without `verify_checksums`, so a flipped byte in
 * an `.ldb` file reaches the reader as it is. Most flips come back as a
 * damaged value (the chain check catches those) or a `Corruption` status
 * (the store repairs around it), but a flip that makes a key shorter than 8
 * bytes trips an assertion inside leveldb (`ExtractUserKey`), which aborts the
 * whole process: no exception, no repair, and the same abort at every restart.
 * Measured with random single-bit flips in the tables of a 1,000-entry node:
 * about 1 in 150 aborted it, 1 in 75 more threw "corrupted internal key".
 *
 * So every block of every table is checked here first (leveldb's
 * doc/table_format.md): the 48-byte footer holds the handles (varint64 offset
 * and size) of the metaindex and index blocks and a magic number; each block
 * is followed by a type byte (0 raw, 1 snappy) and the masked CRC-32C of its
 * bytes and type. The index lists the data blocks, the metaindex the filter
 * block. A table with any block whose checksum fails, or whose structure
 * does not parse, is damaged as a whole; what the caller does with it (set
 * it aside and rebuild the database from the rest, or refuse to start)
 * depends on whether the data can be had again from peers.
 */
import { mkdir, readFile, readdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { uncompress } from 'snappyjs'
import { DamagedTablesError } from './errors.js'
import { FileDamage as TableDamage, Reader, maskedCrc, type Handle } from './leveldb-format.js'
import { liveTables } from './manifest.js'

const FOOTER_BYTES = 48
const TRAILER_BYTES = 5
const MAGIC_LO = 0x8b80fb57
const MAGIC_HI = 0xdb477524
const TABLE_FILE = /^\d+\.(ldb|sst)$/
/** Where leveldb's own repair archives what it cannot use; damaged tables go there too. */
export const LOST_DIR = 'lost'

export interface DamagedTable {
  /** File name inside the database directory. */
  file: string
  /** What failed, for the log. */
  why: string
}

/**
 * Checks the table files the LevelDB database at `path` uses (manifest.ts:
 * the ones its manifest names, against the sizes it records; every table
 * file when the manifest cannot be read); returns the damaged ones (none for
 * a missing directory). Files the database does not use are left to LevelDB,
 * which deletes them when it opens.
 */
export async function findDamagedTables (path: string): Promise<DamagedTable[]> {
  let names: string[]
  try {
    names = (await readdir(path)).filter(n => TABLE_FILE.test(n)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const live = await liveTables(path)
  const damaged: DamagedTable[] = []
  for (const file of names) {
    const size = live?.get(Number.parseInt(file, 10))
    if (live !== undefined && size === undefined) continue
    try {
      const bytes = await readFile(join(path, file))
      if (size !== undefined && bytes.length !== size) throw new TableDamage(`${bytes.length} bytes, the manifest says ${size}`)
      checkTable(bytes)
    } catch (err) {
      if (!(err instanceof TableDamage)) throw err
      damaged.push({ file, why: err.message })
    }
  }
  return damaged
}

/**
 * leveldb's RepairDB, then one full compaction. RepairDB rebuilds the
 * database from every record it can still read, dropping damaged blocks, but
 * puts every table in level 0, where a point read takes a key's value from
 * the highest-numbered table holding it rather than from the newest record
 * (iterators merge by sequence number and see the newest): after a repair a
 * `get` could return an older value than an iterator. The compaction merges
 * all tables by sequence number, so both agree again.
 */
export async function repairFiles (path: string): Promise<void> {
  await (Level as unknown as { repair: (location: string) => Promise<void> }).repair(path)
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  try {
    const [first] = await db.keys({ limit: 1 }).all()
    const [last] = await db.keys({ reverse: true, limit: 1 }).all()
    // classic-level (what `level` is on Node.js) has compactRange; level's types leave it out
    const compact = db as unknown as { compactRange: (start: Uint8Array, end: Uint8Array) => Promise<void> }
    if (first !== undefined && last !== undefined) await compact.compactRange(first, last)
  } finally {
    await db.close()
  }
}

/**
 * Checks the tables of the database at `path` before it is opened. `set-aside`
 * (for data that can be had again: replicated logs, caches) moves damaged
 * tables into `<path>/lost/` and rebuilds the database from the rest, and
 * returns them; `refuse` (for data held nowhere else: the vault, reports)
 * throws DamagedTablesError naming them and changes nothing.
 */
export async function guardTables (path: string, policy: 'set-aside' | 'refuse', what: string): Promise<DamagedTable[]> {
  const damaged = await findDamagedTables(path)
  if (damaged.length === 0) return []
  if (policy === 'refuse') throw new DamagedTablesError(what, path, damaged.map(t => t.file))
  await mkdir(join(path, LOST_DIR), { recursive: true })
  for (const t of damaged) await rename(join(path, t.file), join(path, LOST_DIR, `${t.file}.damaged`))
  await repairFiles(path)
  return damaged
}

/** Throws TableDamage unless every block of the table verifies. */
export function checkTable (bytes: Uint8Array): void {
  if (bytes.length < FOOTER_BYTES) throw new TableDamage(`${bytes.length} bytes, shorter than a table footer`)
  const footer = new Reader(bytes, bytes.length - FOOTER_BYTES, bytes.length)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(bytes.length - 8, true) !== MAGIC_LO || view.getUint32(bytes.length - 4, true) !== MAGIC_HI) throw new TableDamage('bad magic number in the footer')
  const metaindex = footer.handle()
  const index = footer.handle()
  const end = bytes.length - FOOTER_BYTES
  const blocks: Handle[] = []
  for (const parent of [metaindex, index]) {
    for (const value of blockValues(block(bytes, parent, end), parent)) blocks.push(new Reader(value, 0, value.length).handle())
  }
  for (const h of blocks) block(bytes, h, end)
}

/** The verified contents of the block at `h` (uncompressed). */
function block (bytes: Uint8Array, h: Handle, end: number): Uint8Array {
  if (h.offset + h.size + TRAILER_BYTES > end) throw new TableDamage(`block at ${h.offset} (+${h.size}) runs past the data`)
  const contents = bytes.subarray(h.offset, h.offset + h.size)
  const type = bytes.subarray(h.offset + h.size, h.offset + h.size + 1)
  const stored = new DataView(bytes.buffer, bytes.byteOffset + h.offset + h.size + 1, 4).getUint32(0, true)
  if (maskedCrc(contents, type) !== stored) throw new TableDamage(`checksum mismatch in the block at ${h.offset}`)
  if (type[0] === 0) return contents
  if (type[0] !== 1) throw new TableDamage(`unknown compression type ${type[0]} at ${h.offset}`)
  try {
    return uncompress(contents.slice())
  } catch {
    throw new TableDamage(`the block at ${h.offset} does not decompress`)
  }
}

/** The values of a block's entries (keys are prefix-compressed: rebuilt only to step over them). */
function blockValues (contents: Uint8Array, h: Handle): Uint8Array[] {
  if (contents.length < 4) throw new TableDamage(`block at ${h.offset} is too short`)
  const restarts = new DataView(contents.buffer, contents.byteOffset + contents.length - 4, 4).getUint32(0, true)
  const limit = contents.length - 4 - 4 * restarts
  if (restarts === 0 || limit < 0) throw new TableDamage(`block at ${h.offset} has a bad restart array`)
  const r = new Reader(contents, 0, limit)
  const values: Uint8Array[] = []
  let keyLength = 0
  while (r.pos < limit) {
    const shared = r.varint()
    const unshared = r.varint()
    const valueLength = r.varint()
    if (shared > keyLength) throw new TableDamage(`block at ${h.offset} shares more key than there is`)
    keyLength = shared + unshared
    r.skip(unshared)
    values.push(r.take(valueLength))
  }
  return values
}

/** The data blocks of a verified table, in file order, with their compression type (for tests that damage one on purpose). */
export function dataBlocks (bytes: Uint8Array): Array<{ offset: number, size: number, type: number }> {
  checkTable(bytes)
  const footer = new Reader(bytes, bytes.length - FOOTER_BYTES, bytes.length)
  footer.handle()
  const index = footer.handle()
  return blockValues(block(bytes, index, bytes.length - FOOTER_BYTES), index).map(v => {
    const h = new Reader(v, 0, v.length).handle()
    return { ...h, type: bytes[h.offset + h.size] }
  })
}
