/**
 * The prime-order group ristretto255 (RFC 9496) and the hash functions of
 * the RFC 9497 ciphersuite ristretto255-SHA512, through libsodium
 * (`libsodium-wrappers-sumo`, WebAssembly).
 *
 * - Elements are 32-byte canonical ristretto255 encodings. Deserialising
 *   one from outside (`assertElement`) refuses non-canonical encodings and
 *   the identity, as RFC 9497 §2.1 DeserializeElement requires.
 * - Scalars are 32 bytes, little-endian, reduced modulo the group order L
 *   (RFC 9497 §4.1 SerializeScalar); `assertScalar` refuses values >= L.
 * - HashToGroup(msg, DST) = ristretto255 one-way map (libsodium
 *   crypto_core_ristretto255_from_hash) of expand_message_xmd(SHA-512, msg,
 *   DST, 64) (RFC 9380 §5.3.1); HashToScalar = the same 64 bytes reduced
 *   modulo L (crypto_core_ristretto255_scalar_reduce).
 *
 * The module awaits libsodium's initialisation when it is first imported
 * (top-level await), so every function here is synchronous and usable as
 * soon as the import resolves (~70 ms, once per process).
 *
 * Secret scalars pass through the WebAssembly heap, which the wrapper frees
 * but does not zero; JavaScript copies are wiped by their owners where the
 * code can reach them (`wipe`). No JavaScript program can promise more.
 */
import { createHash } from 'node:crypto'
import sodium from 'libsodium-wrappers-sumo'
import { InvalidElementError, InvalidScalarError } from './errors.js'

await sodium.ready

export const ELEMENT_BYTES = 32
export const SCALAR_BYTES = 32
/** SHA-512 output, the suite's Nh. */
export const HASH_BYTES = 64

/** The identity element's encoding (never accepted from outside). */
export const IDENTITY = new Uint8Array(ELEMENT_BYTES)

/** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
])

/** Whether a 32-byte little-endian value is < L. Compares public values only (proof scalars, decoded shares are checked once). */
function isReduced (s: Uint8Array): boolean {
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    if (s[i] < ORDER_LE[i]) return true
    if (s[i] > ORDER_LE[i]) return false
  }
  return false // equal to L
}

export function isZero (b: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < b.length; i++) acc |= b[i]
  return acc === 0
}

/** Throws InvalidElementError unless `e` is a canonical, non-identity ristretto255 encoding. */
export function assertElement (e: unknown, what: string, index?: number): asserts e is Uint8Array {
  if (!(e instanceof Uint8Array) || e.length !== ELEMENT_BYTES) {
    throw new InvalidElementError(what, `expected ${ELEMENT_BYTES} bytes, got ${e instanceof Uint8Array ? e.length : typeof e}`, index)
  }
  if (isZero(e)) throw new InvalidElementError(what, 'is the identity element', index)
  if (!sodium.crypto_core_ristretto255_is_valid_point(e)) throw new InvalidElementError(what, 'is not a canonical ristretto255 encoding', index)
}

/**
 * Throws InvalidScalarError unless `s` is a 32-byte scalar < L; with
 * `nonZero`, zero is refused too (keys, shares, blinds).
 */
export function assertScalar (s: unknown, what: string, nonZero: boolean): asserts s is Uint8Array {
  if (!(s instanceof Uint8Array) || s.length !== SCALAR_BYTES) {
    throw new InvalidScalarError(what, `expected ${SCALAR_BYTES} bytes, got ${s instanceof Uint8Array ? s.length : typeof s}`)
  }
  if (!isReduced(s)) throw new InvalidScalarError(what, 'is not reduced modulo the group order')
  if (nonZero && isZero(s)) throw new InvalidScalarError(what, 'is zero')
}

// ---- group operations (inputs are trusted here: validate at the edges) ----

/** s·G. Zero gives the identity. */
export function mulBase (s: Uint8Array): Uint8Array {
  return isZero(s) ? IDENTITY.slice() : sodium.crypto_scalarmult_ristretto255_base(s)
}

/** s·P for a valid element P (the identity allowed). Zero or the identity give the identity. */
export function mul (s: Uint8Array, p: Uint8Array): Uint8Array {
  if (isZero(s) || isZero(p)) return IDENTITY.slice()
  return sodium.crypto_scalarmult_ristretto255(s, p)
}

export function add (p: Uint8Array, q: Uint8Array): Uint8Array {
  if (isZero(p)) return q.slice()
  if (isZero(q)) return p.slice()
  return sodium.crypto_core_ristretto255_add(p, q)
}

