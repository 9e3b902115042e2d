/**
 * Sizes, encodings and input checks shared by the fingerprint suites and
 * epoch-key sealing.
 */
import { FINGERPRINT_KINDS, KIND_REGISTRY, type Kind } from '../kinds.js'
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
 * Kinds a suite fingerprints (protocol/kinds.ts `fingerprinted`).
 * `product-image` is absent: its perceptual hashes are matched by Hamming
 * distance, which a keyed hash would destroy (DESIGN.md §3).
 */
export { FINGERPRINT_KINDS }

/** Bytes of `kindDomain`: u8 kind wire number, u16be canonical version. */
export const KIND_DOMAIN_BYTES = 3

function fingerprintSpec (kind: string): { wire: number, canonicalVersion: number } {
  if (!(FINGERPRINT_KINDS as readonly string[]).includes(kind)) throw new UnsupportedKindError(kind)
  return KIND_REGISTRY[kind as Kind]
}

/** Wire number (protocol/kinds.ts KIND_REGISTRY) of a fingerprintable kind; throws UnsupportedKindError otherwise. */
export function fingerprintKindWire (kind: string): number {
  return fingerprintSpec(kind).wire
}

/**
 * What every suite hashes to separate kinds and canonical rule versions:
 * `u8(kindWire) || u16be(canonicalVersion)` from protocol/kinds.ts
 * KIND_REGISTRY (3 bytes). Throws UnsupportedKindError for product-image
 * and unknown kinds.
 */
export function kindDomain (kind: string): Uint8Array {
  const { wire, canonicalVersion } = fingerprintSpec(kind)
  return kindDomainBytes(wire, canonicalVersion)
}

/** `u8(kindWire) || u16be(canonicalVersion)` for explicit numbers (kindDomain reads them from the registry). */
export function kindDomainBytes (kindWire: number, canonicalVersion: number): Uint8Array {
  if (!Number.isInteger(kindWire) || kindWire < 1 || kindWire > 0xff) throw new RangeError(`kind wire number ${kindWire} is not in 1..255`)
  if (!Number.isInteger(canonicalVersion) || canonicalVersion < 1 || canonicalVersion > 0xffff) throw new RangeError(`canonical version ${canonicalVersion} is not in 1..65535`)
  return Uint8Array.of(kindWire, canonicalVersion >>> 8, canonicalVersion & 0xff)
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
