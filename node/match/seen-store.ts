/**
 * Retroactive matching, the library part: which listings carried which
 * fingerprint, so that when a fingerprint becomes listed later the
 * platform gets decisions for its earlier listings without rescanning
 * (retro.ts turns an index change into those decisions).
 *
 * `SeenStore` is the contract; `MemorySeenStore` keeps it in typed arrays,
 * which the daemon snapshots to disk after each scan (seen-snapshot.ts). A
 * LevelDB store with one record per pair,
 *   key   = "seen/" ‖ fingerprint (32 B) ‖ utf8(listing id)
 *   value = probe (u8: column and kind, columns.ts PROBES) ‖ seenAt (u64 ms)
 * would bound memory (one prefix scan per lookup, re-scans overwrite) but
 * make scans wait on LevelDB at ~900,000 pairs/s.
 *
 * Memory store costs: 9 B per (fingerprint, listing) pair, ~14 B + the id's
 * UTF-8 bytes per listing per batch, ~52 B per distinct fingerprint
 * (fingerprint, head and ≤ 50 %-full hash slots). Ten million listings with
 * five identifiers from 2.5 million distinct values: ~0.9 GB.
 * A listing scanned twice is stored twice and reported once.
 */
import type { Kind } from '../../protocol/kinds.js'
import { PROBES, type IdentifierColumn } from './columns.js'
import { FP_BYTES, capacityFor, findSlot, fpHash, insertSlot, randomSeed, rehash, MAX_LOAD } from './fp-table.js'
import { SeenSnapshotError } from './errors.js'
import type { SeenArrays } from './seen-snapshot.js'

/**
 * Fingerprints of one batch of scanned listings: identifier i has probe
 * `probes[i]` and fingerprint `fps[32i .. 32i+32)` and belongs to listing
 * `listingIds[listing[i]]`.
 */
export interface SeenBatch {
  fps: Uint8Array
  probes: Uint8Array
  listing: Int32Array
  listingIds: string[]
  /** When the batch was scanned, ms since the epoch. */
  time: number
}

export interface SeenListing {
  listingId: string
  column: IdentifierColumn
  kind: Kind
  /** When it was (last) scanned with this fingerprint, ms. */
  seenAt: number
}

export interface SeenStore {
  /** Records every (fingerprint, listing) pair of the batch. */
  addBatch: (batch: SeenBatch) => Promise<void>
  /** The listings seen with this fingerprint, each listing and column once. */
  listingsFor: (fingerprint: Uint8Array) => AsyncIterable<SeenListing>
}

/** Growable typed array helpers. */
function grow<T extends Int32Array | Uint8Array | Float64Array> (a: T, need: number): T {
  if (need <= a.length) return a
  let n = Math.max(16, a.length)
  while (n < need) n *= 2
  const b = new (a.constructor as new (n: number) => T)(n)
  b.set(a)
  return b
}

const enc = new TextEncoder()
const dec = new TextDecoder()

export class MemorySeenStore implements SeenStore {
  // fingerprints
  #slots = new Uint32Array(2 * 16)
  #mask = 15
  #fps = new Uint8Array(0)
  #head = new Int32Array(0)
  #nFp = 0
  readonly #seed = randomSeed()
  // postings
  #next = new Int32Array(0)
  #postListing = new Int32Array(0)
  #postProbe = new Uint8Array(0)
  #nPost = 0
  // listings
  #idBytes = new Uint8Array(0)
  #idStart = new Int32Array(0)
  #idEnd = new Int32Array(0)
  #time = new Float64Array(0)
  #nListing = 0
  #bytesUsed = 0

