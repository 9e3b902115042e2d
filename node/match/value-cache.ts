/**
 * The per-value cache of the matcher: (probe, raw bytes) → fingerprint, or
 * the reason the value is invalid, plus the blocklist status last looked up
 * for it and the index version it is valid at.
 *
 * Why bytes and not a Map of strings: listings arrive as bytes (CSV chunks);
 * keying by the field's bytes lets a repeat value (sellers repeat across
 * listings) be answered without creating a string, canonicalising or
 * hashing, and keeps memory exact and bounded.
 *
 * Layout: records in one byte arena used as a ring (a log), indexed by an
 * open-addressing table of (hash, record offset / 8 + 1) pairs.
 *
 *   record (8-byte aligned): key length u16 | probe u8 | flags u8 | why u8 | 3 spare |
 *                            status i32 | index version u32 | key bytes (padded to 8) |
 *                            fingerprint 32 B
 *
 * The key comes right after the 16-byte header so that a lookup of a short
 * value reads one cache line; the fingerprint is needed only when the
 * cached status is stale. A record costs 48 B + its key rounded up to 8,
 * plus a table slot (8 B, ≤ 50 % load): ~90 B for a 25-byte e-mail
 * address. The key's hash is not stored in the record (the table slot has
 * it); eviction recomputes it.
 *
 * Hash: FNV-1a over the key bytes from a random seed, then the probe mixed
 * in and a murmur finaliser (`fieldHash` + `finish`), so a caller that
 * already walks the bytes (the CSV splitter) can hash a field once for
 * every probe of its column.
 *
 * Eviction: FIFO over the ring with reinsertion (second chance, the log
 * form of CLOCK): a record found since it was written has its reference
 * flag set; when the ring's tail reaches it, it is moved to the head once
 * instead of dropped. Record offsets returned by `find`/`add` are valid
 * until the next `add`.
 */
import { deleteSlot, randomSeed } from './fp-table.js'

const R_KEYLEN = 0
const R_PROBE = 2
const R_FLAGS = 3
const R_WHY = 4
/** Word offsets (i32) of the cached status and index version. */
const W_STATUS = 2
const W_VERSION = 3
const R_KEY = 16
/** Record bytes besides the key: header and fingerprint. */
const R_FIXED = 48
/** A skip record (filler up to the ring's end) keeps its length in its second word. */
const W_SKIP_LEN = 1

const F_REF = 1
const F_SKIP = 2
const F_INVALID = 4
const F_DONE = 8

/** Most table slots used: low, since probing the cache is the hottest loop of a scan. */
const CACHE_MAX_LOAD = 0.5
/**
 * Arena bytes per record the table is sized for (a 25-byte e-mail makes an
 * 88-byte record). Shorter records hit the record limit first and are
 * evicted a little early; a larger table would cost resident memory, since
 * probes touch all of it.
 */
const SIZING_RECORD_BYTES = 72
/** Smallest arena: 1 MiB. */
export const MIN_CACHE_BYTES = 1 << 20

export interface CacheStats {
  /** Records held. */
  entries: number
  /** Bytes of arena in use, and its size. */
  usedBytes: number
  arenaBytes: number
  hits: number
  misses: number
  evictions: number
  reinsertions: number
}

export class ValueCache {
  /** The arena; a record's fingerprint is at `fpOffset(rec)`. */
  readonly bytes: Uint8Array
  readonly #words: Int32Array
  readonly #slots: Uint32Array
  readonly #mask: number
  readonly #size: number
  readonly #maxRecords: number
  /** Start value of `fieldHash`. */
  readonly seed: number
  #head = 0
  #tail = 0
  #used = 0
  #count = 0
  hits = 0
  misses = 0
  evictions = 0
  reinsertions = 0

  constructor (arenaBytes: number) {
    const size = Math.max(MIN_CACHE_BYTES, Math.floor(arenaBytes / 8) * 8)
    this.#size = size
    this.bytes = new Uint8Array(size)
    this.#words = new Int32Array(this.bytes.buffer)
    let cap = 16
    while (cap * CACHE_MAX_LOAD < size / SIZING_RECORD_BYTES) cap *= 2
    this.#slots = new Uint32Array(cap * 2)
    this.#mask = cap - 1
    this.#maxRecords = Math.floor(cap * CACHE_MAX_LOAD)
    this.seed = randomSeed()
  }

