/**
 * Synthetic marketplace listings, deterministic from a seed, with ground
 * truth: the demo, the matcher's tests and `bench/match.ts` use them.
 *
 * - Sellers repeat: listing n's seller is drawn from a Zipf-like
 *   distribution over `sellers` (rank r has weight 1 / (r+1)^zipf); with
 *   `everySeller` (default when listings ≥ sellers) the first `sellers`
 *   listings give every seller one listing, in shuffled order, so every
 *   planted counterfeiter is in the file.
 * - Identifiers are written the way people write them: phones from nine
 *   countries' valid mobile ranges in mixed formats (E.164, spaced, 00-,
 *   national for the default country, dashes, parentheses), e-mail
 *   addresses with mixed case, Gmail dots and +tags, shop URLs with
 *   tracking parameters, IBANs and card tokens. A seller writes its own
 *   identifiers the same way in most listings and differently in
 *   `rewriteRate` of them.
 * - Some sellers (`invalidRate`) have one invalid value (a phone number in
 *   an unassigned range, an e-mail without "@", an IBAN with a wrong
 *   checksum...), listed in the ground truth with its column.
 * - Planted counterfeiters are the identities of examples/synthetic.ts
 *   (`counterfeiter(id)`), written in another notation than the one brands
 *   attest with (`brandRows`), so matching them exercises canonicalisation.
 *   Ordinary sellers' identifiers never collide with them: counterfeiters
 *   own the +44 74xx phone block, "seller.<n>@gmail.com", "shopmart:cf_<n>"
 *   and "cheap-brand-<n>.myshopify.com"; ordinary sellers use none of those.
 * - `cold`: every listing has a seller of its own (no repeats at all).
 *
 * Everything is synchronous and allocation-light; `csvChunks` writes bytes
 * straight into buffers for the benchmark's 10-million-row runs.
 */
import type { Writable } from 'node:stream'
import { csvField } from '../node/csv.js'
import type { IdentifierColumn, ListingRow } from '../node/match/columns.js'
import { brandRows, counterfeiter, prng, variant, type AttestRow } from './synthetic.js'

export interface ListingsSpec {
  seed: number
  listings: number
  /** Distinct sellers (ignored with `cold`). */
  sellers: number
  /** Zipf exponent of listings per seller. @default 1 */
  zipf?: number
  /** Counterfeiter ids (examples/synthetic.ts) planted among the sellers. @default [] */
  counterfeiters?: readonly number[]
  /** Share of sellers with one invalid identifier value. @default 0.005 */
  invalidRate?: number
  /** Share of listings whose seller writes an identifier differently than usual. @default 0.02 */
  rewriteRate?: number
  /** Columns written besides listing_id. @default ['seller_account', 'email', 'phone', 'shop_url', 'payment_account'] */
  columns?: readonly IdentifierColumn[]
  /** One listing per seller first. @default listings >= sellers */
  everySeller?: boolean
  /** Every listing its own seller: the cold-cache case. @default false */
  cold?: boolean
  /** National phone numbers are written for this country only (the matcher's defaultCountry). @default 'GB' */
  defaultCountry?: 'GB'
}

export const DEFAULT_COLUMNS: readonly IdentifierColumn[] = ['seller_account', 'email', 'phone', 'shop_url', 'payment_account']

export interface GeneratedListing {
  /** 1-based listing number; the listing id is `L<n>`. */
  n: number
  row: ListingRow
  /** Seller index (0 = the most frequent). */
  seller: number
  /** The counterfeiter id when the seller is a planted counterfeiter. */
  counterfeiter?: number
  /** The column holding an invalid value, if any. */
  invalid?: IdentifierColumn
}

// --- vocabulary ------------------------------------------------------------------------------

