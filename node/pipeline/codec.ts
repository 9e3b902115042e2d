/**
 * Binary records the pipeline keeps in Redis: blocklist entries (snapshot
 * chunks and change batches) and seen batches. Compact because a
 * 1,000,000-entry snapshot travels to every worker, and versioned by a
 * leading byte. Decoding checks every length against the buffer and throws
 * PipelineRecordError; it never reads past the end.
 *
 * Blocklist batch (snapshot chunk or change batch):
 *   u8 version=1 | u32 entries | u16 orgs | orgs × (u16 len, utf8) | entries ×
 *     fp[32] | u8 kind (255 none) | u8 status | u8 from | u16 nPos | u16 nNeg |
 *     u16 confirmations | f64 expires | u8 posKept | u8 negKept | u16 org × (posKept + negKept)
 * `status` and `from` are STATUS_CODE values (0 absent … 3 disputed); `from`
 * is the status before the change (retroactive decisions need it; a
 * snapshot repeats `status`). At most ORGS_INLINE positive and ORGS_INLINE
 * negative org names are carried — what the worker's BlocklistIndex keeps —
 * with the true counts, so a worker's index explains exactly as the node's.
 *
 * Seen batch (the listings a worker decided, for retroactive decisions):
 *   u8 version=1 | u32 listings | listings × (u16 id len, utf8 id, u8 pairs, pairs × (u8 probe, fp[16]))
 * Fingerprints are kept as their first 16 bytes (a retroactive lookup
 * compares prefixes: 2^-128 odds of a false match per pair), padded with
 * zeros to 32 when loaded into a MemorySeenStore.
 */
import { KINDS, type Kind } from '../../protocol/kinds.js'
import type { Status } from '../../protocol/consensus/rule.js'
import { ORGS_INLINE, PROBES, type IndexInput, type SeenBatch } from '../match/index.js'
import { STATUS_BY_CODE, STATUS_CODE } from '../match/policy.js'
import { PipelineRecordError } from './errors.js'

const VERSION = 1
const NO_KIND = 255
/** Bytes of a seen fingerprint prefix. */
export const SEEN_FP_BYTES = 16

/** One blocklist entry as the pipeline carries it: the index input plus the status before the change. */
export interface BlocklistRecord extends IndexInput {
  from: Status | 'absent'
}

/** What the encoder needs of an explanation: the matcher index's input (protocol/consensus `Explanation` fits). */
export type ExplanationLike = IndexInput

const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]))
const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

class Writer {
  buf: Buffer
  at = 0
  constructor (size: number) { this.buf = Buffer.allocUnsafe(size) }
  need (n: number): void {
    if (this.at + n <= this.buf.length) return
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(b, 0, 0, this.at)
    this.buf = b
  }

  u8 (v: number): void { this.need(1); this.buf[this.at++] = v }
  u16 (v: number): void { this.need(2); this.buf.writeUInt16LE(v, this.at); this.at += 2 }
  u32 (v: number): void { this.need(4); this.buf.writeUInt32LE(v, this.at); this.at += 4 }
  f64 (v: number): void { this.need(8); this.buf.writeDoubleLE(v, this.at); this.at += 8 }
  bytes (b: Uint8Array): void { this.need(b.length); this.buf.set(b, this.at); this.at += b.length }
  done (): Buffer { return this.buf.subarray(0, this.at) }
}

class Reader {
  at = 0
  constructor (readonly buf: Buffer, readonly what: string) {}
  need (n: number): void {
    if (this.at + n > this.buf.length) throw new PipelineRecordError(this.what, `truncated at byte ${this.at}`)
  }

  u8 (): number { this.need(1); return this.buf[this.at++] }
  u16 (): number { this.need(2); const v = this.buf.readUInt16LE(this.at); this.at += 2; return v }
  u32 (): number { this.need(4); const v = this.buf.readUInt32LE(this.at); this.at += 4; return v }
  f64 (): number { this.need(8); const v = this.buf.readDoubleLE(this.at); this.at += 8; return v }
  bytes (n: number): Buffer { this.need(n); const b = this.buf.subarray(this.at, this.at + n); this.at += n; return b }
  utf8 (n: number): string {
    try {
      return dec.decode(this.bytes(n))
    } catch (err) {
      if (err instanceof PipelineRecordError) throw err
      throw new PipelineRecordError(this.what, `invalid UTF-8 at byte ${this.at - n}`)
    }
  }
}

const clamp16 = (n: number): number => Math.min(Math.max(0, Math.trunc(n)), 0xffff)

