/**
 * Fingerprints for a worker's batch, without the worker holding any
 * alliance key: before a batch is decided, every identifier value the
 * worker's own value cache does not know is canonicalised here (pure, no
 * key), looked up in the cache shared in Redis by its cache key
 * (cache-key.ts), and what no worker has fingerprinted yet goes to the
 * platform's node in one batched request (POST /v1/pipeline/fingerprints).
 * The answers are put into the worker's value cache and into Redis (with a
 * TTL), so a new value is fingerprinted by the node once across all
 * workers, and the matcher core (node/match/core.ts) then finds every
 * value of the batch in its cache: decisions are made by the same code as
 * `alliance match`.
 *
 * The suite the core is given (`PrefetchedSuite`) answers from this batch's
 * results only; it is consulted when a value was too long for the value
 * cache. A value it does not know is a bug, reported as such.
 */
import type { CountryCode } from 'libphonenumber-js'
import { canonicalBytes, InvalidIdentifierError } from '../../protocol/canonical/index.js'
import type { LocalFingerprintSuite } from '../../protocol/fingerprint/index.js'
import type { Kind } from '../../protocol/kinds.js'
import { COLUMN_PROBES } from '../match/columns.js'
import { whyCode } from '../match/decision.js'
import type { MatchCore } from '../match/core.js'
import type { CacheKeyer } from './cache-key.js'
import type { ListingEntry } from './entry.js'
import { MAX_FINGERPRINT_ITEMS, fpCachePrefix } from './keys.js'
import type { Redis } from './redis.js'

/** The node as the resolver needs it (the worker's HTTP link to the node's API). */
export interface FingerprintSource {
  fingerprints: (req: { epoch: number, items: Array<{ kind: Kind, value: string }> }) => Promise<{ epoch: number, results: Array<{ fingerprint: string } | { why: string }> }>
}

export interface ResolverInit {
  epoch: number
  /** Cache keys under this epoch (the platform's cache secret). */
  keyer: CacheKeyer
  prefix: string
  defaultCountry?: CountryCode
  /** TTL of a cache entry in Redis (s). */
  ttlSeconds: number
}

export interface ResolveStats {
  /** Values the worker's own value cache answered. */
  local: number
  /** Values the Redis cache answered. */
  shared: number
  /** Values fingerprinted by the node. */
  node: number
  invalid: number
}

const WHY_EMPTY = whyCode('empty')

interface Pending {
  kind: Kind
  raw: string
  canonicalKey: string
  targets: Array<{ p: number, b: Buffer, h: number }>
  fp?: Uint8Array
  why?: string
}

/** A LocalFingerprintSuite that answers from one batch's resolved fingerprints. */
export class PrefetchedSuite implements LocalFingerprintSuite {
  readonly name = 'hmac-sha256' as const
  readonly outputLength = 32 as const
  readonly epoch: number
  readonly known = new Map<string, Uint8Array>()
  constructor (epoch: number) { this.epoch = epoch }
  fingerprint (kind: Kind, canonical: Uint8Array): Uint8Array {
    const out = new Uint8Array(32)
    this.fingerprintInto(kind, canonical, out, 0)
    return out
  }

  fingerprintInto (kind: Kind, canonical: Uint8Array, out: Uint8Array, offset: number): void {
    const fp = this.known.get(canonicalKey(kind, canonical))
    if (fp === undefined) throw new Error(`pipeline resolver: no fingerprint was fetched for a ${kind} value (a bug)`)
    out.set(fp, offset)
  }

  async fingerprintBatch (items: ReadonlyArray<{ kind: Kind, canonical: Uint8Array }>): Promise<Uint8Array[]> {
    return items.map(i => this.fingerprint(i.kind, i.canonical))
  }

  destroy (): void { this.known.clear() }
}

function canonicalKey (kind: string, canonical: Uint8Array): string {
  return kind + '\0' + Buffer.from(canonical.buffer, canonical.byteOffset, canonical.byteLength).toString('latin1')
}

/** Puts fingerprints into the shared cache in one command (SET … EX per key, in a script): fps holds one 32-byte fingerprint per key. */
const CACHE_SET = `
local fps, ttl = ARGV[1], ARGV[2]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], string.sub(fps, i * 32 - 31, i * 32), 'EX', ttl)
end
return #KEYS
`
let cacheSetSha: string | undefined

async function cacheFingerprints (redis: Redis, keys: Buffer[], fps: Buffer, ttlSeconds: number): Promise<void> {
  cacheSetSha ??= await redis.script('LOAD', CACHE_SET) as string
  try {
    await redis.evalsha(cacheSetSha, keys.length, ...keys, fps, ttlSeconds)
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err
    cacheSetSha = await redis.script('LOAD', CACHE_SET) as string
    await redis.evalsha(cacheSetSha, keys.length, ...keys, fps, ttlSeconds)
  }
}

