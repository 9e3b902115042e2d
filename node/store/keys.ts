/**
 * LevelDB layout of the store: sublevel names and the byte form of keys and
 * values. Kept apart from level.ts so tests (and future migrations) can
 * address records directly.
 *
 *   entries   author(32) ‖ seq(u64 BE)  →  id(32) ‖ entry bytes
 *   sigs      author(32) ‖ seq(u64 BE)  →  signature over that entry's id
 *   heads     author(32)                →  seq(u64 BE) ‖ id(32) ‖ time(u64 BE)
 *   rosters   version(u64 BE)           →  encoded SignedRoster
 *   evidence  author(32) ‖ seq(u64 BE)  →  encoded Equivocation
 *   meta      utf8 key                  →  JSON
 *
 * Big-endian seqs make byte order equal (author, seq) order, so one author's
 * log, or any slice of it, is one iterator range. Authors are Ed25519 keys,
 * always 32 bytes (the codec enforces it), so no author's keys can fall
 * inside another's range.
 */
import { KEY_BYTES, ID_BYTES } from '../../protocol/limits.js'
import type { LogHead } from '../../protocol/log/index.js'

export const SUBLEVELS = {
  entries: 'entries',
  sigs: 'sigs',
  heads: 'heads',
  rosters: 'rosters',
  evidence: 'evidence',
  meta: 'meta'
} as const

export const AUTHOR_BYTES = KEY_BYTES
export const SEQ_BYTES = 8
export const LOG_KEY_BYTES = AUTHOR_BYTES + SEQ_BYTES
export const HEAD_VALUE_BYTES = SEQ_BYTES + ID_BYTES + 8

const TWO_32 = 0x1_0000_0000

/** Writes a safe non-negative integer as 8 bytes big-endian at `off`. */
export function writeU64 (out: Uint8Array, off: number, n: number): void {
  const hi = Math.floor(n / TWO_32)
  const lo = n >>> 0
  out[off] = hi >>> 24; out[off + 1] = hi >>> 16; out[off + 2] = hi >>> 8; out[off + 3] = hi
  out[off + 4] = lo >>> 24; out[off + 5] = lo >>> 16; out[off + 6] = lo >>> 8; out[off + 7] = lo
}

export function readU64 (b: Uint8Array, off: number): number {
  const hi = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0
  const lo = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0
  return hi * TWO_32 + lo
}

export function u64Key (n: number): Uint8Array {
  const k = new Uint8Array(SEQ_BYTES)
  writeU64(k, 0, n)
  return k
}

/** Key of entry `seq` in `author`'s log (also used by sigs and evidence). */
export function logKey (author: Uint8Array, seq: number): Uint8Array {
  const k = new Uint8Array(LOG_KEY_BYTES)
  k.set(author)
  writeU64(k, AUTHOR_BYTES, seq)
  return k
}

/**
 * `prefix` ‖ logKey(author, seq) in one allocation: the key of that record in
 * the root database, for a sublevel whose prefix is `prefix`
 * (`sublevel.prefixKey(new Uint8Array(0), 'view')`).
 */
export function prefixedLogKey (prefix: Uint8Array, author: Uint8Array, seq: number): Uint8Array {
  const k = new Uint8Array(prefix.length + LOG_KEY_BYTES)
  k.set(prefix)
  k.set(author, prefix.length)
  writeU64(k, prefix.length + AUTHOR_BYTES, seq)
  return k
}

/** Upper bound (inclusive) of every key of `author`'s log. */
export function logEnd (author: Uint8Array): Uint8Array {
  const k = new Uint8Array(LOG_KEY_BYTES).fill(0xff)
  k.set(author)
  return k
}

export function keySeq (key: Uint8Array): number {
  return readU64(key, AUTHOR_BYTES)
}

/** Plain Uint8Array view (no copy) of bytes level hands out as Buffers. */
export function view (b: Uint8Array, start = 0, end = b.length): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start)
}

export function entryValue (id: Uint8Array, bytes: Uint8Array): Uint8Array {
  const v = new Uint8Array(ID_BYTES + bytes.length)
  v.set(id)
  v.set(bytes, ID_BYTES)
  return v
}

/**
 * The entries records of a run of `author`'s log as key, value, key, value…
 * (`prefixedLogKey`, `entryValue`), all views of one buffer.
 */
export function segmentRecords (prefix: Uint8Array, author: Uint8Array, entries: ReadonlyArray<{ bytes: Uint8Array, id: Uint8Array, entry: { seq: number } }>): Uint8Array[] {
  const keyBytes = prefix.length + LOG_KEY_BYTES
  let size = 0
  for (const e of entries) size += keyBytes + ID_BYTES + e.bytes.length
  const arena = new Uint8Array(size)
  const out: Uint8Array[] = new Array(2 * entries.length)
  let at = 0
  for (let i = 0; i < entries.length; i++) {
    const { bytes, id, entry } = entries[i]
    arena.set(prefix, at)
    arena.set(author, at + prefix.length)
    writeU64(arena, at + prefix.length + AUTHOR_BYTES, entry.seq)
    out[2 * i] = arena.subarray(at, at + keyBytes)
    at += keyBytes
    arena.set(id, at)
    arena.set(bytes, at + ID_BYTES)
    out[2 * i + 1] = arena.subarray(at, at + ID_BYTES + bytes.length)
    at += ID_BYTES + bytes.length
  }
  return out
}

/** Splits an entries value into its stored id and entry bytes; undefined when too short to hold an id. */
export function splitEntryValue (v: Uint8Array): { id: Uint8Array, bytes: Uint8Array } | undefined {
  if (v.length <= ID_BYTES) return undefined
  return { id: view(v, 0, ID_BYTES), bytes: view(v, ID_BYTES) }
}

export function headValue (h: LogHead): Uint8Array {
  const v = new Uint8Array(HEAD_VALUE_BYTES)
  writeU64(v, 0, h.seq)
  v.set(h.id, SEQ_BYTES)
  writeU64(v, SEQ_BYTES + ID_BYTES, h.time)
  return v
}

/** A head record, or undefined when it is not one this code wrote. */
export function parseHeadValue (v: Uint8Array): LogHead | undefined {
  if (v.length !== HEAD_VALUE_BYTES) return undefined
  const seq = readU64(v, 0)
  const time = readU64(v, SEQ_BYTES + ID_BYTES)
  if (seq < 1 || !Number.isSafeInteger(seq) || !Number.isSafeInteger(time)) return undefined
  return { seq, id: view(v, SEQ_BYTES, SEQ_BYTES + ID_BYTES).slice(), time }
}
