/**
 * The listings file as a scan opens it, and its columns as the matcher will
 * read them, checked before a scan (issue 16: a typo such as `seller_acount`
 * used to be ignored silently, and a scan under-blocked with exit 0; a
 * missing file was an internal error). Only the header is read here (CSV:
 * the first row; JSONL: the keys of the first rows): unknown columns are
 * reported, with the known column they most likely meant.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { IDENTIFIER_COLUMNS, LISTING_ID_COLUMN } from './columns.js'
import { ListingsFileError, UnknownColumnsError, type IgnoredColumn } from './errors.js'

/** How much of the file's start is read for its header. */
const HEAD_BYTES = 256 * 1024
/** JSONL: keys are collected from this many first lines. */
const JSONL_LINES = 100

/** Every column the matcher reads, listing_id first. */
export const KNOWN_COLUMNS: readonly string[] = [LISTING_ID_COLUMN, ...IDENTIFIER_COLUMNS]
const KNOWN = KNOWN_COLUMNS

export type { IgnoredColumn }

/**
 * Opens a listings file for reading: a missing, unreadable or non-regular
 * file is a ListingsFileError naming it (never a raw ENOENT).
 */
export async function openListingsFile (path: string): Promise<FileHandle> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ListingsFileError(path, code === 'ENOENT' || code === 'ENOTDIR' ? 'listings_missing' : 'listings_unreadable', code, { cause: err })
  }
  try {
    if (!(await fh.stat()).isFile()) throw new ListingsFileError(path, 'listings_not_a_file')
  } catch (err) {
    await fh.close()
    throw err
  }
  return fh
}

export interface ListingsColumns {
  /** Known identifier columns present. */
  identifiers: string[]
  /** Columns the matcher ignores. */
  ignored: IgnoredColumn[]
}

function distance (a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return d[b.length]
}

/** A known column within two edits, or contained in the name (phone_number → phone). */
export function suggestColumn (name: string): string | undefined {
  const n = name.trim().toLowerCase()
  const close = KNOWN.find(k => distance(n, k) <= 2)
  if (close !== undefined) return close
  return IDENTIFIER_COLUMNS.find(k => n.split(/[^a-z]+/).includes(k) || n.includes(k))
}

/** Sorts header names into known identifier columns and ignored ones. */
export function classifyColumns (header: readonly string[]): ListingsColumns {
  const identifiers: string[] = []
  const ignored: IgnoredColumn[] = []
  for (const raw of header) {
    const n = raw.trim().toLowerCase()
    if (n === LISTING_ID_COLUMN) continue
    if ((IDENTIFIER_COLUMNS as readonly string[]).includes(n)) {
      identifiers.push(n)
      continue
    }
    const suggestion = suggestColumn(n)
    ignored.push(suggestion !== undefined && suggestion !== n ? { name: raw, suggestion } : { name: raw })
  }
  return { identifiers, ignored }
}

/** The header of a listings file (CSV or JSONL), from its first bytes; undefined when there is none to read. */
export async function readListingsHeader (path: string, format: 'csv' | 'jsonl'): Promise<string[] | undefined> {
  const fh = await openListingsFile(path)
  let text: string
  try {
    const buf = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0)
    text = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '')
  } finally {
    await fh.close()
  }
  if (format === 'jsonl') {
    const keys = new Set<string>()
    for (const line of text.split('\n').slice(0, JSONL_LINES)) {
      try {
        const o = JSON.parse(line) as unknown
        if (o !== null && typeof o === 'object' && !Array.isArray(o)) for (const k of Object.keys(o)) keys.add(k)
      } catch {} // the last line may be cut, a bad line is the matcher's to report
    }
    return keys.size > 0 ? [...keys] : undefined
  }
  const firstLine = text.split(/\r?\n/, 1)[0]
  if (firstLine.trim() === '') return undefined
  try {
    return (parse(firstLine, { relax_column_count: true }) as string[][])[0]
  } catch {
    return undefined // the matcher names the problem
  }
}

/**
 * The file's columns before a scan: the ignored ones (reported to the
 * caller), refused with UnknownColumnsError when `strict` is set and some
 * are ignored, or when the file has no identifier column the matcher knows.
 * A file without a readable header is left to the matcher to name.
 */
export async function checkListingsColumns (path: string, format: 'csv' | 'jsonl', strict: boolean, shownAs = path): Promise<ListingsColumns> {
  const header = await readListingsHeader(path, format)
  if (header === undefined) return { identifiers: [], ignored: [] }
  const columns = classifyColumns(header)
  if (columns.ignored.length > 0 && (strict || columns.identifiers.length === 0)) {
    throw new UnknownColumnsError(shownAs, columns.ignored, columns.identifiers, KNOWN)
  }
  return columns
}
