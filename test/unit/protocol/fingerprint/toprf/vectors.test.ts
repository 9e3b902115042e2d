import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ristretto255_oprf } from '@noble/curves/ed25519.js'
import { fromHex, toHex, utf8 } from '../../../../../protocol/bytes.js'
import { FINGERPRINT_DOMAINS, KIND_REGISTRY, KINDS, type Kind } from '../../../../../protocol/kinds.js'
import { createToprfGuardian, createToprfSuite, fingerprintWithKey, toprfCanonicalVersion, toprfInput, toprfKindWire } from '../../../../../protocol/fingerprint/toprf/index.js'
import { splitSecret } from '../../../../../protocol/fingerprint/toprf/shamir.js'
import { network, refs } from './helpers.js'

interface V { kind: Kind, kind_wire: number, canonical_version: number, epoch: number, canonical: string, input: string, oprf_output: string, fingerprint: string }
const file = JSON.parse(readFileSync(new URL('../../../../vectors/toprf-fingerprint.json', import.meta.url), 'utf8')) as {
  seed: string, key_info: string, secret_key: string, public_key: string, vectors: V[]
}

describe('protocol/fingerprint/toprf test vectors (test/vectors/toprf-fingerprint.json)', () => {
  it('cover every fingerprintable kind, and one canonical value under two kinds and two epochs', () => {
    assert.equal(new Set(file.vectors.map(v => v.kind)).size, KINDS.length - 1)
    assert.ok(file.vectors.length >= 10)
  })

  it('bind each kind\'s wire number and canonical version from the identity registry, as hmac-sha256 does', () => {
    for (const d of FINGERPRINT_DOMAINS) {
      assert.equal(toprfKindWire(d.kind), d.kindWire, d.kind)
      assert.equal(toprfCanonicalVersion(d.kind), d.canonicalVersion, d.kind)
    }
  })

  it('the key is the RFC 9497 DeriveKeyPair of the seed (noble)', () => {
    const kp = ristretto255_oprf.voprf.deriveKeyPair(fromHex(file.seed), fromHex(file.key_info))
    assert.equal(toHex(kp.secretKey), file.secret_key)
    assert.equal(toHex(kp.publicKey), file.public_key)
  })

  for (const v of file.vectors) {
    it(`${v.kind} epoch ${v.epoch} ${JSON.stringify(v.canonical)}: input bytes, OPRF output (noble) and fingerprint (node:crypto)`, () => {
      // the input, rebuilt here from the documented layout
      const tag = utf8('alliance-node/v1/toprf-input\u0000')
      const head = new Uint8Array(7)
      const dv = new DataView(head.buffer)
      dv.setUint8(0, KIND_REGISTRY[v.kind].wire)
      dv.setUint32(1, v.epoch)
      dv.setUint16(5, KIND_REGISTRY[v.kind].canonicalVersion)
      const expectedInput = toHex(new Uint8Array([...tag, ...head, ...utf8(v.canonical)]))
      assert.equal(expectedInput, v.input)
      assert.equal(toHex(toprfInput(v.kind, v.epoch, utf8(v.canonical))), v.input)
      assert.equal(v.kind_wire, KIND_REGISTRY[v.kind].wire)
      assert.equal(v.canonical_version, KIND_REGISTRY[v.kind].canonicalVersion)
      // the OPRF output by the independent implementation
      const { voprf } = ristretto255_oprf
      const input = fromHex(v.input)
      const b = voprf.blind(input)
      const ev = voprf.blindEvaluate(fromHex(file.secret_key), fromHex(file.public_key), b.blinded)
      assert.equal(toHex(voprf.finalize(input, b.blind, ev.evaluated, b.blinded, fromHex(file.public_key), ev.proof)), v.oprf_output)
      // the fingerprint
      const fp = createHash('sha256').update('alliance-node/v1/toprf-fingerprint\u0000').update(fromHex(v.oprf_output)).digest('hex')
      assert.equal(fp, v.fingerprint)
      assert.equal(toHex(fingerprintWithKey(fromHex(file.secret_key), v.epoch, v.kind, utf8(v.canonical))), v.fingerprint)
    })
  }

  it('the threshold suite reproduces them with the vector key split 2-of-3', async () => {
    const epochs = [...new Set(file.vectors.map(v => v.epoch))]
    const { commitments, shares } = splitSecret(fromHex(file.secret_key), 2, 3)
    for (const epoch of epochs) {
      const guardians = shares.map((share, i) => createToprfGuardian({ epoch, index: i + 1, share, commitments }))
      const suite = createToprfSuite({ epoch, threshold: 2, commitments, guardians: refs(guardians).slice(1), evaluate: network(guardians).evaluate })
      const vs = file.vectors.filter(v => v.epoch === epoch)
      const out = await suite.fingerprintBatch(vs.map(v => ({ kind: v.kind, canonical: utf8(v.canonical) })))
      assert.deepEqual(out.map(toHex), vs.map(v => v.fingerprint))
    }
  })
})
