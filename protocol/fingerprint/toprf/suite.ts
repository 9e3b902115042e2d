/**
 * The `toprf-ristretto255` fingerprint suite: a `FingerprintSuite` whose
 * key exists only as Shamir shares held by the roster's guardians.
 *
 * `fingerprintBatch` builds each item's domain-separated input (input.ts),
 * blinds the batch, and asks t guardians at once through the injected
 * `evaluate` (the node's /alliance/<id>/oprf/1.0.0 client). Each answer is
 * checked against the guardian's public share (derived from the Feldman
 * commitments); a guardian that fails (its request rejects, its answer is
 * malformed, or its proof does not verify) is reported through `onFault`
 * and replaced by the next guardian not yet asked. With t verified answers
 * the suite combines them with Lagrange coefficients, unblinds, finalises
 * and derives the 32-byte fingerprints. If fewer than t guardians can give
 * a verified answer, the batch rejects with NotEnoughGuardiansError listing
 * every failed guardian, and no fingerprint of the batch is returned.
 *
 * Large batches are cut into requests of at most `maxBatch` elements,
 * `concurrency` of them in flight; a guardian that failed for one request
 * is not asked again within the same call. Across calls, guardians that
 * failed recently are asked last, so a dead guardian does not cost a
 * timeout on every batch.
 *
 * Pure protocol code: no sockets, no timers. Timeouts, quotas and
 * retries-with-backoff belong to the injected transport.
 */
import { inspect } from 'node:util'
import { bytesEqual } from '../../bytes.js'
import { SuiteDestroyedError } from '../errors.js'
import { assertEpoch, FINGERPRINT_BYTES } from '../params.js'
import { TOPRF_RISTRETTO255, type FingerprintBatchOptions, type FingerprintItem, type FingerprintSuite } from '../suite.js'
import { InvalidGuardianError, InvalidThresholdError, NotEnoughGuardiansError, type GuardianFailure, type GuardianFaultReason } from './errors.js'
import { MAX_EVALUATION_BATCH } from './guardian.js'
import { toprfFingerprint, toprfInput } from './input.js'
import { blindInputs, checkEvaluation, combineEvaluations, wipeBatch } from './requester.js'
import { assertCommitments, assertIndex, MAX_GUARDIANS, publicShare } from './shamir.js'

/** A guardian as the roster names it. */
export interface ToprfGuardianRef {
  /** How the transport and the logs name it (e.g. its org id). Non-empty, unique. */
  id: string
  /** Its share's index, 1..g. */
  index: number
  /** Optional: k_i·G as published; must equal the value derived from the commitments. */
  publicShare?: Uint8Array
}

/** A guardian's answer: one evaluated element per blinded element, in order, and one 64-byte proof. */
export interface ToprfEvaluation {
  evaluated: Uint8Array[]
  proof: Uint8Array
}

/**
 * The network part, injected: ask guardian `guardianId` to evaluate
 * `blindedElements`. Reject on any failure (unreachable, timeout, quota
 * refusal); `signal` aborts when the suite no longer needs the answer.
 */
export type ToprfEvaluateFn = (guardianId: string, blindedElements: Uint8Array[], signal: AbortSignal) => Promise<ToprfEvaluation>

export interface GuardianFault {
  guardianId: string
  index: number
  reason: GuardianFaultReason
  /** The transport's rejection, or the named error that describes the bad answer. */
  error: unknown
}

export interface ToprfSuiteInit {
  /** Key epoch, 0..2^32-1; bound into every input. */
  epoch: number
  /** t. Must equal the number of commitments. */
  threshold: number
  /** The epoch's Feldman commitments C_0..C_{t-1} (roster). */
  commitments: readonly Uint8Array[]
  /** Guardians in order of preference; at least t of them. */
  guardians: readonly ToprfGuardianRef[]
  evaluate: ToprfEvaluateFn
  /**
   * Called once per guardian failure, with the guardian's id, so the node
   * can count and log it. Must not throw: an exception rejects the batch.
   */
  onFault?: (fault: GuardianFault) => void
  /**
   * Blinded elements per guardian request.
   * @default 256
   */
  maxBatch?: number
  /**
   * Requests (each to t guardians) in flight at once within one batch.
   * @default 2
   */
  concurrency?: number
}

export interface ToprfSuite extends FingerprintSuite {
  readonly name: typeof TOPRF_RISTRETTO255
  readonly threshold: number
  /** k·G (commitments[0]). */
  readonly publicKey: Uint8Array
  /** The guardians with their derived public shares, in configured order. */
  readonly guardians: ReadonlyArray<Required<ToprfGuardianRef>>
}

const DEFAULT_MAX_BATCH = 256
const DEFAULT_CONCURRENCY = 2

interface Guardian { id: string, index: number, publicShare: Uint8Array, order: number }

