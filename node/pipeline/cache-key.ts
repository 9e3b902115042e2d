/**
 * The shared fingerprint cache's keys: a platform-local keyed hash, so the
 * cache in Redis holds no raw identifier and no unkeyed hash of one (a
 * dictionary of phone numbers would invert that in seconds). Whoever reads
 * Redis sees 16-byte HMAC outputs, fingerprints and invalid-reason names.
 * Two key kinds, domain-separated by their tags (protocol/hash.ts TAGS):
 *
 *   cacheKey(kind, canonical)  = HMAC-SHA256(K, "alliance-node/v1/pipeline-cache-key" ‖ 0 ‖ epoch u32 ‖ kind ‖ 0 ‖ canonical)[0..16)
 *   rawKey(kind, raw)          = HMAC-SHA256(K, "alliance-node/v1/pipeline-raw-cache-key" ‖ 0 ‖ epoch u32 ‖ country ‖ 0 ‖ kind ‖ 0 ‖ raw)[0..16)
 *
 * A canonical key lets two spellings of one value share the node's one
 * fingerprint; a raw key (the cell text as the listing carried it, for the
 * kind it is looked up as, under the node's default country, which the
 * canonical form of a national phone number depends on) maps straight to
 * the fingerprint or the invalid reason, so a worker skips canonicalising
 * every value some worker has seen.
 *
 * K is the platform's own 32-byte secret, made once by its node in
 * `<dir>/keys/pipeline-cache.key` (0600) and handed to workers by the
 * node's API (POST /v1/pipeline/attach, behind the bearer token); it never
 * goes to Redis and is not an alliance key. The epoch is hashed in so that
 * a cut-over starts a fresh cache.
 */
import * as nodeCrypto from 'node:crypto'
import { createHmac, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InsecureKeyFileError, MalformedKeyFileError } from '../errors.js'
import { writeFileAtomic } from '../home.js'
import { KEYS_DIR } from '../keys.js'
import { tagPrefix, TAGS } from '../../protocol/hash.js'

export const CACHE_KEY_FILE = 'pipeline-cache.key'
/** Bytes of a cache key (of the hash output kept). */
export const CACHE_KEY_BYTES = 16

const TAG = Buffer.from(tagPrefix(TAGS.pipelineCacheKey))
const RAW_TAG = Buffer.from(tagPrefix(TAGS.pipelineRawCacheKey))
const SEP = Buffer.from([0])

export function cacheKeyPath (dir: string): string {
  return join(dir, KEYS_DIR, CACHE_KEY_FILE)
}

/** The node's cache secret: read from its key file, created (0600) on first use. */
export async function loadOrCreateCacheSecret (dir: string): Promise<Buffer> {
  const path = cacheKeyPath(dir)
  let st
  try {
    st = await stat(path)
  } catch {
    const secret = randomBytes(32)
    await writeFileAtomic(path, secret.toString('hex') + '\n', 0o600)
    return secret
  }
  if ((st.mode & 0o077) !== 0) throw new InsecureKeyFileError(path, st.mode)
  const hex = (await readFile(path, 'utf8')).trim()
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new MalformedKeyFileError(path, 'expected 64 hex digits')
  return Buffer.from(hex, 'hex')
}

/** The cache key of one canonical value under `epoch`. */
export function cacheKeyOf (secret: Uint8Array, epoch: number, kind: string, canonical: Uint8Array): Buffer {
  const e = Buffer.allocUnsafe(4)
  e.writeUInt32BE(epoch >>> 0)
  return createHmac('sha256', secret).update(TAG).update(e).update(kind).update(SEP).update(canonical).digest().subarray(0, CACHE_KEY_BYTES)
}

/** The raw key of one cell text `raw` looked up as `kind` under `epoch` and the node's default country ('' without). */
export function rawCacheKeyOf (secret: Uint8Array, epoch: number, country: string, kind: string, raw: Uint8Array): Buffer {
  const e = Buffer.allocUnsafe(4)
  e.writeUInt32BE(epoch >>> 0)
  return createHmac('sha256', secret).update(RAW_TAG).update(e).update(country, 'latin1').update(SEP).update(kind).update(SEP).update(raw).digest().subarray(0, CACHE_KEY_BYTES)
}

/** One-shot SHA-256 (node:crypto `hash`, Node ≥ 20.12), when the runtime has it. */
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash

/**
 * `cacheKeyOf` (or, `raw`, `rawCacheKeyOf`) for one secret, epoch and
 * country, for the worker's hot path: the same HMAC-SHA256 (RFC 2104:
 * H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))) computed with two one-shot hashes over
 * a reused scratch buffer whose key block and message prefix are written
 * once, instead of an Hmac object per value. Output is byte for byte the
 * reference function's (tested).
 */
export class CacheKeyer {
  readonly #secret: Uint8Array
  readonly #epoch: number
  readonly #country: string | undefined
  readonly #inner: number
  #scratch: Buffer
  readonly #outer = Buffer.alloc(64 + 32)

  /** `country`: raw keys under this default country ('' without); undefined: canonical keys. */
  constructor (secret: Uint8Array, epoch: number, country?: string) {
    if (secret.length > 64) throw new RangeError('a cache secret longer than one SHA-256 block') // HMAC would hash it first; ours are 32 bytes
    if (country !== undefined && !/^[A-Z]{0,2}$/.test(country)) throw new RangeError('a default country is two capital letters')
    this.#secret = secret
    this.#epoch = epoch
    this.#country = country
    this.#scratch = Buffer.alloc(256)
    for (let i = 0; i < 64; i++) {
      this.#scratch[i] = (secret[i] ?? 0) ^ 0x36
      this.#outer[i] = (secret[i] ?? 0) ^ 0x5c
    }
    let at = 64 + (country === undefined ? TAG : RAW_TAG).copy(this.#scratch, 64)
    at = this.#scratch.writeUInt32BE(epoch >>> 0, at)
    if (country !== undefined) {
      at += this.#scratch.write(country, at, 'latin1')
      this.#scratch[at++] = 0
    }
    this.#inner = at
  }

  /** The 16-byte key of one value (canonical, or raw: v[s..e)) looked up as `kind` (a fresh buffer). */
  keyOf (kind: string, v: Uint8Array, s = 0, e = v.length): Buffer {
    if (oneShot === undefined) {
      const value = v.subarray(s, e)
      return this.#country === undefined ? cacheKeyOf(this.#secret, this.#epoch, kind, value) : rawCacheKeyOf(this.#secret, this.#epoch, this.#country, kind, value)
    }
    const n = this.#inner + kind.length + 1 + (e - s)
    if (n > this.#scratch.length) {
      const b = Buffer.alloc(Math.max(n, this.#scratch.length * 2))
      this.#scratch.copy(b, 0, 0, this.#inner)
      this.#scratch = b
    }
    const sc = this.#scratch
    let at = this.#inner + sc.write(kind, this.#inner, 'latin1')
    sc[at++] = 0
    for (let i = s; i < e; i++) sc[at++] = v[i]
    oneShot('sha256', sc.subarray(0, n), 'buffer').copy(this.#outer, 64)
    return oneShot('sha256', this.#outer, 'buffer').subarray(0, CACHE_KEY_BYTES)
  }
}