const FIRST = ['anna', 'ben', 'carla', 'david', 'eva', 'felix', 'li', 'maria', 'noah', 'olga', 'pierre', 'sara', 'tom', 'yuki', 'zoe', 'omar', 'ines', 'raj', 'mei', 'lars']
const LAST = ['mueller', 'smith', 'garcia', 'rossi', 'nowak', 'dubois', 'tanaka', 'kim', 'silva', 'jensen', 'ivanova', 'oconnor', 'chen', 'patel', 'haddad']
const MAIL = ['gmail.com', 'outlook.com', 'yahoo.com', 'web.de', 'gmx.de', 'proton.me', 'orange.fr', 'qq.com', 'mail.ru', 'icloud.com']
const SHOP_WORDS = ['bright', 'urban', 'happy', 'green', 'nova', 'prime', 'lucky', 'royal', 'swift', 'zen']
const SHOP_NOUNS = ['goods', 'market', 'store', 'trading', 'outlet', 'boutique', 'supply', 'bazaar']
const TLDS = ['com', 'de', 'co.uk', 'shop', 'store', 'fr', 'net']
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Hauptstrasse', 'Rue de la Paix', 'Main Street']
const CITIES = ['London SW1A 1AA', 'Manchester M1 1AE', '10115 Berlin', '75002 Paris', 'Leeds LS1 4DY']
/**
 * Country code, valid mobile range prefixes, digits after the prefix. Every
 * combination is assigned under libphonenumber-js's full metadata (checked
 * by the matcher's tests). The UK block starts at 75: 74xx belongs to the
 * planted counterfeiters.
 */
const PHONE_PLANS: ReadonlyArray<readonly [string, readonly string[], number]> = [
  ['44', ['75', '77', '78', '79'], 8],
  ['44', ['75', '77', '78', '79'], 8],
  ['1', ['212', '213', '305', '312', '415', '617', '646', '702'], 7],
  ['49', ['151', '152', '160', '170', '171', '176'], 8],
  ['33', ['612', '620', '633', '645', '650', '661', '675', '686'], 6],
  ['86', ['138', '139', '150', '186', '188'], 8],
  ['91', ['98', '97', '90', '88', '70'], 8],
  ['55', ['119', '219'], 8],
  ['81', ['90', '80'], 8],
  ['39', ['320', '333', '347'], 7]
]
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Per-seller randomness: the same seller always gets the same identity, whatever else is generated. */
function sellerRnd (seed: number, seller: number): () => number {
  return prng((Math.imul(seller + 1, 0x9e3779b1) ^ seed) >>> 0)
}

function pick<T> (rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]
}

function digits (rnd: () => number, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10)
  return s
}

function token (rnd: () => number, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rnd() * ALNUM.length)]
  return s
}

/** mod-97 check digits of a German IBAN for an 18-digit BBAN (bank code + account). */
function germanIban (bban: string): string {
  const n = bban + '131400' // "DE" = 13 14, check "00"
  let r = 0
  for (const c of n) r = (r * 10 + (c.charCodeAt(0) - 48)) % 97
  return `DE${String(98 - r).padStart(2, '0')}${bban}`
}

function writePhone (rnd: () => number, cc: string, national: string, allowNational: boolean): string {
  const r = rnd()
  const a = national.slice(0, 4)
  const b = national.slice(4)
  if (r < 0.25) return `+${cc}${national}`
  if (r < 0.45) return `+${cc} ${a} ${b}`
  if (r < 0.6) return `00${cc} ${a} ${b}`
  if (r < 0.75 && allowNational) return `0${a} ${b}`
  if (r < 0.88) return `+${cc}-${a}-${b}`
  return `+${cc} (${a}) ${b}`
}

function writeEmail (rnd: () => number, local: string, domain: string): string {
  const r = rnd()
  if (r < 0.4) return `${local}@${domain}`
  if (r < 0.6) return `${local[0].toUpperCase()}${local.slice(1)}@${domain}`
  if (r < 0.75) return `${local}@${domain.toUpperCase()}`
  if (r < 0.9 && (domain === 'gmail.com' || domain === 'outlook.com')) return `${local}+shop${Math.floor(rnd() * 100)}@${domain}`
  return ` ${local}@${domain} `
}

interface Identity {
  values: Partial<Record<IdentifierColumn, string>>
  /** Another way the same seller writes each value. */
  rewrite: (column: IdentifierColumn, rnd: () => number) => string | undefined
  invalid?: IdentifierColumn
  counterfeiter?: number
}

