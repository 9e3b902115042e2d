/**
 * The guardian side of the threshold OPRF: with its share k_i, a guardian
 * answers a batch of blinded elements B_j with k_i·B_j and one RFC 9497
 * batched DLEQ proof (VOPRF mode) that it used the key behind its public
 * share P_i = k_i·G, which every requester derives from the commitments.
 * It learns nothing about the inputs (they are blinded) and the requester
 * learns nothing about k_i.
 *
 * Pure: no I/O, no clock. Quotas, logs and the wire protocol are the node's.
 */
import { inspect } from 'node:util'
import { SuiteDestroyedError } from '../errors.js'
import { assertEpoch } from '../params.js'
import { TOPRF_RISTRETTO255 } from '../suite.js'
import { InvalidBatchError, InvalidGuardianError } from './errors.js'
import { assertElement, assertScalar, elementEqual, mulBase, wipe } from './group.js'
import { blindEvaluateBatch, evaluateSlice, GENERATOR, MODE_VOPRF, proveWithComposite, type BatchEvaluation } from './oprf.js'
import { assertCommitments, assertIndex, assertShare, publicShare } from './shamir.js'

/**
 * Blinded elements one guardian evaluates per request: ~0.3 s of one core
 * at ~3,500 evaluations/s and 32 KiB of elements, so one request neither
 * holds a guardian's core long nor makes a large message.
 */
export const MAX_EVALUATION_BATCH = 1024

/**
 * One guardian evaluation: `evaluated[j] = share·blindedElements[j]` and a
 * batched DLEQ proof against `publicShareOfGuardian` (= share·G). Throws
 * InvalidBatchError (empty, over MAX_EVALUATION_BATCH), InvalidElementError
 * naming the position of a malformed or identity element, InvalidScalarError,
 * InvalidGuardianError when the public share is not share·G.
 * `proofScalar` is for test vectors only.
 */
export function guardianEvaluate (share: Uint8Array, publicShareOfGuardian: Uint8Array, blindedElements: readonly Uint8Array[], proofScalar?: Uint8Array): BatchEvaluation {
  assertScalar(share, 'key share', true)
  assertElement(publicShareOfGuardian, 'public share')
  // one base multiplication per request: a mismatch would make every answer fail the requesters' checks
  if (!elementEqual(mulBase(share), publicShareOfGuardian)) throw new InvalidGuardianError('the public share is not share·G')
  return evaluateWithinLimits(share, publicShareOfGuardian, blindedElements, proofScalar)
}

function evaluateWithinLimits (share: Uint8Array, publicShareOfGuardian: Uint8Array, blindedElements: readonly Uint8Array[], proofScalar?: Uint8Array): BatchEvaluation {
  if (!Array.isArray(blindedElements)) throw new InvalidBatchError('expected an array of blinded elements')
  if (blindedElements.length > MAX_EVALUATION_BATCH) throw new InvalidBatchError(`${blindedElements.length} elements, more than the ${MAX_EVALUATION_BATCH} one request may carry`)
  return blindEvaluateBatch(share, publicShareOfGuardian, blindedElements, proofScalar)
}

export interface ToprfGuardianInit {
  epoch: number
  /** This guardian's index, 1..g. */
  index: number
  /** This guardian's 32-byte share (openToprfShare). Copied; the caller may wipe its copy. */
  share: Uint8Array
  /** The epoch's Feldman commitments; the share is checked against them. */
  commitments: readonly Uint8Array[]
}

export interface ToprfGuardian {
  readonly suite: typeof TOPRF_RISTRETTO255
  readonly epoch: number
  readonly index: number
  /** share·G, as derived from the commitments. */
  readonly publicShare: Uint8Array
  /** guardianEvaluate with this guardian's share; throws SuiteDestroyedError after destroy(). */
  evaluate (blindedElements: readonly Uint8Array[]): BatchEvaluation
  /**
   * The per-element part of `evaluate` for the elements at batch positions
   * offset..offset+n-1 (evaluateSlice): the evaluated elements and their
   * share M of the proof's composite. Slices of one batch may run on
   * different threads; `prove` with the sum of their M gives the batch's
   * proof, the same as `evaluate` would.
   */
  evaluateSlice (blindedElements: readonly Uint8Array[], offset: number): { evaluated: Uint8Array[], M: Uint8Array }
  /** The batch's DLEQ proof from the sum of its slices' M (three multiplications). */
  prove (M: Uint8Array): Uint8Array
  /** Wipes the share. */
  destroy (): void
}

class Guardian implements ToprfGuardian {
  readonly suite = TOPRF_RISTRETTO255
  readonly epoch: number
  readonly index: number
  readonly publicShare: Uint8Array
  readonly #share: Uint8Array
  #destroyed = false

  constructor (init: ToprfGuardianInit) {
    assertEpoch(init.epoch)
    assertIndex(init.index)
    assertCommitments(init.commitments)
    assertScalar(init.share, 'key share', true)
    assertShare(init.index, init.share, init.commitments)
    this.epoch = init.epoch
    this.index = init.index
    this.publicShare = publicShare(init.commitments, init.index)
    this.#share = init.share.slice()
  }

  evaluate (blindedElements: readonly Uint8Array[]): BatchEvaluation {
    if (this.#destroyed) throw new SuiteDestroyedError(`${TOPRF_RISTRETTO255} guardian`, this.epoch)
    return evaluateWithinLimits(this.#share, this.publicShare, blindedElements)
  }

  evaluateSlice (blindedElements: readonly Uint8Array[], offset: number): { evaluated: Uint8Array[], M: Uint8Array } {
    if (this.#destroyed) throw new SuiteDestroyedError(`${TOPRF_RISTRETTO255} guardian`, this.epoch)
    if (!Array.isArray(blindedElements) || blindedElements.length === 0) throw new InvalidBatchError('expected a non-empty array of blinded elements')
    if (!Number.isInteger(offset) || offset < 0 || offset + blindedElements.length > MAX_EVALUATION_BATCH) {
      throw new InvalidBatchError(`a slice at ${String(offset)} of ${blindedElements.length} elements does not fit a request of at most ${MAX_EVALUATION_BATCH}`)
    }
    return evaluateSlice(this.#share, this.publicShare, blindedElements, offset)
  }

  prove (M: Uint8Array): Uint8Array {
    if (this.#destroyed) throw new SuiteDestroyedError(`${TOPRF_RISTRETTO255} guardian`, this.epoch)
    assertElement(M, 'composite')
    return proveWithComposite(MODE_VOPRF, this.#share, GENERATOR, this.publicShare, M)
  }

  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    wipe(this.#share)
  }

  toString (): string {
    return `ToprfGuardian(index ${this.index}, epoch ${this.epoch})`
  }

  toJSON (): { index: number, epoch: number } {
    return { index: this.index, epoch: this.epoch }
  }

  [inspect.custom] (): string {
    return this.toString()
  }
}

/**
 * A guardian for one epoch. Checks the share against the commitments
 * (ShareMismatchError) and refuses bad parameters by name before keeping
 * anything.
 */
export function createToprfGuardian (init: ToprfGuardianInit): ToprfGuardian {
  return new Guardian(init)
}