class ToprfRistretto255Suite implements ToprfSuite {
  readonly name = TOPRF_RISTRETTO255
  readonly epoch: number
  readonly outputLength = FINGERPRINT_BYTES
  readonly threshold: number
  readonly publicKey: Uint8Array
  readonly guardians: ReadonlyArray<Required<ToprfGuardianRef>>
  readonly #guardians: Guardian[]
  readonly #evaluate: ToprfEvaluateFn
  readonly #onFault: ((fault: GuardianFault) => void) | undefined
  readonly #maxBatch: number
  readonly #concurrency: number
  /** Consecutive failed requests per guardian id: the preference order across calls. */
  readonly #faultStreak = new Map<string, number>()
  readonly #active = new Set<AbortController>()
  #destroyed = false

  constructor (init: ToprfSuiteInit) {
    assertEpoch(init.epoch)
    assertCommitments(init.commitments)
    if (init.threshold !== init.commitments.length) {
      throw new InvalidThresholdError(`threshold ${String(init.threshold)} but ${init.commitments.length} commitments (there is one per polynomial coefficient)`)
    }
    if (typeof init.evaluate !== 'function') throw new TypeError('createToprfSuite: evaluate must be a function')
    if (!Array.isArray(init.guardians) || init.guardians.length < init.threshold || init.guardians.length > MAX_GUARDIANS) {
      throw new InvalidThresholdError(`need at least ${init.threshold} guardians (the threshold) and at most ${MAX_GUARDIANS}, got ${Array.isArray(init.guardians) ? init.guardians.length : typeof init.guardians}`)
    }
    const ids = new Set<string>()
    const indices = new Set<number>()
    this.#guardians = init.guardians.map((g, order) => {
      if (typeof g.id !== 'string' || g.id === '') throw new InvalidGuardianError('id must be a non-empty string')
      if (ids.has(g.id)) throw new InvalidGuardianError('listed twice', g.id)
      assertIndex(g.index, g.id)
      if (indices.has(g.index)) throw new InvalidGuardianError(`index ${g.index} is used by another guardian`, g.id)
      ids.add(g.id)
      indices.add(g.index)
      const derived = publicShare(init.commitments, g.index)
      if (g.publicShare !== undefined && !(g.publicShare instanceof Uint8Array && bytesEqual(g.publicShare, derived))) {
        throw new InvalidGuardianError('its published public share does not match the commitments at its index', g.id)
      }
      return { id: g.id, index: g.index, publicShare: derived, order }
    })
    this.epoch = init.epoch
    this.threshold = init.threshold
    this.publicKey = init.commitments[0].slice()
    this.guardians = Object.freeze(this.#guardians.map(g => Object.freeze({ id: g.id, index: g.index, publicShare: g.publicShare.slice() })))
    this.#evaluate = init.evaluate
    this.#onFault = init.onFault
    this.#maxBatch = positiveInt('maxBatch', init.maxBatch ?? DEFAULT_MAX_BATCH, MAX_EVALUATION_BATCH)
    this.#concurrency = positiveInt('concurrency', init.concurrency ?? DEFAULT_CONCURRENCY, 64)
  }

  async fingerprintBatch (items: ReadonlyArray<FingerprintItem>, options: FingerprintBatchOptions = {}): Promise<Uint8Array[]> {
    const { signal } = options
    if (this.#destroyed) throw new SuiteDestroyedError(this.name, this.epoch)
    signal?.throwIfAborted()
    const n = items.length
    if (n === 0) return []
    // every input is checked before anything is sent
    const inputs = items.map((it, i) => toprfInput(it.kind, this.epoch, it.canonical, i))

    const ctrl = new AbortController()
    const onAbort = (): void => ctrl.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    this.#active.add(ctrl)
    const failures = new Map<string, GuardianFailure>()
    const backing = new Uint8Array(n * FINGERPRINT_BYTES)
    const out = new Array<Uint8Array>(n)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < n) {
        const start = next
        const end = Math.min(n, start + this.#maxBatch)
        next = end
        ctrl.signal.throwIfAborted()
        const outputs = await this.#evaluateRequest(inputs.slice(start, end), failures, ctrl.signal)
        for (let j = 0; j < outputs.length; j++) {
          const o = (start + j) * FINGERPRINT_BYTES
          backing.set(toprfFingerprint(outputs[j]), o)
          out[start + j] = backing.subarray(o, o + FINGERPRINT_BYTES)
        }
      }
    }
    try {
      const workers = Math.min(this.#concurrency, Math.ceil(n / this.#maxBatch))
      await Promise.all(Array.from({ length: workers }, async () => { await worker() }))
      return out
    } catch (err) {
      backing.fill(0)
      throw ctrl.signal.aborted && ctrl.signal.reason !== undefined ? ctrl.signal.reason : err
    } finally {
      if (!ctrl.signal.aborted) ctrl.abort()
      signal?.removeEventListener('abort', onAbort)
      this.#active.delete(ctrl)
    }
  }

  /** One request: t verified answers for these inputs, combined and finalised (64-byte outputs). */
  async #evaluateRequest (inputs: Uint8Array[], failures: Map<string, GuardianFailure>, signal: AbortSignal): Promise<Uint8Array[]> {
    const batch = blindInputs(inputs)
    try {
      const answers = await this.#collect(batch.blindedElements, failures, signal)
      return combineEvaluations(batch, answers)
    } finally {
      wipeBatch(batch)
    }
  }

  /** Asks guardians, t at a time, until t verified answers or no guardian is left. */
  async #collect (blinded: Uint8Array[], failures: Map<string, GuardianFailure>, signal: AbortSignal): Promise<Array<{ index: number, evaluated: Uint8Array[] }>> {
    const t = this.threshold
    const candidates = this.#preferenceOrder()
    const answers: Array<{ index: number, evaluated: Uint8Array[] }> = []
    const asked = new Set<string>()
    let inFlight = 0
    return await new Promise((resolve, reject) => {
      let settled = false
      const finish = (fn: () => void): void => {
        if (settled) return
        settled = true
        signal.removeEventListener('abort', onAbort)
        fn()
      }
      const onAbort = (): void => finish(() => reject(signal.reason))
      signal.addEventListener('abort', onAbort, { once: true })

      const fault = (g: Guardian, reason: GuardianFaultReason, error: unknown): void => {
        if (!failures.has(g.id)) failures.set(g.id, { guardianId: g.id, reason })
        this.#faultStreak.set(g.id, (this.#faultStreak.get(g.id) ?? 0) + 1)
        this.#onFault?.({ guardianId: g.id, index: g.index, reason, error })
      }
      const launch = (): void => {
        while (answers.length + inFlight < t) {
          const g = candidates.find(c => !asked.has(c.id) && !failures.has(c.id))
          if (g === undefined) break
          asked.add(g.id)
          inFlight++
          let request: Promise<ToprfEvaluation>
          try {
            request = this.#evaluate(g.id, blinded.slice(), signal)
          } catch (err) {
            request = Promise.reject(err)
          }
          request.then(res => { inFlight--; onAnswer(g, res) }, err => { inFlight--; onFailure(g, err) })
        }
        if (answers.length + inFlight < t && inFlight === 0) {
          finish(() => reject(new NotEnoughGuardiansError(t, [...failures.values()])))
        }
      }
      const guarded = (fn: () => void): void => {
        if (settled || signal.aborted) return
        try { fn() } catch (err) { finish(() => reject(err)) }
      }
      const onAnswer = (g: Guardian, res: ToprfEvaluation): void => guarded(() => {
        const check = checkEvaluation(g.publicShare, blinded, res)
        if (!check.ok) {
          fault(g, check.reason, check.error)
        } else {
          this.#faultStreak.delete(g.id)
          answers.push({ index: g.index, evaluated: check.evaluated })
          if (answers.length === t) { finish(() => resolve(answers)); return }
        }
        launch()
      })
      const onFailure = (g: Guardian, err: unknown): void => guarded(() => {
        fault(g, 'request_failed', err)
        launch()
      })
      guarded(launch)
    })
  }

  /** Configured order, guardians with more consecutive failures last (stable). */
  #preferenceOrder (): Guardian[] {
    return [...this.#guardians].sort((a, b) => (this.#faultStreak.get(a.id) ?? 0) - (this.#faultStreak.get(b.id) ?? 0) || a.order - b.order)
  }

  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const c of this.#active) c.abort(new SuiteDestroyedError(this.name, this.epoch))
    this.#active.clear()
  }

  toJSON (): { name: string, epoch: number, threshold: number, guardians: string[] } {
    return { name: this.name, epoch: this.epoch, threshold: this.threshold, guardians: this.#guardians.map(g => g.id) }
  }

  toString (): string {
    return `FingerprintSuite(${this.name}, epoch ${this.epoch}, ${this.threshold} of ${this.#guardians.length} guardians)`
  }

  [inspect.custom] (): string {
    return this.toString()
  }
}

function positiveInt (what: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`createToprfSuite: ${what} must be an integer in 1..${max}, got ${String(v)}`)
  return v
}

/**
 * The toprf-ristretto255 suite for one epoch, its network injected.
 * Validates everything up front: InvalidEpochError, InvalidThresholdError,
 * InvalidElementError (a commitment), InvalidGuardianError (bad, repeated
 * or inconsistent guardian), RangeError for options.
 */
export function createToprfSuite (init: ToprfSuiteInit): ToprfSuite {
  return new ToprfRistretto255Suite(init)
}
