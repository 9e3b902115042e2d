/**
 * The matcher as a library object: one listing at a time, or a stream of
 * them, in this thread. For files at full speed across cores use
 * `matchFile` / `createMatchPool` (pool.ts), which run the same core.
 *
 *   const matcher = createMatcher({ key: { suite: 'hmac-sha256', epoch, key }, index, defaultCountry: 'GB' })
 *   const d = matcher.matchListing({ listing_id: 'L1', email: 'Fake.Shop+x@gmail.com', phone: '07400 123456' })
 *   // d.action: 'block' | 'screen' | 'none'; d.matches: which columns matched and why; d.invalid: rejects
 *   for await (const d of matcher.matchStream(readListings('listings.csv'))) ...
 */
import type { CountryCode } from 'libphonenumber-js'
import type { LocalFingerprintSuite } from '../../protocol/fingerprint/index.js'
import type { BlocklistIndex } from './blocklist-index.js'
import { COLUMN_PROBES, IDENTIFIER_COLUMNS, type ListingRecord, type ListingRow } from './columns.js'
import { MatchCore } from './core.js'
import type { Decision, Reject } from './decision.js'
import { MatcherConfigError } from './errors.js'
import { suiteFromKey, type FingerprintKey } from './lanes.js'
import { DEFAULT_POLICY, type MatchPolicy } from './policy.js'
import type { UnreadableRecord } from './reader.js'
import { MAX_LISTING_ID_BYTES } from './batch.js'
import type { CacheStats } from './value-cache.js'

export interface MatcherInit {
  /** The blocklist index (owned here, or attached from another thread). */
  index: BlocklistIndex
  /** A local fingerprint suite; or give `key`. */
  suite?: LocalFingerprintSuite
  /** Suite name, epoch and opened epoch key; the matcher builds its own suite. */
  key?: FingerprintKey
  /** @default DEFAULT_POLICY */
  policy?: MatchPolicy
  /** Country of phone numbers written without +/00. @default undefined */
  defaultCountry?: CountryCode
  /** Prefix for bare seller account ids. @default undefined */
  accountPlatform?: string
  /**
   * Value-cache arena, bytes.
   * @default 16777216 (16 MiB, ~180k distinct values)
   */
  cacheBytes?: number
  /** Put raw invalid values into `decision.invalid[].value`. @default false */
  rejectsIncludeValue?: boolean
}

export interface MatcherStats {
  /** Identifier values looked at. */
  identifiers: number
  /** Values canonicalised and fingerprinted (cache misses). */
  canonicalised: number
  cache: CacheStats
}

export interface Matcher {
  readonly policy: MatchPolicy
  readonly index: BlocklistIndex
  /** The decision for one listing. `line` defaults to the count of listings matched so far. */
  matchListing: (listing: ListingRow, line?: number) => Decision
  /** One decision per record, in order (action 'none' included). Accepts readListings' output or plain rows. */
  matchStream: (rows: AsyncIterable<ListingRecord | UnreadableRecord | ListingRow> | Iterable<ListingRecord | UnreadableRecord | ListingRow>) => AsyncGenerator<Decision>
  stats: () => MatcherStats
}

const enc = new TextEncoder()

export function createMatcher (init: MatcherInit): Matcher {
  const suite = init.suite ?? (init.key !== undefined ? suiteFromKey(init.key) : undefined)
  if (suite === undefined) throw new MatcherConfigError('suite', 'give a local fingerprint suite or a key ({ suite, epoch, key })')
  const policy = init.policy ?? DEFAULT_POLICY
  const core = new MatchCore({
    suite,
    index: init.index,
    policy,
    defaultCountry: init.defaultCountry,
    accountPlatform: init.accountPlatform,
    cacheBytes: init.cacheBytes ?? 16 << 20,
    rejectsIncludeValue: init.rejectsIncludeValue
  })
  let scratch = new Uint8Array(1024)
  let count = 0

  function rowReject (line: number, why: Reject['why'], listingId?: string, column: Reject['column'] = 'listing_id'): Decision {
    const r: Reject = { line, column, why }
    if (listingId !== undefined) r.listingId = listingId
    return { line, listingId: listingId ?? '', action: 'none', matches: [], invalid: [r] }
  }

  function matchListing (listing: ListingRow, line = count + 1): Decision {
    count++
    const rawId = (listing as { listing_id?: unknown }).listing_id
    const listingId = typeof rawId === 'string' ? rawId : typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : ''
    if (listingId.trim() === '') return rowReject(line, 'missing_listing_id')
    if (enc.encode(listingId).length > MAX_LISTING_ID_BYTES) return rowReject(line, 'listing_id_too_long')
    const extra: Reject[] = []
    core.begin()
    for (let c = 0; c < IDENTIFIER_COLUMNS.length; c++) {
      const column = IDENTIFIER_COLUMNS[c]
      const v = (listing as Record<string, unknown>)[column]
      if (v === undefined || v === null || v === '') continue
      if (typeof v !== 'string' && typeof v !== 'number') {
        extra.push({ line, listingId, column, why: 'bad_value' })
        continue
      }
      const value = String(v)
      if (scratch.length < value.length * 3) scratch = new Uint8Array(value.length * 3)
      const n = enc.encodeInto(value, scratch).written
      for (const p of COLUMN_PROBES[c]) core.probe(p.id, scratch, 0, n, value)
    }
    const matches = core.nMatch > 0 ? core.matches() : []
    const d: Decision = { line, listingId, action: matches.length > 0 ? core.actionName : 'none', matches }
    const invalid = core.nInvalid > 0 ? [...core.rejects(line, listingId), ...extra] : extra
    if (invalid.length > 0) d.invalid = invalid
    return d
  }

  async function * matchStream (rows: AsyncIterable<ListingRecord | UnreadableRecord | ListingRow> | Iterable<ListingRecord | UnreadableRecord | ListingRow>): AsyncGenerator<Decision> {
    for await (const r of rows) {
      if ('problem' in r && typeof r.problem === 'string') {
        count++
        yield rowReject(r.line, r.problem, undefined, '(row)')
      } else if ('listing' in r && typeof r.line === 'number') {
        yield matchListing(r.listing, r.line)
      } else {
        yield matchListing(r as ListingRow)
      }
    }
  }

  return {
    policy,
    index: init.index,
    matchListing,
    matchStream,
    stats: () => ({ identifiers: core.identifiers, canonicalised: core.canonicalised, cache: core.cache.stats() })
  }
}
