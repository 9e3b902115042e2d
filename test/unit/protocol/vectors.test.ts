import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fromHex, toHex } from '../../../protocol/bytes.js'
import { decodeEntry, encodeEntry } from '../../../protocol/codec/index.js'
import { entryId, verifyEntrySignature } from '../../../protocol/log/index.js'
import { makeVectors } from '../../../scripts/make-entry-vectors.js'

const vectors = JSON.parse(readFileSync(new URL('../../vectors/entries.json', import.meta.url), 'utf8'))

describe('test/vectors/entries.json', () => {
  it('this implementation reproduces the committed entry vectors byte for byte', () => {
    assert.deepEqual(makeVectors(), vectors)
  })

  it('each vector entry decodes, re-encodes to the same bytes, and hashes to its id', () => {
    for (const v of vectors.entries as Array<{ bytes: string, id: string }>) {
      const bytes = fromHex(v.bytes)
      assert.equal(toHex(encodeEntry(decodeEntry(bytes))), v.bytes)
      assert.equal(toHex(entryId(bytes)), v.id)
    }
    const last = vectors.entries[vectors.entries.length - 1]
    assert.ok(verifyEntrySignature(fromHex(vectors.author), vectors.alliance, fromHex(last.id), fromHex(vectors.segmentSignature)))
  })
})
