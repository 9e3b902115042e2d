/**
 * The index's state as fixed-size structs in ArrayBuffers: no object per
 * fingerprint or statement for the garbage collector to trace, and each
 * struct in one 64-byte cache line. Statements arrive in network order, so
 * records and slots are touched at random; profiling the bench, cache misses
 * dominated, and one array per field had cost a miss per field.
 */
import { randomFillSync } from 'node:crypto'
import { InvalidImageError, InvalidStatementError } from './errors.js'
import { ENTRY_ID_LENGTH, MAX_FINGERPRINT_LENGTH } from './statement.js'

export const NONE = -1

/**
 * Structs live in chunks of 2^16 that are never moved: past the first
 * chunk, growing allocates one more chunk instead of copying everything into
 * a buffer twice the size, which would briefly hold both copies. (V8 also
 * counts new ArrayBuffer memory towards starting a full collection, about
 * one per 64 MB, so allocating twice the final size costs collections.)
 * The first chunk starts small and doubles, so a small index stays small.
 */
const SHIFT = 16
const MASK = (1 << SHIFT) - 1
const FIRST_CHUNK = 256

class Chunks {
  /** Structs that fit; grow() when a struct numbered `capacity` is needed. */
  capacity = 0
  readonly f64: Float64Array[] = []
  readonly i32: Int32Array[] = []
  readonly u8: Uint8Array[] = []
  readonly #stride: number

  constructor (stride: number) {
    this.#stride = stride
  }

