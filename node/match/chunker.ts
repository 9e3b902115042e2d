/**
 * Cuts a byte stream of listings into chunks of whole records and assigns
 * every record to a lane — the main thread's whole share of a scan, kept to
 * byte scanning so it never becomes the bottleneck.
 *
 * - Bytes are copied once, into SharedArrayBuffer chunks from a bounded pool
 *   (`acquire`), which every lane reads in place: memory is bounded by the
 *   pool whatever the input size, and a partial record at a chunk's end
 *   moves to the next chunk.
 * - CSV: the header row maps columns (columns.ts); records end at a newline
 *   outside quotes (csv.ts). JSONL: one object per non-blank line.
 * - Routing: a record goes to lane hash(value of the route column) mod
 *   lanes, the seller account when there is one (columns.ts ROUTE_PREFERENCE),
 *   so all listings of a seller meet the same lane's value cache and each
 *   distinct value is canonicalised once per scan, not once per lane
 *   (canonicalising a phone number costs ~50 µs here, a cache hit ~0.1 µs).
 *   A seller with a huge share of listings loads one lane more; its
 *   listings are cache hits, the cheap case.
 * - Lines: a record's line is the 1-based line it starts on (header = 1).
 */
import { ListingsFormatError } from './errors.js'
import { layoutOf, routeColumnOf, type ColumnLayout, type ColumnRenames } from './columns.js'
import { CR, FieldSplitter, LF, QUOTE, COMMA, bomLength, countLines, recordEnd, splitToStrings } from './csv.js'
import type { InputFormat } from './batch.js'

export interface ChunkPart {
  starts: Int32Array
  ends: Int32Array
  lines: Float64Array
}

export interface Chunk {
  buffer: SharedArrayBuffer
  length: number
  /** Records per lane. */
  parts: ChunkPart[]
  rows: number
  /** Input bytes consumed up to the end of this chunk. */
  bytes: number
}

export interface ChunkerInit {
  format: InputFormat
  lanes: number
  /** Bytes per chunk: the longest record that can be read. */
  chunkBytes: number
  renames?: ColumnRenames
  /** JSONL: the key of the route column. */
  jsonRouteKey?: string
  /** Waits for a free chunk buffer of chunkBytes. */
  acquire: () => Promise<SharedArrayBuffer>
}

class PartBuilder {
  starts = new Int32Array(1024)
  ends = new Int32Array(1024)
  lines = new Float64Array(1024)
  n = 0

  push (s: number, e: number, line: number): void {
    if (this.n === this.starts.length) {
      const cap = this.n * 2
      const a = new Int32Array(cap); a.set(this.starts); this.starts = a
      const b = new Int32Array(cap); b.set(this.ends); this.ends = b
      const c = new Float64Array(cap); c.set(this.lines); this.lines = c
    }
    this.starts[this.n] = s
    this.ends[this.n] = e
    this.lines[this.n] = line
    this.n++
  }

  take (): ChunkPart {
    const part = { starts: this.starts.slice(0, this.n), ends: this.ends.slice(0, this.n), lines: this.lines.slice(0, this.n) }
    this.n = 0
    return part
  }
}

export class Chunker {
  readonly #init: ChunkerInit
  readonly #parts: PartBuilder[]
  readonly #splitter = new FieldSplitter(256)
  /** The CSV header's layout, once read. */
  layout: ColumnLayout | undefined
  #routeField = -1
  #routeKey: Uint8Array | undefined
  #buf!: Buffer
  #sab!: SharedArrayBuffer
  #fill = 0
  #line = 1
  #started = false
  #rr = 0
  #bytes = 0
  #leftover = new Uint8Array(0)

  constructor (init: ChunkerInit) {
    this.#init = init
    this.#parts = Array.from({ length: init.lanes }, () => new PartBuilder())
    if (init.format === 'jsonl' && init.jsonRouteKey !== undefined) this.#routeKey = Buffer.from(JSON.stringify(init.jsonRouteKey))
  }

