/**
 * Shamir secret sharing of a ristretto255 scalar with Feldman commitments.
 *
 * The dealer picks f(x) = a_0 + a_1·x + … + a_{t-1}·x^{t-1} over the scalar
 * field with a_0 = k (the OPRF key) and the other coefficients random, and
 * gives guardian i (i = 1..g) the share k_i = f(i). The commitments
 * C_j = a_j·G (j = 0..t-1) are public:
 *
 * - C_0 = k·G is the suite's public key;
 * - guardian i's public share is P_i = k_i·G = Σ_j i^j·C_j, which anyone
 *   derives from the commitments (`publicShare`), and against which each
 *   guardian's DLEQ proofs are checked;
 * - a guardian checks its own share with k_i·G == P_i (`verifyShare`).
 *
 * Any t shares give k = Σ λ_i·k_i with the Lagrange coefficients at zero
 * λ_i = Π_{j≠i} j/(j−i) (`lagrangeAtZero`); fewer than t give no information
 * about k. The threshold OPRF never reconstructs k: it combines
 * λ_i·(k_i·B) in the group.
 */
import { InvalidGuardianError, InvalidThresholdError, ShareMismatchError } from './errors.js'
import {
  add, assertElement, assertScalar, elementEqual, mul, mulBase, randomScalar, scalarAdd, scalarFromInt, scalarInvert, scalarMul,
  scalarSub, wipe
} from './group.js'

/** Guardian indices are 1..g with g at most this: an alliance of up to 1,000 orgs never needs more guardians, and indices fit one byte. */
export const MAX_GUARDIANS = 255

/** Throws InvalidThresholdError unless 1 <= threshold <= guardians <= MAX_GUARDIANS (integers). */
export function assertThreshold (threshold: number, guardians: number): void {
  if (!Number.isInteger(guardians) || guardians < 1 || guardians > MAX_GUARDIANS) throw new InvalidThresholdError(`guardian count must be an integer in 1..${MAX_GUARDIANS}, got ${String(guardians)}`)
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > guardians) throw new InvalidThresholdError(`threshold must be an integer in 1..${guardians} (the guardian count), got ${String(threshold)}`)
}

/** Throws InvalidGuardianError unless `index` is an integer in 1..MAX_GUARDIANS. */
export function assertIndex (index: number, guardianId?: string): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_GUARDIANS) throw new InvalidGuardianError(`index must be an integer in 1..${MAX_GUARDIANS}, got ${String(index)}`, guardianId)
}

/** Throws InvalidThresholdError / InvalidElementError unless `commitments` are 1..MAX_GUARDIANS valid elements. */
export function assertCommitments (commitments: readonly Uint8Array[]): void {
  if (!Array.isArray(commitments) || commitments.length < 1 || commitments.length > MAX_GUARDIANS) {
    throw new InvalidThresholdError(`expected 1..${MAX_GUARDIANS} commitments (one per polynomial coefficient, i.e. the threshold), got ${Array.isArray(commitments) ? commitments.length : typeof commitments}`)
  }
  commitments.forEach((c, j) => assertElement(c, 'commitment', j))
}

export interface SplitSecret {
  /** C_0..C_{t-1}; C_0 is the public key. */
  commitments: Uint8Array[]
  /** shares[i - 1] is guardian i's share f(i). Secret: seal each to its guardian, then wipe. */
  shares: Uint8Array[]
}

/**
 * Splits the non-zero scalar `secret` into `count` shares, any `threshold`
 * of which reconstruct it, with Feldman commitments. The random
 * coefficients are wiped before returning; `secret` stays the caller's.
 */
export function splitSecret (secret: Uint8Array, threshold: number, count: number): SplitSecret {
  assertScalar(secret, 'secret', true)
  assertThreshold(threshold, count)
  const coefficients = [secret, ...Array.from({ length: threshold - 1 }, () => randomScalar())]
  try {
    const commitments = coefficients.map(a => mulBase(a))
    const shares: Uint8Array[] = []
    for (let i = 1; i <= count; i++) {
      const x = scalarFromInt(i)
      let y: Uint8Array = coefficients[threshold - 1].slice()
      for (let j = threshold - 2; j >= 0; j--) {
        const next = scalarAdd(scalarMul(y, x), coefficients[j])
        wipe(y)
        y = next
      }
      shares.push(y)
    }
    return { commitments, shares }
  } finally {
    wipe(...coefficients.slice(1))
  }
}

/** Guardian `index`'s public share P_i = Σ_j index^j·C_j (Horner: P = (…(C_{t-1}·i + C_{t-2})·i + …)·i + C_0). */
export function publicShare (commitments: readonly Uint8Array[], index: number): Uint8Array {
  assertIndex(index)
  const x = scalarFromInt(index)
  let p = commitments[commitments.length - 1]
  for (let j = commitments.length - 2; j >= 0; j--) p = add(mul(x, p), commitments[j])
  return p
}

/** Whether share·G equals the public share the commitments give for `index` (Feldman's check). Constant time in the share. */
export function verifyShare (index: number, share: Uint8Array, commitments: readonly Uint8Array[]): boolean {
  assertScalar(share, 'key share', true)
  return elementEqual(mulBase(share), publicShare(commitments, index))
}

/** verifyShare, throwing ShareMismatchError when it fails. */
export function assertShare (index: number, share: Uint8Array, commitments: readonly Uint8Array[]): void {
  if (!verifyShare(index, share, commitments)) throw new ShareMismatchError(index)
}

/**
 * Lagrange coefficients at zero for the distinct indices `indices`, in the
 * same order: λ_i = Π_{j≠i} j · (j − i)⁻¹ mod L.
 */
export function lagrangeAtZero (indices: readonly number[]): Uint8Array[] {
  if (new Set(indices).size !== indices.length) throw new InvalidGuardianError('indices to combine must be distinct')
  indices.forEach(i => assertIndex(i))
  return indices.map(i => {
    let num = scalarFromInt(1)
    let den = scalarFromInt(1)
    for (const j of indices) {
      if (j === i) continue
      num = scalarMul(num, scalarFromInt(j))
      den = scalarMul(den, scalarSub(scalarFromInt(j), scalarFromInt(i)))
    }
    return scalarMul(num, scalarInvert(den))
  })
}

/**
 * k = Σ λ_i·k_i from shares at distinct indices. The suite never does
 * this; it is for tests (the threshold result equals single-key evaluation
 * under this key) and for tooling that must prove a deal consistent.
 */
export function reconstructSecret (shares: ReadonlyArray<{ index: number, share: Uint8Array }>): Uint8Array {
  const lambdas = lagrangeAtZero(shares.map(s => s.index))
  let k: Uint8Array = new Uint8Array(32)
  shares.forEach((s, n) => {
    const term = scalarMul(lambdas[n], s.share)
    const next = scalarAdd(k, term)
    wipe(k, term)
    k = next
  })
  return k
}
