/**
 * What the `toprf-ristretto255` suite feeds the OPRF, and how its 32-byte
 * fingerprint is derived from the OPRF's 64-byte output (byte-exact;
 * vectors in test/vectors/toprf-fingerprint.json):
 *
 *   input = utf8("alliance-node/v1/toprf-input") || 0x00
 *           || u8(kindWire) || u32be(epoch) || u16be(canonicalVersion) || canonical
 *   y     = RFC 9497 VOPRF (ristretto255-SHA512) output for `input` under the
 *           epoch's key k: SHA-512(len(input) || input || 0x0020 || k·HashToGroup(input) || "Finalize")
 *   fp    = SHA-256( utf8("alliance-node/v1/toprf-fingerprint") || 0x00 || y )       (32 bytes)
 *
 * Kind, epoch and the kind's canonicalisation version are thus bound into
 * the input: the same canonical bytes give unrelated fingerprints across
 * kinds, epochs and canonical versions (and across suites, by the tag).
 * Truncating y would also be sound; a tagged hash keeps the 32 bytes from
 * being mistaken for any other use of y.
 */
import { TAGS, tagPrefix, taggedHash } from '../../hash.js'
import { KIND_REGISTRY, type Kind } from '../../kinds.js'
import { UnsupportedKindError } from '../errors.js'
import { assertEpoch, FINGERPRINT_BYTES, fingerprintKindWire, u32be } from '../params.js'
import { InvalidOprfInputError } from './errors.js'
import { evaluate, MAX_OPRF_INPUT_BYTES, MODE_VOPRF, OPRF_OUTPUT_BYTES } from './oprf.js'

/**
 * The kind's wire number as bound into the input: the identity registry's
 * (protocol/kinds.ts KIND_REGISTRY), as hmac-sha256 binds it. Throws
 * UnsupportedKindError for product-image and unknown kinds.
 */
export function toprfKindWire (kind: Kind): number {
  return fingerprintKindWire(kind)
}

/**
 * The kind's canonicalisation version as bound into the input: the identity
 * registry's (protocol/kinds.ts KIND_REGISTRY), as hmac-sha256 binds it.
 */
export function toprfCanonicalVersion (kind: Kind): number {
  return KIND_REGISTRY[kind].canonicalVersion
}

const INPUT_PREFIX = tagPrefix(TAGS.toprfInput)
/** Tag, kind, epoch and version before the canonical bytes. */
export const TOPRF_INPUT_HEADER_BYTES = INPUT_PREFIX.length + 1 + 4 + 2
/** Canonical bytes the input can carry under RFC 9497's 2-byte length prefix. */
export const MAX_TOPRF_CANONICAL_BYTES = MAX_OPRF_INPUT_BYTES - TOPRF_INPUT_HEADER_BYTES

/**
 * The OPRF input for one identifier. Throws UnsupportedKindError (unknown
 * kind, product-image), InvalidOprfInputError (canonical bytes too long),
 * naming `index` when given, or InvalidEpochError.
 */
export function toprfInput (kind: Kind, epoch: number, canonical: Uint8Array, index?: number): Uint8Array {
  assertEpoch(epoch)
  let wire: number
  try {
    wire = toprfKindWire(kind)
  } catch (err) {
    if (err instanceof UnsupportedKindError) throw new UnsupportedKindError(kind, index)
    throw err
  }
  const version = toprfCanonicalVersion(kind)
  if (!(canonical instanceof Uint8Array)) throw new InvalidOprfInputError('canonical bytes must be a Uint8Array', index)
  if (canonical.length > MAX_TOPRF_CANONICAL_BYTES) throw new InvalidOprfInputError(`canonical bytes longer than ${MAX_TOPRF_CANONICAL_BYTES}`, index)
  const out = new Uint8Array(TOPRF_INPUT_HEADER_BYTES + canonical.length)
  out.set(INPUT_PREFIX, 0)
  let o = INPUT_PREFIX.length
  out[o++] = wire
  out.set(u32be(epoch), o); o += 4
  out[o++] = (version >> 8) & 0xff
  out[o++] = version & 0xff
  out.set(canonical, o)
  return out
}

/** fp = SHA-256(tag || y): the 32-byte fingerprint of a 64-byte RFC 9497 output y. */
export function toprfFingerprint (oprfOutput: Uint8Array): Uint8Array {
  if (!(oprfOutput instanceof Uint8Array) || oprfOutput.length !== OPRF_OUTPUT_BYTES) throw new RangeError(`expected a ${OPRF_OUTPUT_BYTES}-byte OPRF output`)
  const fp = taggedHash(TAGS.toprfFingerprint, oprfOutput)
  if (fp.length !== FINGERPRINT_BYTES) throw new RangeError('fingerprint length')
  return fp
}

/**
 * The fingerprint a holder of the whole key k would compute, without any
 * guardian: VOPRF Evaluate then toprfFingerprint. In this suite nobody
 * holds k; this is the reference the threshold result must equal (tests,
 * test vectors, and tooling that audits a deal).
 */
export function fingerprintWithKey (key: Uint8Array, epoch: number, kind: Kind, canonical: Uint8Array): Uint8Array {
  assertEpoch(epoch)
  return toprfFingerprint(evaluate(MODE_VOPRF, key, toprfInput(kind, epoch, canonical)))
}