/** Encodes explanations (`from` per entry, default: its own status) as one blocklist batch. */
export function encodeBlocklist (items: ReadonlyArray<{ x: ExplanationLike, from?: Status | 'absent' }>): Buffer {
  const orgIds = new Map<string, number>()
  const orgNames: string[] = []
  const idOf = (org: string): number => {
    let id = orgIds.get(org)
    if (id === undefined) {
      id = orgNames.length
      if (id > 0xffff) throw new PipelineRecordError('a blocklist batch', 'more than 65,536 orgs')
      orgIds.set(org, id)
      orgNames.push(org)
    }
    return id
  }
  const body = new Writer(items.length * 72 + 16)
  let n = 0
  for (const { x, from } of items) {
    if (x.fingerprint.length !== 32) continue // perceptual hashes are not indexed (BlocklistIndex ignores them too)
    n++
    body.bytes(x.fingerprint)
    body.u8(x.kind === undefined ? NO_KIND : (KIND_CODE.get(x.kind) ?? NO_KIND))
    body.u8(STATUS_CODE[x.status])
    body.u8(STATUS_CODE[from ?? x.status])
    body.u16(clamp16(x.positive.length))
    body.u16(clamp16(x.negative.length))
    body.u16(clamp16(x.confirmations ?? 0))
    body.f64(x.expires)
    const pos = x.positive.slice(0, ORGS_INLINE)
    const neg = x.negative.slice(0, ORGS_INLINE)
    body.u8(pos.length)
    body.u8(neg.length)
    for (const v of pos) body.u16(idOf(v.org))
    for (const v of neg) body.u16(idOf(v.org))
  }
  const head = new Writer(64 + orgNames.length * 24)
  head.u8(VERSION)
  head.u32(n)
  head.u16(orgNames.length)
  for (const name of orgNames) {
    const b = enc.encode(name)
    head.u16(b.length)
    head.bytes(b)
  }
  return Buffer.concat([head.done(), body.done()])
}

/** Decodes a blocklist batch. `what` names the record in errors. */
export function decodeBlocklist (buf: Buffer, what = 'a blocklist batch'): BlocklistRecord[] {
  const r = new Reader(buf, what)
  const v = r.u8()
  if (v !== VERSION) throw new PipelineRecordError(what, `unknown version ${v}`)
  const n = r.u32()
  const nOrgs = r.u16()
  const orgs: Array<{ org: string }> = []
  for (let i = 0; i < nOrgs; i++) orgs.push({ org: r.utf8(r.u16()) })
  const filler = { org: '' }
  const out: BlocklistRecord[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const fingerprint = new Uint8Array(r.bytes(32))
    const k = r.u8()
    const s = r.u8()
    const f = r.u8()
    if ((k !== NO_KIND && k >= KINDS.length) || s > 3 || f > 3) throw new PipelineRecordError(what, `entry ${i} has an unknown kind or status`)
    const nPos = r.u16()
    const nNeg = r.u16()
    const confirmations = r.u16()
    const expires = r.f64()
    const posKept = r.u8()
    const negKept = r.u8()
    if (posKept > Math.min(nPos, ORGS_INLINE) || negKept > Math.min(nNeg, ORGS_INLINE)) throw new PipelineRecordError(what, `entry ${i} keeps more orgs than it counts`)
    const org = (): { org: string } => {
      const id = r.u16()
      const o = orgs[id]
      if (o === undefined) throw new PipelineRecordError(what, `entry ${i} names org ${id} of ${nOrgs}`)
      return o
    }
    const positive: Array<{ org: string }> = new Array(nPos)
    for (let j = 0; j < posKept; j++) positive[j] = org()
    positive.fill(filler, posKept)
    const negative: Array<{ org: string }> = new Array(nNeg)
    for (let j = 0; j < negKept; j++) negative[j] = org()
    negative.fill(filler, negKept)
    out[i] = {
      fingerprint,
      kind: k === NO_KIND ? undefined : KINDS[k],
      status: STATUS_BY_CODE[s],
      from: STATUS_BY_CODE[f],
      positive,
      negative,
      expires,
      confirmations
    }
  }
  if (r.at !== buf.length) throw new PipelineRecordError(what, `${buf.length - r.at} bytes after the last entry`)
  return out
}

/** One decided listing's identifiers, for the seen-store. */
export interface SeenListingRecord {
  listingId: string
  probes: number[]
  /** Fingerprints (or their first SEEN_FP_BYTES bytes), one per probe. */
  fps: Uint8Array[]
}

export function encodeSeen (listings: readonly SeenListingRecord[]): Buffer {
  const w = new Writer(16 + listings.length * 80)
  w.u8(VERSION)
  w.u32(listings.length)
  for (const l of listings) {
    const id = enc.encode(l.listingId)
    w.u16(id.length)
    w.bytes(id)
    w.u8(l.probes.length)
    for (let i = 0; i < l.probes.length; i++) {
      w.u8(l.probes[i])
      w.bytes(l.fps[i].subarray(0, SEEN_FP_BYTES))
    }
  }
  return w.done()
}

/**
 * A seen batch built listing by listing straight from the matcher core's
 * arrays, without a record object per listing: `encode()` gives the bytes
 * `encodeSeen` gives for the same listings, `batch(time)` what `seenBatchOf`
 * gives. Listings with no valid identifier are not added (as the worker
 * never made records for them).
 */
export class SeenBatchBuilder {
  readonly #w: Writer
  #listings = 0
  #pairs = 0
  #probes: Uint8Array
  #listing: Int32Array
  #fps: Uint8Array
  readonly #ids: string[] = []

