/**
 * A listing entry of the input stream: one Redis stream entry per listing,
 * its fields named like the columns of a listings file (node/match
 * columns.ts): `listing_id` and any of seller_account, email, phone,
 * shop_url, domain, payment_account, address, seller_name. Other fields are
 * ignored, as other columns of a file are. Values stay bytes: the matcher
 * canonicalises from bytes and caches by them.
 *
 * What cannot be decided goes to the dead-letter stream with a reason
 * (never the raw values, which stay in the platform's own input entry):
 */
import { IDENTIFIER_COLUMNS } from '../match/index.js'
import { MAX_LISTING_ID_BYTES } from '../match/batch.js'
import { MAX_ENTRY_BYTES } from './keys.js'

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
  /** Field value per IDENTIFIER_COLUMNS position (undefined when absent). */
  values: Array<Buffer | undefined>
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
function fieldOf (name: Buffer): number {
  const len = name.length
  for (let k = 0; k < NAMES.length; k++) {
    const n = NAMES[k]
    if (n.length !== len) continue
    let i = 0
    while (i < len && n[i] === name[i]) i++
    if (i === len) return k === 0 ? LISTING_ID : k - 1
  }
  return OTHER
}
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A dead letter, with the listing id when it could be read and is not blank. */
function deadEntry (id: string, reason: DeadReason, listingId: string | undefined): DeadEntry {
  return listingId !== undefined && listingId.trim() !== '' ? { id, reason, listingId } : { id, reason }
}

/** Parses one entry's flat field list [name, value, name, value, ...]. */
export function parseEntry (id: string, fields: Buffer[]): ListingEntry | DeadEntry {
  let bytes = 0
  for (const f of fields) bytes += f.length
  if (bytes > MAX_ENTRY_BYTES) return { id, reason: 'entry_too_large' }
  const values: Array<Buffer | undefined> = new Array(IDENTIFIER_COLUMNS.length)
  let listing: Buffer | undefined
  let any = false
  let duplicate = false
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const c = fieldOf(fields[i])
    if (c === LISTING_ID) {
      if (listing !== undefined) duplicate = true
      listing = fields[i + 1]
      continue
    }
    if (c === OTHER) continue
    if (values[c] !== undefined) duplicate = true
    values[c] = fields[i + 1]
    any = true
  }
  let listingId: string | undefined
  if (listing !== undefined && listing.length <= MAX_LISTING_ID_BYTES) {
    try { listingId = utf8.decode(listing) } catch { return { id, reason: 'bad_utf8' } }
  }
  if (duplicate) return deadEntry(id, 'duplicate_field', listingId)
  if (listing === undefined || listing.length === 0 || (listingId !== undefined && listingId.trim() === '')) return { id, reason: 'missing_listing_id' }
  if (listing.length > MAX_LISTING_ID_BYTES) return { id, reason: 'listing_id_too_long' }
  if (!any) return deadEntry(id, 'no_identifier_fields', listingId)
  return { id, listingId: listingId as string, values }
}

export function isDead (e: ListingEntry | DeadEntry): e is DeadEntry {
  return 'reason' in e
}
