import assert from 'node:assert/strict'
import { toHex } from '../../../../protocol/bytes.js'
import { epochKeyCommitment, generateEpochKey, verifyEpochKeyCommitment } from '../../../../protocol/fingerprint/index.js'

describe('protocol/fingerprint epoch keys', () => {
  it('generateEpochKey returns 32 fresh random bytes', () => {
    const keys = Array.from({ length: 50 }, () => generateEpochKey())
    for (const k of keys) assert.equal(k.length, 32)
    assert.equal(new Set(keys.map(toHex)).size, keys.length)
  })

  it('the commitment binds key, suite and epoch', () => {
    const key = generateEpochKey()
    const c = epochKeyCommitment(key, 'hmac-sha256', 3)
    assert.equal(c.length, 32)
    const other = key.slice(); other[0] ^= 1
    assert.notDeepEqual(epochKeyCommitment(other, 'hmac-sha256', 3), c)
    assert.notDeepEqual(epochKeyCommitment(key, 'hmac-sha256', 4), c)
    assert.notDeepEqual(epochKeyCommitment(key, 'toprf-ristretto255', 3), c)
    assert.equal(verifyEpochKeyCommitment(key, 'hmac-sha256', 3, c), true)
    assert.equal(verifyEpochKeyCommitment(other, 'hmac-sha256', 3, c), false)
    assert.equal(verifyEpochKeyCommitment(key, 'hmac-sha256', 3, c.subarray(0, 31)), false)
  })

  it('rejects bad inputs with named errors', () => {
    assert.throws(() => epochKeyCommitment(new Uint8Array(31), 'hmac-sha256', 1), { name: 'InvalidEpochKeyError' })
    assert.throws(() => epochKeyCommitment(new Uint8Array(32), '', 1), { name: 'InvalidContextError' })
    assert.throws(() => epochKeyCommitment(new Uint8Array(32), 'a\u0000b', 1), { name: 'InvalidContextError' })
    assert.throws(() => epochKeyCommitment(new Uint8Array(32), 'hmac-sha256', 2 ** 32), { name: 'InvalidEpochError' })
  })
})
