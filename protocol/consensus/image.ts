/**
 * An image of the consensus index: everything `ConsensusIndex.fromImage`
 * needs to rebuild an index that answers every query as the original did,
 * its byte form, and the checks that turn an image back into the index's
 * stores (`storesFromImage`, `checkStores`). A node writes one in its
 * start-up checkpoint at a clean stop (node/checkpoint.ts), so the next
 * start skips decoding and applying every stored entry. Pure: no I/O, no
 * hashing (the checkpoint file carries the integrity hash).
 *
 * Byte form (all integers little-endian):
 *   f64 now
 *   u32 orgs,  each: u16 length ‖ utf8 name
 *   u32 keys,  each: u8 length ‖ key bytes ‖ u8 excluded (0 or 1)
 *   u32 records ‖ records × 64 bytes   (store.ts RecordStore structs)
 *   u32 slots   ‖ slots × 64 bytes     (store.ts SlotStore structs)
 *   u32 big reasons, each: u32 slot ‖ u32 reason code
 */
import { utf8 } from '../bytes.js'
import { KINDS } from '../kinds.js'
import { NEUTRAL } from './codes.js'
import { InvalidImageError } from './errors.js'
import { SOURCES } from './statement.js'
import { NONE, RecordStore, STRUCT_BYTES, SlotStore } from './store.js'
import { ABSENT } from './tally.js'
import type { TimerQueue } from './timer-queue.js'

export interface IndexImage {
  /** The index's clock. */
  now: number
  /** Org names in id order. */
  orgs: string[]
  /** Author keys in id order, and whether each is excluded. */
  keys: Uint8Array[]
  excluded: boolean[]
  records: { count: number, bytes: Uint8Array[] }
  slots: { count: number, bytes: Uint8Array[], bigReasons: Array<[number, number]> }
}

/** The image's bytes, as parts (the big ones are views of the index's chunks: write them out before the index changes). */
export function encodeIndexImage (image: IndexImage): Uint8Array[] {
  const head: number[] = []
  const u32 = (n: number): void => { head.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff) }
  const now = new Uint8Array(new Float64Array([image.now]).buffer)
  head.push(...now)
  u32(image.orgs.length)
  for (const org of image.orgs) {
    const b = utf8(org)
    if (b.length > 0xffff) throw new InvalidImageError('an org name is longer than 65,535 bytes')
    head.push(b.length & 0xff, b.length >>> 8, ...b)
  }
  u32(image.keys.length)
  image.keys.forEach((k, i) => {
    if (k.length > 0xff) throw new InvalidImageError('an author key is longer than 255 bytes')
    head.push(k.length, ...k, image.excluded[i] ? 1 : 0)
  })
  u32(image.records.count)
  const parts: Uint8Array[] = [Uint8Array.from(head), ...image.records.bytes]
  const slots: number[] = []
  const s32 = (n: number): void => { slots.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff) }
  s32(image.slots.count)
  parts.push(Uint8Array.from(slots), ...image.slots.bytes)
  const tail: number[] = []
  const t32 = (n: number): void => { tail.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff) }
  t32(image.slots.bigReasons.length)
  for (const [slot, reason] of image.slots.bigReasons) { t32(slot); t32(reason) }
  parts.push(Uint8Array.from(tail))
  return parts
}

/** Reads an image back; the record and slot bytes are views of `b` (no copy). Throws InvalidImageError on malformed bytes. */
export function decodeIndexImage (b: Uint8Array): IndexImage {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let at = 0
  const need = (n: number): void => { if (n < 0 || at + n > b.length) throw new InvalidImageError('truncated') }
  const u32 = (): number => { need(4); const v = dv.getUint32(at, true); at += 4; return v }
  need(8)
  const now = dv.getFloat64(at, true)
  at += 8
  const orgs: string[] = []
  const decoder = new TextDecoder('utf-8', { fatal: true })
  for (let i = u32(); i > 0; i--) {
    need(2)
    const n = dv.getUint16(at, true)
    at += 2
    need(n)
    try {
      orgs.push(decoder.decode(b.subarray(at, at + n)))
    } catch {
      throw new InvalidImageError('an org name is not UTF-8')
    }
    at += n
  }
  const keys: Uint8Array[] = []
  const excluded: boolean[] = []
  for (let i = u32(); i > 0; i--) {
    need(1)
    const n = b[at++]
    need(n + 1)
    keys.push(b.slice(at, at + n))
    at += n
    const x = b[at++]
    if (x > 1) throw new InvalidImageError('an excluded flag is not 0 or 1')
    excluded.push(x === 1)
  }
  const records = u32()
  need(records * STRUCT_BYTES)
  const recordBytes = b.subarray(at, at + records * STRUCT_BYTES)
  at += records * STRUCT_BYTES
  const slots = u32()
  need(slots * STRUCT_BYTES)
  const slotBytes = b.subarray(at, at + slots * STRUCT_BYTES)
  at += slots * STRUCT_BYTES
  const bigReasons: Array<[number, number]> = []
  for (let i = u32(); i > 0; i--) bigReasons.push([u32(), u32()])
  if (at !== b.length) throw new InvalidImageError('trailing bytes')
  return { now, orgs, keys, excluded, records: { count: records, bytes: [recordBytes] }, slots: { count: slots, bytes: [slotBytes], bigReasons } }
}