  grow (): void {
    const first = this.capacity <= MASK
    const structs = first ? (this.capacity === 0 ? FIRST_CHUNK : this.capacity * 2) : MASK + 1
    const buf = new ArrayBuffer(structs * this.#stride)
    const at = first ? 0 : this.u8.length
    if (first && this.capacity > 0) new Uint8Array(buf).set(this.u8[0])
    this.f64[at] = new Float64Array(buf)
    this.i32[at] = new Int32Array(buf)
    this.u8[at] = new Uint8Array(buf)
    this.capacity = first ? structs : this.capacity + structs
  }

  /** The bytes of structs 0..count-1, in order (views of the chunks, no copy). */
  bytes (count: number): Uint8Array[] {
    const out: Uint8Array[] = []
    for (let c = 0, left = count; left > 0; c++) {
      const n = Math.min(left, this.u8[c].length / this.#stride)
      out.push(this.u8[c].subarray(0, n * this.#stride))
      left -= n
    }
    return out
  }

  /** Makes room for `count` structs and copies them in from `bytes` (count × stride bytes, as `bytes()` gave them). */
  load (bytes: Uint8Array, count: number): void {
    while (this.capacity < count) this.grow()
    for (let c = 0, at = 0; at < count; c++) {
      const n = Math.min(count - at, this.u8[c].length / this.#stride)
      this.u8[c].set(bytes.subarray(at * this.#stride, (at + n) * this.#stride))
      at += n
    }
  }
}

/** Bytes per struct of the index's two stores (an image holds count × this many bytes of each). */
export const STRUCT_BYTES = 64

/**
 * One author key's latest statement on one fingerprint, 64 bytes:
 * time f64 @0, expires f64 @8, next slot i32 @16, org i32 @20,
 * stance u8 @24, source u8 @25, kind u8 @26, reason u8 @27 (an
 * attestation's reason code, for explanations; codes above 254 are 255 here
 * and kept in a side map: vocabularies use small codes, but another
 * member's entry may carry any uint32), key i32 @28, entry id @32..64.
 * (Per key, not per org: a key excluded for equivocation drops out and its
 * org's latest statement among its other keys counts, as `decide` would.)
 */
const SLOT = STRUCT_BYTES
const ID_AT = 32
/** reason u8 @27 holds codes 0..254; this marks one kept in `#bigReasons`. */
const REASON_ELSEWHERE = 255

export class SlotStore {
  count = 0
  #chunks = new Chunks(SLOT)
  #f64 = this.#chunks.f64
  #i32 = this.#chunks.i32
  #u8 = this.#chunks.u8
  readonly #bigReasons = new Map<number, number>()

  /** A new slot of (`org`, `key`), linked in front of `next`. */
  add (org: number, key: number, next: number): number {
    const s = this.count++
    if (s === this.#chunks.capacity) this.#chunks.grow()
    const i32 = this.#i32[s >>> SHIFT]
    const at = (s & MASK) * 16
    i32[at + 4] = next
    i32[at + 5] = org
    i32[at + 7] = key
    return s
  }

  write (s: number, time: number, expires: number, stance: number, source: number, kind: number, entryId: Uint8Array, reason = 0): void {
    const c = s >>> SHIFT
    const i = s & MASK
    const f64 = this.#f64[c]
    f64[i * 8] = time
    f64[i * 8 + 1] = expires
    const u8 = this.#u8[c]
    const at = i * SLOT
    u8[at + 24] = stance
    u8[at + 25] = source
    u8[at + 26] = kind
    if (reason < REASON_ELSEWHERE) {
      u8[at + 27] = reason
      this.#bigReasons.delete(s)
    } else {
      u8[at + 27] = REASON_ELSEWHERE
      this.#bigReasons.set(s, reason >>> 0)
    }
    u8.set(entryId, at + ID_AT)
  }

  /** The slots as bytes (views, no copy) and the reason codes kept apart: for an image of the index. */
  image (): { count: number, bytes: Uint8Array[], bigReasons: Array<[number, number]> } {
    return { count: this.count, bytes: this.#chunks.bytes(this.count), bigReasons: [...this.#bigReasons] }
  }

  /** Slots from an image (`bytes`: count × 64). The caller validates them. */
  static fromImage (count: number, bytes: Uint8Array, bigReasons: Iterable<[number, number]>): SlotStore {
    const slots = new SlotStore()
    slots.#chunks.load(bytes, count)
    slots.count = count
    for (const [s, r] of bigReasons) slots.#bigReasons.set(s, r)
    return slots
  }

  time (s: number): number { return this.#f64[s >>> SHIFT][(s & MASK) * 8] }
  expires (s: number): number { return this.#f64[s >>> SHIFT][(s & MASK) * 8 + 1] }
  next (s: number): number { return this.#i32[s >>> SHIFT][(s & MASK) * 16 + 4] }
  org (s: number): number { return this.#i32[s >>> SHIFT][(s & MASK) * 16 + 5] }
  key (s: number): number { return this.#i32[s >>> SHIFT][(s & MASK) * 16 + 7] }
  stance (s: number): number { return this.#u8[s >>> SHIFT][(s & MASK) * SLOT + 24] }
  source (s: number): number { return this.#u8[s >>> SHIFT][(s & MASK) * SLOT + 25] }
  kind (s: number): number { return this.#u8[s >>> SHIFT][(s & MASK) * SLOT + 26] }
  reason (s: number): number {
    const r = this.#u8[s >>> SHIFT][(s & MASK) * SLOT + 27]
    return r === REASON_ELSEWHERE ? this.#bigReasons.get(s) ?? 0 : r
  }

  entryId (s: number): Uint8Array {
    const at = (s & MASK) * SLOT + ID_AT
    return this.#u8[s >>> SHIFT].slice(at, at + ENTRY_ID_LENGTH)
  }

  /** Copies slot s's entry id into `out` at `at`; returns that view of `out`. */
  entryIdInto (s: number, out: Uint8Array, at: number): Uint8Array {
    const u8 = this.#u8[s >>> SHIFT]
    const from = (s & MASK) * SLOT + ID_AT
    // a byte loop: for 32 bytes cheaper than a subarray to copy from
    for (let i = 0; i < ENTRY_ID_LENGTH; i++) out[at + i] = u8[from + i]
    return out.subarray(at, at + ENTRY_ID_LENGTH)
  }

  /** Whether a statement at (time, entryId) supersedes slot s: later time, then greater id bytes. */
  supersededBy (s: number, time: number, entryId: Uint8Array): boolean {
    const kept = this.time(s)
    if (time !== kept) return time > kept
    const u8 = this.#u8[s >>> SHIFT]
    const at = (s & MASK) * SLOT + ID_AT
    for (let i = 0; i < ENTRY_ID_LENGTH; i++) {
      if (entryId[i] !== u8[at + i]) return entryId[i] > u8[at + i]
    }
    return false // the same entry again
  }

  /** Whether slot a is later than slot b, by the same order. */
  later (a: number, b: number): boolean {
    const ta = this.time(a)
    const tb = this.time(b)
    if (ta !== tb) return ta > tb
    const ua = this.#u8[a >>> SHIFT]
    const ub = this.#u8[b >>> SHIFT]
    const ia = (a & MASK) * SLOT + ID_AT
    const ib = (b & MASK) * SLOT + ID_AT
    for (let i = 0; i < ENTRY_ID_LENGTH; i++) {
      if (ua[ia + i] !== ub[ib + i]) return ua[ia + i] > ub[ib + i]
    }
    return false
  }
}

/**
 * One fingerprint, 64 bytes: scheduled time f64 @0 (+Infinity when not in
 * the timer queue), first slot i32 @8, status u8 @12, fingerprint length
 * u8 @13, fingerprint bytes @16..64. Keeping the bytes in the record means a
 * look-up costs two cache misses (hash table entry, record), not three.
 *
 * Records are found by fingerprint through an open-addressing hash table
 * (linear probing, load ≤ 1/2, entries [hash, record] as two int32s)
 * hashed by simple tabulation: one random 32-bit word per (position, byte
 * value), XORed. The words are random per process, so a member who can choose
 * fingerprint bytes cannot aim many at one probe chain without knowing them;
 * tabulation has no seed-independent collisions of the kind multiply-rotate
 * hashes have. The random layout never shows in results: callers order by
 * bytes.
 *
 * Measured here (1M look-ups of 500k distinct 32-byte fingerprints, best of
 * 3): this table ~2.2M/s; a `Map` keyed by a string of the bytes ~1.4M/s
 * with the fastest key tried (one `String.fromCharCode` call; key + set:
 * fromCharCode 1.24M/s, Buffer latin1 1.00M/s, base64 0.98M/s, hex
 * 0.27M/s), and the Map costs a string object per fingerprint besides.
 */
const REC = STRUCT_BYTES
const FP_AT = 16

export class RecordStore {
  count = 0
  #chunks = new Chunks(REC)
  #f64 = this.#chunks.f64
  #i32 = this.#chunks.i32
  #u8 = this.#chunks.u8
  #tab = tabulation()
  #table = emptyTable(16)
  #mask = 15

  /** The record of `fp`, or NONE. */
  find (fp: Uint8Array): number {
    if (fp.length === 0 || fp.length > MAX_FINGERPRINT_LENGTH) return NONE
    const h = this.#hash(fp)
    const table = this.#table
    const mask = this.#mask
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const r = table[2 * i + 1]
      if (r === NONE) return NONE
      if (table[2 * i] === h && this.#holds(r, fp)) return r
    }
  }

  /** The record of `fp`, adding one (numbered `count`, with no slots, status 0, not scheduled) if new. */
  findOrAdd (fp: Uint8Array): number {
    const h = this.#hash(fp)
    const table = this.#table
    const mask = this.#mask
    let i = h & mask
    for (; ; i = (i + 1) & mask) {
      const r = table[2 * i + 1]
      if (r === NONE) break
      if (table[2 * i] === h && this.#holds(r, fp)) return r
    }
    const r = this.count++
    if (r === this.#chunks.capacity) this.#chunks.grow()
    this.setSched(r, Number.POSITIVE_INFINITY)
    this.setHead(r, NONE)
    const u8 = this.#u8[r >>> SHIFT]
    const at = (r & MASK) * REC
    u8[at + 13] = fp.length
    u8.set(fp, at + FP_AT)
    table[2 * i] = h
    table[2 * i + 1] = r
    if (this.count * 2 > mask + 1) this.#rehash()
    return r
  }

  /** The records as bytes (views, no copy): for an image of the index. The hash table is not part of it (its hash is random per process). */
  image (): { count: number, bytes: Uint8Array[] } {
    return { count: this.count, bytes: this.#chunks.bytes(this.count) }
  }

  /**
   * Records from an image (`bytes`: count × 64), the hash table rebuilt with
   * this process's hash. The caller validates the records first
   * (fingerprint lengths: `fingerprintLength`); a fingerprint held twice is
   * refused here.
   */
  static fromImage (count: number, bytes: Uint8Array): RecordStore {
    const recs = new RecordStore()
    recs.#chunks.load(bytes, count)
    let cap = 16
    while (cap < 2 * count + 2) cap *= 2
    recs.#table = emptyTable(cap)
    recs.#mask = cap - 1
    for (let r = 0; r < count; r++) {
      const n = recs.fingerprintLength(r)
      if (n === 0 || n > MAX_FINGERPRINT_LENGTH) throw new InvalidImageError(`record ${r} holds a ${n}-byte fingerprint`)
      const fp = recs.fingerprint(r)
      const h = recs.#hash(fp)
      const table = recs.#table
      let i = h & recs.#mask
      for (; ; i = (i + 1) & recs.#mask) {
        const o = table[2 * i + 1]
        if (o === NONE) break
        if (table[2 * i] === h && recs.#holds(o, fp)) throw new InvalidImageError(`fingerprint held twice (records ${o} and ${r})`)
      }
      table[2 * i] = h
      table[2 * i + 1] = r
    }
    recs.count = count
    return recs
  }

  /** Length of record r's fingerprint as stored (validating an image). */
  fingerprintLength (r: number): number { return this.#u8[r >>> SHIFT][(r & MASK) * REC + 13] }

  sched (r: number): number { return this.#f64[r >>> SHIFT][(r & MASK) * 8] }
  setSched (r: number, t: number): void { this.#f64[r >>> SHIFT][(r & MASK) * 8] = t }
  head (r: number): number { return this.#i32[r >>> SHIFT][(r & MASK) * 16 + 2] }
  setHead (r: number, s: number): void { this.#i32[r >>> SHIFT][(r & MASK) * 16 + 2] = s }
  status (r: number): number { return this.#u8[r >>> SHIFT][(r & MASK) * REC + 12] }
  setStatus (r: number, status: number): void { this.#u8[r >>> SHIFT][(r & MASK) * REC + 12] = status }

  /** A copy of the record's fingerprint. */
  fingerprint (r: number): Uint8Array {
    const u8 = this.#u8[r >>> SHIFT]
    const at = (r & MASK) * REC
    return u8.slice(at + FP_AT, at + FP_AT + u8[at + 13])
  }

  /** Copies the record's fingerprint into `out` at `at`; returns that view of `out`. */
  fingerprintInto (r: number, out: Uint8Array, at: number): Uint8Array {
    const u8 = this.#u8[r >>> SHIFT]
    const from = (r & MASK) * REC + FP_AT
    const n = u8[(r & MASK) * REC + 13]
    for (let i = 0; i < n; i++) out[at + i] = u8[from + i]
    return out.subarray(at, at + n)
  }

  /** Byte order of two records' fingerprints (as compareBytes). */
  compare (a: number, b: number): number {
    const ua = this.#u8[a >>> SHIFT]
    const ub = this.#u8[b >>> SHIFT]
    const ia = (a & MASK) * REC
    const ib = (b & MASK) * REC
    const la = ua[ia + 13]
    const lb = ub[ib + 13]
    const n = la < lb ? la : lb
    for (let i = 0; i < n; i++) {
      const d = ua[ia + FP_AT + i] - ub[ib + FP_AT + i]
      if (d !== 0) return d
    }
    return la - lb
  }

  #hash (fp: Uint8Array): number {
    const n = fp.length
    if (n === 0 || n > MAX_FINGERPRINT_LENGTH) throw new InvalidStatementError('bad_fingerprint', `fingerprint must be 1 to ${MAX_FINGERPRINT_LENGTH} bytes, got ${n}`)
    const tab = this.#tab
    let h = tab[MAX_FINGERPRINT_LENGTH * 256 + n]
    for (let i = 0; i < n; i++) h ^= tab[(i << 8) | fp[i]]
    return h
  }

  #holds (r: number, fp: Uint8Array): boolean {
    const u8 = this.#u8[r >>> SHIFT]
    const at = (r & MASK) * REC
    const n = fp.length
    if (u8[at + 13] !== n) return false
    for (let i = 0; i < n; i++) if (u8[at + FP_AT + i] !== fp[i]) return false
    return true
  }

  #rehash (): void {
    const old = this.#table
    const cap = old.length // twice the slots: two int32s per slot
    const table = emptyTable(cap)
    const mask = cap - 1
    for (let j = 0; j < old.length; j += 2) {
      const r = old[j + 1]
      if (r === NONE) continue
      let i = old[j] & mask
      while (table[2 * i + 1] !== NONE) i = (i + 1) & mask
      table[2 * i] = old[j]
      table[2 * i + 1] = r
    }
    this.#table = table
    this.#mask = mask
  }
}

let sharedTab: Int32Array | undefined

/** The random tabulation words: (MAX_FINGERPRINT_LENGTH + 1) × 256, drawn once per process. */
function tabulation (): Int32Array {
  if (sharedTab === undefined) {
    sharedTab = new Int32Array((MAX_FINGERPRINT_LENGTH + 1) * 256)
    randomFillSync(sharedTab)
  }
  return sharedTab
}

function emptyTable (slots: number): Int32Array {
  const table = new Int32Array(2 * slots)
  for (let i = 1; i < table.length; i += 2) table[i] = NONE
  return table
}
