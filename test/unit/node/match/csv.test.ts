import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Chunker } from '../../../../node/match/chunker.js'
import { IDENTIFIER_COLUMNS, type ListingRow } from '../../../../node/match/columns.js'
import { FieldSplitter } from '../../../../node/match/csv.js'
import { MIN_CACHE_BYTES, ValueCache } from '../../../../node/match/value-cache.js'
import { readListings } from '../../../../node/match/index.js'
import { csvField } from '../../../../node/csv.js'
import { pieces } from './helpers.js'

const dec = new TextDecoder()

/** What matchFile's main thread and workers read: Chunker records (any lane) split by FieldSplitter. */
async function viaChunker (text: string, chunkBytes: number, pieceSize: number, lanes: number): Promise<Array<{ line: number, listing: ListingRow }>> {
  const chunker = new Chunker({ format: 'csv', lanes, chunkBytes, acquire: async () => new SharedArrayBuffer(chunkBytes) })
  const out: Array<{ line: number, listing: ListingRow }> = []
  const sp = new FieldSplitter(64)
  for await (const chunk of chunker.chunks(pieces(text, pieceSize))) {
    const b = new Uint8Array(chunk.buffer, 0, chunk.length)
    const layout = chunker.layout
    assert.ok(layout !== undefined)
    for (const part of chunk.parts) {
      for (let i = 0; i < part.starts.length; i++) {
        sp.split(b, part.starts[i], part.ends[i])
        const field = (f: number): string => f < sp.count ? dec.decode(sp.buf.subarray(sp.starts[f], sp.ends[f])) : ''
        const listing: ListingRow = { listing_id: field(layout.listingIdField) }
        for (const c of layout.present) {
          const v = field(layout.fieldOf[c])
          if (v !== '') listing[IDENTIFIER_COLUMNS[c]] = v
        }
        out.push({ line: part.lines[i], listing })
      }
    }
  }
  return out.sort((a, b) => a.line - b.line)
}

async function viaCsvParse (text: string): Promise<Array<{ line: number, listing: ListingRow }>> {
  const out: Array<{ line: number, listing: ListingRow }> = []
  for await (const r of readListings(pieces(text, 1000), { format: 'csv' })) {
    if ('listing' in r) out.push(r)
  }
  return out
}

const cell = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', 'a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', '""', '"', 'x"y', 'ünï©ødé', '+44 20 7946 0958')
)

function quote (v: string, force: boolean): string {
  return force ? `"${v.replace(/"/g, '""')}"` : csvField(v)
}

const csvFile = fc.record({
  columns: fc.shuffledSubarray([...IDENTIFIER_COLUMNS], { minLength: 1 }),
  rows: fc.array(fc.array(cell, { minLength: 9, maxLength: 9 }), { maxLength: 25 }),
  quoteAll: fc.boolean(),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  blank: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
  upper: fc.boolean(),
  finalNewline: fc.boolean(),
  extra: fc.boolean()
}).map(f => {
  const nl = f.crlf ? '\r\n' : '\n'
  const header = ['listing_id', ...f.columns, ...(f.extra ? ['notes'] : [])].map(h => f.upper ? h.toUpperCase() : h)
  let text = (f.bom ? '\ufeff' : '') + header.join(',') + nl
  f.rows.forEach((cells, i) => {
    if (f.blank[i]) text += nl
    const fields = [`L${i}`, ...f.columns.map((_, j) => cells[j]), ...(f.extra ? [cells[8]] : [])]
    text += fields.map((v, j) => quote(v, f.quoteAll || (j + i) % 5 === 0)).join(',')
    if (i < f.rows.length - 1 || f.finalNewline) text += nl
  })
  return text
})

describe('node/match CSV dialect', () => {
  it('the byte splitter of matchFile reads every record and line number exactly as csv-parse does (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(csvFile, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 3 }), async (text, pieceSize, lanes) => {
      const expected = await viaCsvParse(text)
      assert.deepEqual(await viaChunker(text, 4096, pieceSize, lanes), expected)
    }), { numRuns: 150 })
  })

  it('hashes each field as the value cache does, quoted or not', () => {
    const cache = new ValueCache(MIN_CACHE_BYTES)
    const sp = new FieldSplitter(16)
    sp.hashSeed = cache.seed
    for (const line of ['L1,a@b.com,+44 20 7946 0958', 'L2,"a,b@c.com","say ""hi""",', 'L3,,x\r']) {
      const b = new TextEncoder().encode(line)
      sp.split(b, 0, b.length)
      assert.ok(sp.count >= 3)
      for (let f = 0; f < sp.count; f++) assert.equal(sp.hashes[f], cache.fieldHash(sp.buf, sp.starts[f], sp.ends[f]), `${line} field ${f}`)
    }
  })

  it('keeps records that cross chunk boundaries whole, over many chunks', async () => {
    let text = 'listing_id,email,shop_url\n'
    for (let i = 0; i < 3000; i++) text += i % 7 === 0 ? `L${i},"a${i}@x.com","https://s${i}.example/?q=""1,2""\n3"\n` : `L${i},a${i}@x.com,s${i}.example\n`
    const expected = await viaCsvParse(text)
    assert.equal(expected.length, 3000)
    assert.deepEqual(await viaChunker(text, 4096, 777, 2), expected)
  })

  it('names the line of a record too long for a chunk (an unclosed quote)', async () => {
    const text = 'listing_id,email\nL1,a@b.com\nL2,"never closed\n' + 'x,y\n'.repeat(3000)
    await assert.rejects(viaChunker(text, 4096, 1000, 1), (err: Error & { line?: number }) => {
      assert.equal(err.name, 'ListingsFormatError')
      assert.equal(err.line, 3)
      return true
    })
  })

  it('needs a header with listing_id and an identifier column', async () => {
    await assert.rejects(viaChunker('id,email\n1,a@b.com\n', 4096, 100, 1), { name: 'ListingsFormatError' })
    await assert.rejects(viaChunker('listing_id,notes\n1,x\n', 4096, 100, 1), { name: 'ListingsFormatError' })
    await assert.rejects(viaChunker('', 4096, 100, 1), { name: 'ListingsFormatError' })
  })
})
