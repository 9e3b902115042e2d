/**
 * The columns of a listings file and the identifier kinds they are matched as.
 *
 * | column            | kind(s) looked up                | notes                                              |
 * | ----------------- | -------------------------------- | -------------------------------------------------- |
 * | `listing_id`      | —                                | required: the platform's own id, echoed in output  |
 * | `seller_account`  | seller-account                   | `<platform>:<id>`, or a bare id with `accountPlatform` |
 * | `email`           | email                            |                                                    |
 * | `phone`           | phone                            | national numbers need `defaultCountry`             |
 * | `shop_url`        | url, then domain (derived)       | one URL matches attested URLs and attested domains |
 * | `domain`          | domain                           | a host or a URL; reduced to its registrable domain |
 * | `payment_account` | payment-account                  | IBAN, `wallet:<chain>:<addr>`, `card:<provider>:<token>` |
 * | `address`         | postal-address                   |                                                    |
 * | `seller_name`     | name                             | person or company name                             |
 *
 * Header names are matched case-insensitively after trimming; other columns
 * are ignored. `columns` in the options renames them (our name → the file's
 * header), for files that say `seller_email` instead of `email`. JSONL uses
 * the same names as object keys.
 *
 * Each (column, kind) pair is a *probe*: one cache key space and one index
 * lookup per listing. `shop_url` has two probes; its derived `domain` probe is
 * secondary: a URL that has no registrable domain (an IP address) is not an
 * invalid identifier, it simply has no domain to look up.
 */
import type { Kind } from '../../protocol/kinds.js'
import { ListingsFormatError, MatcherConfigError } from './errors.js'

export const LISTING_ID_COLUMN = 'listing_id'

/** Identifier columns in a fixed order (their position is their column id). */
export const IDENTIFIER_COLUMNS = [
  'seller_account', 'email', 'phone', 'shop_url', 'domain', 'payment_account', 'address', 'seller_name'
] as const
export type IdentifierColumn = typeof IDENTIFIER_COLUMNS[number]

/** Kinds each column is looked up as; the first is the column's own kind. */
export const COLUMN_KINDS: Readonly<Record<IdentifierColumn, readonly Kind[]>> = Object.freeze({
  seller_account: ['seller-account'],
  email: ['email'],
  phone: ['phone'],
  shop_url: ['url', 'domain'],
  domain: ['domain'],
  payment_account: ['payment-account'],
  address: ['postal-address'],
  seller_name: ['name']
})

/** One row of a listings file: the listing id and any identifier columns. */
export type ListingRow = { listing_id: string } & { [C in IdentifierColumn]?: string | null }

/** A row with its position in the file: the 1-based line its record starts on (a CSV header is line 1). */
export interface ListingRecord {
  line: number
  listing: ListingRow
}

export interface Probe {
  /** Position in PROBES. */
  id: number
  column: IdentifierColumn
  /** Position of the column in IDENTIFIER_COLUMNS. */
  columnId: number
  kind: Kind
  /** The column's own kind (invalid values are reported) or a derived one (silently skipped when invalid). */
  primary: boolean
}

/** Every probe, columns in IDENTIFIER_COLUMNS order. */
export const PROBES: readonly Probe[] = Object.freeze(IDENTIFIER_COLUMNS.flatMap((column, columnId) =>
  COLUMN_KINDS[column].map((kind, i) => ({ column, columnId, kind, primary: i === 0 }))
).map((p, id) => Object.freeze({ ...p, id })))

/** Probes of each column id. */
export const COLUMN_PROBES: ReadonlyArray<readonly Probe[]> = IDENTIFIER_COLUMNS.map(c => PROBES.filter(p => p.column === c))

/**
 * Which column ids a listings file has, and at which field position.
 * `fieldOf[columnId]` is the 0-based field index in a CSV record, or -1.
 */
export interface ColumnLayout {
  /** Field index of listing_id. */
  listingIdField: number
  fieldOf: Int32Array
  /** Number of header fields. */
  width: number
  /** Column ids present, in IDENTIFIER_COLUMNS order. */
  present: number[]
}

/** Our column name → the header the file uses for it (case-insensitive). */
export type ColumnRenames = Partial<Record<typeof LISTING_ID_COLUMN | IdentifierColumn, string>>

export function checkRenames (columns: ColumnRenames | undefined): void {
  if (columns === undefined) return
  for (const [ours, theirs] of Object.entries(columns)) {
    if (ours !== LISTING_ID_COLUMN && !(IDENTIFIER_COLUMNS as readonly string[]).includes(ours)) {
      throw new MatcherConfigError('columns', `unknown column ${JSON.stringify(ours)}; expected listing_id or one of ${IDENTIFIER_COLUMNS.join(', ')}`)
    }
    if (typeof theirs !== 'string' || theirs.trim() === '') throw new MatcherConfigError('columns', `the header name for ${ours} must be a non-empty string`)
  }
}

/** Header name the file uses for one of our columns, normalised for comparison. */
export function headerName (ours: string, renames?: ColumnRenames): string {
  return (renames?.[ours as keyof ColumnRenames] ?? ours).trim().toLowerCase()
}

/** Maps a CSV header row to a layout; throws ListingsFormatError without listing_id or any identifier column. */
export function layoutOf (header: readonly string[], renames?: ColumnRenames): ColumnLayout {
  const names = header.map(h => h.trim().toLowerCase())
  const find = (ours: string): number => names.indexOf(headerName(ours, renames))
  const listingIdField = find(LISTING_ID_COLUMN)
  if (listingIdField < 0) throw new ListingsFormatError(`the header has no ${headerName(LISTING_ID_COLUMN, renames)} column (expected columns: listing_id, ${IDENTIFIER_COLUMNS.join(', ')})`, 1)
  const fieldOf = new Int32Array(IDENTIFIER_COLUMNS.length).fill(-1)
  const present: number[] = []
  IDENTIFIER_COLUMNS.forEach((c, id) => {
    const f = find(c)
    fieldOf[id] = f
    if (f >= 0) present.push(id)
  })
  if (present.length === 0) throw new ListingsFormatError(`the header has none of the identifier columns ${IDENTIFIER_COLUMNS.join(', ')}`, 1)
  return { listingIdField, fieldOf, width: header.length, present }
}

/**
 * The column used to send a listing to a worker: the one most likely to be
 * the same for every listing of a seller, so that each worker sees (and
 * canonicalises, and caches) a share of the sellers rather than all of them.
 */
export const ROUTE_PREFERENCE: readonly IdentifierColumn[] = ['seller_account', 'email', 'phone', 'payment_account', 'shop_url', 'domain', 'seller_name', 'address']

export function routeColumnOf (present: readonly number[]): number {
  for (const c of ROUTE_PREFERENCE) {
    const id = IDENTIFIER_COLUMNS.indexOf(c)
    if (present.includes(id)) return id
  }
  return -1
}
