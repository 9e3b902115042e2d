/**
 * Errors of the `toprf-ristretto255` suite: the RFC 9497 layer, the
 * threshold layer (Shamir shares, Feldman commitments, guardians) and the
 * suite. None carries key material, shares, blinds or inputs: messages name
 * what was wrong, which element (by position) and which guardian (by id).
 */
import { ProtocolError } from '../../errors.js'
import type { ErrorCategory } from '../../errors.js'

/** A group element is malformed, not canonical, or the identity (RFC 9497 DeserializeElement). */
export class InvalidElementError extends ProtocolError {
  readonly what: string
  /** Position in a batch, when the element came in a batch. */
  readonly index: number | undefined
  constructor (what: string, why: string, index?: number) {
    super('invalid_element', `${what}${index === undefined ? '' : ` ${index}`}: ${why}`)
    this.name = 'InvalidElementError'
    this.what = what
    this.index = index
  }
}

/** A scalar is malformed, not reduced modulo the group order, or zero where zero is not allowed (RFC 9497 DeserializeScalar). */
export class InvalidScalarError extends ProtocolError {
  readonly what: string
  constructor (what: string, why: string) {
    super('invalid_scalar', `${what}: ${why}`)
    this.name = 'InvalidScalarError'
    this.what = what
  }
}

/** An OPRF input cannot be evaluated: too long for RFC 9497's 2-byte length prefix, or it hashes to the identity (RFC 9497 InvalidInputError). */
export class InvalidOprfInputError extends ProtocolError {
  readonly index: number | undefined
  constructor (why: string, index?: number) {
    super('invalid_oprf_input', `OPRF input${index === undefined ? '' : ` ${index}`}: ${why}`)
    this.name = 'InvalidOprfInputError'
    this.index = index
  }
}

/** A DLEQ proof does not verify (RFC 9497 VerifyError). */
export class ProofVerificationError extends ProtocolError {
  constructor (what = 'the evaluation proof') {
    super('proof_invalid', `${what} does not verify against the public key`)
    this.name = 'ProofVerificationError'
  }
}

/** A batch to evaluate is empty, too large, or its parts do not line up. */
export class InvalidBatchError extends ProtocolError {
  constructor (why: string) {
    super('invalid_batch', `invalid evaluation batch: ${why}`)
    this.name = 'InvalidBatchError'
  }
}

/** Threshold t and guardian count g do not satisfy 1 <= t <= g <= MAX_GUARDIANS, or the commitments are not t elements. */
export class InvalidThresholdError extends ProtocolError {
  constructor (why: string) {
    super('invalid_threshold', `invalid threshold configuration: ${why}`)
    this.name = 'InvalidThresholdError'
  }
}

/** A guardian entry is unusable: bad or repeated id or index, or a public share that does not match the commitments. */
export class InvalidGuardianError extends ProtocolError {
  readonly guardianId: string | undefined
  constructor (why: string, guardianId?: string) {
    super('invalid_guardian', `${guardianId === undefined ? 'guardian' : `guardian ${JSON.stringify(guardianId)}`}: ${why}`)
    this.name = 'InvalidGuardianError'
    this.guardianId = guardianId
  }
}

/** A key share does not match the Feldman commitments (share·G differs from the committed polynomial at the guardian's index). */
export class ShareMismatchError extends ProtocolError {
  readonly index: number
  constructor (index: number) {
    super('share_commitment_mismatch', `the key share for guardian index ${index} does not match the published commitments; do not use it, report the dealer`)
    this.name = 'ShareMismatchError'
    this.index = index
  }
}

/** No sealed share is addressed to this box key. */
export class NotAShareholderError extends ProtocolError {
  constructor () {
    super('not_a_shareholder', 'no key share was sealed to this node\'s box key; this node is not a guardian of the epoch')
    this.name = 'NotAShareholderError'
  }
}

/** A sealed share does not open: wrong private key, tampered, or sealed for another alliance, epoch, index or set of commitments. */
export class ShareOpenError extends ProtocolError {
  constructor (options?: ErrorOptions) {
    super('share_open_failed', 'the sealed key share does not open for this alliance, epoch, guardian index and commitments with this private key (tampered, or sealed for another context)', options)
    this.name = 'ShareOpenError'
  }
}

/** Why a guardian's answer was not used. Values double as metric labels. */
export const GUARDIAN_FAULTS = ['request_failed', 'bad_response', 'bad_proof'] as const
export type GuardianFaultReason = typeof GUARDIAN_FAULTS[number]

export interface GuardianFailure {
  guardianId: string
  reason: GuardianFaultReason
}

/**
 * Fewer than t guardians gave a verified answer for the batch, so nothing
 * was fingerprinted (never a partial batch). `failures` lists every
 * guardian that was asked and failed, and why.
 */
export class NotEnoughGuardiansError extends ProtocolError {
  readonly needed: number
  readonly failures: readonly GuardianFailure[]
  constructor (needed: number, failures: readonly GuardianFailure[]) {
    const list = failures.map(f => `${f.guardianId} (${f.reason})`).join(', ')
    super('not_enough_guardians', `fewer than ${needed} guardians gave a verified evaluation; failed: ${list === '' ? 'none asked' : list}. Check the guardians' nodes and the network, then retry`)
    this.name = 'NotEnoughGuardiansError'
    this.needed = needed
    this.failures = failures
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

export const TOPRF_ERRORS = [
  InvalidElementError, InvalidScalarError, InvalidOprfInputError, ProofVerificationError, InvalidBatchError,
  InvalidThresholdError, InvalidGuardianError, ShareMismatchError, NotAShareholderError, ShareOpenError, NotEnoughGuardiansError
] as const
