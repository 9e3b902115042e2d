/**
 * The arithmetic of the consensus rule over the statements that count for
 * one fingerprint: summed positive weight, number of negative orgs, the
 * status they give, and the first expiry at which that status changes.
 * Shared by `decide()` and the incremental index, so both answer alike.
 * Allocation-free once warm: the index reuses one Tally for every update.
 */
import { InvalidPolicyError } from './errors.js'

/** Status codes, ordered as STATUS_NAMES. */
export const ABSENT = 0
export const CANDIDATE = 1
export const LISTED = 2
export const DISPUTED = 3
export type StatusCode = typeof ABSENT | typeof CANDIDATE | typeof LISTED | typeof DISPUTED
export const STATUS_NAMES = ['absent', 'candidate', 'listed', 'disputed'] as const

/**
 * listed: weight ≥ quorum, no negative org; disputed: weight ≥ quorum and a
 * negative org; candidate: 0 < weight < quorum; otherwise absent (this
 * includes positive orgs that all weigh 0: they cannot vouch).
 */
export function statusOf (weight: number, negatives: number, quorum: number): StatusCode {
  if (weight >= quorum) return negatives > 0 ? DISPUTED : LISTED
  return weight > 0 ? CANDIDATE : ABSENT
}

/** Quorum is a positive integer (uint32 on the wire). */
export function checkQuorum (quorum: number): void {
  if (!Number.isSafeInteger(quorum) || quorum < 1) throw new InvalidPolicyError('bad_quorum', `quorum must be a positive integer, got ${String(quorum)}`)
}

/**
 * Weights are non-negative integers (uint32 on the wire), so sums are exact
 * and do not depend on the order statements arrived in.
 */
export function checkWeight (org: string, weight: number): number {
  if (!Number.isSafeInteger(weight) || weight < 0) throw new InvalidPolicyError('bad_weight', `weight of org ${org} must be a non-negative integer, got ${String(weight)}`)
  return weight
}

const SORT_IN_PLACE_MAX = 24

export class Tally {
  /** Number of counted statements. */
  n = 0
  /** Σ weight of counted positive statements. */
  weight = 0
  /** Number of counted negative statements. */
  negatives = 0
  #weights: Float64Array
  #negative: Uint8Array
  #expires: Float64Array
  #order: Int32Array

  constructor (capacity = 16) {
    this.#weights = new Float64Array(capacity)
    this.#negative = new Uint8Array(capacity)
    this.#expires = new Float64Array(capacity)
    this.#order = new Int32Array(capacity)
  }

  reset (): void {
    this.n = 0
    this.weight = 0
    this.negatives = 0
  }

  /** Adds one counted statement (the caller has already checked membership, expiry and stance). */
  add (negative: boolean, weight: number, expires: number): void {
    if (this.n === this.#weights.length) this.#grow()
    const i = this.n++
    this.#negative[i] = negative ? 1 : 0
    this.#weights[i] = negative ? 0 : weight
    this.#expires[i] = expires
    if (negative) this.negatives++
    else this.weight += weight
  }

  status (quorum: number): StatusCode {
    return statusOf(this.weight, this.negatives, quorum)
  }

  /**
   * The earliest expiry at which the status changes if nothing else happens
   * (no new statements, no roster change); +Infinity if never. Expiries are
   * taken in order and the status recomputed after each group of equal
   * expiries, so an expiry that does not change the status (a third
   * vouching org at quorum 2) is passed over. Exact, O(n log n) in the
   * number of counted orgs.
   */
  nextChange (quorum: number): number {
    const s0 = this.status(quorum)
    if (s0 === ABSENT) return Number.POSITIVE_INFINITY // weight only falls as time passes
    const n = this.n
    const order = this.#order
    const expires = this.#expires
    for (let i = 0; i < n; i++) order[i] = i
    if (n <= SORT_IN_PLACE_MAX) {
      for (let i = 1; i < n; i++) {
        const v = order[i]
        const e = expires[v]
        let j = i - 1
        while (j >= 0 && expires[order[j]] > e) { order[j + 1] = order[j]; j-- }
        order[j + 1] = v
      }
    } else {
      order.subarray(0, n).sort((a, b) => expires[a] < expires[b] ? -1 : expires[a] > expires[b] ? 1 : 0)
    }
    let weight = this.weight
    let negatives = this.negatives
    let i = 0
    while (i < n) {
      const t = expires[order[i]]
      if (t === Number.POSITIVE_INFINITY) return t
      while (i < n && expires[order[i]] === t) {
        const k = order[i++]
        if (this.#negative[k] === 1) negatives--
        else weight -= this.#weights[k]
      }
      if (statusOf(weight, negatives, quorum) !== s0) return t
    }
    return Number.POSITIVE_INFINITY // not reached: with nothing left the status is absent
  }

  #grow (): void {
    const cap = this.#weights.length * 2
    const w = new Float64Array(cap); w.set(this.#weights); this.#weights = w
    const g = new Uint8Array(cap); g.set(this.#negative); this.#negative = g
    const e = new Float64Array(cap); e.set(this.#expires); this.#expires = e
    this.#order = new Int32Array(cap)
  }
}
