/**
 * Fingerprints for the values of a worker's batch its own value cache does
 * not know, without the worker holding any alliance key. In one pass
 * (`resolve`) over the values collected with `want`:
 *
 *   1. the shared cache in Redis by raw key (cache-key.ts: a keyed hash of
 *      the cell text and the kind it is looked up as): a value any worker
 *      has seen comes back as its fingerprint or its invalid reason, and is
 *      not canonicalised here;
 *   2. the others are canonicalised (pure, no key); invalid ones are done;
 *   3. the shared cache by canonical key (another spelling of the value was
 *      fingerprinted before);
 *   4. what no worker has fingerprinted yet goes to the platform's node in
 *      batched requests (POST /v1/pipeline/fingerprints);
 *   5. one script call writes the new raw and canonical keys (with a TTL),
 *      so a new value is fingerprinted once across all workers and
 *      canonicalised about once.
 *
 * Answers are kept for the batch (`known`); the batch (batch.ts) hands
 * them to the matcher core (`MatchCore.probeResolved`), which caches them
 * and decides with the code `alliance match` runs.
 */
import type { CountryCode } from 'libphonenumber-js'
import { canonicalBytes, InvalidIdentifierError } from '../../protocol/canonical/index.js'
import type { Kind } from '../../protocol/kinds.js'
import { PROBES } from '../match/columns.js'
import { whyCode } from '../match/decision.js'
import type { CacheKeyer } from './cache-key.js'
import { MAX_FINGERPRINT_ITEMS, fpCachePrefix, fpRawCachePrefix } from './keys.js'
import type { Redis } from './redis.js'

/** The node as the resolver needs it (the worker's HTTP link to the node's API). */
export interface FingerprintSource {
  fingerprints: (req: { epoch: number, items: Array<{ kind: Kind, value: string }> }) => Promise<{ epoch: number, results: Array<{ fingerprint: string } | { why: string }> }>
}

export interface ResolverInit {
  epoch: number
  /** Canonical keys under this epoch (the platform's cache secret). */
  keyer: CacheKeyer
  /** Raw keys under this epoch and default country. */
  rawKeyer: CacheKeyer
  prefix: string
  defaultCountry?: CountryCode
  /** TTL of a cache entry in Redis (s). */
  ttlSeconds: number
}

export interface ResolveStats {
  /** Values the worker's own value cache answered. */
  local: number
  /** Values the Redis cache answered (by raw or by canonical key). */
  shared: number
  /** Of those, by raw key (not canonicalised by this worker). */
  sharedRaw: number
  /** Values this worker canonicalised. */
  canonicalised: number
  /** Values fingerprinted by the node. */
  node: number
  invalid: number
}

export const emptyResolveStats = (): ResolveStats => ({ local: 0, shared: 0, sharedRaw: 0, canonicalised: 0, node: 0, invalid: 0 })

const WHY_EMPTY = whyCode('empty')
/** A raw-key cache entry is 32 bytes of fingerprint, or this byte and the name of why the value is invalid. */
const INVALID_MARK = 0x21 // '!'

/** One value of the batch: probe and cell bytes; after `resolve`, its fingerprint or (fp undefined) its why code. */
export interface Resolved {
  p: number
  b: Buffer
  fp: Uint8Array | undefined
  why: number
}

/** Puts values into the shared cache in one command (SET … EX per key, in a script); vals: one length byte and the value per key. */
const CACHE_SET = `
local vals, ttl = ARGV[1], ARGV[2]
local unpackS = struct.unpack
local at = 1
for i = 1, #KEYS do
  local v
  v, at = unpackS('Bc0', vals, at)
  redis.call('SET', KEYS[i], v, 'EX', ttl)
end
return #KEYS
`
let cacheSetSha: string | undefined

async function cacheValues (redis: Redis, keys: Buffer[], vals: Buffer[], ttlSeconds: number): Promise<void> {
  let n = 0
  for (const v of vals) n += 1 + v.length
  const packed = Buffer.allocUnsafe(n)
  let at = 0
  for (const v of vals) { packed[at++] = v.length; at += v.copy(packed, at) }
  cacheSetSha ??= await redis.script('LOAD', CACHE_SET) as string
  try {
    await redis.evalsha(cacheSetSha, keys.length, ...keys, packed, ttlSeconds)
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err
    cacheSetSha = await redis.script('LOAD', CACHE_SET) as string
    await redis.evalsha(cacheSetSha, keys.length, ...keys, packed, ttlSeconds)
  }
}

function withPrefix (prefix: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + key.length)
  prefix.copy(out, 0)
  key.copy(out, prefix.length)
  return out
}

/** The batch's key of (probe, cell bytes). */
export function valueKey (p: number, b: Buffer, s = 0, e = b.length): string {
  return String.fromCharCode(p) + b.toString('latin1', s, e)
}

/**
 * The values of one batch its worker's own cache did not know: collected
 * with `want`, answered by `resolve`, then kept in `known` for the batch.
 */
export class BatchResolver {
  readonly #init: ResolverInit
  readonly #redis: Redis
  readonly #node: FingerprintSource
  readonly #stats: ResolveStats
  readonly #wants = new Map<string, Resolved>()
  /** Resolved values of this batch, by valueKey. */
  readonly known = new Map<string, Resolved>()