  /** `listings`: how many listings the batch will likely hold (the arrays grow past it). */
  constructor (listings = 1000) {
    const pairs = Math.max(16, listings * 4)
    this.#w = new Writer(64 + listings * 96)
    this.#probes = new Uint8Array(pairs)
    this.#listing = new Int32Array(pairs)
    this.#fps = new Uint8Array(pairs * 32)
    this.#w.u8(VERSION)
    this.#w.u32(0) // count, written by encode()
  }

  get listings (): number { return this.#listings }

  /** One listing: `n` identifiers, probe ids in probes[0..n), fingerprints at fps[i*32..). */
  add (listingId: string, n: number, probes: ArrayLike<number>, fps: Uint8Array): void {
    if (n === 0) return
    const w = this.#w
    const l = this.#listings++
    this.#ids.push(listingId)
    w.need(2 + listingId.length * 3 + 1 + n * (1 + SEEN_FP_BYTES))
    const idLen = w.buf.write(listingId, w.at + 2, 'utf8')
    w.buf.writeUInt16LE(idLen, w.at)
    w.at += 2 + idLen
    w.u8(n)
    if (this.#pairs + n > this.#probes.length) {
      const cap = Math.max(this.#probes.length * 2, this.#pairs + n)
      const probesNext = new Uint8Array(cap); probesNext.set(this.#probes); this.#probes = probesNext
      const listingNext = new Int32Array(cap); listingNext.set(this.#listing); this.#listing = listingNext
      const fpsNext = new Uint8Array(cap * 32); fpsNext.set(this.#fps); this.#fps = fpsNext
    }
    const buf = w.buf
    const out = this.#fps
    for (let i = 0; i < n; i++) {
      const k = this.#pairs++
      buf[w.at++] = probes[i]
      for (let j = 0, from = i * 32, to = k * 32; j < SEEN_FP_BYTES; j++) {
        buf[w.at++] = fps[from + j]
        out[to + j] = fps[from + j]
      }
      this.#probes[k] = probes[i]
      this.#listing[k] = l
    }
  }

  /** The batch's bytes, as `encodeSeen`. */
  encode (): Buffer {
    this.#w.buf.writeUInt32LE(this.#listings, 1)
    return this.#w.done()
  }

  /** The batch a MemorySeenStore takes, as `seenBatchOf` (fingerprint prefixes zero-padded). */
  batch (time: number): SeenBatch {
    const k = this.#pairs
    return { fps: this.#fps.subarray(0, k * 32), probes: this.#probes.subarray(0, k), listing: this.#listing.subarray(0, k), listingIds: this.#ids, time }
  }
}

/** A seen batch as a MemorySeenStore takes it (fingerprint prefixes zero-padded to 32 bytes). */
export function decodeSeen (buf: Buffer, time: number, what = 'a seen batch'): SeenBatch {
  const r = new Reader(buf, what)
  const v = r.u8()
  if (v !== VERSION) throw new PipelineRecordError(what, `unknown version ${v}`)
  const n = r.u32()
  const listingIds: string[] = new Array(n)
  const probes: number[] = []
  const listing: number[] = []
  const prefixes: Buffer[] = []
  for (let i = 0; i < n; i++) {
    listingIds[i] = r.utf8(r.u16())
    const pairs = r.u8()
    for (let j = 0; j < pairs; j++) {
      const p = r.u8()
      if (p >= PROBES.length) throw new PipelineRecordError(what, `listing ${i} names probe ${p}`)
      probes.push(p)
      listing.push(i)
      prefixes.push(r.bytes(SEEN_FP_BYTES))
    }
  }
  if (r.at !== buf.length) throw new PipelineRecordError(what, `${buf.length - r.at} bytes after the last listing`)
  const fps = new Uint8Array(prefixes.length * 32)
  for (let i = 0; i < prefixes.length; i++) fps.set(prefixes[i], i * 32)
  return { fps, probes: Uint8Array.from(probes), listing: Int32Array.from(listing), listingIds, time }
}

/** The key a fingerprint has in a MemorySeenStore built from seen batches: its prefix, zero-padded. */
export function seenLookupKey (fp: Uint8Array): Uint8Array {
  const k = new Uint8Array(32)
  k.set(fp.subarray(0, SEEN_FP_BYTES))
  return k
}

/** The seen batch a MemorySeenStore takes, straight from decided listings (what `decodeSeen(encodeSeen(l))` gives). */
export function seenBatchOf (listings: readonly SeenListingRecord[], time: number): SeenBatch {
  let pairs = 0
  for (const l of listings) pairs += l.probes.length
  const fps = new Uint8Array(pairs * 32)
  const probes = new Uint8Array(pairs)
  const listing = new Int32Array(pairs)
  let k = 0
  listings.forEach((l, i) => {
    for (let j = 0; j < l.probes.length; j++, k++) {
      fps.set(l.fps[j].subarray(0, SEEN_FP_BYTES), k * 32)
      probes[k] = l.probes[j]
      listing[k] = i
    }
  })
  return { fps, probes, listing, listingIds: listings.map(l => l.listingId), time }
}
