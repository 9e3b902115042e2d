/**
 * Sizes, encodings and input checks shared by the fingerprint suites and
 * epoch-key sealing.
 */
import { KINDS, toWire, type Kind } from '../kinds.js'
import { InvalidContextError, InvalidEpochError, InvalidEpochKeyError, UnsupportedKindError } from './errors.js'

/** Every suite outputs 32-byte fingerprints (the wire's fingerprint field). */
export const FINGERPRINT_BYTES = 32
/** Epoch keys are 32 random bytes: 256-bit keys for HMAC-SHA256 and the HPKE plaintext. */
export const EPOCH_KEY_BYTES = 32
/** X25519 public and private keys. */
export const BOX_KEY_BYTES = 32
/** Epochs are encoded as u32be. */
export const MAX_EPOCH = 0xffffffff

/**
 * Kinds a suite fingerprints. `product-image` is absent: its perceptual
 * hashes are matched by Hamming distance, which a keyed hash would destroy
 * (DESIGN.md §3).
 */
export const FINGERPRINT_KINDS: readonly Kind[] = KINDS.filter(k => k !== 'product-image')

/** Wire number (index in KINDS + 1) of a fingerprintable kind; throws UnsupportedKindError otherwise. */
export function fingerprintKindWire (kind: string): number {
  if (!(FINGERPRINT_KINDS as readonly string[]).includes(kind)) throw new UnsupportedKindError(kind)
  return toWire(KINDS, kind as Kind)
}

export function assertEpoch (epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new InvalidEpochError(epoch)
}

export function assertEpochKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new InvalidEpochKeyError('expected a Uint8Array')
  if (key.length !== EPOCH_KEY_BYTES) throw new InvalidEpochKeyError(`expected ${EPOCH_KEY_BYTES} bytes, got ${key.length}`)
}

/** Context strings are hashed as utf8(s) || 0x00, so they must be non-empty and free of NUL. */
export function assertContextString (field: string, s: string): void {
  if (typeof s !== 'string' || s.length === 0) throw new InvalidContextError(field, 'must be a non-empty string')
  if (s.includes('\u0000')) throw new InvalidContextError(field, 'must not contain a NUL character')
}

export function u32be (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, false)
  return out
}
