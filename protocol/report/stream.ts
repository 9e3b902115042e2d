/**
 * Chunked authenticated encryption of the report and of each evidence file:
 * the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár,
 * "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance"
 * (CRYPTO 2015, §7), instantiated exactly as the age v1 payload
 * (C2SP age specification, "Payload"): ChaCha20-Poly1305 (RFC 8439),
 *
 *   nonce(i, last) = i as 11 bytes big-endian || (0x01 if last else 0x00)
 *   chunk_i        = ChaCha20-Poly1305(K_s, nonce(i, last), aad, plaintext_i)
 *
 * with 64 KiB plaintext chunks; every chunk is full except the last, which
 * is empty only when the whole stream is. Reordering, dropping, duplicating
 * or truncating chunks fails authentication: the counter fixes each chunk's
 * position and the last-chunk flag marks the end.
 *
 * One random 32-byte content key K per report. Stream s (0 = the signed
 * report, 1..n = evidence files in report order) has its own key, derived
 * as age derives its payload key (HKDF-SHA256, RFC 5869):
 *
 *   K_s = HKDF-SHA256(ikm = K, salt = report id,
 *                     info = "alliance-node/v1/report-stream-key" 0x00 || u32be(s), L = 32)
 *
 * and every chunk's AAD is report id (16 bytes) || u32be(s), binding each
 * chunk to its report and file even if keys were ever shared across streams.
 *
 * The AEAD runs on node:crypto (OpenSSL's ChaCha20-Poly1305, ~12× faster here
 * than the pure-JS @noble/ciphers one, byte-identical: the tests check one
 * against the other), as protocol/ed25519.ts does for Ed25519.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes } from '../bytes.js'
import { REPORT_ID_BYTES, STREAM_CHUNK_BYTES, TAG_BYTES } from './limits.js'
import { REPORT_TAGS, reportTagPrefix } from './tags.js'

export const NONCE_BYTES = 12
/** Largest counter an 11-byte counter holds is far beyond this; JS integers stop at 2^53. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER

function u32be (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}

/** K_s: the key of stream `index` (see the module comment). */
export function streamKey (contentKey: Uint8Array, reportId: Uint8Array, index: number): Uint8Array {
  if (contentKey.length !== 32) throw new TypeError('a content key is 32 bytes')
  if (reportId.length !== REPORT_ID_BYTES) throw new TypeError(`a report id is ${REPORT_ID_BYTES} bytes`)
  return hkdf(sha256, contentKey, reportId, concatBytes(reportTagPrefix(REPORT_TAGS.streamKey), u32be(index)), 32)
}

/** AAD of every chunk of stream `index`: report id || u32be(index). */
export function streamAad (reportId: Uint8Array, index: number): Uint8Array {
  return concatBytes(reportId, u32be(index))
}

/** STREAM nonce: 11-byte big-endian counter || last-chunk flag (age v1). */
export function streamNonce (counter: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_COUNTER) throw new RangeError('chunk counter out of range')
  const n = new Uint8Array(NONCE_BYTES)
  const v = new DataView(n.buffer)
  v.setUint32(3, Math.floor(counter / 0x100000000))
  v.setUint32(7, counter >>> 0)
  n[11] = last ? 1 : 0
  return n
}

/** Encrypts and authenticates one stream's chunks in order; holds the stream key as an opaque KeyObject. */
export class StreamSealer {
  readonly #key: KeyObject
  readonly #aad: Uint8Array
  #counter = 0
  #done = false

  constructor (key: Uint8Array, aad: Uint8Array) {
    this.#key = createSecretKey(key)
    this.#aad = aad
  }

  /**
   * Writes `prefix` bytes of room, then ciphertext || tag of `plaintext`, into
   * one new buffer (so the caller can put a record header in front without a copy).
   */
  seal (plaintext: Uint8Array, last: boolean, prefix = 0): Uint8Array {
    if (this.#done) throw new Error('STREAM: chunk after the last chunk')
    const c = createCipheriv('chacha20-poly1305', this.#key, streamNonce(this.#counter++, last), { authTagLength: TAG_BYTES })
    c.setAAD(this.#aad, { plaintextLength: plaintext.length })
    const out = new Uint8Array(prefix + plaintext.length + TAG_BYTES)
    const ct = c.update(plaintext)
    out.set(ct, prefix)
    c.final()
    out.set(c.getAuthTag(), prefix + plaintext.length)
    if (last) this.#done = true
    return out
  }
}

/** Opens one stream's chunks in order; a chunk that does not authenticate returns undefined. */
export class StreamOpener {
  readonly #key: KeyObject
  readonly #aad: Uint8Array
  #counter = 0

  constructor (key: Uint8Array, aad: Uint8Array) {
    this.#key = createSecretKey(key)
    this.#aad = aad
  }

  /** Index of the next chunk. */
  get counter (): number { return this.#counter }

  open (chunk: Uint8Array, last: boolean): Uint8Array | undefined {
    if (chunk.length < TAG_BYTES) return undefined
    const ctLen = chunk.length - TAG_BYTES
    const d = createDecipheriv('chacha20-poly1305', this.#key, streamNonce(this.#counter, last), { authTagLength: TAG_BYTES })
    d.setAAD(this.#aad, { plaintextLength: ctLen })
    d.setAuthTag(chunk.subarray(ctLen))
    const pt = d.update(chunk.subarray(0, ctLen))
    try {
      d.final()
    } catch {
      pt.fill(0)
      return undefined
    }
    this.#counter++
    return new Uint8Array(pt.buffer, pt.byteOffset, pt.byteLength)
  }
}

/**
 * Re-cuts a stream of arbitrary pieces into STREAM chunks: full
 * STREAM_CHUNK_BYTES chunks, then one last chunk of 0..STREAM_CHUNK_BYTES
 * bytes (0 only when the whole stream is empty). A full chunk is held back
 * until the next byte shows it is not the last, so memory stays at two chunks.
 */
export async function * chunked (source: AsyncIterable<Uint8Array>, size = STREAM_CHUNK_BYTES): AsyncGenerator<{ data: Uint8Array, last: boolean }> {
  let buf = new Uint8Array(size)
  let fill = 0
  let full: Uint8Array | undefined
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) throw new TypeError('the source must yield Uint8Array chunks')
    let off = 0
    while (off < piece.length) {
      if (full !== undefined) {
        yield { data: full, last: false }
        full = undefined
      }
      const n = Math.min(size - fill, piece.length - off)
      buf.set(piece.subarray(off, off + n), fill)
      fill += n
      off += n
      if (fill === size) {
        full = buf
        buf = new Uint8Array(size)
        fill = 0
      }
    }
  }
  if (full !== undefined) yield { data: full, last: true }
  else yield { data: buf.subarray(0, fill), last: true }
}