  /** Chunks of whole records, in input order. */
  async * chunks (input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Chunk> {
    const cap = this.#init.chunkBytes
    await this.#next(new Uint8Array(0))
    for await (const piece of input) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece
      let off = 0
      while (off < bytes.length) {
        const n = Math.min(bytes.length - off, cap - this.#fill)
        this.#buf.set(bytes.subarray(off, off + n), this.#fill)
        this.#fill += n
        off += n
        this.#bytes += n
        if (this.#fill === cap) {
          const chunk = this.#cut(false)
          if (chunk !== undefined) {
            yield chunk
            await this.#next(this.#leftover)
          }
        }
      }
    }
    const last = this.#cut(true)
    if (last !== undefined) yield last
    if (this.#init.format === 'csv' && this.layout === undefined) throw new ListingsFormatError('the file is empty: a CSV listings file starts with a header row (listing_id, seller_account, email, ...)', 1)
  }

  async #next (leftover: Uint8Array): Promise<void> {
    this.#sab = await this.#init.acquire()
    this.#buf = Buffer.from(this.#sab)
    this.#buf.set(leftover, 0)
    this.#fill = leftover.length
  }

  /** Finds the whole records in the current buffer; returns them as a chunk (or undefined) and starts the next buffer. */
  #cut (eof: boolean): Chunk | undefined {
    const b = this.#buf.subarray(0, this.#fill)
    const end = this.#fill
    let p = 0
    if (!this.#started) {
      p = bomLength(b, end)
      this.#started = true
    }
    const csv = this.#init.format === 'csv'
    if (csv && this.layout === undefined) {
      p = this.#skipEmpty(b, p, end)
      const e = recordEnd(b, p, end, eof)
      if (e < 0) return this.#carry(b, p, eof)
      if (e === p) return this.#carry(b, p, eof) // only empty input so far
      this.layout = layoutOf(splitToStrings(b, p, e), this.#init.renames)
      const route = routeColumnOf(this.layout.present)
      this.#routeField = route < 0 ? -1 : this.layout.fieldOf[route]
      this.#line += 1 + countLines(b, p, e)
      p = e + 1
    }
    let rows = 0
    let quote = -1 // next quote at or after p, or end when none
    const lanes = this.#init.lanes
    while (p < end) {
      let nl = b.indexOf(LF, p)
      if (nl < 0) nl = end
      let e = nl
      let extra = 0
      if (csv) {
        if (quote < p) {
          quote = b.indexOf(QUOTE, p)
          if (quote < 0) quote = end
        }
        if (quote < nl) {
          e = recordEnd(b, p, end, eof)
          if (e < 0) break
          extra = countLines(b, p, e)
        }
      }
      if (e === end && !eof) break // no newline yet: the record continues in the next chunk
      let re = e
      if (re > p && b[re - 1] === CR) re--
      if (re > p && !(csv ? false : isBlank(b, p, re))) {
        const lane = lanes === 1 ? 0 : this.#route(b, p, re, csv, quote < e)
        this.#parts[lane].push(p, re, this.#line)
        rows++
      }
      this.#line += 1 + extra
      p = e + 1
    }
    if (p > end) p = end
    if (rows === 0) return this.#carry(b, p, eof)
    const chunk: Chunk = { buffer: this.#sab, length: end, parts: this.#parts.map(x => x.take()), rows, bytes: this.#bytes - (end - p) }
    // the partial record at the end moves to the next buffer (copied now: this one belongs to the chunk)
    this.#leftover = new Uint8Array(end - p)
    this.#leftover.set(b.subarray(p, end))
    return chunk
  }

  /** No complete record: keep the bytes (moving them to a fresh buffer start) unless the buffer is full. */
  #carry (b: Uint8Array, p: number, eof: boolean): undefined {
    if (eof) return undefined
    if (p === 0 && this.#fill === this.#init.chunkBytes) {
      throw new ListingsFormatError(`a record is longer than ${this.#init.chunkBytes} bytes (an unclosed quote, or not a listings file)`, this.#line)
    }
    if (p > 0) {
      b.copyWithin(0, p, this.#fill)
      this.#fill -= p
    }
    return undefined
  }

  #skipEmpty (b: Uint8Array, p: number, end: number): number {
    for (;;) {
      if (p < end && b[p] === LF) { p++; this.#line++; continue }
      if (p + 1 < end && b[p] === CR && b[p + 1] === LF) { p += 2; this.#line++; continue }
      return p
    }
  }

  #route (b: Uint8Array, s: number, e: number, csv: boolean, quoted: boolean): number {
    const lanes = this.#init.lanes
    let fs = -1
    let fe = -1
    if (csv) {
      const k = this.#routeField
      if (k >= 0) {
        if (quoted) {
          const sp = this.#splitter
          sp.split(b, s, e)
          if (k < sp.count) return hashRange(sp.buf, sp.starts[k], sp.ends[k]) % lanes
        } else {
          let f = 0
          let i = s
          while (f < k && i < e) { if (b[i] === COMMA) f++; i++ }
          if (f === k) {
            fs = i
            while (i < e && b[i] !== COMMA) i++
            fe = i
          }
        }
      }
    } else if (this.#routeKey !== undefined) {
      const at = (b as Buffer).indexOf(this.#routeKey, s)
      if (at >= 0 && at < e) {
        let i = at + this.#routeKey.length
        while (i < e && (b[i] === 0x20 || b[i] === 0x3a || b[i] === 0x09)) i++
        if (i < e && b[i] === QUOTE) {
          fs = i + 1
          fe = b.indexOf(QUOTE, fs)
          if (fe < 0 || fe > e) fe = -1
        }
      }
    }
    if (fe > fs && fs >= 0) return hashRange(b, fs, fe) % lanes
    return this.#rr++ % lanes
  }
}

function isBlank (b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0x20 && b[i] !== 0x09) return false
  return true
}

function hashRange (b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h >>> 0
}
