/**
 * RFC 9497 (Oblivious Pseudorandom Functions Using Prime-Order Groups),
 * ciphersuite ristretto255-SHA512, modes OPRF (0x00) and VOPRF (0x01),
 * including the batched DLEQ proofs of §2.2. Byte-exact with the RFC's
 * Appendix A.1 vectors (test/vectors/rfc9497-ristretto255.json) and
 * cross-checked against @noble/curves' independent `ristretto255_oprf`.
 *
 * Function names follow the RFC. Randomness (blinds, the proof's r) can be
 * injected for test vectors; by default it comes from node:crypto's CSPRNG
 * (group.ts randomScalar).
 * Every element and scalar that comes from outside is validated with
 * `assertElement` / `assertScalar` before use; inside, values are trusted.
 */
import { utf8 } from '../../bytes.js'
import { InvalidBatchError, InvalidElementError, InvalidOprfInputError, InvalidScalarError, ProofVerificationError } from './errors.js'
import {
  add, assertElement, assertScalar, ELEMENT_BYTES, elementEqual, hashToGroup, hashToScalar, isZero, lengthPrefixed, LinearCombination, mul, mulBase,
  mulChecked, randomScalar, SCALAR_BYTES, scalarInvert, scalarMul, scalarSub, sha512, wipe
} from './group.js'

export const SUITE_IDENTIFIER = 'ristretto255-SHA512'
export const MODE_OPRF = 0x00
export const MODE_VOPRF = 0x01
export type OprfMode = typeof MODE_OPRF | typeof MODE_VOPRF

/** Inputs are length-prefixed with two bytes (RFC 9497 §1.3). */
export const MAX_OPRF_INPUT_BYTES = 0xffff
/** Serialised proof: SerializeScalar(c) || SerializeScalar(s). */
export const PROOF_BYTES = 2 * SCALAR_BYTES
/** Length of Finalize's output (SHA-512). */
export const OPRF_OUTPUT_BYTES = 64
/** ComputeComposites indexes elements with I2OSP(i, 2). */
export const MAX_PROOF_BATCH = 0xffff

/** The domain-separation strings of one mode (RFC 9497 §3.1, §3.2.1, §2.2.1, §4.1). */
export interface ModeContext {
  readonly mode: OprfMode
  readonly contextString: Uint8Array
  readonly hashToGroupDST: Uint8Array
  readonly hashToScalarDST: Uint8Array
  readonly deriveKeyPairDST: Uint8Array
  /** I2OSP(len(seedDST), 2) || seedDST, as ComputeComposites hashes it. */
  readonly seedDSTPrefixed: Uint8Array
}

function makeContext (mode: OprfMode): ModeContext {
  const contextString = new Uint8Array([...utf8('OPRFV1-'), mode, ...utf8(`-${SUITE_IDENTIFIER}`)])
  const cat = (label: string): Uint8Array => new Uint8Array([...utf8(label), ...contextString])
  return {
    mode,
    contextString,
    hashToGroupDST: cat('HashToGroup-'),
    hashToScalarDST: cat('HashToScalar-'),
    deriveKeyPairDST: cat('DeriveKeyPair'),
    seedDSTPrefixed: lengthPrefixed(cat('Seed-'))
  }
}

const CONTEXTS: Record<OprfMode, ModeContext> = { [MODE_OPRF]: makeContext(MODE_OPRF), [MODE_VOPRF]: makeContext(MODE_VOPRF) }

export function modeContext (mode: OprfMode): ModeContext {
  const c = CONTEXTS[mode]
  if (c === undefined) throw new RangeError(`unsupported RFC 9497 mode ${String(mode)}; this suite implements OPRF (0) and VOPRF (1)`)
  return c
}

/** The generator's encoding (1·G). */
export const GENERATOR: Uint8Array = mulBase(Uint8Array.of(1, ...new Uint8Array(31)))

const FINALIZE = utf8('Finalize')
const COMPOSITE = utf8('Composite')
const CHALLENGE = utf8('Challenge')

