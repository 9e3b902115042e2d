/**
 * Errors of the fingerprint suites and of epoch-key sealing. None of them
 * ever carries key material: messages name lengths, suite names, epochs and
 * kinds, never bytes of a key, a subkey or a plaintext.
 */
import { ProtocolError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** The roster names a fingerprint suite this node does not implement. */
export class UnknownSuiteError extends ProtocolError {
  readonly suite: string
  constructor (suite: string, known: readonly string[]) {
    super('unknown_suite', `unknown fingerprint suite ${JSON.stringify(suite)}; this node implements ${known.join(', ')}: upgrade the node or fix the roster policy`)
    this.name = 'UnknownSuiteError'
    this.suite = suite
  }
}

/**
 * The suite cannot be built from an epoch key because it evaluates through
 * the network (toprf-ristretto255: guardians hold shares of the key).
 */
export class OnlineSuiteError extends ProtocolError {
  readonly suite: string
  constructor (suite: string) {
    super('online_suite', `fingerprint suite ${suite} has no epoch key on this node: it evaluates through the roster's guardians and is built with createToprfSuite and a guardian transport`)
    this.name = 'OnlineSuiteError'
    this.suite = suite
  }

  override get category (): ErrorCategory { return 'internal' }
}

/** An epoch key (or a key handed to a suite) has the wrong length or type. */
export class InvalidEpochKeyError extends ProtocolError {
  constructor (why: string) {
    super('invalid_epoch_key', `invalid epoch key: ${why}`)
    this.name = 'InvalidEpochKeyError'
  }
}

/** An epoch is not an integer in 0..2^32-1 (it is encoded as u32be). */
export class InvalidEpochError extends ProtocolError {
  constructor (epoch: unknown) {
    super('invalid_epoch', `epoch must be an integer in 0..4294967295, got ${String(epoch)}`)
    this.name = 'InvalidEpochError'
  }
}

/**
 * The kind cannot be fingerprinted: it is not a known kind, or it is
 * `product-image`, whose perceptual hashes are matched by Hamming distance
 * and would lose all similarity under a keyed hash.
 */
export class UnsupportedKindError extends ProtocolError {
  readonly kind: string
  /** Position of the offending item in a batch, when there was a batch. */
  readonly index: number | undefined
  constructor (kind: string, index?: number) {
    const at = index === undefined ? '' : ` (item ${index})`
    super('unsupported_kind', kind === 'product-image'
      ? `product-image values are perceptual hashes matched by distance; share them as they are, do not fingerprint them${at}`
      : `unknown kind ${describeKind(kind)}${at}; expected one of the fingerprintable kinds`)
    this.name = 'UnsupportedKindError'
    this.kind = kind
    this.index = index
  }
}

/** Echo a kind only if it looks like a kind name: a swapped argument must not put a raw identifier into logs. */
function describeKind (kind: unknown): string {
  return typeof kind === 'string' && /^[a-z][a-z-]{0,31}$/.test(kind) ? JSON.stringify(kind) : '(not a kind name)'
}

/** The suite was destroyed (its key material wiped, e.g. after an epoch rotation) and can no longer fingerprint. */
export class SuiteDestroyedError extends ProtocolError {
  constructor (suite: string, epoch: number) {
    super('suite_destroyed', `fingerprint suite ${suite} for epoch ${epoch} was destroyed; create the suite for the current epoch`)
    this.name = 'SuiteDestroyedError'
  }
}

/** A context string (alliance id, suite name) is empty or contains a NUL byte, so it cannot be encoded unambiguously. */
export class InvalidContextError extends ProtocolError {
  readonly field: string
  constructor (field: string, why: string) {
    super('invalid_context', `${field}: ${why}`)
    this.name = 'InvalidContextError'
    this.field = field
  }
}

/** An X25519 box key has the wrong length, is repeated, is a low-order point, or does not match its private key. */
export class InvalidBoxKeyError extends ProtocolError {
  constructor (why: string, options?: ErrorOptions) {
    super('invalid_box_key', `invalid X25519 box key: ${why}`, options)
    this.name = 'InvalidBoxKeyError'
  }
}

/** No sealed copy of the epoch key is addressed to this node's box key. */
export class NotARecipientError extends ProtocolError {
  constructor () {
    super('not_a_recipient', 'the epoch key was not sealed to this node\'s box key; ask a member to re-seal it to the key in the roster')
    this.name = 'NotARecipientError'
  }
}

/**
 * The sealed key does not open: wrong private key, tampered `enc` or
 * ciphertext, or a different alliance / suite / epoch than it was sealed for.
 */
export class SealOpenError extends ProtocolError {
  constructor (options?: ErrorOptions) {
    super('seal_open_failed', 'the sealed epoch key does not open for this alliance, suite and epoch with this private key (tampered, or sealed for another context)', options)
    this.name = 'SealOpenError'
  }
}

/** The key opened, but it is not the key the roster committed to. */
export class CommitmentMismatchError extends ProtocolError {
  constructor () {
    super('commitment_mismatch', 'the opened epoch key does not match the roster\'s epoch-key commitment; do not use it, report the sealing member')
    this.name = 'CommitmentMismatchError'
  }
}

export const FINGERPRINT_ERRORS = [
  UnknownSuiteError, OnlineSuiteError, InvalidEpochKeyError, InvalidEpochError, UnsupportedKindError, SuiteDestroyedError, InvalidContextError,
  InvalidBoxKeyError, NotARecipientError, SealOpenError, CommitmentMismatchError
] as const
