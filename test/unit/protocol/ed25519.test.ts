import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { fromHex, toHex } from '../../../protocol/bytes.js'
import { InvalidKeyError, signerFromSeed, verifySignature } from '../../../protocol/ed25519.js'

interface Vector { name: string, secretKey?: string, publicKey: string, message: string, signature: string }
const { vectors } = JSON.parse(readFileSync(new URL('../../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as { vectors: Vector[] }

describe('protocol/ed25519', () => {
  for (const v of vectors) {
    it(`RFC 8032 ${v.name}: verifies the published signature`, () => {
      assert.equal(verifySignature(fromHex(v.publicKey), fromHex(v.message), fromHex(v.signature)), true)
      const flipped = fromHex(v.signature)
      flipped[0] ^= 1
      assert.equal(verifySignature(fromHex(v.publicKey), fromHex(v.message), flipped), false)
    })
    if (v.secretKey !== undefined) {
      const seed = v.secretKey
      it(`RFC 8032 ${v.name}: derives the public key and reproduces the signature`, () => {
        const signer = signerFromSeed(fromHex(seed))
        assert.equal(toHex(signer.publicKey), v.publicKey)
        assert.equal(toHex(signer.sign(fromHex(v.message))), v.signature)
      })
    }
  }

  it('never throws on malformed keys or signatures, it answers false', () => {
    assert.equal(verifySignature(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)), false)
    assert.equal(verifySignature(new Uint8Array(32), new Uint8Array(0), new Uint8Array(63)), false)
  })

  it('rejects seeds of the wrong length with a named error', () => {
    assert.throws(() => signerFromSeed(new Uint8Array(31)), { name: 'InvalidKeyError' })
    assert.ok(new InvalidKeyError('x') instanceof Error)
  })

  it('a signer does not reveal its private key through inspect or JSON', () => {
    const seed = fromHex(vectors[0].secretKey as string)
    const signer = signerFromSeed(seed)
    const shown = inspect(signer, { showHidden: true, depth: 5 }) + JSON.stringify(signer)
    assert.ok(!shown.includes(toHex(seed)))
    assert.ok(!shown.includes(Buffer.from(seed).toString('base64')))
    assert.ok(!shown.includes(Buffer.from(seed).toString('base64url')))
  })
})
