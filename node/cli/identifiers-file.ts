/**
 * Reads a file of raw identifiers for `alliance attest --file`, streaming:
 *
 * - CSV (`.csv`): a header row naming at least `kind,value`; optional
 *   columns `reason` (a name of the roster's vocabulary, or its code), `ttl` (duration: 90d, 12h...), `claim`,
 *   `confidence` (0..100). Other columns are ignored. Header names are
 *   case-insensitive.
 * - JSONL (`.jsonl`, `.ndjson`): one object per line with the same fields
 *   (`ttl` as a duration string, or `ttlMs` as milliseconds).
 *
 * Every row is checked (known kind, non-empty value, valid optional fields)
 * and every problem is reported with its line number (a CSV header is line 1;
 * a quoted value spanning lines counts from the row's first line).
 * Problem messages never contain the identifier itself: it is personal data.
 * Canonical validity (is this a real phone number?) is the node's job; its
 * per-item rejections come back by index and are mapped to `lines`.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { parse as parseCsv } from 'csv-parse'
import { CLAIMS, KINDS, isKind, type Claim } from '../../protocol/kinds.js'
import { MAX_ATTEST_ITEMS, MAX_VALUE_LENGTH } from '../api/limits.js'
import type { AttestItem } from '../service.js'
import { jsonlObjects } from '../jsonl.js'
import { parseDuration } from './duration.js'
import { IdentifiersFileError, InvalidDurationError, type RowProblem } from './errors.js'

export type IdentifiersFormat = 'csv' | 'jsonl'

export interface ReadIdentifiersOptions {
  /**
   * File format.
   *
   * @default from the extension: .csv → csv, .jsonl/.ndjson → jsonl
   */
  format?: IdentifiersFormat
  /** Called as the file is read (bytes so far, file size, rows so far). */
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void
  /**
   * Problems kept for the report (all are counted).
   *
   * @default 1000
   */
  maxProblems?: number
}

export interface IdentifiersFile {
  items: AttestItem[]
  /** lines[i] is the file line of items[i]. */
  lines: number[]
}

const REQUIRED_COLUMNS = ['kind', 'value']
const MAX_RAW_FIELD = 64
/**
 * Longest CSV record or JSONL line read, in characters: a row holds one
 * identifier (MAX_VALUE_LENGTH, up to 6× that as JSON escapes) and a few
 * short fields. Longer is refused as it is read, so a quote never closed or a
 * file with no line break cannot make the CLI hold the whole file in memory.
 */
export const MAX_ROW_CHARS = 64 * 1024

function formatOf (path: string, format?: IdentifiersFormat): IdentifiersFormat {
  if (format !== undefined) return format
  const ext = extname(path).toLowerCase()
  if (ext === '.csv') return 'csv'
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl'
  throw new IdentifiersFileError(path, 'unknown file type; name it .csv or .jsonl (or pass --input-format)')
}

function show (v: unknown): string {
  return JSON.stringify(String(v).slice(0, MAX_RAW_FIELD))
}

/** Validates one row's fields (strings from CSV, or JSON values); returns the item or the problem text. */
export function rowToItem (raw: Record<string, unknown>): AttestItem | string {
  const kindText = typeof raw.kind === 'string' ? raw.kind.trim().toLowerCase() : ''
  if (kindText === '') return 'kind is empty'
  if (!isKind(kindText)) return `unknown kind ${show(raw.kind)} (expected one of ${KINDS.join(', ')})`
  const item: AttestItem = { kind: kindText, value: '' }

  if (typeof raw.value !== 'string' || raw.value.trim() === '') return 'value is empty'
  if (raw.value.length > MAX_VALUE_LENGTH) return `value is longer than ${MAX_VALUE_LENGTH} characters`
  item.value = raw.value

  const reason = raw.reason
  if (reason !== undefined && reason !== null && reason !== '') {
    // a name of the roster's vocabulary, or a code; the node refuses one its vocabulary lacks
    const text = String(reason).trim()
    if (typeof reason === 'number' || /^\d+$/.test(text)) {
      const n = typeof reason === 'number' ? reason : Number(text)
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return `reason ${show(reason)} is not a reason code (an integer 0..4294967295)`
      item.reason = n
    } else if (typeof reason === 'string' && /^[A-Za-z][A-Za-z0-9-]{0,47}$/.test(text)) {
      item.reason = text.toLowerCase()
    } else {
      return `reason ${show(reason)} is neither a reason name (such as counterfeit) nor a code`
    }
  }

  const ttl = raw.ttl
  if (ttl !== undefined && ttl !== null && ttl !== '') {
    try {
      item.ttlMs = parseDuration(String(ttl))
    } catch (err) {
      if (err instanceof InvalidDurationError) return `ttl ${show(ttl)} is not a duration (e.g. 90d, 12h, 30m)`
      throw err
    }
  } else if (raw.ttlMs !== undefined && raw.ttlMs !== null) {
    if (typeof raw.ttlMs !== 'number' || !Number.isSafeInteger(raw.ttlMs) || raw.ttlMs <= 0) return 'ttlMs must be a positive whole number of milliseconds'
    item.ttlMs = raw.ttlMs
  }

  const claim = raw.claim
  if (claim !== undefined && claim !== null && claim !== '') {
    const c = String(claim).trim().toLowerCase()
    if (!(CLAIMS as readonly string[]).includes(c)) return `unknown claim ${show(claim)} (expected one of ${CLAIMS.join(', ')})`
    item.claim = c as Claim
  }

  const confidence = raw.confidence
  if (confidence !== undefined && confidence !== null && confidence !== '') {
    const n = Number(typeof confidence === 'string' ? confidence.trim() : confidence)
    if (!Number.isInteger(n) || n < 0 || n > 100) return `confidence ${show(confidence)} is not an integer 0..100`
    item.confidence = n
  }
  return item
}