/**
 * Makes every identifier value of `entries` known to `core`'s value cache
 * (or `suite`). Throws what the node or Redis threw (the batch is then
 * retried; nothing was acknowledged).
 */
export async function resolveBatch (entries: readonly ListingEntry[], core: MatchCore, suite: PrefetchedSuite, init: ResolverInit, redis: Redis, node: FingerprintSource, stats: ResolveStats): Promise<void> {
  const cache = core.cache
  const pending = new Map<string, Pending>() // by cache key (binary as latin1)
  const byRaw = new Map<string, Pending>() // by probe and raw value: a value repeated within the batch is canonicalised once
  const opts = init.defaultCountry !== undefined ? { defaultCountry: init.defaultCountry } : undefined
  suite.known.clear()
  for (const e of entries) {
    for (let c = 0; c < e.values.length; c++) {
      const b = e.values[c]
      if (b === undefined || b.length === 0) continue
      const fh = cache.fieldHash(b, 0, b.length)
      for (const probe of COLUMN_PROBES[c]) {
        const p = probe.id
        const h = cache.finish(fh, p)
        const rec = cache.find(p, b, 0, b.length, h)
        if (rec >= 0 && cache.done(rec)) { stats.local++; continue }
        const raw = b.toString('utf8')
        const rawKey = `${p}\0${raw}`
        const known = byRaw.get(rawKey)
        if (known !== undefined) { known.targets.push({ p, b, h }); continue }
        let canonical: Uint8Array
        try {
          canonical = canonicalBytes(probe.kind, raw, opts)
        } catch (err) {
          if (!(err instanceof InvalidIdentifierError)) throw err
          // the core would find the same: remember it so the core need not canonicalise again
          const r = rec >= 0 ? rec : cache.add(p, b, 0, b.length, h)
          if (r >= 0) cache.setInvalid(r, whyCode(err.why) || 1)
          if (whyCode(err.why) !== WHY_EMPTY) stats.invalid++
          continue
        }
        const ck = init.keyer.keyOf(probe.kind, canonical).toString('latin1')
        let item = pending.get(ck)
        if (item === undefined) {
          item = { kind: probe.kind, raw, canonicalKey: canonicalKey(probe.kind, canonical), targets: [] }
          pending.set(ck, item)
        }
        byRaw.set(rawKey, item)
        item.targets.push({ p, b, h })
      }
    }
  }
  if (pending.size === 0) return
  const items = [...pending.values()]
  const prefix = Buffer.from(fpCachePrefix(init.prefix, init.epoch))
  const redisKeys: Buffer[] = new Array(items.length)
  let k = 0
  for (const ck of pending.keys()) {
    const key = Buffer.allocUnsafe(prefix.length + ck.length)
    prefix.copy(key, 0)
    key.write(ck, prefix.length, 'latin1')
    redisKeys[k++] = key
  }
  const cached = await redis.mgetBuffer(...redisKeys)
  const missing: number[] = []
  for (let i = 0; i < items.length; i++) {
    const v = cached[i]
    if (v !== null && v.length === 32) { items[i].fp = new Uint8Array(v); stats.shared++ } else missing.push(i)
  }
  for (let from = 0; from < missing.length; from += MAX_FINGERPRINT_ITEMS) {
    const part = missing.slice(from, from + MAX_FINGERPRINT_ITEMS)
    const res = await node.fingerprints({ epoch: init.epoch, items: part.map(i => ({ kind: items[i].kind, value: items[i].raw })) })
    const keys: Buffer[] = []
    const fps = Buffer.allocUnsafe(part.length * 32)
    part.forEach((i, j) => {
      const r = res.results[j]
      if (r !== undefined && 'fingerprint' in r) {
        const fp = fps.subarray(keys.length * 32, keys.length * 32 + 32)
        if (fp.write(r.fingerprint, 'hex') !== 32) throw new TypeError('the node answered a fingerprint that is not 32 bytes of hex')
        items[i].fp = fp
        keys.push(redisKeys[i])
        stats.node++
      } else {
        items[i].why = r?.why ?? 'bad_characters'
      }
    })
    if (keys.length > 0) await cacheFingerprints(redis, keys, fps.subarray(0, keys.length * 32), init.ttlSeconds)
  }
  for (const item of items) {
    for (const t of item.targets) {
      let rec = cache.find(t.p, t.b, 0, t.b.length, t.h)
      if (rec < 0) rec = cache.add(t.p, t.b, 0, t.b.length, t.h)
      if (item.fp !== undefined) {
        if (rec >= 0) cache.setFingerprint(rec, item.fp, 0)
        suite.known.set(item.canonicalKey, item.fp)
      } else if (rec >= 0) {
        cache.setInvalid(rec, whyCode(item.why as string) || 1)
      }
    }
  }
}