/** An ordinary seller's identifiers. */
function ordinarySeller (seed: number, seller: number, invalidRate: number, columns: readonly IdentifierColumn[]): Identity {
  const rnd = sellerRnd(seed, seller)
  const first = pick(rnd, FIRST)
  const last = pick(rnd, LAST)
  const mail = pick(rnd, MAIL)
  const local = `${first}.${last}.${seller}`
  const [cc, prefixes, n] = pick(rnd, PHONE_PLANS)
  let rest = digits(rnd, n)
  if (rest[0] < '2') rest = '5' + rest.slice(1)
  const national = pick(rnd, prefixes) + rest
  const shop = `${pick(rnd, SHOP_WORDS)}-${pick(rnd, SHOP_NOUNS)}-${seller.toString(36)}`
  const host = rnd() < 0.3 ? `${shop}.myshopify.com` : `${rnd() < 0.5 ? 'www.' : ''}${shop}.${pick(rnd, TLDS)}`
  const pay = rnd() < 0.6 ? germanIban(digits(rnd, 8) + String(seller).padStart(10, '0')) : `card:stripe:pm_${token(rnd, 20)}`
  const values: Partial<Record<IdentifierColumn, string>> = {
    seller_account: `shopmart:S${seller.toString(36).toUpperCase()}${token(rnd, 4)}`,
    email: writeEmail(rnd, local, mail),
    phone: writePhone(rnd, cc, national, cc === '44'),
    shop_url: `https://${host}/${rnd() < 0.5 ? '' : `collections/all?utm_source=ads${Math.floor(rnd() * 9)}`}`,
    domain: host,
    payment_account: pay.startsWith('DE') && rnd() < 0.3 ? pay.replace(/(.{4})/g, '$1 ').trim() : pay,
    address: `${1 + Math.floor(rnd() * 200)} ${pick(rnd, STREETS)}, ${pick(rnd, CITIES)}`,
    seller_name: `${first[0].toUpperCase()}${first.slice(1)} ${last[0].toUpperCase()}${last.slice(1)} ${pick(rnd, SHOP_NOUNS)} ${seller}`
  }
  let invalid: IdentifierColumn | undefined
  if (rnd() < invalidRate) {
    const breakable = columns.filter(c => c === 'phone' || c === 'email' || c === 'payment_account' || c === 'domain')
    if (breakable.length > 0) {
      invalid = pick(rnd, breakable)
      if (invalid === 'phone') values.phone = `+44 7500 12${seller % 10}` // too short for a UK mobile
      if (invalid === 'email') values.email = `${local}.${mail}` // no @
      if (invalid === 'payment_account') values.payment_account = 'DE00' + '1'.repeat(18) // wrong checksum
      if (invalid === 'domain') values.domain = `${shop}.invalidtld`
    }
  }
  const rewrite = (column: IdentifierColumn, r: () => number): string | undefined => {
    if (column === invalid) return undefined
    if (column === 'phone') return writePhone(r, cc, national, cc === '44')
    if (column === 'email') return writeEmail(r, local, mail)
    if (column === 'shop_url') return `http://${host.toUpperCase()}/?utm_medium=mail`
    return undefined
  }
  return { values, rewrite, invalid }
}

/** A planted counterfeiter's identifiers, written in a notation brands do not use (synthetic.ts `variant`). */
function plantedSeller (seed: number, seller: number, id: number): Identity {
  const rnd = sellerRnd(seed, seller)
  const c = counterfeiter(id)
  const values: Partial<Record<IdentifierColumn, string>> = {
    seller_account: c.account,
    email: variant('email', c.email, rnd),
    phone: variant('phone', c.phone, rnd),
    shop_url: `https://${c.domain}/products/bag-${id}?utm_campaign=x`,
    domain: variant('domain', c.domain, rnd),
    payment_account: germanIban('99' + digits(rnd, 6) + String(id).padStart(10, '0')),
    address: `${id} Dock Road, Felixstowe IP11 3TW`,
    seller_name: `Cheap Brand ${id} Ltd`
  }
  const rewrite = (column: IdentifierColumn, r: () => number): string | undefined => {
    if (column === 'phone') return variant('phone', c.phone, r)
    if (column === 'email') return variant('email', c.email, r)
    return undefined
  }
  return { values, rewrite, counterfeiter: id }
}

/** Which seller slots hold the planted counterfeiters (deterministic, spread over all ranks). */
export function plantedSellers (spec: ListingsSpec): Map<number, number> {
  const ids = spec.counterfeiters ?? []
  const sellers = spec.cold === true ? spec.listings : spec.sellers
  if (ids.length > sellers) throw new RangeError('more planted counterfeiters than sellers')
  const rnd = prng(spec.seed ^ 0x51a7ed)
  const bySlot = new Map<number, number>()
  for (const id of ids) {
    let slot = Math.floor(rnd() * sellers)
    while (bySlot.has(slot)) slot = (slot + 1) % sellers
    bySlot.set(slot, id)
  }
  return bySlot
}

/**
 * Zipf weights over `n` ranks as Walker's alias table: a draw is one random
 * number and two array reads, whatever n (a binary search over 500,000
 * cumulative weights cost more than the rest of a listing).
 */
