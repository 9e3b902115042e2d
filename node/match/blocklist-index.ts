/**
 * The blocklist as the matcher sees it: fingerprint → status and a short
 * explanation, in typed arrays on SharedArrayBuffers, so that every worker
 * thread reads the one copy the owner keeps up to date while it runs.
 *
 * Layout (fp-table.ts for the hash table itself, blocklist-meta.ts for an
 * entry's meta record, blocklist-orgs.ts for the org names):
 *
 * | buffer  | per                | bytes | content                                              |
 * | ------- | ------------------ | ----- | ---------------------------------------------------- |
 * | slots   | slot (cap = 2^n)   | 8     | tag (hash) + entry number + 1                        |
 * | fps     | entry              | 32    | the fingerprint                                      |
 * | meta    | entry              | 32    | expires f64, status, kind, #orgs, confirmations, up to 8 org ids (u16) |
 * | orgs    | org                | ~20   | org names, one JSON string per line, append-only     |
 * | control | index              | 64    | seqlock, counts, capacities, hash seed               |
 *
 * At most 70 % of slots are used (doubling halves that), so an entry costs
 * 64 B + 11–23 B of slots: 75–87 B with its explanation, against 84 B for a
 * JS Set of hex strings that holds the fingerprint alone and stops at
 * 16,777,216 entries. Buffers are growable SharedArrayBuffers that reserve
 * address space for `maxEntries` up front (virtual memory only: RSS grows
 * with use), so they never move and a worker attaches once for good.
 * Deleted entries' numbers are reused.
 *
 * Concurrency: one writer (the owner, e.g. the daemon following the
 * consensus index) and any number of readers in other threads. Every write
 * runs inside a seqlock: the sequence word is odd while the arrays change.
 * A reader takes the sequence, reads, and retries if it was odd or moved;
 * an answer therefore always reflects the index between two writes, never
 * half of one. A batch of changes applied with `applyAll` is one write.
 * Readers wait (Atomics.wait) while a rehash runs, a few ms per million entries.
 *
 * Only 32-byte fingerprints are indexed (every fingerprint suite's output);
 * product-image perceptual hashes are matched by distance elsewhere, and
 * `apply` ignores them.
 */
import { KINDS, type Kind } from '../../protocol/kinds.js'
import type { Status } from '../../protocol/consensus/rule.js'
import { M_KIND, M_STATUS, META_BYTES, NO_KIND, ORGS_INLINE, explanationOf, readMeta, writeMeta } from './blocklist-meta.js'
import { MAX_ORG_BYTES, OrgTable } from './blocklist-orgs.js'
import { IndexFullError, MatcherConfigError, ReadOnlyIndexError } from './errors.js'
import { FP_BYTES, MAX_LOAD, capacityFor, deleteSlot, findSlot, fpHash, insertSlot, randomSeed, rehash } from './fp-table.js'
import { STATUS_BY_CODE, STATUS_CODE } from './policy.js'

/** What the index needs of a consensus explanation (protocol/consensus `Explanation` fits). */
export interface IndexInput {
  fingerprint: Uint8Array
  kind: Kind | undefined
  /** 'absent' removes the fingerprint. */
  status: Status | 'absent'
  /** Counted positive statements (attesting orgs), ordered by org. */
  positive: ReadonlyArray<{ org: string }>
  /** Counted negative statements (disputing orgs). */
  negative: ReadonlyArray<{ org: string }>
  /** When the status next changes by expiry alone, ms; +Infinity if never. */
  expires: number
  confirmations?: number
}

/** What `apply` changed. `from === to` when only the explanation changed. */
export interface IndexChange {
  fingerprint: Uint8Array
  kind: Kind | undefined
  from: Status | 'absent'
  to: Status | 'absent'
}

/** The explanation kept per fingerprint. */
export interface IndexedExplanation {
  status: Status
  kind: Kind | undefined
  /** Attesting orgs (at most ORGS_INLINE − disputing ones kept; `orgCount` is the true number). */
  orgs: string[]
  orgCount: number
  /** Orgs standing against the listing (false positive, upheld dispute, authorised reseller). */
  disputedBy: string[]
  disputedCount: number
  confirmations: number
  /** ms; +Infinity if never. */
  expires: number
}

/** Everything a worker thread needs to attach; structured-cloneable (SharedArrayBuffers are shared, not copied). */
export interface SharedBlocklist {
  control: SharedArrayBuffer
  slots: SharedArrayBuffer
  fps: SharedArrayBuffer
  meta: SharedArrayBuffer
  orgs: SharedArrayBuffer
  maxEntries: number
}