export interface KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

/** RFC 9497 §3.2.1 DeriveKeyPair(seed, info): deterministic keys (test vectors; tooling). */
export function deriveKeyPair (mode: OprfMode, seed: Uint8Array, info: Uint8Array): KeyPair {
  const ctx = modeContext(mode)
  if (!(seed instanceof Uint8Array) || seed.length !== SCALAR_BYTES) throw new InvalidScalarError('seed', `expected ${SCALAR_BYTES} bytes`)
  if (info.length > 0xffff) throw new RangeError('DeriveKeyPair: info longer than 65535 bytes')
  const deriveInput = new Uint8Array([...seed, ...lengthPrefixed(info), 0])
  for (let counter = 0; counter <= 255; counter++) {
    deriveInput[deriveInput.length - 1] = counter
    const sk = hashToScalar(deriveInput, ctx.deriveKeyPairDST)
    if (!isZero(sk)) return { secretKey: sk, publicKey: mulBase(sk) }
  }
  throw new InvalidScalarError('derived key', 'DeriveKeyPair found no non-zero scalar in 256 attempts')
}

function assertInput (input: Uint8Array, index?: number): void {
  if (!(input instanceof Uint8Array)) throw new InvalidOprfInputError('expected a Uint8Array', index)
  if (input.length > MAX_OPRF_INPUT_BYTES) throw new InvalidOprfInputError(`longer than ${MAX_OPRF_INPUT_BYTES} bytes`, index)
}

/** HashToGroup(input) for the mode, refusing the identity (RFC 9497 §3.3.1 Blind step 2). */
export function inputElement (mode: OprfMode, input: Uint8Array, index?: number): Uint8Array {
  assertInput(input, index)
  const p = hashToGroup(input, modeContext(mode).hashToGroupDST)
  if (isZero(p)) throw new InvalidOprfInputError('hashes to the identity element', index)
  return p
}

export interface Blinded {
  /** The secret blind r; keep it until Finalize, then wipe it. */
  blind: Uint8Array
  blindedElement: Uint8Array
}

/** RFC 9497 §3.3.1 Blind(input): r·HashToGroup(input). `blind` (a non-zero scalar) is for test vectors. */
export function blind (mode: OprfMode, input: Uint8Array, blindScalar?: Uint8Array, index?: number): Blinded {
  const r = blindScalar ?? randomScalar()
  if (blindScalar !== undefined) assertScalar(r, 'blind', true)
  return { blind: r, blindedElement: mul(r, inputElement(mode, input, index)) }
}

/** RFC 9497 §3.3.1 BlindEvaluate (OPRF mode): skS·blindedElement. */
export function blindEvaluate (secretKey: Uint8Array, blindedElement: Uint8Array): Uint8Array {
  assertScalar(secretKey, 'secret key', true)
  assertElement(blindedElement, 'blinded element')
  return mul(secretKey, blindedElement)
}

/** The final hash of RFC 9497 §3.3.1 Finalize, given the unblinded element N = skS·HashToGroup(input). */
export function finalizeHash (input: Uint8Array, unblindedElement: Uint8Array): Uint8Array {
  return sha512(lengthPrefixed(input), lengthPrefixed(unblindedElement), FINALIZE)
}

/** RFC 9497 §3.3.1 Finalize (OPRF mode): Hash(len(input) || input || len(N) || N || "Finalize") with N = blind⁻¹·evaluatedElement. */
export function finalize (input: Uint8Array, blindScalar: Uint8Array, evaluatedElement: Uint8Array): Uint8Array {
  assertInput(input)
  assertScalar(blindScalar, 'blind', true)
  assertElement(evaluatedElement, 'evaluated element')
  return finalizeHash(input, mul(scalarInvert(blindScalar), evaluatedElement))
}