/** Reads and validates the whole file; throws IdentifiersFileError listing every bad line. */
export async function readIdentifiersFile (path: string, opts: ReadIdentifiersOptions = {}): Promise<IdentifiersFile> {
  const format = formatOf(path, opts.format)
  let size: number
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new Error('not a file')
    size = st.size
  } catch {
    throw new IdentifiersFileError(path, 'cannot read the file')
  }
  const maxProblems = opts.maxProblems ?? 1000
  const out: IdentifiersFile = { items: [], lines: [] }
  const problems: RowProblem[] = []
  let problemCount = 0
  let bytes = 0
  const input = createReadStream(path)
  input.on('data', (chunk) => {
    bytes += chunk.length
    opts.onProgress?.(bytes, size, out.items.length + problemCount)
  })

  const take = (line: number, raw: Record<string, unknown> | string): void => {
    const r = typeof raw === 'string' ? raw : rowToItem(raw)
    if (typeof r === 'string') {
      problemCount++
      if (problems.length < maxProblems) problems.push({ line, message: r })
      return
    }
    if (out.items.length >= MAX_ATTEST_ITEMS) throw new IdentifiersFileError(path, `more than ${MAX_ATTEST_ITEMS} identifiers; split the file`)
    out.items.push(r)
    out.lines.push(line)
  }

  try {
    if (format === 'csv') await readCsv(path, input, take)
    else await readJsonl(input, take)
  } finally {
    input.destroy()
  }
  opts.onProgress?.(size, size, out.items.length + problemCount)

  if (problemCount > 0) {
    const shown = problems.slice(0, 10).map(p => `line ${p.line}: ${p.message}`).join('; ')
    const more = problemCount > 10 ? `; and ${problemCount - 10} more` : ''
    throw new IdentifiersFileError(path, `${problemCount} invalid row${problemCount === 1 ? '' : 's'}, nothing sent: ${shown}${more}`, problems, problemCount)
  }
  if (out.items.length === 0) throw new IdentifiersFileError(path, 'no identifiers in the file')
  return out
}

async function readCsv (path: string, input: NodeJS.ReadableStream, take: (line: number, raw: Record<string, unknown>) => void): Promise<void> {
  const parser = input.pipe(parseCsv({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_quotes: true,
    max_record_size: MAX_ROW_CHARS,
    info: true,
    columns: (header: string[]) => {
      const names = header.map(h => h.trim().toLowerCase())
      const missing = REQUIRED_COLUMNS.filter(c => !names.includes(c))
      if (missing.length > 0) {
        throw new IdentifiersFileError(path, `the first line must be a header naming at least the columns ${REQUIRED_COLUMNS.join(',')} (missing: ${missing.join(', ')})`)
      }
      return names
    }
  }))
  try {
    // A record's first line: the line after the previous record's last, past the blank lines skipped since.
    let prevEnd = 1
    let prevEmpty = 0
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>, info: { lines: number, empty_lines: number } }>) {
      take(prevEnd + 1 + (info.empty_lines - prevEmpty), record)
      prevEnd = info.lines
      prevEmpty = info.empty_lines
    }
  } catch (err) {
    if (err instanceof IdentifiersFileError) throw err
    // csv-parse messages can quote field values: report only its code and line
    const e = err as { code?: string, lines?: number }
    if (e.code === 'CSV_MAX_RECORD_SIZE') throw new IdentifiersFileError(path, `line ${e.lines ?? '?'}: a row longer than ${MAX_ROW_CHARS} characters (a quote never closed?); nothing sent`)
    if (typeof e.code === 'string') throw new IdentifiersFileError(path, `line ${e.lines ?? '?'}: malformed CSV (${e.code})`)
    throw err
  }
}

async function readJsonl (input: NodeJS.ReadableStream, take: (line: number, raw: Record<string, unknown> | string) => void): Promise<void> {
  for await (const { line, obj, tooLong } of jsonlObjects(input, { maxLineChars: MAX_ROW_CHARS })) take(line, obj ?? (tooLong === true ? `longer than ${MAX_ROW_CHARS} characters` : 'not a JSON object'))
}
