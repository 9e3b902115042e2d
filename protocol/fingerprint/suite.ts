/**
 * Fingerprint suites: `fingerprint = suite(epochKey, kind, canonical)`, 32
 * bytes (DESIGN.md §3). The roster's policy names the suite and epoch.
 *
 * The interface is asynchronous and batched so that an online suite fits
 * beside the local one: `toprf-ristretto255` (RFC 9497 with a Shamir-shared
 * key) blinds a batch of inputs, sends them to t guardians, and unblinds the
 * answers, so one identifier costs network round trips and a batch is the
 * natural unit. Suites that can run locally and synchronously additionally
 * implement `LocalFingerprintSuite`, the allocation-free fast path for bulk
 * matching; callers branch with `isLocalSuite`.
 *
 * Plain or salted SHA-256 is never offered: every national phone range falls
 * to a dictionary in seconds, so only keyed suites exist here.
 */
import type { Kind } from '../kinds.js'
import { OnlineSuiteError, UnknownSuiteError } from './errors.js'
import { createHmacSuite, HMAC_SHA256 } from './hmac.js'
import { FINGERPRINT_BYTES } from './params.js'

/**
 * The threshold-OPRF suite (RFC 9497 VOPRF, ristretto255-SHA512, key
 * Shamir-shared among guardians): ./toprf. Its name lives here, not there,
 * so that naming it does not load libsodium.
 */
export const TOPRF_RISTRETTO255 = 'toprf-ristretto255'

/** Suite names this node implements, as the roster policy spells them. */
export const SUITE_NAMES = [HMAC_SHA256, TOPRF_RISTRETTO255] as const
export type SuiteName = typeof SUITE_NAMES[number]

export function isSuiteName (s: string): s is SuiteName {
  return (SUITE_NAMES as readonly string[]).includes(s)
}

/** One identifier to fingerprint: its kind and its canonical bytes (protocol/canonical). */
export interface FingerprintItem {
  readonly kind: Kind
  readonly canonical: Uint8Array
}

export interface FingerprintBatchOptions {
  /** Aborts the batch; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal
}

export interface FingerprintSuite {
  /** Suite name as in the roster policy, e.g. 'hmac-sha256'. */
  readonly name: SuiteName
  /** Key epoch the suite computes under; fingerprints of different epochs never match. */
  readonly epoch: number
  /** Bytes per fingerprint. */
  readonly outputLength: typeof FINGERPRINT_BYTES

  /**
   * Fingerprints every item. Resolves with exactly one 32-byte output per
   * item, in input order, or rejects: never a partial result. An item whose
   * kind cannot be fingerprinted rejects the batch with
   * `UnsupportedKindError` naming its index. Outputs may be views of one
   * shared ArrayBuffer owned by the caller.
   *
   * Long batches yield to the event loop between slices (local suites) or
   * wait on the network (online suites); both check `options.signal`.
   */
  fingerprintBatch (items: ReadonlyArray<FingerprintItem>, options?: FingerprintBatchOptions): Promise<Uint8Array[]>

  /**
   * Forgets key material (and any cached outputs); later calls throw
   * `SuiteDestroyedError`. Call it when the epoch rotates.
   */
  destroy (): void
}

/** A suite that computes locally and synchronously, e.g. `hmac-sha256`. */
export interface LocalFingerprintSuite extends FingerprintSuite {
  /** One fingerprint in a fresh 32-byte array. */
  fingerprint (kind: Kind, canonical: Uint8Array): Uint8Array
  /**
   * Writes the 32-byte fingerprint at out[offset .. offset + 32) and returns
   * nothing; allocates nothing per call (state is cloned into scratch
   * objects owned by the suite). Throws RangeError if it does not fit.
   */
  fingerprintInto (kind: Kind, canonical: Uint8Array, out: Uint8Array, offset: number): void
}

export function isLocalSuite (s: FingerprintSuite): s is LocalFingerprintSuite {
  const l = s as Partial<LocalFingerprintSuite>
  return typeof l.fingerprintInto === 'function' && typeof l.fingerprint === 'function'
}

/** What the roster policy (and, for hmac-sha256, the opened epoch key) says. */
export interface SuiteInit {
  /** Suite name from the roster policy; unknown names throw `UnknownSuiteError`. */
  name: string
  /** Key epoch from the roster policy, 0..2^32-1. */
  epoch: number
  /**
   * The 32-byte epoch key (`openEpochKey`). Not kept by the suite: per-kind
   * state is derived from it once, and the caller may wipe it afterwards.
   */
  key: Uint8Array
}

/**
 * Creates the suite the roster names from an epoch key. Validates
 * everything up front and throws a named error (`UnknownSuiteError`,
 * `InvalidEpochError`, `InvalidEpochKeyError`); no registry, no global
 * state. `toprf-ristretto255` has no epoch key (only guardians hold shares
 * of one) and needs the network: it throws `OnlineSuiteError`; build it
 * with `createToprfSuite` (./toprf) and an injected guardian transport.
 */
export function createSuite (init: SuiteInit & { name: typeof HMAC_SHA256 }): LocalFingerprintSuite
export function createSuite (init: SuiteInit): FingerprintSuite
export function createSuite (init: SuiteInit): FingerprintSuite {
  switch (init.name) {
    case HMAC_SHA256:
      return createHmacSuite({ epoch: init.epoch, key: init.key })
    case TOPRF_RISTRETTO255:
      throw new OnlineSuiteError(init.name)
    default:
      throw new UnknownSuiteError(String(init.name), SUITE_NAMES)
  }
}