/** RFC 9497 §3.3.1/§3.3.2 Evaluate: the PRF computed by the key holder, without blinding. */
export function evaluate (mode: OprfMode, secretKey: Uint8Array, input: Uint8Array): Uint8Array {
  assertScalar(secretKey, 'secret key', true)
  return finalizeHash(input, mul(secretKey, inputElement(mode, input)))
}

// ---- batched DLEQ proofs (RFC 9497 §2.2) ----

function compositeTranscript (seedPrefixed: Uint8Array, i: number, ci: Uint8Array, di: Uint8Array): Uint8Array {
  const out = new Uint8Array(seedPrefixed.length + 2 + 2 * (2 + ELEMENT_BYTES) + COMPOSITE.length)
  let o = 0
  out.set(seedPrefixed, o); o += seedPrefixed.length
  out[o++] = (i >> 8) & 0xff; out[o++] = i & 0xff
  out[o++] = 0; out[o++] = ELEMENT_BYTES; out.set(ci, o); o += ELEMENT_BYTES
  out[o++] = 0; out[o++] = ELEMENT_BYTES; out.set(di, o); o += ELEMENT_BYTES
  out.set(COMPOSITE, o)
  return out
}

function compositeSeed (ctx: ModeContext, B: Uint8Array): Uint8Array {
  return lengthPrefixed(sha512(lengthPrefixed(B), ctx.seedDSTPrefixed))
}

function assertBatch (C: readonly Uint8Array[], D: readonly Uint8Array[]): void {
  if (C.length === 0) throw new InvalidBatchError('no elements')
  if (C.length !== D.length) throw new InvalidBatchError(`${C.length} inputs but ${D.length} evaluations`)
  if (C.length > MAX_PROOF_BATCH) throw new InvalidBatchError(`more than ${MAX_PROOF_BATCH} elements in one proof`)
}

/**
 * ComputeComposites (§2.2.2) when `k` is undefined; ComputeCompositesFast
 * (§2.2.1, Z = k·M) when the prover passes its key. Elements are trusted.
 */
export function computeComposites (mode: OprfMode, B: Uint8Array, C: readonly Uint8Array[], D: readonly Uint8Array[], k?: Uint8Array): { M: Uint8Array, Z: Uint8Array } {
  assertBatch(C, D)
  const part = compositeSlice(mode, B, C, D, 0, k === undefined)
  return { M: part.M, Z: k === undefined ? part.Z as Uint8Array : mul(k, part.M) }
}

/**
 * The part of ComputeComposites' sums M = Σ d_i·C_i (and, with `withZ`,
 * Z = Σ d_i·D_i) over the elements C[j], D[j] that sit at positions
 * offset + j of the batch: d_i hashes the position, so slices of one batch
 * computed apart (worker threads) add up to the batch's composites. One
 * multiplication per element for M, one more for Z.
 *
 * The D[j] may come from outside: libsodium decodes each in its
 * multiplication, and `bad` is the position in the slice of the first one
 * it refuses (not a canonical, non-identity encoding), when `withZ`. The C[j]
 * must be valid elements.
 */
export function compositeSlice (mode: OprfMode, B: Uint8Array, C: readonly Uint8Array[], D: readonly Uint8Array[], offset: number, withZ: boolean): { M: Uint8Array, Z?: Uint8Array, bad?: number } {
  const ctx = modeContext(mode)
  const seed = compositeSeed(ctx, B)
  const M = new LinearCombination()
  const Z = withZ ? new LinearCombination() : undefined
  for (let j = 0; j < C.length; j++) {
    const di = hashToScalar(compositeTranscript(seed, offset + j, C[j], D[j]), ctx.hashToScalarDST)
    if (Z !== undefined && (isZero(D[j]) || !Z.addTerm(di, D[j]))) return { M: M.value(), bad: j }
    if (!M.addTerm(di, C[j])) throw new InvalidBatchError(`element ${offset + j} of the batch is not a valid element`)
  }
  return Z === undefined ? { M: M.value() } : { M: M.value(), Z: Z.value() }
}

