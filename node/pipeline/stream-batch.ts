/**
 * A stream read's entries parsed in place: the XREADGROUP (or XREAD) reply
 * bytes as resp.ts hands them over, walked once into entry ids and the
 * [start, end) offsets of every field name and value. No Buffer, array or
 * string per field: the worker reads field names by comparing bytes and
 * hands values to the matcher as offsets into the one reply buffer.
 *
 * Reply shape (RESP2, one stream): *1 *2 $key *n (*2 $id *2k ($field)×2k)×n,
 * or a null array when nothing came. An entry deleted while pending has a
 * null field list (no fields).
 */
import { PipelineRecordError } from './errors.js'

export interface EntryBatch {
  /** The reply bytes every offset points into. */
  buf: Buffer
  /** Entries. */
  n: number
  ids: string[]
  /** Entry i's fields are spans[fieldAt[i] .. fieldAt[i + 1]): start, end pairs of name, value, name, value… */
  fieldAt: Int32Array
  spans: Int32Array
  /** Entry i had a null field list (deleted from the stream). */
  deleted: Uint8Array
}

export const EMPTY_BATCH: EntryBatch = Object.freeze({ buf: Buffer.alloc(0), n: 0, ids: [], fieldAt: new Int32Array(1), spans: new Int32Array(0), deleted: new Uint8Array(0) }) as EntryBatch

const WHAT = 'a stream reply'

class Cursor {
  at: number
  constructor (readonly b: Buffer, at: number) { this.at = at }

  /** The length or count of a `type` header ('*' 42, '$' 36); -1 for a null. */
  head (type: number): number {
    const b = this.b
    if (b[this.at] !== type) throw new PipelineRecordError(WHAT, `expected ${String.fromCharCode(type)} at byte ${this.at}`)
    let i = this.at + 1
    if (b[i] === 45) { // '-1': null
      this.at = i + 4
      return -1
    }
    let n = 0
    const end = b.length
    while (i < end && b[i] !== 13) { n = n * 10 + b[i] - 48; i++ }
    if (i + 1 >= end) throw new PipelineRecordError(WHAT, 'truncated')
    this.at = i + 2
    return n
  }

  /** Skips a bulk string's bytes and its CRLF; returns where they start. */
  bulk (len: number): number {
    const s = this.at
    this.at += len + 2
    if (this.at > this.b.length) throw new PipelineRecordError(WHAT, 'truncated')
    return s
  }
}

/** Parses the reply of XREADGROUP/XREAD over one stream starting at buf[at]. */
export function parseStreamReply (buf: Buffer, at = 0): EntryBatch {
  const c = new Cursor(buf, at)
  const streams = c.head(42)
  if (streams <= 0) return EMPTY_BATCH
  if (c.head(42) !== 2) throw new PipelineRecordError(WHAT, 'a stream is not [key, entries]')
  c.bulk(c.head(36))
  return parseEntries(c)
}

/** The entries array at the cursor: *n (*2 $id *2k fields)×n. One loop with local offsets: this runs per field of every entry read. */
function parseEntries (c: Cursor): EntryBatch {
  const buf = c.b
  const end = buf.length
  const n = Math.max(0, c.head(42))
  let at = c.at
  const ids: string[] = new Array(n)
  const fieldAt = new Int32Array(n + 1)
  const deleted = new Uint8Array(n)
  let spans = new Int32Array(Math.max(16, n * 24))
  let k = 0
  for (let i = 0; i < n; i++) {
    // *2
    if (buf[at] !== 42 || buf[at + 1] !== 50 || buf[at + 2] !== 13) throw new PipelineRecordError(WHAT, `entry ${i} is not [id, fields]`)
    at += 4
    // $len id
    if (buf[at] !== 36) throw new PipelineRecordError(WHAT, `entry ${i} has no id`)
    let len = 0
    let j = at + 1
    while (j < end && buf[j] !== 13) { len = len * 10 + buf[j] - 48; j++ }
    at = j + 2
    if (at + len + 2 > end) throw new PipelineRecordError(WHAT, 'truncated')
    ids[i] = buf.toString('latin1', at, at + len)
    at += len + 2
    // *2k, or *-1 for a deleted entry
    if (buf[at] !== 42) throw new PipelineRecordError(WHAT, `entry ${i} has no field list`)
    if (buf[at + 1] === 45) {
      deleted[i] = 1
      at += 5
      fieldAt[i + 1] = k
      continue
    }
    let f = 0
    j = at + 1
    while (j < end && buf[j] !== 13) { f = f * 10 + buf[j] - 48; j++ }
    at = j + 2
    if (k + 2 * f > spans.length) {
      const next = new Int32Array(Math.max(spans.length * 2, k + 2 * f))
      next.set(spans)
      spans = next
    }
    for (let q = 0; q < f; q++) {
      if (buf[at] !== 36 || buf[at + 1] === 45) throw new PipelineRecordError(WHAT, `entry ${i} has a field that is not a string`)
      len = 0
      j = at + 1
      while (j < end && buf[j] !== 13) { len = len * 10 + buf[j] - 48; j++ }
      at = j + 2
      spans[k++] = at
      spans[k++] = at + len
      at += len + 2
    }
    if (at > end) throw new PipelineRecordError(WHAT, 'truncated')
    fieldAt[i + 1] = k
  }
  c.at = at
  return { buf, n, ids, fieldAt, spans, deleted }
}

/** The same shape from flat [name, value, …] Buffers per entry (what a client's parser gives: claimed entries, tests). */
export function batchOfFields (entries: ReadonlyArray<{ id: string, fields: readonly Buffer[] }>): EntryBatch {
  let bytes = 0
  let pairs = 0
  for (const e of entries) { for (const f of e.fields) bytes += f.length; pairs += e.fields.length }
  const buf = Buffer.allocUnsafe(bytes)
  const spans = new Int32Array(pairs * 2)
  const fieldAt = new Int32Array(entries.length + 1)
  let at = 0
  let k = 0
  entries.forEach((e, i) => {
    for (const f of e.fields) {
      spans[k++] = at
      at += f.copy(buf, at)
      spans[k++] = at
    }
    fieldAt[i + 1] = k
  })
  return { buf, n: entries.length, ids: entries.map(e => e.id), fieldAt, spans, deleted: new Uint8Array(entries.length) }
}