interface AliasTable { prob: Float64Array, alias: Int32Array }

function zipfAlias (n: number, s: number): AliasTable {
  const w = new Float64Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) { w[i] = 1 / Math.pow(i + 1, s); sum += w[i] }
  const prob = new Float64Array(n)
  const alias = new Int32Array(n)
  const small: number[] = []
  const large: number[] = []
  for (let i = 0; i < n; i++) {
    w[i] = w[i] * n / sum
    if (w[i] < 1) small.push(i)
    else large.push(i)
  }
  while (small.length > 0 && large.length > 0) {
    const l = small.pop() as number
    const g = large.pop() as number
    prob[l] = w[l]
    alias[l] = g
    w[g] = w[g] + w[l] - 1
    if (w[g] < 1) small.push(g)
    else large.push(g)
  }
  for (const i of large) { prob[i] = 1; alias[i] = i }
  for (const i of small) { prob[i] = 1; alias[i] = i }
  return { prob, alias }
}

function draw (t: AliasTable, u: number): number {
  const x = u * t.prob.length
  const i = Math.floor(x)
  return x - i < t.prob[i] ? i : t.alias[i]
}

/** The seller of listing 1, 2, ... by successive calls (a closure, not a generator: no allocation per listing). */
function sellerPicker (spec: ListingsSpec): () => number {
  if (spec.cold === true) {
    let n = 0
    return () => n++
  }
  const rnd = prng(spec.seed ^ 0x2ee11e)
  const every = spec.everySeller ?? spec.listings >= spec.sellers
  const n = spec.sellers
  // a shuffled permutation of all sellers first: a bijective affine map mod n
  let a = 1 + Math.floor(rnd() * Math.max(1, n - 1))
  while (gcd(a, n) !== 1) a++
  const b = Math.floor(rnd() * n)
  let i = every ? 0 : n
  const zipf = zipfAlias(n, spec.zipf ?? 1)
  return () => {
    if (i < n) {
      const k = i++
      return Number((BigInt(a) * BigInt(k) + BigInt(b)) % BigInt(n))
    }
    return draw(zipf, rnd())
  }
}

