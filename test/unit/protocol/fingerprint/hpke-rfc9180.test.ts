/**
 * The sealing ciphersuite of protocol/fingerprint/seal.ts, checked against
 * RFC 9180 Appendix A.2.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * ChaCha20Poly1305, base mode), stored in test/vectors/hpke-rfc9180.json.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { CipherSuite, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { fromHex, toHex, utf8 } from '../../../../protocol/bytes.js'
import { SEAL_HPKE_SUITE } from '../../../../protocol/fingerprint/index.js'

interface Encryption { sequence_number: number, pt: string, aad: string, nonce: string, ct: string }
const v = JSON.parse(readFileSync(new URL('../../../vectors/hpke-rfc9180.json', import.meta.url), 'utf8')) as {
  mode: number, kem_id: number, kdf_id: number, aead_id: number
  info: string, ikmE: string, pkEm: string, skEm: string, ikmR: string, pkRm: string, skRm: string
  enc: string, shared_secret: string, key: string, base_nonce: string
  encryptions: Encryption[]
  exports: Array<{ exporter_context: string, L: number, exported_value: string }>
}

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() })
const hex = (b: ArrayBuffer | Uint8Array): string => toHex(b instanceof Uint8Array ? b : new Uint8Array(b))

describe('HPKE RFC 9180 A.2.1 vectors (the epoch-key sealing ciphersuite)', () => {
  it('is the ciphersuite seal.ts uses', () => {
    assert.deepEqual({ mode: v.mode, kem: v.kem_id, kdf: v.kdf_id, aead: v.aead_id }, SEAL_HPKE_SUITE)
    assert.equal(suite.kem.id, v.kem_id)
    assert.equal(suite.kdf.id, v.kdf_id)
    assert.equal(suite.aead.id, v.aead_id)
  })

  it('opens the published ciphertext with the published recipient key (the check that matters)', async () => {
    const recipientKey = await suite.kem.deserializePrivateKey(fromHex(v.skRm))
    const ctx = await suite.createRecipientContext({ recipientKey, enc: fromHex(v.enc), info: fromHex(v.info) })
    const first = v.encryptions[0]
    assert.equal(first.sequence_number, 0)
    assert.equal(hex(await ctx.open(fromHex(first.ct), fromHex(first.aad))), first.pt)
    // Consecutive sequence numbers continue on the same context.
    for (const e of v.encryptions.filter(e => e.sequence_number === 1 || e.sequence_number === 2)) {
      assert.equal(hex(await ctx.open(fromHex(e.ct), fromHex(e.aad))), e.pt)
    }
  })

  it('derives the published key pairs and shared secret', async () => {
    const r = await suite.kem.deriveKeyPair(fromHex(v.ikmR))
    assert.equal(hex(await suite.kem.serializePrivateKey(r.privateKey)), v.skRm)
    assert.equal(hex(await suite.kem.serializePublicKey(r.publicKey)), v.pkRm)
    const e = await suite.kem.deriveKeyPair(fromHex(v.ikmE))
    assert.equal(hex(await suite.kem.serializePrivateKey(e.privateKey)), v.skEm)
    assert.equal(hex(await suite.kem.serializePublicKey(e.publicKey)), v.pkEm)
    assert.equal(toHex(x25519.getPublicKey(fromHex(v.skRm))), v.pkRm)
    assert.equal(v.enc, v.pkEm)
    const shared = await suite.kem.decap({ recipientKey: r.privateKey, enc: fromHex(v.enc) })
    assert.equal(hex(shared), v.shared_secret)
  })

  it('seals every published encryption with the published ephemeral key', async () => {
    const recipientPublicKey = await suite.kem.deserializePublicKey(fromHex(v.pkRm))
    const sender = await suite.createSenderContext({ recipientPublicKey, info: fromHex(v.info), ekm: fromHex(v.ikmE) })
    assert.equal(hex(sender.enc), v.enc)
    const bySeq = new Map(v.encryptions.map(e => [e.sequence_number, e]))
    const last = Math.max(...bySeq.keys())
    const pt = fromHex(v.encryptions[0].pt)
    for (let seq = 0; seq <= last; seq++) {
      // The RFC's aad for sequence number n is "Count-n".
      const ct = await sender.seal(pt, utf8(`Count-${seq}`))
      const e = bySeq.get(seq)
      if (e !== undefined) {
        assert.equal(hex(utf8(`Count-${seq}`)), e.aad)
        assert.equal(hex(ct), e.ct, `sequence number ${seq}`)
      }
    }
  })

  it('the published key and nonces reproduce every ciphertext (ChaCha20-Poly1305, RFC 8439)', () => {
    const baseNonce = fromHex(v.base_nonce)
    for (const e of v.encryptions) {
      const nonce = baseNonce.slice()
      const seq = new Uint8Array(12)
      new DataView(seq.buffer).setBigUint64(4, BigInt(e.sequence_number))
      for (let i = 0; i < 12; i++) nonce[i] ^= seq[i]
      assert.equal(toHex(nonce), e.nonce)
      assert.equal(toHex(chacha20poly1305(fromHex(v.key), nonce, fromHex(e.aad)).encrypt(fromHex(e.pt))), e.ct)
    }
  })

  it('exports the published secrets', async () => {
    const recipientKey = await suite.kem.deserializePrivateKey(fromHex(v.skRm))
    const ctx = await suite.createRecipientContext({ recipientKey, enc: fromHex(v.enc), info: fromHex(v.info) })
    for (const x of v.exports) {
      assert.equal(hex(await ctx.export(fromHex(x.exporter_context), x.L)), x.exported_value)
    }
  })
})
