import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js'
import { ristretto255_oprf } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { fromHex, toHex, utf8 } from '../../../../../protocol/bytes.js'
import { expandMessageXmd, mulBase } from '../../../../../protocol/fingerprint/toprf/group.js'
import {
  blind, blindEvaluate, blindEvaluateBatch, deriveKeyPair, evaluate, finalize, finalizeBatch, generateProof, GENERATOR,
  MODE_OPRF, MODE_VOPRF, verifyProof
} from '../../../../../protocol/fingerprint/toprf/oprf.js'

interface Vector {
  name: string
  input: string[]
  blind: string[]
  blindedElement: string[]
  evaluationElement: string[]
  proof?: string
  proofRandomScalar?: string
  output: string[]
}
interface ModeVectors { seed: string, keyInfo: string, skSm: string, pkSm?: string, vectors: Vector[] }
const file = JSON.parse(readFileSync(new URL('../../../../vectors/rfc9497-ristretto255.json', import.meta.url), 'utf8')) as {
  suite: string
  oprf: ModeVectors
  voprf: ModeVectors
}
const hexes = (xs: readonly Uint8Array[]): string[] => xs.map(toHex)
const bytes = (xs: readonly string[]): Uint8Array[] => xs.map(fromHex)

describe('protocol/fingerprint/toprf RFC 9497 ristretto255-SHA512 (libsodium)', () => {
  it('the vector file holds the RFC\'s OPRF and VOPRF cases, including the batch of two', () => {
    assert.equal(file.suite, 'ristretto255-SHA512')
    assert.equal(file.oprf.vectors.length, 2)
    assert.equal(file.voprf.vectors.length, 3)
    assert.equal(file.voprf.vectors[2].input.length, 2)
  })

  describe('OPRF mode (Appendix A.1.1)', () => {
    const { seed, keyInfo, skSm } = file.oprf
    it('DeriveKeyPair gives skSm', () => {
      assert.equal(toHex(deriveKeyPair(MODE_OPRF, fromHex(seed), fromHex(keyInfo)).secretKey), skSm)
    })
    for (const v of file.oprf.vectors) {
      it(`${v.name}: Blind, BlindEvaluate, Finalize, Evaluate`, () => {
        const input = fromHex(v.input[0])
        const b = blind(MODE_OPRF, input, fromHex(v.blind[0]))
        assert.equal(toHex(b.blindedElement), v.blindedElement[0])
        const evaluated = blindEvaluate(fromHex(skSm), b.blindedElement)
        assert.equal(toHex(evaluated), v.evaluationElement[0])
        assert.equal(toHex(finalize(input, b.blind, evaluated)), v.output[0])
        assert.equal(toHex(evaluate(MODE_OPRF, fromHex(skSm), input)), v.output[0])
      })
    }
  })

  describe('VOPRF mode (Appendix A.1.2)', () => {
    const { seed, keyInfo, skSm, pkSm } = file.voprf
    it('DeriveKeyPair gives skSm and pkSm', () => {
      const kp = deriveKeyPair(MODE_VOPRF, fromHex(seed), fromHex(keyInfo))
      assert.equal(toHex(kp.secretKey), skSm)
      assert.equal(toHex(kp.publicKey), pkSm)
    })
    for (const v of file.voprf.vectors) {
      it(`${v.name}: blinded elements, evaluations, the batched DLEQ proof, outputs`, () => {
        const inputs = bytes(v.input)
        const blinded = inputs.map((x, i) => blind(MODE_VOPRF, x, fromHex(v.blind[i])))
        assert.deepEqual(hexes(blinded.map(b => b.blindedElement)), v.blindedElement)
        const res = blindEvaluateBatch(fromHex(skSm), fromHex(pkSm as string), blinded.map(b => b.blindedElement), fromHex(v.proofRandomScalar as string))
        assert.deepEqual(hexes(res.evaluated), v.evaluationElement)
        assert.equal(toHex(res.proof), v.proof)
        const out = finalizeBatch(inputs, blinded.map(b => b.blind), res.evaluated, blinded.map(b => b.blindedElement), fromHex(pkSm as string), res.proof)
        assert.deepEqual(hexes(out), v.output)
        assert.deepEqual(inputs.map(x => toHex(evaluate(MODE_VOPRF, fromHex(skSm), x))), v.output)
      })
    }

    it('a proof that is off by one bit, or for other elements, does not verify', () => {
      const v = file.voprf.vectors[2]
      const C = bytes(v.blindedElement)
      const D = bytes(v.evaluationElement)
      const proof = fromHex(v.proof as string)
      assert.equal(verifyProof(MODE_VOPRF, GENERATOR, fromHex(pkSm as string), C, D, proof), true)
      for (const bit of [0, 100, 300, 511]) {
        const bad = proof.slice()
        bad[bit >> 3] ^= 1 << (bit & 7)
        assert.equal(verifyProof(MODE_VOPRF, GENERATOR, fromHex(pkSm as string), C, D, bad), false, `bit ${bit}`)
      }
      assert.equal(verifyProof(MODE_VOPRF, GENERATOR, fromHex(pkSm as string), C, [D[1], D[0]], proof), false, 'swapped evaluations')
      assert.equal(verifyProof(MODE_VOPRF, GENERATOR, mulBase(fromHex(file.oprf.skSm)), C, D, proof), false, 'another public key')
      assert.equal(verifyProof(MODE_VOPRF, GENERATOR, fromHex(pkSm as string), C, D, proof.subarray(0, 63)), false, 'short proof')
    })

    it('finalizeBatch refuses a wrong proof with ProofVerificationError', () => {
      const v = file.voprf.vectors[0]
      const bad = fromHex(v.proof as string)
      bad[40] ^= 1
      assert.throws(() => finalizeBatch(bytes(v.input), bytes(v.blind), bytes(v.evaluationElement), bytes(v.blindedElement), fromHex(pkSm as string), bad),
        { name: 'ProofVerificationError' })
    })
  })

  describe('cross-check against @noble/curves ristretto255_oprf (independent implementation)', () => {
    const input = fc.uint8Array({ minLength: 0, maxLength: 80 })

    it('expand_message_xmd(SHA-512) agrees for random messages, DSTs and lengths', () => {
      fc.assert(fc.property(input, fc.uint8Array({ minLength: 1, maxLength: 255 }), fc.integer({ min: 1, max: 300 }), (msg, dst, len) => {
        assert.equal(toHex(expandMessageXmd(msg, dst, len)), toHex(expand_message_xmd(msg, dst, len, sha512)))
      }), { numRuns: 200 })
    })

    it('Evaluate agrees in both modes for random inputs and keys', () => {
      fc.assert(fc.property(input, fc.uint8Array({ minLength: 32, maxLength: 32 }), (x, seed) => {
        for (const [mode, noble] of [[MODE_OPRF, ristretto255_oprf.oprf], [MODE_VOPRF, ristretto255_oprf.voprf]] as const) {
          const kp = noble.deriveKeyPair(seed, utf8('k'))
          assert.equal(toHex(deriveKeyPair(mode, seed, utf8('k')).secretKey), toHex(kp.secretKey))
          const n = noble.blind(x)
          const ours = finalize(x, n.blind, blindEvaluate(kp.secretKey, n.blinded))
          assert.equal(toHex(ours), toHex(evaluate(mode, kp.secretKey, x)))
          if (mode === MODE_OPRF) assert.equal(toHex(ours), toHex(ristretto255_oprf.oprf.finalize(x, n.blind, ristretto255_oprf.oprf.blindEvaluate(kp.secretKey, n.blinded))))
        }
      }), { numRuns: 25 })
    })

    it('batched VOPRF proofs verify across the two implementations, both ways', () => {
      fc.assert(fc.property(fc.array(input, { minLength: 1, maxLength: 5 }), xs => {
        const kp = ristretto255_oprf.voprf.generateKeyPair()
        const bl = xs.map(x => ristretto255_oprf.voprf.blind(x))
        const blinded = bl.map(b => b.blinded)
        // noble proves, we verify and finalize
        const theirs = ristretto255_oprf.voprf.blindEvaluateBatch(kp.secretKey, kp.publicKey, blinded)
        const outs = finalizeBatch(xs, bl.map(b => b.blind), theirs.evaluated, blinded, kp.publicKey, theirs.proof)
        // we prove, noble verifies and finalizes
        const ours = blindEvaluateBatch(kp.secretKey, kp.publicKey, blinded)
        assert.deepEqual(hexes(ours.evaluated), hexes(theirs.evaluated))
        const nobleOuts = ristretto255_oprf.voprf.finalizeBatch(xs.map((input, i) => ({ input, blind: bl[i].blind, evaluated: ours.evaluated[i], blinded: blinded[i] })), kp.publicKey, ours.proof)
        assert.deepEqual(hexes(outs), hexes(nobleOuts))
      }), { numRuns: 15 })
    })

    it('generateProof with a general base A (not G) verifies', () => {
      const k = deriveKeyPair(MODE_VOPRF, new Uint8Array(32).fill(9), new Uint8Array(0)).secretKey
      const A = blind(MODE_VOPRF, utf8('a'), undefined).blindedElement
      const C = [blind(MODE_VOPRF, utf8('c'), undefined).blindedElement]
      const B = blindEvaluate(k, A)
      const D = C.map(c => blindEvaluate(k, c))
      assert.equal(verifyProof(MODE_VOPRF, A, B, C, D, generateProof(MODE_VOPRF, k, A, B, C, D)), true)
    })
  })

  describe('bad points and scalars are refused by name', () => {
    const sk = deriveKeyPair(MODE_VOPRF, new Uint8Array(32).fill(1), new Uint8Array(0))
    const good = blind(MODE_VOPRF, utf8('x')).blindedElement
    const L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')

    it('blinded elements: wrong length, identity, non-canonical encodings', () => {
      const nonCanonical = new Uint8Array(32).fill(0xff) // > p
      const odd = Uint8Array.of(1, ...new Uint8Array(31)) // s must be even (non-negative)
      for (const [what, e] of [['short', good.subarray(0, 31)], ['identity', new Uint8Array(32)], ['non-canonical', nonCanonical], ['negative s', odd]] as const) {
        assert.throws(() => blindEvaluateBatch(sk.secretKey, sk.publicKey, [good, e]), (err: any) => err.name === 'InvalidElementError' && err.index === 1, what)
      }
      assert.throws(() => blindEvaluate(sk.secretKey, new Uint8Array(32)), { name: 'InvalidElementError' })
    })

    it('scalars: zero, not reduced, wrong length', () => {
      assert.throws(() => blindEvaluate(new Uint8Array(32), good), { name: 'InvalidScalarError' })
      assert.throws(() => blindEvaluate(L, good), { name: 'InvalidScalarError' })
      assert.throws(() => blindEvaluate(new Uint8Array(31).fill(1), good), { name: 'InvalidScalarError' })
      assert.throws(() => blind(MODE_VOPRF, utf8('x'), new Uint8Array(32)), { name: 'InvalidScalarError' })
      assert.throws(() => finalize(utf8('x'), L, good), { name: 'InvalidScalarError' })
    })

    it('a proof whose scalars are not reduced does not verify', () => {
      const res = blindEvaluateBatch(sk.secretKey, sk.publicKey, [good])
      const bad = res.proof.slice()
      bad.set(L, 32)
      assert.equal(verifyProof(MODE_VOPRF, GENERATOR, sk.publicKey, [good], res.evaluated, bad), false)
    })

    it('inputs longer than 65535 bytes and empty batches are refused', () => {
      assert.throws(() => blind(MODE_VOPRF, new Uint8Array(65536)), { name: 'InvalidOprfInputError' })
      assert.throws(() => blindEvaluateBatch(sk.secretKey, sk.publicKey, []), { name: 'InvalidBatchError' })
    })
  })
})
