/**
 * A listing entry of the input stream: one Redis stream entry per listing,
 * its fields named like the columns of a listings file (node/match
 * columns.ts): `listing_id` and any of seller_account, email, phone,
 * shop_url, domain, payment_account, address, seller_name. Other fields are
 * ignored, as other columns of a file are. Values stay bytes, as offsets
 * into the read's reply buffer (stream-batch.ts): the matcher canonicalises
 * from bytes and caches by them.
 *
 * What cannot be decided goes to the dead-letter stream with a reason
 * (never the raw values, which stay in the platform's own input entry):
 */
import { IDENTIFIER_COLUMNS } from '../match/index.js'
import { MAX_LISTING_ID_BYTES } from '../match/batch.js'
import { MAX_ENTRY_BYTES } from './keys.js'
import { batchOfFields, type EntryBatch } from './stream-batch.js'

export const DEAD_REASONS = {
  missing_listing_id: 'the entry has no listing_id field, or it is empty',
  listing_id_too_long: 'the listing_id is longer than 1024 bytes',
  bad_utf8: 'the listing_id is not valid UTF-8',
  duplicate_field: 'a field appears twice in the entry',
  no_identifier_fields: 'the entry has none of the identifier fields (seller_account, email, phone, shop_url, domain, payment_account, address, seller_name)',
  entry_too_large: `the entry's fields add up to more than ${MAX_ENTRY_BYTES} bytes`,
  too_many_deliveries: 'the entry was delivered to workers too often without being decided (it may crash them)',
  trimmed: 'the entry was deleted from the input stream (MAXLEN) before any worker decided it',
  internal_error: 'deciding the entry failed unexpectedly (see the worker\'s log)'
} as const
export type DeadReason = keyof typeof DEAD_REASONS

export interface ListingEntry {
  /** Stream entry id. */
  id: string
  listingId: string
  /** The bytes the values are in (a read's reply buffer). */
  buf: Buffer
  /**
   * The value of IDENTIFIER_COLUMNS[c] is buf[cols[at + 2c] .. cols[at + 2c + 1]);
   * absent when the start is -1. One array for a whole batch.
   */
  cols: Int32Array
  at: number
}

/** The value of column `c` of `e` as a Buffer (a view), or undefined when absent. */
export function entryValue (e: ListingEntry, c: number): Buffer | undefined {
  const s = e.cols[e.at + 2 * c]
  return s < 0 ? undefined : e.buf.subarray(s, e.cols[e.at + 2 * c + 1])
}

export interface DeadEntry {
  id: string
  reason: DeadReason
  /** The listing id, when it could be read. */
  listingId?: string
}

const LISTING_ID = -2
const OTHER = -1
/** Field names as bytes: index 0 is listing_id, then IDENTIFIER_COLUMNS in order. */
const NAMES = [Buffer.from('listing_id', 'latin1'), ...IDENTIFIER_COLUMNS.map(c => Buffer.from(c, 'latin1'))]

/** The column a field name names (LISTING_ID, an IDENTIFIER_COLUMNS position, or OTHER), compared as bytes: no string per field. */
function fieldOf (b: Uint8Array, s: number, e: number): number {
  const len = e - s
  for (let k = 0; k < NAMES.length; k++) {
    const n = NAMES[k]
    if (n.length !== len) continue
    let i = 0
    while (i < len && n[i] === b[s + i]) i++
    if (i === len) return k === 0 ? LISTING_ID : k - 1
  }
  return OTHER
}
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A dead letter, with the listing id when it could be read and is not blank. */
function deadEntry (id: string, reason: DeadReason, listingId: string | undefined): DeadEntry {
  return listingId !== undefined && listingId.trim() !== '' ? { id, reason, listingId } : { id, reason }
}

/** Columns per entry in a batch's `cols` (start, end per identifier column). */
const STRIDE = 2 * IDENTIFIER_COLUMNS.length

/**
 * Parses entry i of a read (its fields as offsets into the reply), its
 * values going to cols[at .. at + STRIDE).
 */
export function parseAt (b: EntryBatch, i: number, cols: Int32Array, at: number): ListingEntry | DeadEntry {
  const id = b.ids[i]
  const buf = b.buf
  const spans = b.spans
  const from = b.fieldAt[i]
  const to = b.fieldAt[i + 1]
  if (b.deleted[i] === 1) return { id, reason: 'trimmed' }
  let bytes = 0
  for (let k = from; k < to; k += 2) bytes += spans[k + 1] - spans[k]
  if (bytes > MAX_ENTRY_BYTES) return { id, reason: 'entry_too_large' }
  cols.fill(-1, at, at + STRIDE)
  let ls = -1
  let le = -1
  let any = false
  let duplicate = false
  for (let k = from; k + 4 <= to; k += 4) {
    const c = fieldOf(buf, spans[k], spans[k + 1])
    if (c === LISTING_ID) {
      if (ls >= 0) duplicate = true
      ls = spans[k + 2]
      le = spans[k + 3]
      continue
    }
    if (c === OTHER) continue
    if (cols[at + 2 * c] >= 0) duplicate = true
    cols[at + 2 * c] = spans[k + 2]
    cols[at + 2 * c + 1] = spans[k + 3]
    any = true
  }
  const len = le - ls
  let listingId: string | undefined
  if (ls >= 0 && len <= MAX_LISTING_ID_BYTES) {
    if (isAscii(buf, ls, le)) listingId = buf.toString('latin1', ls, le)
    else try { listingId = utf8.decode(buf.subarray(ls, le)) } catch { return { id, reason: 'bad_utf8' } }
  }
  if (duplicate) return deadEntry(id, 'duplicate_field', listingId)
  if (ls < 0 || len === 0 || (listingId !== undefined && listingId.trim() === '')) return { id, reason: 'missing_listing_id' }
  if (len > MAX_LISTING_ID_BYTES) return { id, reason: 'listing_id_too_long' }
  if (!any) return deadEntry(id, 'no_identifier_fields', listingId)
  return { id, listingId: listingId as string, buf, cols, at }
}

function isAscii (b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] >= 0x80) return false
  return true
}

/** Every entry of a read: the listings to decide and the dead letters. */
export function parseBatch (b: EntryBatch): { listings: ListingEntry[], dead: DeadEntry[] } {
  const cols = new Int32Array(b.n * STRIDE)
  const listings: ListingEntry[] = []
  const dead: DeadEntry[] = []
  for (let i = 0; i < b.n; i++) {
    const e = parseAt(b, i, cols, i * STRIDE)
    if (isDead(e)) dead.push(e)
    else listings.push(e)
  }
  return { listings, dead }
}

/** Parses one entry's flat field list [name, value, name, value, ...]. */
export function parseEntry (id: string, fields: Buffer[]): ListingEntry | DeadEntry {
  return parseAt(batchOfFields([{ id, fields }]), 0, new Int32Array(STRIDE), 0)
}

export function isDead (e: ListingEntry | DeadEntry): e is DeadEntry {
  return 'reason' in e
}