function challenge (ctx: ModeContext, B: Uint8Array, M: Uint8Array, Z: Uint8Array, t2: Uint8Array, t3: Uint8Array): Uint8Array {
  const parts = [B, M, Z, t2, t3]
  const transcript = new Uint8Array(parts.length * (2 + ELEMENT_BYTES) + CHALLENGE.length)
  let o = 0
  for (const p of parts) { transcript[o++] = 0; transcript[o++] = ELEMENT_BYTES; transcript.set(p, o); o += ELEMENT_BYTES }
  transcript.set(CHALLENGE, o)
  return hashToScalar(transcript, ctx.hashToScalarDST)
}

/**
 * GenerateProof(k, A, B, C, D) (§2.2.1): proves B = k·A and D[i] = k·C[i]
 * for all i without revealing k. `r` (the proof's random scalar) is for
 * test vectors. Returns c || s, 64 bytes.
 */
export function generateProof (mode: OprfMode, k: Uint8Array, A: Uint8Array, B: Uint8Array, C: readonly Uint8Array[], D: readonly Uint8Array[], r?: Uint8Array): Uint8Array {
  assertBatch(C, D)
  return proveWithComposite(mode, k, A, B, compositeSlice(mode, B, C, D, 0, false).M, r)
}

/**
 * The constant tail of GenerateProof once M is known (the sum of the
 * slices' M): Z = k·M, t2 = r·A, t3 = r·M, c = challenge, s = r − c·k.
 * Three multiplications per batch, whatever its size.
 */
export function proveWithComposite (mode: OprfMode, k: Uint8Array, A: Uint8Array, B: Uint8Array, M: Uint8Array, r?: Uint8Array): Uint8Array {
  const ctx = modeContext(mode)
  const rr = r ?? randomScalar()
  if (r !== undefined) assertScalar(rr, 'proof random scalar', true)
  const Z = mul(k, M)
  const t2 = elementEqual(A, GENERATOR) ? mulBase(rr) : mul(rr, A)
  const t3 = mul(rr, M)
  const c = challenge(ctx, B, M, Z, t2, t3)
  const ck = scalarMul(c, k)
  const s = scalarSub(rr, ck)
  wipe(ck)
  if (r === undefined) wipe(rr)
  const proof = new Uint8Array(PROOF_BYTES)
  proof.set(c, 0)
  proof.set(s, SCALAR_BYTES)
  return proof
}

/**
 * VerifyProof(A, B, C, D, proof) (§2.2.2). Returns false for a proof that
 * does not verify, including malformed ones (wrong length, scalars not
 * reduced); throws only for malformed batches (InvalidBatchError). The
 * elements must already be validated.
 */
export function verifyProof (mode: OprfMode, A: Uint8Array, B: Uint8Array, C: readonly Uint8Array[], D: readonly Uint8Array[], proof: Uint8Array): boolean {
  assertBatch(C, D)
  if (!proofWellFormed(proof)) return false
  const { M, Z } = computeComposites(mode, B, C, D)
  return verifyWithComposites(mode, A, B, M, Z, proof)
}

/** Whether `proof` is 64 bytes of two scalars reduced modulo L. */
export function proofWellFormed (proof: unknown): proof is Uint8Array {
  if (!(proof instanceof Uint8Array) || proof.length !== PROOF_BYTES) return false
  try {
    assertScalar(proof.subarray(0, SCALAR_BYTES), 'proof c', false)
    assertScalar(proof.subarray(SCALAR_BYTES), 'proof s', false)
  } catch {
    return false
  }
  return true
}

/** The constant tail of VerifyProof once M and Z are known; `proof` must be well formed (proofWellFormed). */
export function verifyWithComposites (mode: OprfMode, A: Uint8Array, B: Uint8Array, M: Uint8Array, Z: Uint8Array, proof: Uint8Array): boolean {
  const ctx = modeContext(mode)
  const c = proof.subarray(0, SCALAR_BYTES)
  const s = proof.subarray(SCALAR_BYTES)
  const sA = elementEqual(A, GENERATOR) ? mulBase(s) : mul(s, A)
  const t2 = add(sA, mul(c, B))
  const t3 = add(mul(s, M), mul(c, Z))
  return elementEqual(challenge(ctx, B, M, Z, t2, t3), c)
}

