/**
 * The node-local cache of fingerprints made by an online suite
 * (toprf-ristretto255): a value fingerprinted once is never sent to the
 * guardians again in the same epoch, so a platform's rescan of known
 * sellers costs no guardian evaluation (and no quota).
 *
 * No raw or canonical value is stored: an entry's key is
 *   HMAC-SHA256(cacheKey, u32be(epoch) || u8(kind wire) || canonical)[0..16]
 * where cacheKey is derived from keys/fingerprint-cache.key (32 random bytes,
 * 0600, made on first use and never leaving the node), so the cache file
 * alone lets nobody test guesses, not even with the guardians' help. The
 * value is the 32-byte fingerprint, which is public within the alliance.
 *
 * Entries live in memory (a Map; ~150 bytes per entry) and, for a node
 * directory, in LevelDB at <dir>/fingerprint-cache, loaded at start. A
 * rotation's cut-over drops the old epoch's entries (`dropEpoch`).
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { LevelByteMap, MemoryByteMap, type ByteMap } from '../store/byte-map.js'
import { toHex, utf8 } from '../../protocol/bytes.js'
import { fingerprintKindWire } from '../../protocol/fingerprint/params.js'
import { TAGS } from '../../protocol/hash.js'
import type { FingerprintBatchOptions, FingerprintItem, FingerprintSuite } from '../../protocol/fingerprint/suite.js'
import { NodeError } from '../errors.js'
import { nodeLocalKey } from '../home.js'

export const FINGERPRINT_CACHE_DIR = 'fingerprint-cache'
export const FINGERPRINT_CACHE_KEY_FILE = 'fingerprint-cache.key'
const KEY_BYTES = 16

/** Where cached fingerprints live (node/store/byte-map.ts). */
export type CacheBackend = ByteMap

/** Reads keys/fingerprint-cache.key, making it (0600) on first use. */
export async function cacheKey (dir: string): Promise<Uint8Array> {
  return await nodeLocalKey(dir, FINGERPRINT_CACHE_KEY_FILE, (path) => new NodeError('cache_key', `${path} is not a 32-byte hex key`))
}

function epochPrefix (epoch: number): string {
  return epoch.toString(16).padStart(8, '0') + ':'
}

export interface CacheStats { entries: number, hits: number, misses: number }

export class FingerprintCache {
  readonly #backend: CacheBackend
  readonly #key: Uint8Array
  readonly #mem = new Map<string, Uint8Array>()
  #hits = 0
  #misses = 0

  /** `key`: 32 bytes; the cache keeps a derived key only (the caller wipes its copy). */
  constructor (key: Uint8Array, backend: CacheBackend) {
    this.#key = hkdf(sha256, key, utf8(TAGS.fingerprintCache), new Uint8Array(0), 32)
    this.#backend = backend
  }

  static async open (dir: string | undefined): Promise<FingerprintCache> {
    const key = dir !== undefined ? await cacheKey(dir) : new Uint8Array(randomBytes(32))
    try {
      const c = new FingerprintCache(key, dir !== undefined ? new LevelByteMap({ path: join(dir, FINGERPRINT_CACHE_DIR), what: 'fingerprint cache', damagedTables: 'set-aside' }) : new MemoryByteMap())
      await c.load()
      return c
    } finally {
      key.fill(0)
    }
  }

  async load (): Promise<void> {
    await this.#backend.open()
    for await (const [k, v] of this.#backend.entries()) this.#mem.set(k, v)
  }

  async close (): Promise<void> {
    await this.#backend.close()
    this.#key.fill(0)
    this.#mem.clear()
  }

  stats (): CacheStats { return { entries: this.#mem.size, hits: this.#hits, misses: this.#misses } }

  id (epoch: number, item: FingerprintItem): string {
    const head = new Uint8Array(5)
    new DataView(head.buffer).setUint32(0, epoch)
    head[4] = fingerprintKindWire(item.kind)
    const mac = hmac.create(sha256, this.#key).update(head).update(item.canonical).digest()
    return epochPrefix(epoch) + toHex(mac.subarray(0, KEY_BYTES))
  }

  /** The cached fingerprint of `item` under `epoch`, without asking anyone (matching keeps deciding cached values while guardians are down). */
  peek (epoch: number, item: FingerprintItem): Uint8Array | undefined {
    return this.#mem.get(this.id(epoch, item))
  }

  /** Drops every entry of `epoch` (a rotation's cut-over). Returns how many. */
  async dropEpoch (epoch: number): Promise<number> {
    const prefix = epochPrefix(epoch)
    for (const k of [...this.#mem.keys()]) if (k.startsWith(prefix)) this.#mem.delete(k)
    return await this.#backend.delPrefix(prefix)
  }

  /**
   * `inner` with this cache in front: only values not cached for the epoch
   * reach it, in one batch; its results are stored before returning.
   */
  wrap<S extends FingerprintSuite> (inner: S): FingerprintSuite {
    const cache = this
    return {
      name: inner.name,
      epoch: inner.epoch,
      outputLength: inner.outputLength,
      async fingerprintBatch (items: ReadonlyArray<FingerprintItem>, options?: FingerprintBatchOptions): Promise<Uint8Array[]> {
        const out = new Array<Uint8Array>(items.length)
        const ids = items.map(it => cache.id(inner.epoch, it))
        const missAt: number[] = []
        const missIds = new Map<string, number>()
        for (let i = 0; i < items.length; i++) {
          const hit = cache.#mem.get(ids[i])
          if (hit !== undefined) { out[i] = hit; cache.#hits++; continue }
          if (!missIds.has(ids[i])) { missIds.set(ids[i], missAt.length); missAt.push(i) }
        }
        if (missAt.length > 0) {
          cache.#misses += missAt.length
          const fps = await inner.fingerprintBatch(missAt.map(i => items[i]), options)
          const fresh: Array<[string, Uint8Array]> = missAt.map((i, j) => [ids[i], fps[j].slice()])
          await cache.#backend.putMany(fresh)
          for (const [k, v] of fresh) cache.#mem.set(k, v)
          for (let i = 0; i < items.length; i++) out[i] ??= cache.#mem.get(ids[i]) as Uint8Array
        }
        return out
      },
      destroy (): void { inner.destroy() },
      toString: () => `${String(inner)} (cached)`
    } as FingerprintSuite
  }
}
