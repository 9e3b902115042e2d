/**
 * Which table files a LevelDB database uses, read from its MANIFEST.
 *
 * A database directory can hold table files LevelDB no longer uses or has
 * not started using: the unfinished output of a memtable flush or a
 * compaction cut short by a killed process, or a finished one the manifest
 * does not name yet. LevelDB ignores them and deletes them when it opens;
 * their records are still in the log or in the input tables. Such a file
 * often has no footer, so a check of every file would call it damaged and
 * send the database through RepairDB, which keeps every table it finds and
 * puts them all in level 0 — where point reads trust file numbers over
 * sequence numbers, so a read could return an older value than an iterator.
 * That is how a node killed in the middle of a sync came back with a head
 * record older than its log. So only the tables the manifest names are
 * checked, and against the sizes it records.
 *
 * Formats: doc/log_format.md (the manifest is a log of records in 32 KiB
 * blocks) and db/version_edit.cc (each record one VersionEdit).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileDamage, Reader, maskedCrc } from './leveldb-format.js'

const BLOCK_BYTES = 32768
const HEADER_BYTES = 7
const enum RecordType { Zero = 0, Full = 1, First = 2, Middle = 3, Last = 4 }
const enum Tag { Comparator = 1, LogNumber = 2, NextFileNumber = 3, LastSequence = 4, CompactPointer = 5, DeletedFile = 6, NewFile = 7, PrevLogNumber = 9 }

/**
 * The tables the database at `path` uses, file number → size in bytes; or
 * undefined when that cannot be known (no CURRENT file, or a manifest that
 * is missing or does not parse: LevelDB cannot open such a database either,
 * and every table must be checked before it is rebuilt).
 */
export async function liveTables (path: string): Promise<Map<number, number> | undefined> {
  let manifest: Uint8Array
  try {
    const current = (await readFile(join(path, 'CURRENT'), 'utf8')).trim()
    if (!/^MANIFEST-\d+$/.test(current)) return undefined
    manifest = await readFile(join(path, current))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const files = new Map<string, FileMeta>()
    for (const record of logRecords(manifest)) applyEdit(record, files)
    return new Map([...files.values()].map(f => [f.number, f.size]))
  } catch (err) {
    if (err instanceof FileDamage) return undefined
    throw err
  }
}

/**
 * The complete records of a log file. A record cut short at the end of the
 * file is a write the process did not finish, and LevelDB drops it too; a
 * checksum that fails is damage (LevelDB refuses to open such a manifest).
 */
function logRecords (bytes: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = []
  let parts: Uint8Array[] | undefined
  for (let block = 0; block < bytes.length; block += BLOCK_BYTES) {
    const end = Math.min(block + BLOCK_BYTES, bytes.length)
    let pos = block
    while (end - pos >= HEADER_BYTES) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + pos, HEADER_BYTES)
      const crc = view.getUint32(0, true)
      const length = view.getUint16(4, true)
      const type = bytes[pos + 6]
      if (type === RecordType.Zero && length === 0) break // preallocated space: the rest of the block is empty
      if (pos + HEADER_BYTES + length > end) {
        if (end === bytes.length) return records // a write cut short at the end of the file
        throw new FileDamage(`a manifest record at ${pos} runs past its block`)
      }
      const data = bytes.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + length)
      if (maskedCrc(bytes.subarray(pos + 6, pos + 7), data) !== crc) throw new FileDamage(`checksum mismatch in the manifest record at ${pos}`)
      pos += HEADER_BYTES + length
      if (type === RecordType.Full) {
        records.push(data)
      } else if (type === RecordType.First) {
        parts = [data]
      } else if ((type === RecordType.Middle || type === RecordType.Last) && parts !== undefined) {
        parts.push(data)
        if (type === RecordType.Last) {
          records.push(Buffer.concat(parts))
          parts = undefined
        }
      } else {
        throw new FileDamage(`record type ${type} out of place at ${pos}`)
      }
    }
  }
  return records
}

interface FileMeta { level: number, number: number, size: number }

/** Applies one VersionEdit's added and deleted files to `files` (keyed by level and number). */
function applyEdit (record: Uint8Array, files: Map<string, FileMeta>): void {
  const r = new Reader(record, 0, record.length)
  while (!r.done) {
    const tag = r.varint()
    switch (tag) {
      case Tag.Comparator: r.slice(); break
      case Tag.LogNumber: case Tag.NextFileNumber: case Tag.LastSequence: case Tag.PrevLogNumber: r.varint(); break
      case Tag.CompactPointer: r.varint(); r.slice(); break
      case Tag.DeletedFile: {
        const level = r.varint()
        files.delete(`${level}:${r.varint()}`)
        break
      }
      case Tag.NewFile: {
        const level = r.varint()
        const number = r.varint()
        const size = r.varint()
        r.slice() // smallest key
        r.slice() // largest key
        files.set(`${level}:${number}`, { level, number, size })
        break
      }
      default: throw new FileDamage(`unknown tag ${tag} in a manifest record`)
    }
  }
}
