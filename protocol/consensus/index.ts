/**
 * The consensus blocklist maintained incrementally: the same answers as
 * `decide()` on the same statements at the same `now`, with O(1) amortised
 * work per applied statement (O(orgs on that fingerprint), a handful).
 *
 * State. Per fingerprint only each org's latest statement is kept (a "slot";
 * older ones can never count again: whatever arrives later and is older
 * loses to the kept one). Records and slots are 64-byte structs in
 * ArrayBuffers (store.ts), with no object per fingerprint or statement:
 * about 64 bytes per slot and 90 per fingerprint with its hash-table and
 * timer entries (the bench: 118 MB for 500k fingerprints, 1M statements).
 * A slot whose statement expired stays as a tombstone: it must keep beating
 * older statements of its org that arrive late.
 *
 * Time. The index has its own clock, moved forward only by `advanceTo`
 * (a smaller time is ignored: the clock never goes back). `apply` evaluates
 * expiry at that clock. Each fingerprint is scheduled in a min-heap at the
 * exact time its status would next change by expiry (Tally.nextChange), so
 * `advanceTo` touches only fingerprints whose status actually changes.
 *
 * Policy. Org weights and memberships are read from the policy once per org
 * and cached; call `setPolicy` whenever the roster changes.
 *
 * Excluded keys. `exclude` takes author keys out of the count (keys proved
 * to have equivocated): the index then answers as `decide()` on the
 * statements of the other keys. Slots are kept per author key (an org
 * usually speaks about a fingerprint from one key, so this costs no more
 * slots), and an org's latest statement is chosen among its keys' slots
 * when a record is assessed, so excluding a key falls back to the org's
 * latest statement from its other keys, exactly.
 *
 * Preconditions (guaranteed by verification upstream): one entry id means
 * one entry, so one statement; the caller resolves an author to the same
 * org every time.
 *
 * Beside this file: how slots code a statement (codes.ts), explanations and
 * blocklist listings read from the stores (explain.ts), and loading and
 * checking an image (image.ts). What stays here is the state and the code
 * that changes it.
 */
import { bytesEqual, compareBytes } from '../bytes.js'
import { KINDS } from '../kinds.js'
import type { Kind } from '../kinds.js'
import { KIND_CODE, NEGATIVE, NEUTRAL, SOURCE_CODE, STANCE_CODE, keyString } from './codes.js'
import { InvalidImageError, InvalidTimeError } from './errors.js'
import { blocklistRecords, explainRecord, newestSlot } from './explain.js'
import { checkStores, storesFromImage } from './image.js'
import type { IndexImage } from './image.js'
import type { ConsensusPolicy, Explanation, Status } from './rule.js'
import { validateStatement } from './statement.js'
import type { Statement } from './statement.js'
import { STATUS_NAMES, Tally, checkQuorum, checkWeight } from './tally.js'
import type { StatusCode } from './tally.js'
import { NONE, RecordStore, SlotStore } from './store.js'
import { TimerQueue } from './timer-queue.js'

export interface StatusChange {
  fingerprint: Uint8Array
  kind: Kind
  from: Status | 'absent'
  to: Status | 'absent'
}

/**
 * The timer heap is rebuilt from the records once it holds more than
 * STALE_FACTOR × live entries plus max(QUEUE_SLACK, records): a rebuild
 * scans every record, so at least that many pushes pay for it.
 */
const STALE_FACTOR = 2
const QUEUE_SLACK = 1024

export class ConsensusIndex {
  #policy: ConsensusPolicy
  #quorum: number
  #now: number

  #orgIds = new Map<string, number>()
  #orgNames: string[] = []
  #orgWeight: number[] = []
  #orgMember: boolean[] = []

  /** Author keys by a string of their bytes, numbered densely; whether each is excluded. */
  #keyIds = new Map<string, number>()
  #keys: Uint8Array[] = []
  #keyExcluded: boolean[] = []
  /** The key id `#keyId` answered last (-1: none yet). */
  #lastKey = -1
  #best = new Int32Array(16).fill(NONE)

