import assert from 'node:assert/strict'
import fc from 'fast-check'
import { toHex } from '../../../../../protocol/bytes.js'
import { mulBase, randomScalar, scalarAdd, scalarFromInt } from '../../../../../protocol/fingerprint/toprf/group.js'
import {
  assertShare, lagrangeAtZero, publicShare, reconstructSecret, splitSecret, verifyShare
} from '../../../../../protocol/fingerprint/toprf/shamir.js'
import { subsets } from './helpers.js'

const tg = fc.integer({ min: 1, max: 6 }).chain(g => fc.record({ g: fc.constant(g), t: fc.integer({ min: 1, max: g }) }))

describe('protocol/fingerprint/toprf Shamir sharing with Feldman commitments', () => {
  it('every t-subset of the g shares reconstructs the secret; C_0 = k·G', () => {
    fc.assert(fc.property(tg, ({ t, g }) => {
      const k = randomScalar()
      const { commitments, shares } = splitSecret(k, t, g)
      assert.equal(commitments.length, t)
      assert.equal(shares.length, g)
      assert.equal(toHex(commitments[0]), toHex(mulBase(k)))
      const indices = Array.from({ length: g }, (_, i) => i + 1)
      for (const s of subsets(indices, t)) {
        assert.equal(toHex(reconstructSecret(s.map(i => ({ index: i, share: shares[i - 1] })))), toHex(k), `subset ${s.join(',')}`)
      }
    }), { numRuns: 25 })
  })

  it('t−1 shares do not reconstruct it', () => {
    fc.assert(fc.property(tg.filter(x => x.t >= 2), ({ t, g }) => {
      const k = randomScalar()
      const { shares } = splitSecret(k, t, g)
      for (const s of subsets(Array.from({ length: g }, (_, i) => i + 1), t - 1)) {
        assert.notEqual(toHex(reconstructSecret(s.map(i => ({ index: i, share: shares[i - 1] })))), toHex(k))
      }
    }), { numRuns: 15 })
  })

  it('anyone derives each public share k_i·G from the commitments, and each share passes Feldman\'s check', () => {
    const { commitments, shares } = splitSecret(randomScalar(), 3, 5)
    shares.forEach((s, i) => {
      assert.equal(toHex(publicShare(commitments, i + 1)), toHex(mulBase(s)))
      assert.equal(verifyShare(i + 1, s, commitments), true)
    })
  })

  it('a tampered share, a share at the wrong index, or a tampered commitment is refused (ShareMismatchError)', () => {
    const { commitments, shares } = splitSecret(randomScalar(), 2, 3)
    const bumped = scalarAdd(shares[0], scalarFromInt(1))
    assert.throws(() => assertShare(1, bumped, commitments), { name: 'ShareMismatchError' })
    assert.throws(() => assertShare(2, shares[0], commitments), { name: 'ShareMismatchError' })
    for (const j of [0, 1]) {
      const tampered = commitments.slice()
      tampered[j] = mulBase(randomScalar())
      assert.throws(() => assertShare(1, shares[0], tampered), { name: 'ShareMismatchError' }, `commitment ${j}`)
    }
    assert.throws(() => assertShare(1, shares[0], commitments.slice(0, 1)), { name: 'ShareMismatchError' }, 'a commitment dropped')
  })

  it('Lagrange coefficients at zero sum to one (they interpolate the constant polynomial 1)', () => {
    for (const idx of [[1], [1, 2], [2, 5, 7], [3, 1, 255, 40]]) {
      const sum = lagrangeAtZero(idx).reduce((a, b) => scalarAdd(a, b))
      assert.equal(toHex(sum), toHex(scalarFromInt(1)), idx.join(','))
    }
  })

  it('bad parameters are refused by name', () => {
    const k = randomScalar()
    assert.throws(() => splitSecret(k, 0, 3), { name: 'InvalidThresholdError' })
    assert.throws(() => splitSecret(k, 4, 3), { name: 'InvalidThresholdError' })
    assert.throws(() => splitSecret(k, 2, 256), { name: 'InvalidThresholdError' })
    assert.throws(() => splitSecret(new Uint8Array(32), 2, 3), { name: 'InvalidScalarError' })
    assert.throws(() => lagrangeAtZero([1, 1]), { name: 'InvalidGuardianError' })
    assert.throws(() => lagrangeAtZero([0, 1]), { name: 'InvalidGuardianError' })
    assert.throws(() => publicShare([mulBase(k)], 256), { name: 'InvalidGuardianError' })
  })
})
