/**
 * The matching step for one listing, shared by the object API (matcher.ts)
 * and the byte-record batches of worker threads (batch.ts).
 *
 * Per identifier ("probe": a column looked up as one kind):
 *   1. the value's bytes → value cache (hit: fingerprint or invalid reason,
 *      and the index status if the index has not changed since);
 *   2. miss: decode, canonicalise (protocol/canonical), fingerprint
 *      (suite.fingerprintInto), remember in the cache;
 *   3. look the fingerprint up in the blocklist index (no allocation);
 *   4. the policy table turns (kind, status) into an action; the listing's
 *      action is the most severe.
 * Allocation happens only for listings with a match or an invalid value.
 */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max'
import { canonicalBytes, InvalidIdentifierError } from '../../protocol/canonical/index.js'
import { toHex } from '../../protocol/bytes.js'
import { KINDS } from '../../protocol/kinds.js'
import type { LocalFingerprintSuite } from '../../protocol/fingerprint/index.js'
import type { BlocklistIndex } from './blocklist-index.js'
import { LookupTable } from './fp-lookup.js'
import { PROBES } from './columns.js'
import { isoOrNull, whyCode, whyOf, type MatchExplanation, type Reject } from './decision.js'
import { MatcherConfigError } from './errors.js'
import { ACTIONS, compilePolicy, severity, actionFor, type Action, type MatchPolicy } from './policy.js'
import { ValueCache } from './value-cache.js'

export interface CoreInit {
  /** A local suite, or (online suites) a table of fingerprints the node already made: misses leave the listing pending. */
  suite: LocalFingerprintSuite | LookupTable
  index: BlocklistIndex
  policy: MatchPolicy
  defaultCountry?: CountryCode
  accountPlatform?: string
  cacheBytes: number
  rejectsIncludeValue?: boolean
}

const PROBE_KIND_CODE = Int32Array.from(PROBES, p => KINDS.indexOf(p.kind))
const P = PROBES.length
const dec = new TextDecoder()
const PLATFORM = /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$/
const WHY_EMPTY = whyCode('empty')
/** #resolve: the lookup table does not know the value yet. */
const MISS = -1

export function checkCoreOptions (o: { defaultCountry?: string, accountPlatform?: string, cacheBytes?: number }): void {
  if (o.defaultCountry !== undefined && !isSupportedCountry(o.defaultCountry)) {
    throw new MatcherConfigError('defaultCountry', `${JSON.stringify(o.defaultCountry)} is not an ISO 3166-1 alpha-2 country libphonenumber-js knows (e.g. "GB")`)
  }
  if (o.accountPlatform !== undefined && !PLATFORM.test(o.accountPlatform)) {
    throw new MatcherConfigError('accountPlatform', 'must be lower-case letters, digits, dots and dashes (e.g. "shopmart")')
  }
  if (o.cacheBytes !== undefined && (!Number.isSafeInteger(o.cacheBytes) || o.cacheBytes < 0)) {
    throw new MatcherConfigError('cacheBytes', 'must be a non-negative integer number of bytes')
  }
}

export class MatchCore {
  readonly cache: ValueCache
  readonly index: BlocklistIndex
  #policy: MatchPolicy
  readonly #suite: LocalFingerprintSuite | undefined
  /** Online suites: fingerprints known so far (fp-lookup.ts). */
  readonly table: LookupTable | undefined
  #table: Uint8Array
  readonly #country: CountryCode | undefined
  readonly #platform: string | undefined
  /** Keep raw values of invalid identifiers for the platform's own rejects file. */
  keepValues: boolean
  readonly #fp = new Uint8Array(32)

  // the current listing
  #version = 0
  action = 0
  nMatch = 0
  readonly matchProbe = new Int32Array(P)
  readonly matchFp = new Uint8Array(P * 32)
  nInvalid = 0
  /** Identifiers of the current listing the lookup table could not fingerprint yet (the listing is pending). */
  nPending = 0
  readonly invalidProbe = new Int32Array(P)
  readonly invalidWhy = new Int32Array(P)
  readonly invalidBytes = new Int32Array(P)
  readonly invalidValue: Array<string | undefined> = new Array(P)
  /** With `collectSeen`: every valid identifier of the listing (for the seen-store), matched or not. */
  collectSeen = false
  nSeen = 0
  readonly seenProbe = new Int32Array(P)
  readonly seenFp = new Uint8Array(P * 32)