export interface BlocklistIndexInit {
  /**
   * Entries to make room for up front (the index grows beyond it).
   * @default 1024
   */
  initialCapacity?: number
  /**
   * The most fingerprints the index can ever hold; address space for this
   * many is reserved (not committed) up front. 2^25 reserves ~2.6 GB of
   * virtual memory.
   * @default 33554432 (2^25)
   */
  maxEntries?: number
}

export { ORGS_INLINE }

// control words
const SEQ = 0
const COUNT = 1
const TABLE_CAP = 2
const ENTRY_CAP = 3
const HIGH = 4
const SEED = 5
const COUNT_BY_STATUS = 6 // 6 + status code (1..3)
const ORG_COUNT = 10
const ORG_BYTES = 11
const CONTROL_WORDS = 16

function growable (bytes: number, max: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes, { maxByteLength: max })
}

export class BlocklistIndex {
  readonly #ctrl: Int32Array
  readonly #shared: SharedBlocklist
  readonly #writable: boolean
  readonly #seed: number
  readonly #maxEntries: number
  /** Reader-private word: storing to it orders the reads before it ahead of the seqlock re-check on weakly ordered CPUs. */
  readonly #fence = new Int32Array(new SharedArrayBuffer(4))

  #slots!: Uint32Array
  #mask = 0
  #fps!: Uint8Array
  #meta8!: Uint8Array
  #meta16!: Uint16Array
  #meta64!: Float64Array
  /** Sequence the views were last refreshed at. */
  #viewSeq = -1

  readonly #orgs: OrgTable

  // writer state
  #free: number[] = []
  #depth = 0

  private constructor (shared: SharedBlocklist, writable: boolean) {
    this.#shared = shared
    this.#writable = writable
    this.#ctrl = new Int32Array(shared.control)
    this.#seed = Atomics.load(this.#ctrl, SEED)
    this.#maxEntries = shared.maxEntries
    this.#orgs = new OrgTable(this.#ctrl, shared.orgs, ORG_BYTES, ORG_COUNT)
    this.#refresh()
  }

