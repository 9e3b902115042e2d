/**
 * The primitives under the envelope: HPKE against RFC 9180 A.2.1 through the
 * report module's own sealing code, and the STREAM chunk cipher (node:crypto)
 * against @noble/ciphers, with its chunking rules.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import fc from 'fast-check'
import { fromHex, toHex } from '../../../../protocol/bytes.js'
import { REPORT_HPKE_SUITE, STREAM_CHUNK_BYTES } from '../../../../protocol/report/index.js'
import { hpkeSuite, openContentKey, reportSealInfo, sealContentKey, contentKeyCommitment } from '../../../../protocol/report/hpke.js'
import { chunked, StreamOpener, StreamSealer, streamAad, streamKey, streamNonce } from '../../../../protocol/report/stream.js'
import { pseudoRandom } from './helpers.js'

const v = JSON.parse(readFileSync(new URL('../../../vectors/hpke-rfc9180.json', import.meta.url), 'utf8'))

describe('protocol/report HPKE (RFC 9180 A.2.1 known answers)', () => {
  it('is the suite of the vectors: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305', () => {
    assert.deepEqual({ mode: v.mode, kem: v.kem_id, kdf: v.kdf_id, aead: v.aead_id }, REPORT_HPKE_SUITE)
    assert.deepEqual([hpkeSuite.kem.id, hpkeSuite.kdf.id, hpkeSuite.aead.id], [v.kem_id, v.kdf_id, v.aead_id])
  })

  it('sealContentKey with the RFC ephemeral key and info yields the RFC enc, under the RFC key and base nonce', async () => {
    const pt = fromHex(v.encryptions[0].pt)
    const { enc, ciphertext } = await sealContentKey(fromHex(v.pkRm), fromHex(v.info), pt, fromHex(v.ikmE))
    assert.equal(toHex(enc), v.enc)
    // The report module seals with an empty AAD: the published key and base nonce must open it.
    assert.equal(toHex(chacha20poly1305(fromHex(v.key), fromHex(v.base_nonce), new Uint8Array(0)).decrypt(ciphertext)), v.encryptions[0].pt)
  })

  it('opens the published ciphertext with the published recipient key', async () => {
    const recipientKey = await hpkeSuite.kem.deserializePrivateKey(fromHex(v.skRm))
    const pt = await hpkeSuite.open({ recipientKey, enc: fromHex(v.enc), info: fromHex(v.info) }, fromHex(v.encryptions[0].ct), fromHex(v.encryptions[0].aad))
    assert.equal(toHex(new Uint8Array(pt)), v.encryptions[0].pt)
  })

  it('the WebCrypto X25519 KEM and the pure-JS @hpke/dhkem-x25519 one interoperate', async () => {
    const { CipherSuite, HkdfSha256 } = await import('@hpke/core')
    const { DhkemX25519HkdfSha256 } = await import('@hpke/dhkem-x25519')
    const { Chacha20Poly1305 } = await import('@hpke/chacha20poly1305')
    const noble = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() })
    const s = await sealContentKey(fromHex(v.pkRm), fromHex(v.info), pseudoRandom(32, 8))
    const recipientKey = await noble.kem.deserializePrivateKey(fromHex(v.skRm))
    assert.equal(toHex(new Uint8Array(await noble.open({ recipientKey, enc: s.enc, info: fromHex(v.info) }, s.ciphertext))), toHex(pseudoRandom(32, 8)))
  })

  it('a content key opens only for its alliance and report id, and only if it matches the commitment', async () => {
    const id = pseudoRandom(16, 1)
    const key = pseudoRandom(32, 2)
    const info = reportSealInfo('acme', id)
    const s = await sealContentKey(fromHex(v.pkRm), info, key)
    const c = contentKeyCommitment(key, id)
    assert.equal(toHex(await openContentKey(fromHex(v.skRm), s.enc, s.ciphertext, info, id, c)), toHex(key))
    await assert.rejects(openContentKey(fromHex(v.skRm), s.enc, s.ciphertext, reportSealInfo('acme2', id), id, c), { name: 'ContentKeyError' })
    await assert.rejects(openContentKey(fromHex(v.skRm), s.enc, s.ciphertext, reportSealInfo('acme', pseudoRandom(16, 3)), id, c), { name: 'ContentKeyError' })
    await assert.rejects(openContentKey(fromHex(v.skRm), s.enc, s.ciphertext, info, id, contentKeyCommitment(pseudoRandom(32, 4), id)), { name: 'ContentKeyError' })
    await assert.rejects(sealContentKey(new Uint8Array(32), info, key), { name: 'InvalidBoxKeyError' }) // low-order point
  })
})

describe('protocol/report STREAM chunks', () => {
  it('nonce = 11-byte big-endian counter || last flag (age v1)', () => {
    assert.equal(toHex(streamNonce(0, false)), '000000000000000000000000')
    assert.equal(toHex(streamNonce(1, true)), '000000000000000000000101')
    assert.equal(toHex(streamNonce(2 ** 40 + 2, false)), '000000000001000000000200')
  })

  it('node:crypto ChaCha20-Poly1305 chunks are byte-identical to @noble/ciphers', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (key, pt, last) => {
      const aad = streamAad(pseudoRandom(16, 9), 3)
      const ours = new StreamSealer(key, aad).seal(pt, last)
      const noble = chacha20poly1305(key, streamNonce(0, last), aad).encrypt(pt)
      assert.equal(toHex(ours), toHex(noble))
      assert.equal(toHex(new StreamOpener(key, aad).open(ours, last) as Uint8Array), toHex(pt))
      assert.equal(new StreamOpener(key, aad).open(ours, !last), undefined)
    }), { numRuns: 100 })
  })

  it('stream keys differ per stream and per report', () => {
    const k = pseudoRandom(32, 5)
    const id = pseudoRandom(16, 6)
    const keys = new Set([streamKey(k, id, 0), streamKey(k, id, 1), streamKey(k, pseudoRandom(16, 7), 0)].map(toHex))
    assert.equal(keys.size, 3)
  })

  it('chunks: full chunks then one last chunk; empty only for an empty stream; any input piece sizes', async () => {
    const cases = [0, 1, STREAM_CHUNK_BYTES - 1, STREAM_CHUNK_BYTES, STREAM_CHUNK_BYTES + 1, 3 * STREAM_CHUNK_BYTES]
    for (const n of cases) {
      const data = pseudoRandom(n, n + 1)
      for (const piece of [1000, 65_536, 100_000]) {
        const out: Array<{ data: Uint8Array, last: boolean }> = []
        for await (const c of chunked((async function * () { for (let i = 0; i < n; i += piece) yield data.subarray(i, i + piece) })())) out.push({ data: c.data.slice(), last: c.last })
        assert.equal(out.filter(c => c.last).length, 1)
        assert.equal(out[out.length - 1].last, true)
        assert.ok(out.slice(0, -1).every(c => c.data.length === STREAM_CHUNK_BYTES))
        assert.ok(out[out.length - 1].data.length > 0 || n === 0)
        assert.equal(toHex(Buffer.concat(out.map(c => c.data))), toHex(data))
      }
    }
  })
})
