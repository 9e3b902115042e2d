import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { TAGS, tagPrefix, taggedHash, taggedHasher } from '../../../protocol/hash.js'

describe('protocol/hash', () => {
  const reference = (data: Uint8Array[]): string => {
    const h = createHash('sha256').update(tagPrefix(TAGS.entryId))
    for (const d of data) h.update(d)
    return h.digest('hex')
  }

  it('taggedHash = SHA-256(utf8(tag) || 0x00 || data...), for small inputs (one-shot path) and ones over 64 KiB (incremental path)', () => {
    for (const sizes of [[0], [1], [150], [32, 7, 0, 300], [65_536], [70_000, 3]]) {
      const parts = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (i * 31 + j) & 0xff))
      assert.equal(Buffer.from(taggedHash(TAGS.entryId, ...parts)).toString('hex'), reference(parts), `sizes ${sizes.join(',')}`)
      const inc = taggedHasher(TAGS.entryId)
      for (const p of parts) inc.update(p)
      assert.equal(inc.digest('hex'), reference(parts))
    }
  })

  it('each result is its own array (the scratch buffer is never handed out)', () => {
    const a = taggedHash(TAGS.entryId, Uint8Array.of(1))
    const b = taggedHash(TAGS.entryId, Uint8Array.of(2))
    assert.notDeepEqual(a, b)
    assert.equal(a.buffer.byteLength, 32)
  })
})