  get fingerprints (): number { return this.#nFp }
  get pairs (): number { return this.#nPost }
  get listings (): number { return this.#nListing }

  /** Bytes of the arrays in use (not their spare capacity). */
  memoryBytes (): number {
    return this.#slots.byteLength + this.#nFp * (FP_BYTES + 4) + this.#nPost * 9 + this.#nListing * 16 + this.#bytesUsed
  }

  /** The arrays in use (views, no copy), for a snapshot (seen-snapshot.ts). */
  arrays (): SeenArrays {
    return {
      fps: this.#fps.subarray(0, this.#nFp * FP_BYTES),
      head: this.#head.subarray(0, this.#nFp),
      next: this.#next.subarray(0, this.#nPost),
      postListing: this.#postListing.subarray(0, this.#nPost),
      postProbe: this.#postProbe.subarray(0, this.#nPost),
      idBytes: this.#idBytes.subarray(0, this.#bytesUsed),
      idStart: this.#idStart.subarray(0, this.#nListing),
      idEnd: this.#idEnd.subarray(0, this.#nListing),
      time: this.#time.subarray(0, this.#nListing)
    }
  }

  /**
   * A store holding what `arrays()` returned (from a snapshot): every index
   * is checked before use, and the hash table is rebuilt with a fresh seed.
   * Inconsistent arrays are a SeenSnapshotError.
   */
  static fromArrays (a: SeenArrays): MemorySeenStore {
    const nFp = a.head.length
    const nPost = a.next.length
    const nListing = a.idStart.length
    const bad = (why: string): never => { throw new SeenSnapshotError(`inconsistent arrays: ${why}`) }
    if (a.fps.length !== nFp * FP_BYTES) bad('fingerprint bytes')
    if (a.postListing.length !== nPost || a.postProbe.length !== nPost) bad('posting arrays of different lengths')
    if (a.idEnd.length !== nListing || a.time.length !== nListing) bad('listing arrays of different lengths')
    for (let f = 0; f < nFp; f++) if (a.head[f] < -1 || a.head[f] >= nPost) bad(`head of fingerprint ${f}`)
    for (let p = 0; p < nPost; p++) {
      if (a.next[p] < -1 || a.next[p] >= p) bad(`posting ${p} links forward`) // postings only ever link to older ones
      if (a.postListing[p] < 0 || a.postListing[p] >= nListing) bad(`posting ${p} names no listing`)
      if (a.postProbe[p] >= PROBES.length) bad(`posting ${p} has an unknown column`)
    }
    for (let l = 0; l < nListing; l++) if (a.idStart[l] < 0 || a.idStart[l] > a.idEnd[l] || a.idEnd[l] > a.idBytes.length) bad(`listing ${l} id bytes`)
    const store = new MemorySeenStore()
    store.#fps = a.fps
    store.#head = a.head
    store.#nFp = nFp
    store.#next = a.next
    store.#postListing = a.postListing
    store.#postProbe = a.postProbe
    store.#nPost = nPost
    store.#idBytes = a.idBytes
    store.#bytesUsed = a.idBytes.length
    store.#idStart = a.idStart
    store.#idEnd = a.idEnd
    store.#time = a.time
    store.#nListing = nListing
    const cap = capacityFor(Math.max(16, nFp * 2))
    store.#slots = new Uint32Array(cap * 2)
    store.#mask = cap - 1
    for (let f = 0; f < nFp; f++) {
      const h = fpHash(a.fps, f * FP_BYTES, store.#seed)
      if (findSlot(store.#slots, store.#mask, a.fps, a.fps, f * FP_BYTES, h) >= 0) bad(`fingerprint ${f} appears twice`)
      insertSlot(store.#slots, store.#mask, h, f)
    }
    return store
  }

  async addBatch (batch: SeenBatch): Promise<void> {
    this.add(batch)
  }

  /** Synchronous addBatch. */
  add (batch: SeenBatch): void {
    const base = this.#nListing
    const n = batch.listingIds.length
    this.#idStart = grow(this.#idStart, base + n)
    this.#idEnd = grow(this.#idEnd, base + n)
    this.#time = grow(this.#time, base + n)
    for (let i = 0; i < n; i++) {
      const bytes = enc.encode(batch.listingIds[i])
      this.#idBytes = grow(this.#idBytes, this.#bytesUsed + bytes.length)
      this.#idBytes.set(bytes, this.#bytesUsed)
      this.#idStart[base + i] = this.#bytesUsed
      this.#bytesUsed += bytes.length
      this.#idEnd[base + i] = this.#bytesUsed
      this.#time[base + i] = batch.time
    }
    this.#nListing += n
    const pairs = batch.probes.length
    this.#next = grow(this.#next, this.#nPost + pairs)
    this.#postListing = grow(this.#postListing, this.#nPost + pairs)
    this.#postProbe = grow(this.#postProbe, this.#nPost + pairs)
    for (let i = 0; i < pairs; i++) {
      const f = this.#fpEntry(batch.fps, i * FP_BYTES)
      const p = this.#nPost++
      this.#next[p] = this.#head[f]
      this.#postListing[p] = base + batch.listing[i]
      this.#postProbe[p] = batch.probes[i]
      this.#head[f] = p
    }
  }

  async * listingsFor (fingerprint: Uint8Array): AsyncIterable<SeenListing> {
    yield * this.listingsForSync(fingerprint)
  }

  /** Synchronous listingsFor: newest first. */
  * listingsForSync (fingerprint: Uint8Array): Iterable<SeenListing> {
    if (fingerprint.length !== FP_BYTES) return
    const slot = findSlot(this.#slots, this.#mask, this.#fps, fingerprint, 0, fpHash(fingerprint, 0, this.#seed))
    if (slot < 0) return
    const f = this.#slots[2 * slot + 1] - 1
    const seen = new Set<string>()
    for (let p = this.#head[f]; p >= 0; p = this.#next[p]) {
      const l = this.#postListing[p]
      const probe = PROBES[this.#postProbe[p]]
      const listingId = dec.decode(this.#idBytes.subarray(this.#idStart[l], this.#idEnd[l]))
      const key = `${probe.id}:${listingId}`
      if (seen.has(key)) continue
      seen.add(key)
      yield { listingId, column: probe.column, kind: probe.kind, seenAt: this.#time[l] }
    }
  }

  #fpEntry (fps: Uint8Array, o: number): number {
    const h = fpHash(fps, o, this.#seed)
    const slot = findSlot(this.#slots, this.#mask, this.#fps, fps, o, h)
    if (slot >= 0) return this.#slots[2 * slot + 1] - 1
    const f = this.#nFp++
    this.#fps = grow(this.#fps, this.#nFp * FP_BYTES)
    this.#head = grow(this.#head, this.#nFp)
    this.#fps.set(fps.subarray(o, o + FP_BYTES), f * FP_BYTES)
    this.#head[f] = -1
    if (this.#nFp > (this.#mask + 1) * MAX_LOAD) {
      const cap = capacityFor(this.#nFp * 2)
      const slots = new Uint32Array(cap * 2)
      rehash(this.#slots, slots, cap - 1)
      this.#slots = slots
      this.#mask = cap - 1
    }
    insertSlot(this.#slots, this.#mask, h, f)
    return f
  }
}