  constructor (init: ResolverInit, redis: Redis, node: FingerprintSource, stats: ResolveStats) {
    this.#init = init
    this.#redis = redis
    this.#node = node
    this.#stats = stats
  }

  get epoch (): number { return this.#init.epoch }
  get wanted (): number { return this.#wants.size }

  want (key: string, p: number, b: Buffer): void {
    if (!this.#wants.has(key)) this.#wants.set(key, { p, b, fp: undefined, why: 0 })
  }

  /**
   * Answers every wanted value. Throws what the node or Redis threw (the
   * batch is then retried; nothing was acknowledged); values answered
   * before that stay known.
   */
  async resolve (): Promise<void> {
    if (this.#wants.size === 0) return
    const init = this.#init
    const stats = this.#stats
    const wants = [...this.#wants.entries()]
    const rawPrefix = Buffer.from(fpRawCachePrefix(init.prefix, init.epoch))
    const rawKeys: Buffer[] = new Array(wants.length)
    for (let i = 0; i < wants.length; i++) {
      const w = wants[i][1]
      rawKeys[i] = withPrefix(rawPrefix, init.rawKeyer.keyOf(PROBES[w.p].kind, w.b))
    }
    const got = await this.#redis.mgetBuffer(...rawKeys)
    const writeKeys: Buffer[] = []
    const writeVals: Buffer[] = []
    // values not in the raw cache, by canonical key: the items and their raw keys
    const byCanonical = new Map<string, { kind: Kind, raw: string, items: Resolved[], rawKeys: Buffer[] }>()
    const opts = init.defaultCountry !== undefined ? { defaultCountry: init.defaultCountry } : undefined
    for (let i = 0; i < wants.length; i++) {
      const w = wants[i][1]
      const v = got[i]
      if (v !== null && v.length === 32) {
        w.fp = v
        stats.shared++
        stats.sharedRaw++
        continue
      }
      if (v !== null && v.length > 1 && v[0] === INVALID_MARK) {
        w.why = whyCode(v.toString('latin1', 1)) || 1
        if (w.why !== WHY_EMPTY) stats.invalid++
        stats.sharedRaw++
        continue
      }
      const kind = PROBES[w.p].kind
      const raw = w.b.toString('utf8')
      stats.canonicalised++
      let canonical: Uint8Array
      try {
        canonical = canonicalBytes(kind, raw, opts)
      } catch (err) {
        if (!(err instanceof InvalidIdentifierError)) throw err
        w.why = whyCode(err.why) || 1
        if (w.why !== WHY_EMPTY) stats.invalid++
        writeKeys.push(rawKeys[i])
        writeVals.push(Buffer.from('!' + err.why, 'latin1'))
        continue
      }
      const ck = init.keyer.keyOf(kind, canonical).toString('latin1')
      let group = byCanonical.get(ck)
      if (group === undefined) {
        group = { kind, raw, items: [], rawKeys: [] }
        byCanonical.set(ck, group)
      }
      group.items.push(w)
      group.rawKeys.push(rawKeys[i])
    }
    if (byCanonical.size > 0) {
      const groups = [...byCanonical.values()]
      const prefix = Buffer.from(fpCachePrefix(init.prefix, init.epoch))
      const keys: Buffer[] = new Array(groups.length)
      let k = 0
      for (const ck of byCanonical.keys()) keys[k++] = withPrefix(prefix, Buffer.from(ck, 'latin1'))
      const cached = await this.#redis.mgetBuffer(...keys)
      const missing: number[] = []
      for (let i = 0; i < groups.length; i++) {
        const v = cached[i]
        if (v === null || v.length !== 32) { missing.push(i); continue }
        for (const item of groups[i].items) item.fp = v
        stats.shared += groups[i].items.length
        for (const rk of groups[i].rawKeys) { writeKeys.push(rk); writeVals.push(v) }
      }
      for (let from = 0; from < missing.length; from += MAX_FINGERPRINT_ITEMS) {
        const part = missing.slice(from, from + MAX_FINGERPRINT_ITEMS)
        const res = await this.#node.fingerprints({ epoch: init.epoch, items: part.map(i => ({ kind: groups[i].kind, value: groups[i].raw })) })
        for (let j = 0; j < part.length; j++) {
          const g = groups[part[j]]
          const r = res.results[j]
          if (r !== undefined && 'fingerprint' in r) {
            const fp = Buffer.allocUnsafe(32)
            if (fp.write(r.fingerprint, 'hex') !== 32) throw new TypeError('the node answered a fingerprint that is not 32 bytes of hex')
            for (const item of g.items) item.fp = fp
            stats.node++
            writeKeys.push(keys[part[j]]); writeVals.push(fp)
            for (const rk of g.rawKeys) { writeKeys.push(rk); writeVals.push(fp) }
          } else {
            // the node's refusal is not cached: the next batch asks again
            for (const item of g.items) item.why = whyCode(r?.why ?? 'bad_characters') || 1
          }
        }
      }
    }
    if (writeKeys.length > 0) await cacheValues(this.#redis, writeKeys, writeVals, init.ttlSeconds)
    for (const [key, w] of wants) {
      this.known.set(key, w)
      this.#wants.delete(key)
    }
  }
}
