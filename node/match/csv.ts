/**
 * The CSV dialect of listings files, read at the byte level.
 *
 * Why not csv-parse here: measured on this machine, csv-parse reads ~100k
 * rows/s per core (~10 µs a row), which alone would eat the whole CPU
 * budget of a 150k listings/s scan on two cores; splitting bytes reads
 * ~1M rows/s and needs no string per field (the value cache is keyed by
 * bytes). `readListings` (reader.ts) still uses csv-parse for the streaming
 * object API, and a property test checks both agree record for record.
 *
 * Dialect (RFC 4180, as csv-parse reads it with bom, skip_empty_lines and
 * relax_quotes): fields separated by ",", records by "\n" or "\r\n"; a field
 * that starts with '"' is quoted: it may contain ",", newlines and '""' (one
 * quote), and ends at the next lone '"'. A quote elsewhere is an ordinary
 * character. A UTF-8 byte order mark at the start is skipped; empty lines
 * are skipped; fields are not trimmed (canonicalisation trims). A lone "\r"
 * is not a record separator.
 */

export const QUOTE = 0x22
export const COMMA = 0x2c
export const LF = 0x0a
export const CR = 0x0d

/**
 * Index of the "\n" that ends the record starting at `p`, honouring quoted
 * fields; -1 if [p, end) holds no complete record (or, at `eof`, `end`: the
 * last record has no newline).
 */
export function recordEnd (b: Uint8Array, p: number, end: number, eof: boolean): number {
  let atFieldStart = true
  let inQuotes = false
  for (let i = p; i < end; i++) {
    const c = b[i]
    if (inQuotes) {
      if (c === QUOTE) {
        if (i + 1 < end) {
          if (b[i + 1] === QUOTE) i++
          else inQuotes = false
        } else if (!eof) {
          return -1 // the next byte decides whether this quote is escaped
        } else {
          inQuotes = false
        }
      }
      continue
    }
    if (c === LF) return i
    if (c === COMMA) atFieldStart = true
    else if (c === QUOTE && atFieldStart) { inQuotes = true; atFieldStart = false } else atFieldStart = false
  }
  return eof ? end : -1
}

/** Number of "\n" in b[s..e). */
export function countLines (b: Uint8Array, s: number, e: number): number {
  let n = 0
  for (let i = s; i < e; i++) if (b[i] === LF) n++
  return n
}

/**
 * Splits one record into fields. After `split`, field i is
 * `buf[starts[i] .. ends[i])`, where `buf` is the input for a record without
 * quotes and an internal scratch buffer (unescaped) otherwise; `hashes[i]`
 * is the field's FNV-1a from `hashSeed` (ValueCache.fieldHash), computed in
 * the same pass so the value cache need not walk the bytes again.
 */
export class FieldSplitter {
  starts: Int32Array
  ends: Int32Array
  hashes: Int32Array
  count = 0
  buf: Uint8Array = new Uint8Array(0)
  /** Start value of the field hashes (the value cache's seed). */
  hashSeed = 0
  #scratch = new Uint8Array(4096)

  constructor (maxFields = 64) {
    this.starts = new Int32Array(maxFields)
    this.ends = new Int32Array(maxFields)
    this.hashes = new Int32Array(maxFields)
  }

  /** Splits b[s..e); a trailing "\r" is dropped. Fields beyond maxFields are ignored. */
  split (b: Uint8Array, s: number, e: number): void {
    if (e > s && b[e - 1] === CR) e--
    const starts = this.starts
    const ends = this.ends
    const hashes = this.hashes
    const seed = this.hashSeed
    const max = starts.length
    let n = 0
    let fs = s
    let h = seed
    for (let i = s; i < e; i++) {
      const c = b[i]
      if (c === COMMA) {
        if (n < max) { starts[n] = fs; ends[n] = i; hashes[n] = h }
        n++
        fs = i + 1
        h = seed
      } else if (c === QUOTE) {
        this.#splitQuoted(b, s, e)
        return
      } else {
        h = Math.imul(h ^ c, 0x01000193)
      }
    }
    if (n < max) { starts[n] = fs; ends[n] = e; hashes[n] = h }
    this.count = Math.min(n + 1, max)
    this.buf = b
  }

  #splitQuoted (b: Uint8Array, s: number, e: number): void {
    if (this.#scratch.length < e - s) this.#scratch = new Uint8Array(Math.max(e - s, this.#scratch.length * 2))
    const out = this.#scratch
    const starts = this.starts
    const ends = this.ends
    const max = starts.length
    let n = 0
    let o = 0
    let i = s
    for (;;) {
      const fs = o
      if (i < e && b[i] === QUOTE) {
        i++
        while (i < e) {
          const c = b[i]
          if (c === QUOTE) {
            if (i + 1 < e && b[i + 1] === QUOTE) { out[o++] = QUOTE; i += 2; continue }
            i++
            break
          }
          out[o++] = c
          i++
        }
      }
      // unquoted field, or what follows a closing quote up to the delimiter (relax_quotes)
      while (i < e && b[i] !== COMMA) out[o++] = b[i++]
      if (n < max) { starts[n] = fs; ends[n] = o }
      n++
      if (i >= e) break
      i++ // the comma
    }
    this.count = Math.min(n, max)
    this.buf = out
    for (let f = 0; f < this.count; f++) {
      let h = this.hashSeed
      for (let j = starts[f]; j < ends[f]; j++) h = Math.imul(h ^ out[j], 0x01000193)
      this.hashes[f] = h
    }
  }
}

const dec = new TextDecoder()

/** The fields of one record as strings (the header row). */
export function splitToStrings (b: Uint8Array, s: number, e: number): string[] {
  const sp = new FieldSplitter(1024)
  sp.split(b, s, e)
  const fields: string[] = []
  for (let i = 0; i < sp.count; i++) fields.push(dec.decode(sp.buf.subarray(sp.starts[i], sp.ends[i])))
  return fields
}

/** Length of a UTF-8 byte order mark at b[0..), 0 if none. */
export function bomLength (b: Uint8Array, end: number): number {
  return end >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0
}
