import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeEntry, encodeEntry } from '../../../../protocol/codec/index.js'
import { headerTime, readEntryHeader } from '../../../../node/store/entry-header.js'
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

  it('headerTime says what reading the header and comparing its fields says, on intact, damaged and random bytes', () => {
    const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0
    const old = (b: Uint8Array, author: Uint8Array, seq: number, prev: Uint8Array): number => {
      const h = readEntryHeader(b)
      return h === undefined || h.seq !== seq || !same(h.author, author) || !same(h.prev, prev) ? -1 : h.time
    }
    fc.assert(fc.property(entry, mutations, fc.boolean(), (e, ms, mutate) => {
      const intact = encodeEntry(e)
      const b = mutate ? applyMutations(intact, ms) : intact
      assert.equal(headerTime(b, e.author, e.seq, e.prev), old(b, e.author, e.seq, e.prev))
      if (!mutate) assert.equal(headerTime(b, e.author, e.seq, e.prev), e.time)
      // the wrong expectations are refused as before
      assert.equal(headerTime(b, e.author, e.seq + 1, e.prev), old(b, e.author, e.seq + 1, e.prev))
      assert.equal(headerTime(b, e.prev, e.seq, e.author), old(b, e.prev, e.seq, e.author))
      assert.equal(headerTime(b, e.author, e.seq, new Uint8Array(0)), old(b, e.author, e.seq, new Uint8Array(0)))
      assert.equal(headerTime(b, e.author, e.seq, e.author), old(b, e.author, e.seq, e.author))
    }), { numRuns: 1000 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 33 }), fc.nat({ max: 5 }), fc.uint8Array({ maxLength: 33 }), (b, a, seq, p) => {
      assert.equal(headerTime(b, a, seq, p), old(b, a, seq, p))
    }), { numRuns: 1000 })
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