  /** Records by fingerprint, numbered densely in order of first sight. */
  #recs = new RecordStore()
  #slots = new SlotStore()
  /** Number of records with a finite scheduled time (live timer entries). */
  #scheduled = 0

  #queue = new TimerQueue()
  #tally = new Tally()
  #counts = [0, 0, 0, 0]

  /** `now` is the index's starting clock (default 0: nothing has expired yet). */
  constructor (policy: ConsensusPolicy, now = 0) {
    checkQuorum(policy.quorum)
    checkTime(now)
    this.#policy = policy
    this.#quorum = policy.quorum
    this.#now = now
  }

  /**
   * The index's state as an image (protocol/consensus/image.ts), for a
   * node's start-up checkpoint. Its record and slot bytes are views of the
   * live state: encode them before the index changes again.
   */
  image (): IndexImage {
    return {
      now: this.#now,
      orgs: [...this.#orgNames],
      keys: [...this.#keys],
      excluded: [...this.#keyExcluded],
      records: this.#recs.image(),
      slots: this.#slots.image()
    }
  }

  /**
   * An index from an image `image()` made, under `policy` (org weights and
   * membership are read from it, as when the statements were applied): it
   * answers every query as the imaged index did. Every struct is checked to
   * be in range and every slot to sit in exactly one record's list, so a
   * damaged image is refused (InvalidImageError), never half-used; the
   * statuses and schedules are taken as stored (the checkpoint's hash
   * vouches for them).
   */
  static fromImage (policy: ConsensusPolicy, image: IndexImage): ConsensusIndex {
    const index = new ConsensusIndex(policy, image.now)
    if (new Set(image.orgs).size !== image.orgs.length || image.orgs.some(o => typeof o !== 'string' || o.length === 0)) throw new InvalidImageError('org names are empty or repeated')
    for (const org of image.orgs) index.#orgId(org)
    if (image.excluded.length !== image.keys.length) throw new InvalidImageError('keys and excluded flags differ in number')
    image.keys.forEach((k, i) => {
      if (index.#keyId(k) !== i) throw new InvalidImageError('an author key is repeated')
      index.#keyExcluded[i] = image.excluded[i]
    })
    const { recs, slots } = storesFromImage(image)
    index.#recs = recs
    index.#slots = slots
    const { counts, scheduled } = checkStores(recs, slots, index.#orgNames.length, index.#keys.length, index.#queue)
    index.#counts = counts
    index.#scheduled = scheduled
    return index
  }

  /** The index's clock: the largest time given to `advanceTo` (or the constructor). */
  get now (): number { return this.#now }

  /** Number of fingerprints with at least one statement (any status). */
  get size (): number { return this.#recs.count }

  /**
   * Takes one statement into account, judged at the index's clock. Returns
   * the fingerprint's status change, if any. Applying a statement again, or
   * one its org has already superseded, changes nothing.
   */
  apply (s: Statement): StatusChange | undefined {
    validateStatement(s)
    const org = this.#orgId(s.org)
    const key = this.#keyId(s.author)
    const recs = this.#recs
    const slots = this.#slots
    const rec = recs.findOrAdd(s.fingerprint)
    let slot = recs.head(rec)
    while (slot !== NONE && (slots.key(slot) !== key || slots.org(slot) !== org)) slot = slots.next(slot)
    if (slot === NONE) {
      slot = slots.add(org, key, recs.head(rec))
      recs.setHead(rec, slot)
    } else if (!slots.supersededBy(slot, s.time, s.entryId)) {
      return undefined
    }
    slots.write(slot, s.time, s.expires, STANCE_CODE[s.stance], SOURCE_CODE.get(s.source) as number, KIND_CODE.get(s.kind) as number, s.entryId, s.reason ?? 0)
    const from = this.#reassess(rec)
    this.#compactQueue()
    if (from === undefined) return undefined
    return this.#change(rec, from, s.fingerprint)
  }

  /**
   * Moves the clock forward to `now` and processes the expiries up to it.
   * Returns the fingerprints whose status changed, ordered by fingerprint
   * bytes (one change each, from the status before to the status at `now`).
   */
  advanceTo (now: number): StatusChange[] {
    checkTime(now)
    if (now <= this.#now) return []
    this.#now = now
    const changed: Array<[number, StatusCode]> = []
    const queue = this.#queue
    while (queue.size > 0 && queue.peekTime() <= now) {
      const t = queue.peekTime()
      const rec = queue.pop()
      if (this.#recs.sched(rec) !== t) continue // stale: rescheduled since
      this.#recs.setSched(rec, Number.POSITIVE_INFINITY)
      this.#scheduled--
      const from = this.#reassess(rec)
      if (from !== undefined) changed.push([rec, from])
    }
    this.#compactQueue()
    return this.#changes(changed)
  }

  /**
   * Replaces the policy (roster changed: member removed or added, quorum or
   * weights changed) and recomputes the fingerprints it affects: all of them
   * when the quorum changed, otherwise those with a statement from an org
   * whose weight or membership changed. O(fingerprints).
   */
  setPolicy (policy: ConsensusPolicy): StatusChange[] {
    checkQuorum(policy.quorum)
    const weights = this.#orgNames.map(org => checkWeight(org, policy.weightOf(org)))
    const members = this.#orgNames.map(org => policy.isMember(org))
    const quorumChanged = policy.quorum !== this.#quorum
    const orgChanged = new Uint8Array(this.#orgNames.length)
    let anyOrgChanged = false
    for (let i = 0; i < orgChanged.length; i++) {
      if (weights[i] !== this.#orgWeight[i] || members[i] !== this.#orgMember[i]) {
        orgChanged[i] = 1
        anyOrgChanged = true
      }
    }
    this.#policy = policy
    this.#quorum = policy.quorum
    this.#orgWeight = weights
    this.#orgMember = members
    if (!quorumChanged && !anyOrgChanged) return []
    const changed: Array<[number, StatusCode]> = []
    for (let rec = 0; rec < this.#recs.count; rec++) {
      if (!quorumChanged && !this.#touches(rec, orgChanged)) continue
      const from = this.#reassess(rec)
      if (from !== undefined) changed.push([rec, from])
    }
    this.#compactQueue()
    return this.#changes(changed)
  }

  /**
   * Takes these author keys' statements out of the count, now and for
   * whatever they say later (keys proved to have equivocated; exclusion is
   * never lifted). Recomputes the fingerprints they made statements about:
   * O(fingerprints) per call, and a call adds keys rarely.
   */
  exclude (keys: Iterable<Uint8Array>): StatusChange[] {
    const changedKeys = new Uint8Array(this.#keys.length + 64)
    let any = false
    for (const k of keys) {
      const id = this.#keyId(k)
      if (this.#keyExcluded[id]) continue
      this.#keyExcluded[id] = true
      if (id < changedKeys.length) { changedKeys[id] = 1; any = true }
    }
    if (!any) return []
    const changed: Array<[number, StatusCode]> = []
    const slots = this.#slots
    for (let rec = 0; rec < this.#recs.count; rec++) {
      let touched = false
      for (let slot = this.#recs.head(rec); slot !== NONE && !touched; slot = slots.next(slot)) touched = changedKeys[slots.key(slot)] === 1
      if (!touched) continue
      const from = this.#reassess(rec)
      if (from !== undefined) changed.push([rec, from])
    }
    this.#compactQueue()
    return this.#changes(changed)
  }

  /** The excluded author keys, in byte order. */
  excluded (): Uint8Array[] {
    return this.#keys.filter((_, i) => this.#keyExcluded[i]).sort(compareBytes).map(k => Uint8Array.from(k))
  }

  /** Whether an author key is excluded. */
  isExcluded (key: Uint8Array): boolean {
    const id = this.#keyIds.get(keyString(key))
    return id !== undefined && this.#keyExcluded[id]
  }

  status (fingerprint: Uint8Array): Status | 'absent' {
    const rec = this.#recs.find(fingerprint)
    return rec === NONE ? 'absent' : STATUS_NAMES[this.#recs.status(rec)]
  }

  /** Why the fingerprint has its status, at the index's clock: equal to `decide()` on the statements applied. */
  explain (fingerprint: Uint8Array): Explanation {
    const rec = this.#recs.find(fingerprint)
    if (rec === NONE) {
      return { fingerprint: Uint8Array.from(fingerprint), kind: undefined, status: 'absent', positive: [], negative: [], weight: 0, quorum: this.#quorum, expires: Number.POSITIVE_INFINITY, confirmations: 0 }
    }
    return this.#explainRecord(rec)
  }

  /**
   * The record number of a fingerprint: dense (0 ≤ n < `size`, in order of
   * first sight) and fixed for the life of the index; -1 when no statement
   * names it. For callers that keep per-fingerprint scratch in arrays
   * instead of maps keyed by the fingerprint's bytes (the status bus).
   */
  recordOf (fingerprint: Uint8Array): number {
    return this.#recs.find(fingerprint)
  }

  /** `explain` of a record number from `recordOf` (no second lookup of the fingerprint). */
  explainRecord (rec: number): Explanation {
    if (!Number.isInteger(rec) || rec < 0 || rec >= this.#recs.count) throw new RangeError(`no record ${rec}`)
    return this.#explainRecord(rec)
  }

  /**
   * Explanations of the fingerprints on the blocklist (listed, disputed or
   * candidate; absent ones are left out), or only those with `status`, in
   * fingerprint byte order (`unordered`: in no particular order, without
   * sorting them: for consumers that do not care, such as a hash table
   * built at start-up, where sorting a million records took seconds). The
   * set is fixed when iteration starts; each explanation reflects the index
   * when it is yielded.
   */
  * entries (filter?: { status?: Status, unordered?: boolean }): Iterable<Explanation> {
    for (const rec of blocklistRecords(this.#recs, filter?.status, filter?.unordered === true)) yield this.#explainRecord(rec)
  }

  /**
   * The same fingerprints as `entries`, in the same order, with their status
   * only: no explanation is built (the status is kept per record), so this
   * is cheap enough for a snapshot hash over a million fingerprints.
   */
  * statuses (filter?: { status?: Status, unordered?: boolean }): Iterable<{ fingerprint: Uint8Array, status: Status }> {
    for (const rec of blocklistRecords(this.#recs, filter?.status, filter?.unordered === true)) yield { fingerprint: this.#recs.fingerprint(rec), status: STATUS_NAMES[this.#recs.status(rec)] as Status }
  }

  counts (): { listed: number, disputed: number, candidate: number } {
    const [, candidate, listed, disputed] = this.#counts
    return { listed, disputed, candidate }
  }

  /** Recomputes a record's status at the clock and reschedules it; returns the previous status if it changed. */
  #reassess (rec: number): StatusCode | undefined {
    const tally = this.#tally
    const recs = this.#recs
    const slots = this.#slots
    tally.reset()
    const now = this.#now
    const excluded = this.#keyExcluded
    // each org's latest slot among its counted keys (slots are per key): one pass to find, one to count
    const best = this.#bestSlots()
    for (let slot = recs.head(rec); slot !== NONE; slot = slots.next(slot)) {
      if (excluded[slots.key(slot)]) continue
      const org = slots.org(slot)
      if (best[org] === NONE || slots.later(slot, best[org])) best[org] = slot
    }
    for (let slot = recs.head(rec); slot !== NONE; slot = slots.next(slot)) {
      const org = slots.org(slot)
      if (best[org] !== slot) continue
      best[org] = NONE
      const stance = slots.stance(slot)
      if (stance === NEUTRAL) continue
      const expires = slots.expires(slot)
      if (!(now < expires)) continue
      if (!this.#orgMember[org]) continue
      tally.add(stance === NEGATIVE, this.#orgWeight[org], expires)
    }
    const quorum = this.#quorum
    const to = tally.status(quorum)
    const next = tally.nextChange(quorum)
    const sched = recs.sched(rec)
    if (next !== sched) {
      if (sched === Number.POSITIVE_INFINITY) this.#scheduled++
      else if (next === Number.POSITIVE_INFINITY) this.#scheduled--
      recs.setSched(rec, next)
      if (next !== Number.POSITIVE_INFINITY) this.#queue.push(next, rec)
    }
    const from = recs.status(rec) as StatusCode
    if (from === to) return undefined
    recs.setStatus(rec, to)
    this.#counts[from]--
    this.#counts[to]++
    return from
  }

  /** Scratch: the latest slot per org id, all NONE between uses (#reassess resets what it set). */
  #bestSlots (): Int32Array {
    if (this.#best.length < this.#orgNames.length) {
      this.#best = new Int32Array(Math.max(this.#orgNames.length, 2 * this.#best.length)).fill(NONE)
    }
    return this.#best
  }

  #change (rec: number, from: StatusCode, fingerprint: Uint8Array): StatusChange {
    return { fingerprint, kind: KINDS[this.#slots.kind(newestSlot(this.#recs, this.#slots, rec))], from: STATUS_NAMES[from], to: STATUS_NAMES[this.#recs.status(rec)] }
  }

  #changes (changed: Array<[number, StatusCode]>): StatusChange[] {
    const recs = this.#recs
    changed.sort((a, b) => recs.compare(a[0], b[0]))
    return changed.map(([rec, from]) => this.#change(rec, from, recs.fingerprint(rec)))
  }

  /** `explainRecord` (explain.ts) of a record, with this index's tables and scratch. */
  #explainRecord (rec: number): Explanation {
    return explainRecord(this.#recs, this.#slots, rec, this.#now, this.#quorum, this.#orgNames, this.#orgWeight, this.#orgMember, this.#keyExcluded, this.#bestSlots(), this.#tally)
  }

  #touches (rec: number, orgChanged: Uint8Array): boolean {
    const slots = this.#slots
    for (let slot = this.#recs.head(rec); slot !== NONE; slot = slots.next(slot)) {
      if (orgChanged[slots.org(slot)] === 1) return true
    }
    return false
  }

  #keyId (key: Uint8Array): number {
    // a log's entries come in runs of one author: compare with the last key before building a map key
    const last = this.#lastKey
    if (last >= 0 && bytesEqual(this.#keys[last], key)) return last
    const k = keyString(key)
    let id = this.#keyIds.get(k)
    if (id === undefined) {
      id = this.#keys.length
      this.#keyIds.set(k, id)
      this.#keys.push(Uint8Array.from(key))
      this.#keyExcluded.push(false)
    }
    this.#lastKey = id
    return id
  }

  #orgId (org: string): number {
    let id = this.#orgIds.get(org)
    if (id === undefined) {
      const weight = checkWeight(org, this.#policy.weightOf(org))
      id = this.#orgNames.length
      this.#orgIds.set(org, id)
      this.#orgNames.push(org)
      this.#orgWeight.push(weight)
      this.#orgMember.push(this.#policy.isMember(org))
    }
    return id
  }

  /** Drops stale heap entries once they dominate: amortised O(log n) per push. */
  #compactQueue (): void {
    const queue = this.#queue
    if (queue.size <= STALE_FACTOR * this.#scheduled + Math.max(QUEUE_SLACK, this.#recs.count)) return
    queue.clear()
    for (let rec = 0; rec < this.#recs.count; rec++) {
      const t = this.#recs.sched(rec)
      if (t !== Number.POSITIVE_INFINITY) queue.push(t, rec)
    }
  }
}

function checkTime (now: number): void {
  if (typeof now !== 'number' || Number.isNaN(now)) throw new InvalidTimeError(now)
}
