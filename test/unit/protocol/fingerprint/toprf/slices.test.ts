/**
 * Slices of one batch evaluated apart (the guardian's worker threads) give
 * the same answer as one thread: the evaluated elements, the composite M
 * (the position of each element is hashed, so offsets matter) and, for the
 * same proof randomness, the same proof.
 */
import assert from 'node:assert/strict'
import { InvalidElementError } from '../../../../../protocol/fingerprint/toprf/errors.js'
import { LinearCombination, randomScalar } from '../../../../../protocol/fingerprint/toprf/group.js'
import { blindEvaluateBatch, evaluateSlice, GENERATOR, MODE_VOPRF, proveWithComposite, verifyProof } from '../../../../../protocol/fingerprint/toprf/oprf.js'
import { blindInputs, checkEvaluation } from '../../../../../protocol/fingerprint/toprf/requester.js'
import { dealInMemory } from './helpers.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('protocol/fingerprint/toprf batch slices (worker threads of a guardian)', () => {
  const { shares, guardians } = dealInMemory(2, 3, 1)
  const g = guardians[0]
  const batch = blindInputs(Array.from({ length: 40 }, (_, i) => utf8(`slice-${i}`)))
  const B = batch.blindedElements

  it('three slices at their offsets add up to the one-thread answer, byte for byte with the same proof randomness', () => {
    const r = randomScalar()
    const whole = blindEvaluateBatch(shares[0], g.publicShare, B, r)
    const cuts = [[0, 13], [13, 29], [29, 40]]
    const parts = cuts.map(([a, b]) => evaluateSlice(shares[0], g.publicShare, B.slice(a, b), a))
    const M = new LinearCombination()
    for (const p of parts) M.addElement(p.M)
    const proof = proveWithComposite(MODE_VOPRF, shares[0], GENERATOR, g.publicShare, M.value(), r)
    assert.deepEqual(parts.flatMap(p => p.evaluated), whole.evaluated)
    assert.deepEqual(proof, whole.proof)
    assert.ok(verifyProof(MODE_VOPRF, GENERATOR, g.publicShare, B, whole.evaluated, proof))
  })

  it('the ToprfGuardian methods do the same, and a slice computed at the wrong offset gives a proof that fails', () => {
    const a = g.evaluateSlice(B.slice(0, 20), 0)
    const b = g.evaluateSlice(B.slice(20), 20)
    const M = new LinearCombination()
    M.addElement(a.M); M.addElement(b.M)
    const ok = checkEvaluation(g.publicShare, B, { evaluated: [...a.evaluated, ...b.evaluated], proof: g.prove(M.value()) })
    assert.equal(ok.ok, true)
    const shifted = g.evaluateSlice(B.slice(20), 21)
    const W = new LinearCombination()
    W.addElement(a.M); W.addElement(shifted.M)
    const bad = checkEvaluation(g.publicShare, B, { evaluated: [...a.evaluated, ...shifted.evaluated], proof: g.prove(W.value()) })
    assert.equal(bad.ok, false)
    assert.equal(bad.ok === false && bad.reason, 'bad_proof')
  })

  it('a malformed element in a slice is refused by name at its batch position', () => {
    const bad = B.slice(0, 8)
    bad[5] = new Uint8Array(32).fill(0xff)
    assert.throws(() => g.evaluateSlice(bad, 100), (e: unknown) => e instanceof InvalidElementError && e.index === 105)
    bad[5] = new Uint8Array(32)
    assert.throws(() => g.evaluateSlice(bad, 100), (e: unknown) => e instanceof InvalidElementError && e.index === 105)
  })
})