/**
 * The record and slot stores an image holds, for `ConsensusIndex.fromImage`
 * (after it has taken the image's orgs and keys): byte lengths and kept
 * reason codes are checked here, the structs by `checkStores`.
 */
export function storesFromImage (image: IndexImage): { recs: RecordStore, slots: SlotStore } {
  const recs = image.records
  const slots = image.slots
  const recBytes = joined(recs.bytes)
  const slotBytes = joined(slots.bytes)
  if (!Number.isSafeInteger(recs.count) || recs.count < 0 || recBytes.length !== recs.count * STRUCT_BYTES) throw new InvalidImageError('record bytes do not match the record count')
  if (!Number.isSafeInteger(slots.count) || slots.count < 0 || slotBytes.length !== slots.count * STRUCT_BYTES) throw new InvalidImageError('slot bytes do not match the slot count')
  for (const [slot, reason] of slots.bigReasons) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= slots.count || !Number.isInteger(reason) || reason < 255 || reason > 0xffffffff) throw new InvalidImageError('a kept reason code is out of range')
  }
  const recStore = RecordStore.fromImage(recs.count, recBytes)
  const slotStore = SlotStore.fromImage(slots.count, slotBytes, slots.bigReasons)
  return { recs: recStore, slots: slotStore }
}

/**
 * Range and list checks of the stores of a loaded image, for an index with
 * `orgs` org ids and `keys` key ids: every struct in range, every slot in
 * exactly one record's list. Refills `queue` with the records' schedules and
 * returns the status counts and the number of scheduled records.
 */
export function checkStores (recs: RecordStore, slots: SlotStore, orgs: number, keys: number, queue: TimerQueue): { counts: number[], scheduled: number } {
  const seen = new Uint8Array(slots.count)
  let linked = 0
  const counts = [0, 0, 0, 0]
  let scheduled = 0
  queue.clear()
  for (let rec = 0; rec < recs.count; rec++) {
    const status = recs.status(rec)
    if (status > 3) throw new InvalidImageError(`record ${rec} has status code ${status}`)
    counts[status]++
    const sched = recs.sched(rec)
    if (Number.isNaN(sched) || sched === Number.NEGATIVE_INFINITY) throw new InvalidImageError(`record ${rec} has a bad schedule`)
    if (sched !== Number.POSITIVE_INFINITY) { scheduled++; queue.push(sched, rec) }
    const head = recs.head(rec)
    if (head === NONE && status !== ABSENT) throw new InvalidImageError(`record ${rec} has a status but no statement`)
    for (let slot = head; slot !== NONE; slot = slots.next(slot)) {
      if (slot < 0 || slot >= slots.count || seen[slot] === 1) throw new InvalidImageError(`record ${rec} links a bad or shared slot`)
      seen[slot] = 1
      linked++
      const org = slots.org(slot)
      const key = slots.key(slot)
      if (org < 0 || org >= orgs || key < 0 || key >= keys) throw new InvalidImageError(`slot ${slot} names an unknown org or key`)
      if (slots.stance(slot) > NEUTRAL || slots.source(slot) >= SOURCES.length || slots.kind(slot) >= KINDS.length) throw new InvalidImageError(`slot ${slot} has a bad stance, source or kind`)
      if (!Number.isFinite(slots.time(slot)) || Number.isNaN(slots.expires(slot))) throw new InvalidImageError(`slot ${slot} has a bad time`)
    }
  }
  if (linked !== slots.count) throw new InvalidImageError('some slots belong to no record')
  return { counts, scheduled }
}

function joined (parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
