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
import { crc32c } from '@node-rs/crc32'
import { mkdir, readFile, readdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { uncompress } from 'snappyjs'
import { DamagedTablesError } from './errors.js'

const FOOTER_BYTES = 48
const TRAILER_BYTES = 5
const MAGIC_LO = 0x8b80fb57
const MAGIC_HI = 0xdb477524
const MASK_DELTA = 0xa282ead8
const TABLE_FILE = /^\d+\.(ldb|sst)$/
/** Where leveldb's own repair archives what it cannot use; damaged tables go there too. */
export const LOST_DIR = 'lost'

export interface DamagedTable {
  /** File name inside the database directory. */
  file: string
  /** What failed, for the log. */
  why: string
}

class TableDamage extends Error {}

/** Checks every table file of the LevelDB database at `path`; returns the damaged ones (none for a missing directory). */
export async function findDamagedTables (path: string): Promise<DamagedTable[]> {
  let names: string[]
  try {
    names = (await readdir(path)).filter(n => TABLE_FILE.test(n)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const damaged: DamagedTable[] = []
  for (const file of names) {
    try {
      checkTable(await readFile(join(path, file)))
    } catch (err) {
      if (!(err instanceof TableDamage)) throw err
      damaged.push({ file, why: err.message })
    }
  }
  return damaged
}

/** leveldb's RepairDB: rebuilds the database from every record it can still read, dropping damaged blocks. */
export async function repairFiles (path: string): Promise<void> {
  await (Level as unknown as { repair: (location: string) => Promise<void> }).repair(path)
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

interface Handle { offset: number, size: number }

/** The verified contents of the block at `h` (uncompressed). */
function block (bytes: Uint8Array, h: Handle, end: number): Uint8Array {
  if (h.offset + h.size + TRAILER_BYTES > end) throw new TableDamage(`block at ${h.offset} (+${h.size}) runs past the data`)
  const contents = bytes.subarray(h.offset, h.offset + h.size)
  const type = bytes.subarray(h.offset + h.size, h.offset + h.size + 1)
  const stored = new DataView(bytes.buffer, bytes.byteOffset + h.offset + h.size + 1, 4).getUint32(0, true)
  const crc = crc32c(Buffer.from(type.buffer, type.byteOffset, 1), crc32c(Buffer.from(contents.buffer, contents.byteOffset, contents.length)))
  if (mask(crc) !== stored) throw new TableDamage(`checksum mismatch in the block at ${h.offset}`)
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

function mask (crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0
}

class Reader {
  constructor (private readonly bytes: Uint8Array, public pos: number, private readonly end: number) {}

  /** An unsigned varint of at most 64 bits, as a safe integer (offsets and sizes of a file). */
  varint (): number {
    let n = 0
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw new TableDamage('a varint runs past its block')
      const b = this.bytes[this.pos++]
      n += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(n)) throw new TableDamage('a varint out of range')
        return n
      }
    }
    throw new TableDamage('a varint longer than 10 bytes')
  }

  handle (): Handle {
    return { offset: this.varint(), size: this.varint() }
  }

  skip (n: number): void {
    if (this.pos + n > this.end) throw new TableDamage('an entry runs past its block')
    this.pos += n
  }

  take (n: number): Uint8Array {
    const start = this.pos
    this.skip(n)
    return this.bytes.subarray(start, start + n)
  }
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
