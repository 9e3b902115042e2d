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
import { createHash, randomBytes } from 'node:crypto'
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
//
// The hot operations call libsodium's exported WebAssembly functions
// directly on a scratch area of its heap, allocated once per thread: the
// same audited code as the wrapper's crypto_scalarmult_ristretto255 /
// crypto_core_ristretto255_add, without the wrapper's malloc, copy and free
// of every argument on every call (~10% of a multiplication, and most of an
// addition's cost beyond its decode/encode). Secret scalars written to the
// scratch area are zeroed after each call, which the wrapper does not do.

interface RawSodium {
  HEAPU8: Uint8Array
  _malloc: (n: number) => number
  _crypto_scalarmult_ristretto255: (q: number, n: number, p: number) => number
  _crypto_scalarmult_ristretto255_base: (q: number, n: number) => number
  _crypto_core_ristretto255_add: (r: number, p: number, q: number) => number
  _crypto_core_ristretto255_from_hash: (p: number, r: number) => number
}
const raw = (sodium as unknown as { libsodium: RawSodium }).libsodium
const SLOT = raw._malloc(4 * 32 + 64)
const S_SCALAR = SLOT
const S_POINT = SLOT + 32
const S_OUT = SLOT + 64
const S_Q = SLOT + 96
const S_HASH = SLOT + 128

/** The heap view (it is replaced when the WebAssembly memory grows). */
const heap = (): Uint8Array => raw.HEAPU8

/** s·P through the raw call; false when libsodium refuses (P not a canonical encoding, or the product is the identity). Result in S_OUT. */
function rawMul (s: Uint8Array, p: Uint8Array, out = S_OUT): boolean {
  const h = heap()
  h.set(s, S_SCALAR)
  h.set(p, S_POINT)
  const rc = raw._crypto_scalarmult_ristretto255(out, S_SCALAR, S_POINT)
  h.fill(0, S_SCALAR, S_SCALAR + SCALAR_BYTES)
  return rc === 0
}

const readSlot = (at: number): Uint8Array => heap().slice(at, at + ELEMENT_BYTES)

/** s·G. Zero gives the identity. */
export function mulBase (s: Uint8Array): Uint8Array {
  if (isZero(s)) return IDENTITY.slice()
  const h = heap()
  h.set(s, S_SCALAR)
  raw._crypto_scalarmult_ristretto255_base(S_OUT, S_SCALAR)
  h.fill(0, S_SCALAR, S_SCALAR + SCALAR_BYTES)
  return readSlot(S_OUT)
}

/** s·P for a valid element P (the identity allowed). Zero or the identity give the identity. */
export function mul (s: Uint8Array, p: Uint8Array): Uint8Array {
  if (isZero(s) || isZero(p)) return IDENTITY.slice()
  if (!rawMul(s, p)) throw new InvalidElementError('element', 'is not a canonical ristretto255 encoding')
  return readSlot(S_OUT)
}

/**
 * s·P for a non-zero scalar s and an element P from outside, validating P
 * in the same call (libsodium decodes P and refuses a non-canonical
 * encoding; with s non-zero in a prime-order group the product is the
 * identity only when P is): undefined when P is not a canonical,
 * non-identity encoding. Saves assertElement's separate decode.
 */
export function mulChecked (s: Uint8Array, p: Uint8Array): Uint8Array | undefined {
  if (!(p instanceof Uint8Array) || p.length !== ELEMENT_BYTES) return undefined
  return rawMul(s, p) ? readSlot(S_OUT) : undefined
}

export function add (p: Uint8Array, q: Uint8Array): Uint8Array {
  if (isZero(p)) return q.slice()
  if (isZero(q)) return p.slice()
  const h = heap()
  h.set(p, S_POINT)
  h.set(q, S_Q)
  raw._crypto_core_ristretto255_add(S_OUT, S_POINT, S_Q)
  return readSlot(S_OUT)
}

/**
 * Σ s_i·P_i, one multiplication and one addition per term through the raw
 * calls. `addTerm` returns false, and adds nothing, when libsodium refuses
 * P_i (see mulChecked): the caller decides whether that is an error.
 */
export class LinearCombination {
  #sum: Uint8Array | undefined

  addTerm (s: Uint8Array, p: Uint8Array): boolean {
    if (!rawMul(s, p)) return false
    if (this.#sum === undefined) {
      this.#sum = readSlot(S_OUT)
    } else {
      heap().set(this.#sum, S_Q)
      raw._crypto_core_ristretto255_add(S_Q, S_Q, S_OUT)
      this.#sum = readSlot(S_Q)
    }
    return true
  }

  /** Adds an element (e.g. another worker's partial sum); the identity adds nothing. */
  addElement (p: Uint8Array): void {
    this.#sum = this.#sum === undefined ? p.slice() : add(this.#sum, p)
  }

  /** The sum (the identity for no terms). */
  value (): Uint8Array {
    return this.#sum === undefined ? IDENTITY.slice() : this.#sum.slice()
  }
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
/**
 * A uniformly random non-zero scalar: 64 bytes from node:crypto's CSPRNG
 * reduced modulo L (bias below 2^-250, as RFC 9380's hash_to_field). Not
 * libsodium's crypto_core_ristretto255_scalar_random: its WebAssembly build
 * draws randomness 4 bytes per JavaScript call (getRandomValues on a
 * Uint32Array), which cost a requester ~10% of its time blinding.
 */
export function randomScalar (): Uint8Array {
  for (;;) {
    const wide = randomBytes(64)
    const s = sodium.crypto_core_ristretto255_scalar_reduce(wide)
    wide.fill(0)
    if (!isZero(s)) return s
  }
}

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
  heap().set(expandMessageXmd(msg, dst, 64), S_HASH)
  raw._crypto_core_ristretto255_from_hash(S_OUT, S_HASH)
  return readSlot(S_OUT)
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