  /** An empty index owned by this thread. */
  static create (init: BlocklistIndexInit = {}): BlocklistIndex {
    const maxEntries = init.maxEntries ?? 1 << 25
    const initial = Math.min(init.initialCapacity ?? 1024, maxEntries)
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries > 2 ** 28) throw new MatcherConfigError('maxEntries', 'must be an integer in 1..2^28')
    if (!Number.isSafeInteger(initial) || initial < 1) throw new MatcherConfigError('initialCapacity', 'must be a positive integer')
    const cap = capacityFor(initial)
    const shared: SharedBlocklist = {
      control: new SharedArrayBuffer(CONTROL_WORDS * 4),
      slots: growable(cap * 8, capacityFor(maxEntries) * 8),
      fps: growable(initial * FP_BYTES, maxEntries * FP_BYTES),
      meta: growable(initial * META_BYTES, maxEntries * META_BYTES),
      orgs: growable(4096, MAX_ORG_BYTES),
      maxEntries
    }
    const ctrl = new Int32Array(shared.control)
    ctrl[TABLE_CAP] = cap
    ctrl[ENTRY_CAP] = initial
    ctrl[SEED] = randomSeed()
    return new BlocklistIndex(shared, true)
  }

  /**
   * An index of every explanation given (absent ones skipped), e.g.
   * `consensus.entries()`. Inputs are not retained (their fingerprints are
   * copied), so a generator may reuse one object.
   */
  static fromExplanations (explanations: Iterable<IndexInput>, init: BlocklistIndexInit = {}): BlocklistIndex {
    const index = BlocklistIndex.create(init)
    index.#begin()
    try {
      for (const input of explanations) index.#put(input)
    } finally {
      index.#end()
    }
    return index
  }

  /** A read-only view of an index another thread owns (see `share`). */
  static attach (shared: SharedBlocklist): BlocklistIndex {
    return new BlocklistIndex(shared, false)
  }

  /** The buffers to post to a worker thread (`BlocklistIndex.attach` there). */
  share (): SharedBlocklist {
    return { ...this.#shared }
  }

  get readOnly (): boolean { return !this.#writable }

  /** Fingerprints held (any status). */
  get size (): number { return Atomics.load(this.#ctrl, COUNT) }

  /**
   * Changes whenever the index changes (the seqlock word; even when stable).
   * A result computed at version v is still valid while `version === v`.
   */
  get version (): number { return Atomics.load(this.#ctrl, SEQ) }

  counts (): { listed: number, disputed: number, candidate: number } {
    for (;;) {
      const s = this.#stable()
      const r = {
        listed: this.#ctrl[COUNT_BY_STATUS + STATUS_CODE.listed],
        disputed: this.#ctrl[COUNT_BY_STATUS + STATUS_CODE.disputed],
        candidate: this.#ctrl[COUNT_BY_STATUS + STATUS_CODE.candidate]
      }
      if (this.#valid(s)) return r
    }
  }

  /** Bytes of memory in use (committed buffer bytes). */
  memoryBytes (): number {
    return this.#shared.slots.byteLength + this.#shared.fps.byteLength + this.#shared.meta.byteLength + this.#shared.orgs.byteLength + CONTROL_WORDS * 4
  }

  /**
   * Status code of fp[offset .. offset+32): 0 absent, 1 candidate, 2 listed,
   * 3 disputed (policy.ts STATUS_CODE). Allocates nothing.
   */
  statusCode (fp: Uint8Array, offset = 0): number {
    const h = fpHash(fp, offset, this.#seed)
    for (;;) {
      const s = this.#stable()
      const slot = findSlot(this.#slots, this.#mask, this.#fps, fp, offset, h)
      const code = slot < 0 ? 0 : this.#meta8[(this.#slots[2 * slot + 1] - 1) * META_BYTES + M_STATUS]
      if (this.#valid(s)) return code ?? 0
    }
  }

  status (fp: Uint8Array, offset = 0): Status | 'absent' {
    return STATUS_BY_CODE[this.statusCode(fp, offset)]
  }

  /** The explanation kept for a fingerprint, or undefined when it is absent. */
  explain (fp: Uint8Array, offset = 0): IndexedExplanation | undefined {
    const h = fpHash(fp, offset, this.#seed)
    for (;;) {
      const s = this.#stable()
      const slot = findSlot(this.#slots, this.#mask, this.#fps, fp, offset, h)
      if (slot < 0) {
        if (this.#valid(s)) return undefined
        continue
      }
      const e = this.#slots[2 * slot + 1] - 1
      const r = readMeta(this.#meta8, this.#meta16, this.#meta64, e)
      if (r !== undefined && this.#valid(s)) return explanationOf(r, this.#orgs)
    }
  }

  /** Every indexed fingerprint with its explanation, in entry order (for exports and tests; not for hot paths). */
  * entries (): Iterable<IndexedExplanation & { fingerprint: Uint8Array }> {
    const high = Atomics.load(this.#ctrl, HIGH)
    for (let e = 0; e < high; e++) {
      for (;;) {
        const s = this.#stable()
        if (e * META_BYTES >= this.#meta8.length) break
        const r = readMeta(this.#meta8, this.#meta16, this.#meta64, e)
        const fingerprint = this.#fps.slice(e * FP_BYTES, (e + 1) * FP_BYTES)
        if (!this.#valid(s)) continue
        if (r !== undefined) yield { ...explanationOf(r, this.#orgs), fingerprint }
        break
      }
    }
  }

  /**
   * Takes one explanation into account: inserts, updates or (status
   * 'absent') deletes its fingerprint. Returns the change, or undefined for
   * a fingerprint that is not 32 bytes (not indexed).
   */
  apply (input: IndexInput): IndexChange | undefined {
    this.#begin()
    try {
      return this.#put(input)
    } finally {
      this.#end()
    }
  }

  /** Applies many explanations as one write (readers see all of them or none). */
  applyAll (inputs: Iterable<IndexInput>): IndexChange[] {
    const changes: IndexChange[] = []
    this.#begin()
    try {
      for (const input of inputs) {
        const c = this.#put(input)
        if (c !== undefined) changes.push(c)
      }
    } finally {
      this.#end()
    }
    return changes
  }

  /** Removes a fingerprint; returns whether it was there. */
  delete (fp: Uint8Array): boolean {
    const c = this.apply({ fingerprint: fp, kind: undefined, status: 'absent', positive: [], negative: [], expires: Number.POSITIVE_INFINITY })
    return c !== undefined && c.from !== 'absent'
  }

  // --- reading -------------------------------------------------------------------------------

  /** The sequence word once it is even, with views refreshed for it. */
  #stable (): number {
    for (let spins = 0; ; spins++) {
      const s = Atomics.load(this.#ctrl, SEQ)
      if ((s & 1) === 0) {
        if (s !== this.#viewSeq) this.#refresh()
        return s
      }
      if (spins > 64) Atomics.wait(this.#ctrl, SEQ, s, 5)
    }
  }

  #valid (s: number): boolean {
    if (this.#writable) return true
    Atomics.store(this.#fence, 0, 0)
    return Atomics.load(this.#ctrl, SEQ) === s
  }

  /** (Re)creates the views after the writer grew a buffer. */
  #refresh (): void {
    const ctrl = this.#ctrl
    this.#viewSeq = Atomics.load(ctrl, SEQ) & ~1
    const cap = ctrl[TABLE_CAP]
    const entryCap = ctrl[ENTRY_CAP]
    if (this.#slots === undefined || this.#slots.length !== cap * 2) {
      this.#slots = new Uint32Array(this.#shared.slots, 0, cap * 2)
      this.#mask = cap - 1
    }
    if (this.#fps === undefined || this.#fps.length !== entryCap * FP_BYTES) {
      this.#fps = new Uint8Array(this.#shared.fps, 0, entryCap * FP_BYTES)
      this.#meta8 = new Uint8Array(this.#shared.meta, 0, entryCap * META_BYTES)
      this.#meta16 = new Uint16Array(this.#shared.meta, 0, entryCap * META_BYTES / 2)
      this.#meta64 = new Float64Array(this.#shared.meta, 0, entryCap * META_BYTES / 8)
    }
  }

  // --- writing -------------------------------------------------------------------------------

  #begin (): void {
    if (!this.#writable) throw new ReadOnlyIndexError()
    if (this.#depth++ === 0) Atomics.add(this.#ctrl, SEQ, 1)
  }

  #end (): void {
    if (--this.#depth === 0) {
      Atomics.add(this.#ctrl, SEQ, 1)
      Atomics.notify(this.#ctrl, SEQ)
      this.#viewSeq = Atomics.load(this.#ctrl, SEQ)
    }
  }

  #put (input: IndexInput): IndexChange | undefined {
    const fp = input.fingerprint
    if (!(fp instanceof Uint8Array) || fp.length !== FP_BYTES) return undefined
    const to = STATUS_CODE[input.status]
    if (to === undefined) throw new TypeError(`unknown status ${String(input.status)}`)
    const ctrl = this.#ctrl
    const h = fpHash(fp, 0, this.#seed)
    const slot = findSlot(this.#slots, this.#mask, this.#fps, fp, 0, h)
    let from = 0
    let kind = input.kind
    let e: number
    if (slot < 0) {
      if (to === 0) return { fingerprint: fp, kind: input.kind, from: 'absent', to: 'absent' }
      if (ctrl[COUNT] + 1 > ctrl[TABLE_CAP] * MAX_LOAD) this.#growTable()
      e = this.#allocEntry()
      this.#fps.set(fp, e * FP_BYTES)
      insertSlot(this.#slots, this.#mask, h, e)
      ctrl[COUNT]++
    } else {
      e = this.#slots[2 * slot + 1] - 1
      from = this.#meta8[e * META_BYTES + M_STATUS]
      const k = this.#meta8[e * META_BYTES + M_KIND]
      if (kind === undefined && k !== NO_KIND) kind = KINDS[k]
      if (to === 0) {
        deleteSlot(this.#slots, this.#mask, slot)
        this.#meta8.fill(0, e * META_BYTES, (e + 1) * META_BYTES)
        this.#fps.fill(0, e * FP_BYTES, (e + 1) * FP_BYTES)
        this.#free.push(e)
        ctrl[COUNT]--
      }
    }
    if (from !== 0) ctrl[COUNT_BY_STATUS + from]--
    if (to !== 0) {
      ctrl[COUNT_BY_STATUS + to]++
      writeMeta(this.#meta8, this.#meta16, this.#meta64, e, to, input, kind, this.#orgs)
    }
    return { fingerprint: fp, kind, from: STATUS_BY_CODE[from], to: STATUS_BY_CODE[to] }
  }

  #allocEntry (): number {
    const free = this.#free.pop()
    if (free !== undefined) return free
    const ctrl = this.#ctrl
    const e = ctrl[HIGH]
    if (e >= this.#maxEntries) throw new IndexFullError(this.#maxEntries)
    if (e >= ctrl[ENTRY_CAP]) {
      const cap = Math.min(this.#maxEntries, Math.max(1024, ctrl[ENTRY_CAP] * 2))
      this.#shared.fps.grow(cap * FP_BYTES)
      this.#shared.meta.grow(cap * META_BYTES)
      ctrl[ENTRY_CAP] = cap
      this.#refresh()
    }
    ctrl[HIGH] = e + 1
    return e
  }

  #growTable (): void {
    const ctrl = this.#ctrl
    const cap = ctrl[TABLE_CAP] * 2
    const old = this.#slots.slice()
    this.#shared.slots.grow(cap * 8)
    ctrl[TABLE_CAP] = cap
    this.#refresh()
    this.#slots.fill(0)
    rehash(old, this.#slots, this.#mask)
  }
}
