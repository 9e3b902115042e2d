/**
 * The shared fingerprint cache's keys: a platform-local keyed hash of the
 * canonical value, so the cache in Redis holds no raw identifier and no
 * unkeyed hash of one (a dictionary of phone numbers would invert that in
 * seconds). Whoever reads Redis sees 16-byte HMAC outputs and fingerprints.
 *
 *   cacheKey(kind, canonical) = HMAC-SHA256(K, tag ‖ 0 ‖ epoch u32 ‖ kind ‖ 0 ‖ canonical)[0..16)
 *
 * K is the platform's own 32-byte secret, made once by its node in
 * `<dir>/keys/pipeline-cache.key` (0600) and handed to workers by the
 * node's API (POST /v1/pipeline/attach, behind the bearer token); it never
 * goes to Redis and is not an alliance key. The epoch is hashed in so that
 * a cut-over starts a fresh cache.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InsecureKeyFileError, MalformedKeyFileError } from '../errors.js'
import { writeFileAtomic } from '../home.js'
import { KEYS_DIR } from '../keys.js'

/** Domain separation of the cache-key hash (the naming scheme of protocol/hash.ts TAGS). */
export const PIPELINE_CACHE_TAG = 'alliance-node/v1/pipeline-cache-key'
export const CACHE_KEY_FILE = 'pipeline-cache.key'
/** Bytes of a cache key (of the hash output kept). */
export const CACHE_KEY_BYTES = 16

const TAG = Buffer.from(PIPELINE_CACHE_TAG + '\0')
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
