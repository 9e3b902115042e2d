/**
 * Listings as an async iterable of rows with their line numbers: the
 * streaming object API for platforms that embed the matcher
 * (`matcher.matchStream(readListings(file))`). Bounded memory for any
 * input size: csv-parse (CSV) and readline (JSONL) stream.
 *
 * matchFile does not use this: it splits bytes itself for speed (csv.ts);
 * both read the same dialect, which a property test checks.
 */
import { extname } from 'node:path'
import { Readable } from 'node:stream'
import { parse as parseCsv } from 'csv-parse'
import { IDENTIFIER_COLUMNS, LISTING_ID_COLUMN, checkRenames, layoutOf, type ColumnRenames, type ListingRecord, type ListingRow } from './columns.js'
import { ListingsFormatError } from './errors.js'
import { openListingsFile } from './listing-columns.js'
import { jsonlObjects } from '../jsonl.js'
import type { InputFormat } from './batch.js'
import type { ListingsInput } from './pool.js'

export interface ReadListingsOptions {
  /** @default from the extension (.jsonl/.ndjson → jsonl), else csv */
  format?: InputFormat
  /** Our column names → the file's headers / JSON keys. */
  columns?: ColumnRenames
}

/** A row that could not be read as a listing (bad JSON): the matcher turns it into a reject. */
export interface UnreadableRecord {
  line: number
  problem: 'bad_json'
}

export async function * readListings (input: ListingsInput, options: ReadListingsOptions = {}): AsyncGenerator<ListingRecord | UnreadableRecord> {
  checkRenames(options.columns)
  const format = options.format ?? (typeof input === 'string' && ['.jsonl', '.ndjson'].includes(extname(input).toLowerCase()) ? 'jsonl' : 'csv')
  // a file that cannot be opened is a ListingsFileError naming it (not ENOENT from a stream)
  const stream = typeof input === 'string'
    ? (input === '-' ? process.stdin : (await openListingsFile(input)).createReadStream())
    : (typeof (input as NodeJS.ReadableStream).pipe === 'function' ? input as NodeJS.ReadableStream : Readable.from(input as AsyncIterable<Uint8Array | string>))
  try {
    if (format === 'csv') yield * readCsv(stream, options.columns)
    else yield * readJsonl(stream, options.columns)
  } finally {
    if (typeof (stream as { destroy?: () => void }).destroy === 'function' && stream !== process.stdin) (stream as { destroy: () => void }).destroy()
  }
}

async function * readCsv (input: NodeJS.ReadableStream, renames?: ColumnRenames): AsyncGenerator<ListingRecord> {
  const parser = input.pipe(parseCsv({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    record_delimiter: ['\r\n', '\n'],
    info: true
  }))
  let layout: ReturnType<typeof layoutOf> | undefined
  // a record's first line: after the previous record's lines and the empty lines skipped since
  let next = 1
  let empty = 0
  for await (const { record, info } of parser as AsyncIterable<{ record: string[], info: { empty_lines: number } }>) {
    const line = next + (info.empty_lines - empty)
    empty = info.empty_lines
    let newlines = 0
    for (const f of record) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) newlines++
    next = line + 1 + newlines
    if (layout === undefined) {
      layout = layoutOf(record, renames)
      continue
    }
    const listing: ListingRow = { listing_id: record[layout.listingIdField] ?? '' }
    for (const c of layout.present) {
      const v = record[layout.fieldOf[c]]
      if (v !== undefined && v !== '') listing[IDENTIFIER_COLUMNS[c]] = v
    }
    yield { line, listing }
  }
  if (layout === undefined) throw new ListingsFormatError('the file is empty: a CSV listings file starts with a header row (listing_id, seller_account, email, ...)', 1)
}

async function * readJsonl (input: NodeJS.ReadableStream, renames?: ColumnRenames): AsyncGenerator<ListingRecord | UnreadableRecord> {
  const key = (ours: string): string => renames?.[ours as keyof ColumnRenames] ?? ours
  for await (const { line, obj: o } of jsonlObjects(input)) {
    if (o === undefined) {
      yield { line, problem: 'bad_json' }
      continue
    }
    const listing = { listing_id: o[key(LISTING_ID_COLUMN)] } as unknown as ListingRow
    for (const c of IDENTIFIER_COLUMNS) {
      const v = o[key(c)]
      if (v !== undefined && v !== null && v !== '') (listing as unknown as Record<string, unknown>)[c] = v
    }
    yield { line, listing }
  }
}
