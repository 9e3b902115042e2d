/**
 * Reads only the chain fields of an encoded Entry (author = 1, seq = 2,
 * prev = 3, time = 4) without decoding the body.
 *
 * Why not `decodeEntry`: the start-up chain check walks every stored entry,
 * and full strict decoding (parse, convert, re-encode, compare) runs at
 * ~190k entries/s here against ~0.9M/s for this reader. Added to the id
 * hash (~2.7 µs) and the LevelDB read (~4 µs), that is an estimated 8 s
 * instead of 12 s per million entries before a node can start.
 *
 * Sound only for bytes that were verified canonical before they were
 * stored and whose hash still matches the stored id: canonical encoding
 * writes fields in number order, each at most once, defaults omitted.
 * Anything else yields undefined.
 * (It belongs beside the codec in protocol/; it lives here until it moves.)
 */
export interface EntryHeader {
  author: Uint8Array
  seq: number
  prev: Uint8Array
  time: number
}

const EMPTY = new Uint8Array(0)
const VARINT = 0
const LEN = 2

export function readEntryHeader (b: Uint8Array): EntryHeader | undefined {
  let pos = 0
  let last = 0
  const h: EntryHeader = { author: EMPTY, seq: 0, prev: EMPTY, time: 0 }

  // varint as a safe integer, or -1 (malformed, too long or above 2^53 - 1)
  const varint = (): number => {
    let n = 0
    let mul = 1
    for (let i = 0; i < 8; i++) {
      if (pos >= b.length) return -1
      const byte = b[pos++]
      n += (byte & 0x7f) * mul
      if ((byte & 0x80) === 0) return Number.isSafeInteger(n) ? n : -1
      mul *= 128
    }
    return -1 // 8 groups of 7 bits already exceed 2^53
  }

  while (pos < b.length) {
    const tag = varint()
    if (tag < 0) return undefined
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    if (field > 4) break // the body: not needed
    if (field <= last) return undefined // out of order or repeated: not canonical
    last = field
    if (field === 1 || field === 3) {
      if (wire !== LEN) return undefined
      const len = varint()
      if (len < 0 || pos + len > b.length) return undefined
      const v = b.subarray(pos, pos + len)
      pos += len
      if (field === 1) h.author = v
      else h.prev = v
    } else {
      if (wire !== VARINT) return undefined
      const v = varint()
      if (v < 0) return undefined
      if (field === 2) h.seq = v
      else h.time = v
    }
  }
  return h.author.length === 0 || h.seq === 0 ? undefined : h
}

// headerTime's read position (module state, not a closure per call: it runs once per stored entry at start-up)
let at = 0
let src: Uint8Array = EMPTY

/** A varint at `at` as a safe integer, or -1 (as readEntryHeader's). */
function varintAt (): number {
  let n = 0
  let mul = 1
  for (let i = 0; i < 8; i++) {
    if (at >= src.length) return -1
    const byte = src[at++]
    n += (byte & 0x7f) * mul
    if ((byte & 0x80) === 0) return Number.isSafeInteger(n) ? n : -1
    mul *= 128
  }
  return -1
}

function sameAt (from: number, len: number, want: Uint8Array): boolean {
  if (len !== want.length) return false
  for (let i = 0; i < len; i++) if (src[from + i] !== want[i]) return false
  return true
}

/**
 * The entry's time when its chain fields are exactly `author`, `seq` and
 * `prev` (empty for the first entry), else -1: what
 * `readEntryHeader(b)` and comparing its fields would say, without
 * allocating (the start-up chain check runs it for every stored entry).
 */
export function headerTime (b: Uint8Array, author: Uint8Array, seq: number, prev: Uint8Array): number {
  src = b
  at = 0
  let last = 0
  let gotAuthor = false
  let gotPrev = false
  let gotSeq = 0
  let time = 0
  try {
    while (at < b.length) {
      const tag = varintAt()
      if (tag < 0) return -1
      const field = Math.floor(tag / 8)
      const wire = tag & 7
      if (field > 4) break
      if (field <= last) return -1
      last = field
      if (field === 1 || field === 3) {
        if (wire !== LEN) return -1
        const len = varintAt()
        if (len < 0 || at + len > b.length) return -1
        if (field === 1) {
          if (len === 0 || !sameAt(at, len, author)) return -1
          gotAuthor = true
        } else {
          if (!sameAt(at, len, prev)) return -1
          gotPrev = true
        }
        at += len
      } else {
        if (wire !== VARINT) return -1
        const v = varintAt()
        if (v < 0) return -1
        if (field === 2) gotSeq = v
        else time = v
      }
    }
    if (!gotAuthor || gotSeq === 0 || gotSeq !== seq) return -1
    if (!gotPrev && prev.length !== 0) return -1
    return time
  } finally {
    src = EMPTY
  }
}