// ---- VOPRF mode, batched (RFC 9497 §3.3.2) ----

export interface BatchEvaluation {
  evaluated: Uint8Array[]
  /** One DLEQ proof for the whole batch, 64 bytes. */
  proof: Uint8Array
}

/**
 * BlindEvaluate (VOPRF mode) over a batch, with one batched proof
 * (§3.3.2 and §2.2.1 with m = batch size). Validates every blinded element
 * (InvalidElementError names its position); `r` is for test vectors.
 */
export function blindEvaluateBatch (secretKey: Uint8Array, publicKey: Uint8Array, blindedElements: readonly Uint8Array[], r?: Uint8Array): BatchEvaluation {
  assertScalar(secretKey, 'secret key', true)
  assertElement(publicKey, 'public key')
  if (!Array.isArray(blindedElements) || blindedElements.length === 0) throw new InvalidBatchError('no elements')
  if (blindedElements.length > MAX_PROOF_BATCH) throw new InvalidBatchError(`more than ${MAX_PROOF_BATCH} elements`)
  const { evaluated, M } = evaluateSlice(secretKey, publicKey, blindedElements, 0)
  return { evaluated, proof: proveWithComposite(MODE_VOPRF, secretKey, GENERATOR, publicKey, M, r) }
}

/**
 * The per-element part of a VOPRF batch evaluation for the elements at
 * positions offset + j: D_j = k·C_j and their share of the proof's
 * composite M = Σ d_j·C_j (compositeSlice). Each C_j is validated inside
 * its multiplication (InvalidElementError naming its batch position). Two
 * constant-time multiplications per element; the slices of one batch can
 * run on different threads and their M add up (proveWithComposite then
 * makes the batch's one proof).
 */
export function evaluateSlice (secretKey: Uint8Array, publicKey: Uint8Array, blindedElements: readonly Uint8Array[], offset: number): { evaluated: Uint8Array[], M: Uint8Array } {
  const evaluated = new Array<Uint8Array>(blindedElements.length)
  for (let j = 0; j < blindedElements.length; j++) {
    const d = mulChecked(secretKey, blindedElements[j])
    if (d === undefined) {
      assertElement(blindedElements[j], 'blinded element', offset + j)
      throw new InvalidElementError('blinded element', 'is not a valid element', offset + j)
    }
    evaluated[j] = d
  }
  return { evaluated, M: compositeSlice(MODE_VOPRF, publicKey, blindedElements, evaluated, offset, false).M }
}

/**
 * Finalize (VOPRF mode) over a batch: verifies the proof against
 * `publicKey`, then unblinds and hashes each element. Throws
 * ProofVerificationError, InvalidElementError, InvalidBatchError.
 */
export function finalizeBatch (
  inputs: readonly Uint8Array[], blinds: readonly Uint8Array[], evaluated: readonly Uint8Array[],
  blindedElements: readonly Uint8Array[], publicKey: Uint8Array, proof: Uint8Array
): Uint8Array[] {
  const m = inputs.length
  if (blinds.length !== m || evaluated.length !== m || blindedElements.length !== m) throw new InvalidBatchError('inputs, blinds, blinded and evaluated elements differ in number')
  assertElement(publicKey, 'public key')
  evaluated.forEach((e, i) => assertElement(e, 'evaluated element', i))
  blindedElements.forEach((b, i) => assertElement(b, 'blinded element', i))
  if (!verifyProof(MODE_VOPRF, GENERATOR, publicKey, blindedElements, evaluated, proof)) throw new ProofVerificationError()
  return inputs.map((input, i) => finalize(input, blinds[i], evaluated[i]))
}