  // counters
  identifiers = 0
  canonicalised = 0

  constructor (init: CoreInit) {
    checkCoreOptions(init)
    if (init.suite instanceof LookupTable) this.table = init.suite
    else this.#suite = init.suite
    this.index = init.index
    this.#policy = init.policy
    this.#table = compilePolicy(init.policy)
    this.#country = init.defaultCountry
    this.#platform = init.accountPlatform
    this.keepValues = init.rejectsIncludeValue === true
    this.cache = new ValueCache(init.cacheBytes)
  }

  get policy (): MatchPolicy { return this.#policy }

  /** Replaces the policy (e.g. per scan). */
  setPolicy (policy: MatchPolicy): void {
    this.#policy = policy
    this.#table = compilePolicy(policy)
  }

  /** Starts a listing: forgets the previous one's matches and pins the index version. */
  begin (): void {
    this.action = 0
    this.nMatch = 0
    this.nInvalid = 0
    this.nPending = 0
    this.nSeen = 0
    this.#version = this.index.version
  }

  /**
   * Looks up probe `p` with raw value b[s..e). `raw`: the same value as a
   * string, when the caller has it; `fieldHash`: cache.fieldHash(b, s, e),
   * when the caller computed it while splitting.
   */
  probe (p: number, b: Uint8Array, s: number, e: number, raw?: string, fieldHash?: number): void {
    if (e <= s) return
    this.identifiers++
    const cache = this.cache
    const h = cache.finish(fieldHash ?? cache.fieldHash(b, s, e), p)
    let rec = cache.find(p, b, s, e, h)
    if (rec < 0 || !cache.done(rec)) {
      const why = this.#resolve(p, b, s, e, raw)
      if (why === MISS) { this.nPending++; return }
      rec = rec < 0 ? cache.add(p, b, s, e, h) : rec
      if (rec >= 0) {
        if (why === 0) cache.setFingerprint(rec, this.#fp, 0)
        else cache.setInvalid(rec, why)
      }
      if (why !== 0) {
        this.#invalid(p, why, b, s, e, raw)
        return
      }
      if (rec < 0) {
        // too long to cache: look up from scratch
        this.#lookup(p, this.#fp, 0, -1)
        return
      }
    } else if (cache.invalid(rec)) {
      this.#invalid(p, cache.why(rec), b, s, e, raw)
      return
    }
    this.#lookup(p, cache.bytes, cache.fpOffset(rec), rec)
  }

  /**
   * `probe` for a caller that resolves values itself (the pipeline's
   * workers, whose fingerprints come from the node): looks probe `p` up
   * only if the value cache already has b[s..e)'s answer, and returns
   * false, recording nothing, if it has not. One cache lookup per value.
   */
  probeCached (p: number, b: Uint8Array, s: number, e: number, fieldHash: number): boolean {
    if (e <= s) return true
    const cache = this.cache
    const rec = cache.find(p, b, s, e, cache.finish(fieldHash, p))
    if (rec < 0 || !cache.done(rec)) return false
    this.identifiers++
    if (cache.invalid(rec)) this.#invalid(p, cache.why(rec), b, s, e, undefined)
    else this.#lookup(p, cache.bytes, cache.fpOffset(rec), rec)
    return true
  }

  /**
   * `probe` with b[s..e)'s fingerprint (32 bytes at fp[off..]) or, when
   * `fp` is undefined, its invalid why code, resolved by the caller: the
   * answer is cached, then looked up as `probe` would.
   */
  probeResolved (p: number, b: Uint8Array, s: number, e: number, fieldHash: number, fp: Uint8Array | undefined, off: number, why: number): void {
    if (e <= s) return
    this.identifiers++
    const cache = this.cache
    const h = cache.finish(fieldHash, p)
    let rec = cache.find(p, b, s, e, h)
    if (rec < 0) rec = cache.add(p, b, s, e, h)
    if (fp === undefined) {
      if (rec >= 0) cache.setInvalid(rec, why)
      this.#invalid(p, why, b, s, e, undefined)
      return
    }
    if (rec < 0) { this.#lookup(p, fp, off, -1); return } // too long to cache
    cache.setFingerprint(rec, fp, off)
    this.#lookup(p, cache.bytes, cache.fpOffset(rec), rec)
  }

  #lookup (p: number, fp: Uint8Array, off: number, rec: number): void {
    if (this.collectSeen) {
      const k = this.nSeen++
      this.seenProbe[k] = p
      this.seenFp.set(fp.subarray(off, off + 32), k * 32)
    }
    let code = rec < 0 ? -1 : this.cache.status(rec, this.#version)
    if (code < 0) {
      code = this.index.statusCode(fp, off)
      if (rec >= 0) this.cache.setStatus(rec, this.#version, code)
    }
    if (code === 0) return
    const n = this.nMatch++
    this.matchProbe[n] = p
    this.matchFp.set(fp.subarray(off, off + 32), n * 32)
    const a = this.#table[PROBE_KIND_CODE[p] * 4 + code]
    if (a > this.action) this.action = a
  }

  /** Canonicalises and fingerprints into #fp; returns 0, the why code of an invalid value, or MISS. */
  #resolve (p: number, b: Uint8Array, s: number, e: number, raw: string | undefined): number {
    this.canonicalised++
    const probe = PROBES[p]
    let value = raw ?? dec.decode(b.subarray(s, e))
    if (this.#platform !== undefined && probe.kind === 'seller-account') value = `${this.#platform}:${value}`
    let canonical: Uint8Array
    try {
      canonical = canonicalBytes(probe.kind, value, { defaultCountry: this.#country })
    } catch (err) {
      if (err instanceof InvalidIdentifierError) return whyCode(err.why) || 1
      throw err
    }
    if (this.table !== undefined) return this.table.lookupInto(probe.kind, canonical, this.#fp, 0) ? 0 : MISS
    ;(this.#suite as LocalFingerprintSuite).fingerprintInto(probe.kind, canonical, this.#fp, 0)
    return 0
  }

  #invalid (p: number, why: number, b: Uint8Array, s: number, e: number, raw: string | undefined): void {
    // whitespace only: an empty field, not an invalid identifier; derived probes (shop_url as a domain) are not the platform's error
    if (why === WHY_EMPTY || !PROBES[p].primary) return
    const n = this.nInvalid++
    this.invalidProbe[n] = p
    this.invalidWhy[n] = why
    this.invalidBytes[n] = e - s
    this.invalidValue[n] = this.keepValues ? (raw ?? dec.decode(b.subarray(s, e))) : undefined
  }

  /** Explanations of the current listing's matches, read now from the index (an entry removed meanwhile is dropped). */
  matches (): MatchExplanation[] {
    const out: MatchExplanation[] = []
    let action = 0
    for (let i = 0; i < this.nMatch; i++) {
      const probe = PROBES[this.matchProbe[i]]
      const x = this.index.explain(this.matchFp, i * 32)
      if (x === undefined) continue
      const a: Action = actionFor(this.#policy, probe.kind, x.status)
      action = Math.max(action, severity(a))
      out.push({
        column: probe.column,
        kind: probe.kind,
        fingerprint: toHex(this.matchFp.subarray(i * 32, i * 32 + 32)),
        status: x.status,
        action: a,
        orgs: x.orgs,
        orgCount: x.orgCount,
        disputedBy: x.disputedBy,
        confirmations: x.confirmations,
        expires: isoOrNull(x.expires)
      })
    }
    this.action = action
    return out
  }

  get actionName (): Action { return ACTIONS[this.action] }

  rejects (line: number, listingId: string | undefined): Reject[] {
    const out: Reject[] = []
    for (let i = 0; i < this.nInvalid; i++) {
      const probe = PROBES[this.invalidProbe[i]]
      const r: Reject = { line, listingId, column: probe.column, kind: probe.kind, why: whyOf(this.invalidWhy[i]), bytes: this.invalidBytes[i] }
      if (listingId === undefined) delete r.listingId
      const v = this.invalidValue[i]
      if (v !== undefined) r.value = v
      out.push(r)
    }
    return out
  }
}