function gcd (a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** Identities kept for reuse: a seller's identity is a pure function of (seed, seller), so forgetting costs only time. */
const MEMO_SELLERS = 4096

/** A seller's identity (memoised for the most recent sellers, so memory stays bounded for any N). */
function identities (spec: ListingsSpec): (seller: number) => Identity {
  const planted = plantedSellers(spec)
  const columns = spec.columns ?? DEFAULT_COLUMNS
  const invalidRate = spec.invalidRate ?? 0.005
  const memo = new Map<number, Identity>()
  return (seller: number) => {
    let id = memo.get(seller)
    if (id === undefined) {
      const cf = planted.get(seller)
      id = cf !== undefined ? plantedSeller(spec.seed, seller, cf) : ordinarySeller(spec.seed, seller, invalidRate, columns)
      if (spec.cold !== true) {
        if (memo.size >= MEMO_SELLERS) memo.clear()
        memo.set(seller, id)
      }
    }
    return id
  }
}

/** Every listing with its ground truth, in file order. */
export function * generateListings (spec: ListingsSpec): Generator<GeneratedListing> {
  const columns = spec.columns ?? DEFAULT_COLUMNS
  const rewriteRate = spec.rewriteRate ?? 0.02
  const identityOf = identities(spec)
  const rnd = prng(spec.seed ^ 0xc0ffee)
  const nextSeller = sellerPicker(spec)
  for (let n = 1; n <= spec.listings; n++) {
    const seller = nextSeller()
    const id = identityOf(seller)
    const row: ListingRow = { listing_id: `L${n}` }
    const rewriting = rnd() < rewriteRate
    for (const c of columns) {
      const v = (rewriting ? id.rewrite(c, rnd) : undefined) ?? id.values[c]
      if (v !== undefined) row[c] = v
    }
    const g: GeneratedListing = { n, row, seller }
    if (id.counterfeiter !== undefined) g.counterfeiter = id.counterfeiter
    if (id.invalid !== undefined && columns.includes(id.invalid)) g.invalid = id.invalid
    yield g
  }
}

/** Just the rows. */
export function * listingRows (spec: ListingsSpec): Generator<ListingRow> {
  for (const g of generateListings(spec)) yield g.row
}

/** What brands attest about the planted counterfeiters, each brand in its own notation (examples/synthetic.ts). */
export function plantedAttestations (spec: ListingsSpec, brandSeed: number): AttestRow[] {
  return brandRows([...(spec.counterfeiters ?? [])], brandSeed)
}

export function csvHeader (columns: readonly IdentifierColumn[] = DEFAULT_COLUMNS): string {
  return ['listing_id', ...columns].join(',') + '\n'
}

export function csvLine (row: ListingRow, columns: readonly IdentifierColumn[] = DEFAULT_COLUMNS): string {
  let s = csvField(row.listing_id)
  for (const c of columns) s += ',' + csvField(row[c] ?? '')
  return s + '\n'
}

export function jsonLine (row: ListingRow): string {
  return JSON.stringify(row) + '\n'
}

/** Writes the listings to a stream as CSV (with header) or JSONL, honouring backpressure. */
export async function writeListings (out: Writable | NodeJS.WritableStream, spec: ListingsSpec, format: 'csv' | 'jsonl' = 'csv'): Promise<number> {
  const columns = spec.columns ?? DEFAULT_COLUMNS
  let buf = format === 'csv' ? csvHeader(columns) : ''
  let rows = 0
  for (const row of listingRows(spec)) {
    buf += format === 'csv' ? csvLine(row, columns) : jsonLine(row)
    rows++
    if (buf.length >= 1 << 16) {
      if (!out.write(buf)) await new Promise<void>(resolve => out.once('drain', () => resolve()))
      buf = ''
    }
  }
  if (buf !== '' && !out.write(buf)) await new Promise<void>(resolve => out.once('drain', () => resolve()))
  return rows
}

/**
 * The listings as CSV bytes in chunks of about `chunkBytes`, header first:
 * the benchmark's input. Each seller's columns are formatted once and
 * copied per listing, so generating costs ~0.2 µs a row; rewritten
 * listings (rewriteRate) are formatted on the spot.
 */
export function * csvChunks (spec: ListingsSpec, chunkBytes = 1 << 20): Generator<Buffer> {
  const columns = spec.columns ?? DEFAULT_COLUMNS
  const rewriteRate = spec.rewriteRate ?? 0.02
  const identityOf = identities(spec)
  const rnd = prng(spec.seed ^ 0xc0ffee)
  // each seller's columns as bytes in one arena, copied per listing: no string garbage per row
  const sellers = spec.cold === true ? 0 : spec.sellers
  const fragStart = new Int32Array(sellers).fill(-1)
  const fragEnd = new Int32Array(sellers)
  let arena = Buffer.allocUnsafe(Math.min(1 << 30, Math.max(1 << 16, sellers * 160)))
  let used = 0
  const maxLine = 65536
  let out = Buffer.allocUnsafe(chunkBytes + maxLine)
  let o = out.write(csvHeader(columns), 0)
  const format = (id: Identity, rewrite: boolean): string => {
    let frag = ''
    for (const c of columns) frag += ',' + csvField((rewrite ? id.rewrite(c, rnd) : undefined) ?? id.values[c] ?? '')
    return frag + '\n'
  }
  const nextSeller = sellerPicker(spec)
  for (let n = 1; n <= spec.listings; n++) {
    const seller = nextSeller()
    // "L<n>"
    out[o++] = 0x4c
    let width = 1
    for (let p = 10; p <= n; p *= 10) width++
    for (let i = width - 1, d = n; i >= 0; i--, d = Math.floor(d / 10)) out[o + i] = 0x30 + (d % 10)
    o += width
    if (rnd() < rewriteRate || sellers === 0) {
      o += out.write(format(identityOf(seller), sellers !== 0), o)
    } else {
      if (fragStart[seller] < 0) {
        const bytes = Buffer.from(format(identityOf(seller), false))
        if (used + bytes.length > arena.length) {
          const bigger = Buffer.allocUnsafe(Math.max(arena.length * 2, used + bytes.length))
          arena.copy(bigger, 0, 0, used)
          arena = bigger
        }
        bytes.copy(arena, used)
        fragStart[seller] = used
        used += bytes.length
        fragEnd[seller] = used
      }
      // a byte loop: Buffer#copy and subarray allocate a view per call, which costs more than these ~130 bytes
      for (let i = fragStart[seller], e = fragEnd[seller]; i < e; i++) out[o++] = arena[i]
    }
    if (o >= chunkBytes) {
      yield out.subarray(0, o)
      out = Buffer.allocUnsafe(chunkBytes + maxLine)
      o = 0
    }
  }
  if (o > 0) yield out.subarray(0, o)
}
