import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fromHex, toHex, utf8 } from '../../../../protocol/bytes.js'
import { FINGERPRINT_KINDS, KIND_REGISTRY, type Kind } from '../../../../protocol/kinds.js'
import {
  createSuite, epochKeyCommitment, hmacKindInfo, hmacKindKey, hmacKindKeyFor, verifyEpochKeyCommitment
} from '../../../../protocol/fingerprint/index.js'
import { renderFingerprintVectors } from '../../../../scripts/make-fingerprint-vectors.js'

interface FingerprintVector {
  description: string
  suite: string
  epoch_key: string
  epoch: number
  kind: Kind
  kind_wire: number
  canonical_version: number
  canonical: string
  canonical_hex: string
  hkdf_info_hex: string
  kind_key: string
  fingerprint: string
}
interface CommitmentVector { epoch_key: string, suite: string, epoch: number, commitment: string }

const text = readFileSync(new URL('../../../vectors/fingerprint.json', import.meta.url), 'utf8')
const file = JSON.parse(text) as {
  registry: Record<string, { kind_wire: number, canonical_version: number }>
  vectors: FingerprintVector[]
  other_canonical_versions: { vectors: FingerprintVector[] }
  epoch_key_commitment: { vectors: CommitmentVector[] }
}

describe('protocol/fingerprint test vectors (test/vectors/fingerprint.json)', () => {
  it('is what scripts/make-fingerprint-vectors.ts writes (run it after changing the registry)', () => {
    assert.equal(text, renderFingerprintVectors())
  })

  it('were made for this registry: every fingerprinted kind\'s wire number and canonical version', () => {
    assert.deepEqual(file.registry, Object.fromEntries(FINGERPRINT_KINDS.map(k => [k, { kind_wire: KIND_REGISTRY[k].wire, canonical_version: KIND_REGISTRY[k].canonicalVersion }])))
  })

  it('holds at least ten fingerprint cases covering every fingerprintable kind', () => {
    assert.ok(file.vectors.length >= 10)
    assert.deepEqual(new Set(file.vectors.map(v => v.kind)), new Set(FINGERPRINT_KINDS))
  })

  for (const v of file.vectors) {
    it(v.description, async () => {
      assert.equal(KIND_REGISTRY[v.kind].wire, v.kind_wire)
      assert.equal(KIND_REGISTRY[v.kind].canonicalVersion, v.canonical_version)
      const canonical = utf8(v.canonical)
      assert.equal(toHex(canonical), v.canonical_hex)
      assert.equal(toHex(hmacKindInfo(v.epoch, v.kind_wire, v.canonical_version)), v.hkdf_info_hex)
      const key = fromHex(v.epoch_key)
      assert.equal(toHex(hmacKindKey(key, v.epoch, v.kind)), v.kind_key)
      const suite = createSuite({ name: v.suite, epoch: v.epoch, key })
      const [batched] = await suite.fingerprintBatch([{ kind: v.kind, canonical }])
      assert.equal(toHex(batched), v.fingerprint)
    })
  }

  it('other canonical versions: the documented derivation gives other fingerprints than the registry\'s version', async () => {
    assert.ok(file.other_canonical_versions.vectors.length >= 2)
    for (const v of file.other_canonical_versions.vectors) {
      assert.notEqual(v.canonical_version, KIND_REGISTRY[v.kind].canonicalVersion)
      const key = fromHex(v.epoch_key)
      assert.equal(toHex(hmacKindInfo(v.epoch, v.kind_wire, v.canonical_version)), v.hkdf_info_hex)
      assert.equal(toHex(hmacKindKeyFor(key, v.epoch, v.kind_wire, v.canonical_version)), v.kind_key)
      const [current] = await createSuite({ name: v.suite, epoch: v.epoch, key }).fingerprintBatch([{ kind: v.kind, canonical: utf8(v.canonical) }])
      assert.notEqual(toHex(current), v.fingerprint, v.description)
    }
  })

  it('epoch-key commitments', () => {
    assert.ok(file.epoch_key_commitment.vectors.length >= 3)
    for (const v of file.epoch_key_commitment.vectors) {
      const key = fromHex(v.epoch_key)
      assert.equal(toHex(epochKeyCommitment(key, v.suite, v.epoch)), v.commitment)
      assert.equal(verifyEpochKeyCommitment(key, v.suite, v.epoch, fromHex(v.commitment)), true)
    }
  })
})
