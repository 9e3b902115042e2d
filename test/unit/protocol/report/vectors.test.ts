/**
 * test/vectors/report.json: this implementation reproduces it byte for byte,
 * and each value checks out independently (decoder, Ed25519 verify,
 * @noble/ciphers ChaCha20-Poly1305, HPKE open).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { fromHex, toHex } from '../../../../protocol/bytes.js'
import { verifySignature } from '../../../../protocol/ed25519.js'
import { decodeReport, decodeSignedReport, encodeReport, reportSignatureMessage, signedReportDigest } from '../../../../protocol/report/index.js'
import { hpkeSuite, openContentKey } from '../../../../protocol/report/hpke.js'
import { makeReportVectors, twoChunkPlaintext, vectorReport } from './make-vectors.js'

const v = JSON.parse(readFileSync(new URL('../../../vectors/report.json', import.meta.url), 'utf8'))

describe('test/vectors/report.json', () => {
  it('this implementation reproduces the committed vectors byte for byte', async () => {
    assert.deepEqual(await makeReportVectors(), v)
  })

  it('the report decodes to the vector report, re-encodes to the same bytes, and its signature verifies', () => {
    const bytes = fromHex(v.report.bytes)
    const report = decodeReport(bytes)
    assert.deepEqual(report, vectorReport(fromHex(v.author.publicKey)))
    assert.equal(toHex(encodeReport(report)), v.report.bytes)
    assert.equal(toHex(reportSignatureMessage(bytes)), v.report.signedMessage)
    assert.ok(verifySignature(fromHex(v.author.publicKey), fromHex(v.report.signedMessage), fromHex(v.report.signature)))
    const signed = decodeSignedReport(fromHex(v.report.signedReport))
    assert.equal(toHex(signed.report), v.report.bytes)
    assert.equal(toHex(signedReportDigest(fromHex(v.report.signedReport))), v.report.signedReportDigest)
    assert.equal(toHex(createHash('sha256').update(fromHex(v.evidence.contents)).digest()), v.evidence.sha256)
    assert.ok(verifySignature(fromHex(v.receipt.recipient.publicKey), fromHex(v.receipt.signedMessage), fromHex(v.receipt.signedReceipt).subarray(-64)))
  })

  it('each stream\'s last chunk opens with @noble/ciphers ChaCha20-Poly1305 under the vector key, nonce and AAD', () => {
    const plaintexts = [fromHex(v.report.signedReport), twoChunkPlaintext(), new Uint8Array(0)]
    for (const [i, s] of (v.streams as any[]).entries()) {
      const pt = plaintexts[i]
      const lastStart = (s.chunks - 1) * 65_536
      const last = chacha20poly1305(fromHex(s.key), fromHex(s.nonces[s.chunks - 1]), fromHex(s.aad)).decrypt(fromHex(s.lastChunk))
      assert.equal(toHex(last), toHex(pt.subarray(lastStart)))
      assert.equal(s.nonces[s.chunks - 1].slice(-2), '01')
    }
  })

  it('the sealed content key opens with the RFC 9180 recipient key and matches the commitment', async () => {
    const key = await openContentKey(fromHex(v.hpke.recipientPrivateKey), fromHex(v.hpke.enc), fromHex(v.hpke.ciphertext), fromHex(v.hpke.info), fromHex('00112233445566778899aabbccddeeff'), fromHex(v.hpke.keyCommitment))
    assert.equal(toHex(key), v.contentKey)
    // enc is the public key of the RFC's ephemeral key pair
    const e = await hpkeSuite.kem.deriveKeyPair(fromHex(v.hpke.ekm))
    assert.equal(toHex(new Uint8Array(await hpkeSuite.kem.serializePublicKey(e.publicKey))), v.hpke.enc)
  })
})
