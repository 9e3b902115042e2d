/**
 * Weak public keys (issue 12 item 5). With the identity point as an
 * Ed25519 key, R = identity and S = 0 is a valid signature of every message
 * (the cofactorless equation SB = R + hA holds: 0 = 0 + h·0), so anyone can
 * sign as the org that registered it — attestations, receipts, roster
 * approvals — and that org can deny everything. Every small-order point and
 * every non-canonical encoding is refused: as a signer (verifySignature is
 * false), in a roster (WeakKeyError), and small-order X25519 box keys too.
 */
import assert from 'node:assert/strict'
import { x25519 } from '@noble/curves/ed25519.js'
import { fromHex } from '../../../protocol/bytes.js'
import { generateSeed, signerFromSeed, verifySignature, weakEd25519Key } from '../../../protocol/ed25519.js'
import { validateRoster } from '../../../protocol/roster/index.js'
import { weakX25519Key } from '../../../protocol/x25519.js'
import { makeAlliance } from '../../helpers/alliance.js'

/** y-coordinates (little-endian) of the 8 points of order 1, 2, 4, 8, and of non-canonical spellings (y ≥ p). */
const SMALL_ORDER_Y = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity (order 1)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = -1 (order 2)
  '0000000000000000000000000000000000000000000000000000000000000000', // y = 0 (order 4)
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a' // order 8
]
const NON_CANONICAL_Y = [
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p ≡ 0
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1 ≡ 1 (the identity, spelt differently)
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
]
const withSign = (hex: string): Uint8Array => { const b = fromHex(hex); b[31] |= 0x80; return b }

describe('protocol weak keys', () => {
  it('every small-order point and every non-canonical encoding is refused as an Ed25519 key; honest keys pass', () => {
    for (const y of [...SMALL_ORDER_Y, ...NON_CANONICAL_Y]) {
      assert.notEqual(weakEd25519Key(fromHex(y)), undefined, y)
      assert.notEqual(weakEd25519Key(withSign(y)), undefined, `${y} with the sign bit`)
    }
    for (let i = 0; i < 20; i++) assert.equal(weakEd25519Key(signerFromSeed(generateSeed()).publicKey), undefined)
  })

  it('R = identity, S = 0 does not verify under the identity key (it did: a universal forgery)', () => {
    const identity = fromHex(SMALL_ORDER_Y[0])
    const forged = new Uint8Array(64)
    forged.set(identity) // R = identity, S = 0
    for (const msg of ['attestation', 'roster approval', 'receipt']) {
      assert.equal(verifySignature(identity, new TextEncoder().encode(msg), forged), false, msg)
    }
    // the same forgery under each small-order key
    for (const y of SMALL_ORDER_Y) assert.equal(verifySignature(fromHex(y), Uint8Array.of(1, 2, 3), forged), false, y)
  })

  it('small-order and non-canonical X25519 keys are refused; honest keys pass', () => {
    const bad = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880' // an order-8 point with the top bit set
    ]
    for (const k of bad) assert.notEqual(weakX25519Key(fromHex(k)), undefined, k)
    for (let i = 0; i < 20; i++) assert.equal(weakX25519Key(x25519.getPublicKey(x25519.utils.randomSecretKey())), undefined)
  })

  it('a roster naming a small-order signing key or box key is refused by name', () => {
    for (const [field, key] of [['signKey', SMALL_ORDER_Y[0]], ['signKey', NON_CANONICAL_Y[1]], ['boxKey', '0000000000000000000000000000000000000000000000000000000000000000']] as const) {
      const al = makeAlliance()
      const roster = structuredClone(al.roster)
      roster.members[1].nodes[0][field] = fromHex(key)
      assert.throws(() => validateRoster(roster), { name: 'WeakKeyError' }, `${field} ${key}`)
    }
  })
})
