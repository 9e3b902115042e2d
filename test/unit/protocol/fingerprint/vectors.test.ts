import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fromHex, toHex, utf8 } from '../../../../protocol/bytes.js'
import { KIND_REGISTRY, KINDS, type Kind } from '../../../../protocol/kinds.js'
import { createSuite, epochKeyCommitment, hmacKindKey, verifyEpochKeyCommitment } from '../../../../protocol/fingerprint/index.js'

interface FingerprintVector {
  description: string
  suite: string
  epoch_key: string
  epoch: number
  kind: Kind
  kind_wire: number
  canonical: string
  canonical_hex: string
  hkdf_info_hex: string
  kind_key: string
  fingerprint: string
}
interface CommitmentVector { epoch_key: string, suite: string, epoch: number, commitment: string }

const file = JSON.parse(readFileSync(new URL('../../../vectors/fingerprint.json', import.meta.url), 'utf8')) as {
  vectors: FingerprintVector[]
  epoch_key_commitment: { vectors: CommitmentVector[] }
}

describe('protocol/fingerprint test vectors (test/vectors/fingerprint.json)', () => {
  it('holds at least ten fingerprint cases covering every fingerprintable kind', () => {
    assert.ok(file.vectors.length >= 10)
    assert.equal(new Set(file.vectors.map(v => v.kind)).size, KINDS.length - 1)
  })

  for (const v of file.vectors) {
    it(v.description, async () => {
      assert.equal(KIND_REGISTRY[v.kind].wire, v.kind_wire)
      const canonical = utf8(v.canonical)
      assert.equal(toHex(canonical), v.canonical_hex)
      const key = fromHex(v.epoch_key)
      assert.equal(toHex(hmacKindKey(key, v.epoch, v.kind)), v.kind_key)
      const suite = createSuite({ name: v.suite, epoch: v.epoch, key })
      const [batched] = await suite.fingerprintBatch([{ kind: v.kind, canonical }])
      assert.equal(toHex(batched), v.fingerprint)
    })
  }

  it('epoch-key commitments', () => {
    assert.ok(file.epoch_key_commitment.vectors.length >= 3)
    for (const v of file.epoch_key_commitment.vectors) {
      const key = fromHex(v.epoch_key)
      assert.equal(toHex(epochKeyCommitment(key, v.suite, v.epoch)), v.commitment)
      assert.equal(verifyEpochKeyCommitment(key, v.suite, v.epoch, fromHex(v.commitment)), true)
    }
  })
})