export function elementEqual (a: Uint8Array, b: Uint8Array): boolean {
  return sodium.memcmp(a, b)
}

// ---- scalar arithmetic modulo L ----

export const scalarAdd = (a: Uint8Array, b: Uint8Array): Uint8Array => sodium.crypto_core_ristretto255_scalar_add(a, b)
export const scalarSub = (a: Uint8Array, b: Uint8Array): Uint8Array => sodium.crypto_core_ristretto255_scalar_sub(a, b)
export const scalarMul = (a: Uint8Array, b: Uint8Array): Uint8Array => sodium.crypto_core_ristretto255_scalar_mul(a, b)
/** 1/a mod L; a must be non-zero. */
export const scalarInvert = (a: Uint8Array): Uint8Array => sodium.crypto_core_ristretto255_scalar_invert(a)
/** A uniformly random non-zero scalar (libsodium rejects zero and retries). */
export const randomScalar = (): Uint8Array => sodium.crypto_core_ristretto255_scalar_random()

/** A small non-negative integer (< 2^48) as a scalar. */
export function scalarFromInt (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`scalarFromInt: ${n} is not a non-negative safe integer`)
  const out = new Uint8Array(SCALAR_BYTES)
  let x = n
  for (let i = 0; x > 0; i++) { out[i] = x % 256; x = Math.floor(x / 256) }
  return out
}

/** Overwrites secret bytes with zeros (libsodium's memzero, which the optimiser cannot drop). */
export function wipe (...secrets: Array<Uint8Array | undefined>): void {
  for (const s of secrets) if (s !== undefined) sodium.memzero(s)
}

// ---- hashing: RFC 9380 expand_message_xmd with SHA-512, RFC 9497 §4.1 ----

const B_IN_BYTES = 64
const S_IN_BYTES = 128
const Z_PAD = new Uint8Array(S_IN_BYTES)

export function sha512 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** RFC 9380 §5.3.1 expand_message_xmd with H = SHA-512. */
export function expandMessageXmd (msg: Uint8Array, dst: Uint8Array, lenInBytes: number): Uint8Array {
  const ell = Math.ceil(lenInBytes / B_IN_BYTES)
  if (ell > 255 || lenInBytes > 65535 || lenInBytes < 1) throw new RangeError(`expand_message_xmd: cannot output ${lenInBytes} bytes`)
  if (dst.length > 255) throw new RangeError('expand_message_xmd: DST longer than 255 bytes')
  const dstPrime = new Uint8Array(dst.length + 1)
  dstPrime.set(dst)
  dstPrime[dst.length] = dst.length
  const b0 = sha512(Z_PAD, msg, Uint8Array.of(lenInBytes >> 8, lenInBytes & 0xff, 0), dstPrime)
  const out = new Uint8Array(ell * B_IN_BYTES)
  let prev = sha512(b0, Uint8Array.of(1), dstPrime)
  out.set(prev, 0)
  for (let i = 2; i <= ell; i++) {
    const x = new Uint8Array(B_IN_BYTES)
    for (let j = 0; j < B_IN_BYTES; j++) x[j] = b0[j] ^ prev[j]
    prev = sha512(x, Uint8Array.of(i), dstPrime)
    out.set(prev, (i - 1) * B_IN_BYTES)
  }
  return out.subarray(0, lenInBytes)
}

/**
 * RFC 9497 §4.1 HashToGroup: hash_to_ristretto255 (RFC 9380 Appendix B)
 * under `dst`. May return the identity only with negligible probability;
 * callers that must refuse it (Blind) check.
 */
export function hashToGroup (msg: Uint8Array, dst: Uint8Array): Uint8Array {
  return sodium.crypto_core_ristretto255_from_hash(expandMessageXmd(msg, dst, 64))
}

/** RFC 9497 §4.1 HashToScalar: expand_message_xmd(msg, dst, 64) reduced modulo L, little-endian. */
export function hashToScalar (msg: Uint8Array, dst: Uint8Array): Uint8Array {
  return sodium.crypto_core_ristretto255_scalar_reduce(expandMessageXmd(msg, dst, 64))
}

/** I2OSP(n, 2). */
export function u16be (n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff)
}

/** I2OSP(len(x), 2) || x. */
export function lengthPrefixed (x: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + x.length)
  out[0] = (x.length >> 8) & 0xff
  out[1] = x.length & 0xff
  out.set(x, 2)
  return out
}
