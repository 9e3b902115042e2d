/**
 * The requester's side of the threshold OPRF, as pure steps (the suite in
 * ./suite.ts drives them over an injected network):
 *
 * 1. `blindInputs`: B_j = r_j·HashToGroup(input_j), fresh r_j per element
 *    (RFC 9497 VOPRF Blind);
 * 2. `checkEvaluation`: guardian i's answer D_ij must be one valid element
 *    per B_j with a batched DLEQ proof that D_ij = k_i·B_j for the k_i behind
 *    its public share P_i (RFC 9497 VerifyProof with A = G, B = P_i);
 * 3. `combineEvaluations`: with t verified answers from the guardians in S,
 *    N_j = Σ_{i∈S} (λ_i·r_j⁻¹)·D_ij = k·HashToGroup(input_j) where
 *    k = Σ λ_i·k_i, then y_j = RFC 9497 Finalize's hash of (input_j, N_j).
 *
 * y_j equals VOPRF Evaluate(k, input_j): the single-key result under the
 * key the shares reconstruct, which no party ever holds.
 */
import { InvalidBatchError, InvalidElementError, ProofVerificationError, type GuardianFaultReason } from './errors.js'
import { assertElement, ELEMENT_BYTES, LinearCombination, mul, randomScalar, scalarInvert, scalarMul, wipe } from './group.js'
import { compositeSlice, finalizeHash, GENERATOR, inputElement, MODE_VOPRF, PROOF_BYTES, proofWellFormed, verifyWithComposites } from './oprf.js'
import { lagrangeAtZero } from './shamir.js'

export interface BlindedBatch {
  readonly inputs: readonly Uint8Array[]
  /** Secret r_j; `wipeBatch` clears them. */
  readonly blinds: Uint8Array[]
  /** What the guardians see. */
  readonly blindedElements: Uint8Array[]
}

/** Blinds every input (VOPRF mode). Throws InvalidOprfInputError naming the position of a bad input. */
export function blindInputs (inputs: readonly Uint8Array[]): BlindedBatch {
  const blinds: Uint8Array[] = []
  const blindedElements: Uint8Array[] = []
  inputs.forEach((input, j) => {
    const p = inputElement(MODE_VOPRF, input, j)
    const r = randomScalar()
    blinds.push(r)
    blindedElements.push(mul(r, p))
  })
  return { inputs, blinds, blindedElements }
}

export function wipeBatch (batch: BlindedBatch): void {
  wipe(...batch.blinds)
}

export type EvaluationCheck =
  | { ok: true, evaluated: Uint8Array[] }
  | { ok: false, reason: Exclude<GuardianFaultReason, 'request_failed'>, error: Error }

/**
 * Checks one guardian's answer (`response` is whatever the transport
 * decoded) against the blinded elements it was sent and the guardian's
 * public share. Never throws for a bad answer: returns why it is bad
 * (`bad_response` for a malformed answer, `bad_proof` for a proof that
 * does not verify), so the caller can skip and count the guardian.
 */
export function checkEvaluation (publicShare: Uint8Array, blindedElements: readonly Uint8Array[], response: unknown): EvaluationCheck {
  const r = response as { evaluated?: unknown, proof?: unknown } | null
  if (r === null || typeof r !== 'object' || !Array.isArray(r.evaluated)) {
    return { ok: false, reason: 'bad_response', error: new InvalidBatchError('the answer has no list of evaluated elements') }
  }
  const evaluated = r.evaluated as unknown[]
  if (evaluated.length !== blindedElements.length) {
    return { ok: false, reason: 'bad_response', error: new InvalidBatchError(`${evaluated.length} evaluated elements for ${blindedElements.length} blinded ones`) }
  }
  if (!(r.proof instanceof Uint8Array) || r.proof.length !== PROOF_BYTES) {
    return { ok: false, reason: 'bad_response', error: new InvalidBatchError(`the proof is not ${PROOF_BYTES} bytes`) }
  }
  for (let j = 0; j < evaluated.length; j++) {
    const e = evaluated[j]
    if (!(e instanceof Uint8Array) || e.length !== ELEMENT_BYTES) return { ok: false, reason: 'bad_response', error: new InvalidElementError('evaluated element', 'is not 32 bytes', j) }
  }
  const els = evaluated as Uint8Array[]
  const proof = r.proof
  // every D_j is decoded (and refused if malformed) inside its composite multiplication
  const part = compositeSlice(MODE_VOPRF, publicShare, blindedElements, els, 0, true)
  if (part.bad !== undefined) return { ok: false, reason: 'bad_response', error: elementError(els[part.bad], part.bad) }
  if (!proofWellFormed(proof) || !verifyWithComposites(MODE_VOPRF, GENERATOR, publicShare, part.M, part.Z as Uint8Array, proof)) {
    return { ok: false, reason: 'bad_proof', error: new ProofVerificationError('the guardian\'s evaluation proof') }
  }
  return { ok: true, evaluated: els }
}

/** The named error assertElement gives for an element libsodium refused. */
function elementError (e: Uint8Array, j: number): InvalidElementError {
  try {
    assertElement(e, 'evaluated element', j)
  } catch (err) {
    if (err instanceof InvalidElementError) return err
    throw err
  }
  return new InvalidElementError('evaluated element', 'is not a valid element', j)
}

/**
 * Combines verified answers of distinct guardians (`index`, `evaluated`)
 * and finalises: one 64-byte RFC 9497 output per input. Gives the right
 * outputs exactly when the answers come from at least t guardians (the
 * caller's rule); with fewer, the outputs are unrelated values.
 */
export function combineEvaluations (batch: BlindedBatch, answers: ReadonlyArray<{ index: number, evaluated: readonly Uint8Array[] }>): Uint8Array[] {
  if (answers.length === 0) throw new InvalidBatchError('no answers to combine')
  const m = batch.inputs.length
  for (const a of answers) if (a.evaluated.length !== m) throw new InvalidBatchError('an answer does not cover the batch')
  const lambdas = lagrangeAtZero(answers.map(a => a.index))
  const outputs: Uint8Array[] = []
  for (let j = 0; j < m; j++) {
    const rInv = scalarInvert(batch.blinds[j])
    const n = new LinearCombination()
    answers.forEach((a, i) => {
      const coefficient = scalarMul(lambdas[i], rInv)
      n.addTerm(coefficient, a.evaluated[j])
      wipe(coefficient)
    })
    wipe(rInv)
    outputs.push(finalizeHash(batch.inputs[j], n.value()))
  }
  return outputs
}