  get size (): number { return this.#count }

  stats (): CacheStats {
    return { entries: this.#count, usedBytes: this.#used, arenaBytes: this.#size, hits: this.hits, misses: this.misses, evictions: this.evictions, reinsertions: this.reinsertions }
  }

  /** Bytes of memory held (arena and table). */
  memoryBytes (): number {
    return this.#size + this.#slots.byteLength
  }

  /** Hash of a key: the probe and b[s..e). */
  hashKey (probe: number, b: Uint8Array, s: number, e: number): number {
    return this.finish(this.fieldHash(b, s, e), probe)
  }

  /** FNV-1a of b[s..e) from `seed`: the part of the hash that does not depend on the probe. */
  fieldHash (b: Uint8Array, s: number, e: number): number {
    let h = this.seed
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193)
    return h
  }

  /** The key hash from a field hash and the probe. */
  finish (fieldHash: number, probe: number): number {
    let h = fieldHash ^ Math.imul(probe + 1, 0x9e3779b1)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    return h >>> 0
  }

  /** Where a record's fingerprint is. */
  fpOffset (rec: number): number {
    const arena = this.bytes
    return rec + R_KEY + (((arena[rec + R_KEYLEN] | (arena[rec + R_KEYLEN + 1] << 8)) + 7) & ~7)
  }

  /** The record of (probe, b[s..e)) or -1; marks it referenced. `h` = hashKey(probe, b, s, e). */
  find (probe: number, b: Uint8Array, s: number, e: number, h: number): number {
    const slots = this.#slots
    const mask = this.#mask
    const arena = this.bytes
    const len = e - s
    let i = h & mask
    for (;;) {
      const ref = slots[2 * i + 1]
      if (ref === 0) {
        this.misses++
        return -1
      }
      if (slots[2 * i] === h) {
        const rec = (ref - 1) * 8
        if (arena[rec + R_PROBE] === probe && (arena[rec + R_KEYLEN] | (arena[rec + R_KEYLEN + 1] << 8)) === len && this.#keyEquals(rec, b, s, len)) {
          arena[rec + R_FLAGS] |= F_REF
          this.hits++
          return rec
        }
      }
      i = (i + 1) & mask
    }
  }

  /**
   * Adds (probe, b[s..e)), which must not be present, as a pending record
   * (neither valid nor invalid yet: call setFingerprint or setInvalid).
   * Returns its offset, or -1 if the key is too long to cache.
   */
  add (probe: number, b: Uint8Array, s: number, e: number, h: number): number {
    const len = e - s
    const size = R_FIXED + ((len + 7) & ~7)
    if (len > 0xffff || size > this.#size / 4) return -1
    const rec = this.#alloc(size)
    const arena = this.bytes
    const w = rec >> 2
    arena[rec + R_KEYLEN] = len & 0xff
    arena[rec + R_KEYLEN + 1] = len >>> 8
    arena[rec + R_PROBE] = probe
    arena[rec + R_FLAGS] = 0
    arena[rec + R_WHY] = 0
    this.#words[w + W_STATUS] = -1
    this.#words[w + W_VERSION] = 0
    arena.set(b.subarray(s, e), rec + R_KEY)
    let i = h & this.#mask
    while (this.#slots[2 * i + 1] !== 0) i = (i + 1) & this.#mask
    this.#slots[2 * i] = h
    this.#slots[2 * i + 1] = rec / 8 + 1
    this.#count++
    return rec
  }

  /** Whether the record has been resolved (setFingerprint or setInvalid called). */
  done (rec: number): boolean { return (this.bytes[rec + R_FLAGS] & F_DONE) !== 0 }
  invalid (rec: number): boolean { return (this.bytes[rec + R_FLAGS] & F_INVALID) !== 0 }
  /** The invalid reason's code (the caller's numbering). */
  why (rec: number): number { return this.bytes[rec + R_WHY] }

  setFingerprint (rec: number, fp: Uint8Array, offset: number): void {
    this.bytes.set(fp.subarray(offset, offset + 32), this.fpOffset(rec))
    this.bytes[rec + R_FLAGS] = (this.bytes[rec + R_FLAGS] & ~F_INVALID) | F_DONE
  }

  setInvalid (rec: number, why: number): void {
    this.bytes[rec + R_WHY] = why
    this.bytes[rec + R_FLAGS] |= F_INVALID | F_DONE
  }

  /** The status code cached for index version `version`, or -1 if none (never looked up, or the index changed since). */
  status (rec: number, version: number): number {
    const w = rec >> 2
    return this.#words[w + W_VERSION] === (version | 0) ? this.#words[w + W_STATUS] : -1
  }

  setStatus (rec: number, version: number, code: number): void {
    const w = rec >> 2
    this.#words[w + W_STATUS] = code
    this.#words[w + W_VERSION] = version | 0
  }

  #keyEquals (rec: number, b: Uint8Array, s: number, len: number): boolean {
    const arena = this.bytes
    const k = rec + R_KEY
    for (let i = 0; i < len; i++) if (arena[k + i] !== b[s + i]) return false
    return true
  }

  #recSize (rec: number): number {
    const arena = this.bytes
    if ((arena[rec + R_FLAGS] & F_SKIP) !== 0) return this.#words[(rec >> 2) + W_SKIP_LEN]
    return R_FIXED + (((arena[rec + R_KEYLEN] | (arena[rec + R_KEYLEN + 1] << 8)) + 7) & ~7)
  }

  /** Room for `size` bytes at the head, evicting from the tail as needed. */
  #alloc (size: number): number {
    const A = this.#size
    for (;;) {
      if (this.#used === 0) { this.#head = 0; this.#tail = 0 }
      if (this.#count < this.#maxRecords) {
        const head = this.#head
        const tail = this.#tail
        if (this.#used === 0 || head > tail) {
          if (A - head >= size) return this.#take(size)
          // not enough before the end: skip to the start
          this.#words[(head >> 2) + W_SKIP_LEN] = A - head
          this.bytes[head + R_FLAGS] = F_SKIP
          this.#used += A - head
          this.#head = 0
          continue
        }
        if (head < tail && tail - head >= size) return this.#take(size)
      }
      this.#evictTail()
    }
  }

  #take (size: number): number {
    const rec = this.#head
    this.#head += size
    this.#used += size
    if (this.#head === this.#size) this.#head = 0
    return rec
  }

  #evictTail (): void {
    const rec = this.#tail
    const arena = this.bytes
    const size = this.#recSize(rec)
    const flags = arena[rec + R_FLAGS]
    if ((flags & F_SKIP) === 0) {
      const head = this.#head
      if ((flags & F_REF) !== 0 && head === rec && this.#used === this.#size) {
        // a full ring: the newest position is this record's own, so its second chance is just moving past it
        arena[rec + R_FLAGS] = flags & ~F_REF
        this.#head = rec + size === this.#size ? 0 : rec + size
        this.#tail = this.#head
        this.reinsertions++
        return
      }
      const len = arena[rec + R_KEYLEN] | (arena[rec + R_KEYLEN + 1] << 8)
      const h = this.hashKey(arena[rec + R_PROBE], arena, rec + R_KEY, rec + R_KEY + len)
      const slot = this.#slotOf(rec, h)
      const fits = (flags & F_REF) !== 0 && (head > rec ? this.#size - head >= size : head + size <= rec)
      if (fits) {
        // second chance: move to the head, unreferenced
        arena.copyWithin(head, rec, rec + size)
        arena[head + R_FLAGS] = flags & ~F_REF
        this.#slots[2 * slot + 1] = head / 8 + 1
        this.#head += size
        this.#used += size
        if (this.#head === this.#size) this.#head = 0
        this.reinsertions++
      } else {
        deleteSlot(this.#slots, this.#mask, slot)
        this.#count--
        this.evictions++
      }
    }
    this.#tail += size
    this.#used -= size
    if (this.#tail === this.#size) this.#tail = 0
  }

  #slotOf (rec: number, h: number): number {
    const target = rec / 8 + 1
    let i = h & this.#mask
    while (this.#slots[2 * i + 1] !== target) i = (i + 1) & this.#mask
    return i
  }
}
