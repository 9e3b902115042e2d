import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeEntry, encodeEntry } from '../../../../protocol/codec/index.js'
import { readEntryHeader } from '../../../../node/store/entry-header.js'
import { entry } from '../../../helpers/arbitraries.js'
import { applyMutations, mutations } from '../../../helpers/mutate.js'

describe('node/store entry header reader', () => {
  it('reads exactly what decodeEntry reads from canonical entries', () => {
    fc.assert(fc.property(entry, e => {
      const bytes = encodeEntry(e)
      const d = decodeEntry(bytes)
      const h = readEntryHeader(bytes)
      assert.ok(h !== undefined)
      assert.deepEqual([...h.author], [...d.author])
      assert.equal(h.seq, d.seq)
      assert.deepEqual([...h.prev], [...d.prev])
      assert.equal(h.time, d.time)
    }), { numRuns: 300 })
  })

  it('never throws on damaged or random bytes', () => {
    fc.assert(fc.property(entry, mutations, (e, ms) => { readEntryHeader(applyMutations(encodeEntry(e), ms)) }), { numRuns: 300 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), b => { readEntryHeader(b) }), { numRuns: 300 })
  })

  it('refuses fields out of order, repeated, or of the wrong wire type', () => {
    // author(1) = 32 bytes of 7, seq(2) = 5
    const author = [0x0a, 32, ...Array(32).fill(7)]
    const seq = [0x10, 5]
    assert.equal(readEntryHeader(Uint8Array.from([...author, ...seq]))?.seq, 5)
    assert.equal(readEntryHeader(Uint8Array.from([...seq, ...author])), undefined)
    assert.equal(readEntryHeader(Uint8Array.from([...author, ...seq, ...seq])), undefined)
    assert.equal(readEntryHeader(Uint8Array.from([...author, 0x12, 1, 5])), undefined)
    assert.equal(readEntryHeader(Uint8Array.from([...author])), undefined)
  })
})
