/**
 * What the index says about a record beyond its status, read straight from
 * its stores: the explanation `decide()` would give, the record's kind, and
 * the blocklist's records in the order `entries` and `statuses` list them.
 * Apart from index.ts because none of it runs when a statement is applied;
 * `explainRecord` does run once per entry of a catch-up (the status bus), so
 * it takes the index's tables and scratch as arguments: no object per call.
 */
import { KINDS } from '../kinds.js'
import { NEGATIVE, NEUTRAL, POSITIVE } from './codes.js'
import { byOrg, type Explanation, type Status, type Vote } from './rule.js'
import { ENTRY_ID_LENGTH, SOURCES } from './statement.js'
import { NONE, type RecordStore, type SlotStore } from './store.js'
import { ABSENT, STATUS_NAMES, type Tally } from './tally.js'

/**
 * The explanation `decide()` gives for the record's counted statements,
 * built straight from the slots: each org's latest slot among its counted
 * keys (as the index's `#reassess` finds it), its vote if it counts. No statement
 * views, no map, no re-validation of what the index already validated:
 * the status bus explains every fingerprint an applied entry names, so
 * this runs once per entry of a catch-up (issue 15). The property tests
 * hold it equal to `decide()`. `best` is the index's scratch, all NONE
 * between uses (this resets what it sets); `tally` is its scratch tally.
 */
export function explainRecord (
  recs: RecordStore, slots: SlotStore, rec: number, now: number, quorum: number,
  orgNames: readonly string[], orgWeight: readonly number[], orgMember: readonly boolean[], excluded: readonly boolean[],
  best: Int32Array, tally: Tally
): Explanation {
  const head = recs.head(rec)
  let orgs = 0
  for (let slot = head; slot !== NONE; slot = slots.next(slot)) {
    if (excluded[slots.key(slot)]) continue
    const org = slots.org(slot)
    if (best[org] === NONE) { orgs++; best[org] = slot } else if (slots.later(slot, best[org])) best[org] = slot
  }
  if (orgs === 0) {
    // only excluded keys spoke about it: as if nothing were known, but the kind is
    return { fingerprint: recs.fingerprint(rec), kind: KINDS[slots.kind(newestSlot(recs, slots, rec))], status: 'absent', positive: [], negative: [], weight: 0, quorum, expires: Number.POSITIVE_INFINITY, confirmations: 0 }
  }
  // the fingerprint and the votes' entry ids: views of one buffer (one allocation, not one per id)
  const fpLength = recs.fingerprintLength(rec)
  const bytes = new Uint8Array(fpLength + ENTRY_ID_LENGTH * orgs)
  const fingerprint = recs.fingerprintInto(rec, bytes, 0)
  let idAt = fpLength
  tally.reset()
  const positive: Vote[] = []
  const negative: Vote[] = []
  let confirmations = 0
  let newest = NONE
  for (let slot = head; slot !== NONE; slot = slots.next(slot)) {
    const org = slots.org(slot)
    if (best[org] !== slot) continue
    best[org] = NONE
    if (newest === NONE || slots.later(slot, newest)) newest = slot
    const stance = slots.stance(slot)
    if (stance === NEUTRAL) continue
    const expires = slots.expires(slot)
    if (!(now < expires) || !orgMember[org]) continue
    const weight = orgWeight[org]
    const source = SOURCES[slots.source(slot)]
    const entryId = slots.entryIdInto(slot, bytes, idAt)
    idAt += ENTRY_ID_LENGTH
    const vote: Vote = { org: orgNames[org], entryId, time: slots.time(slot), expires, source, weight, reason: slots.reason(slot) }
    if (stance === POSITIVE) {
      positive.push(vote)
      if (source === 'confirmed' || source === 'removed') confirmations++
    } else {
      negative.push(vote)
    }
    tally.add(stance === NEGATIVE, weight, expires)
  }
  if (positive.length > 1) positive.sort(byOrg)
  if (negative.length > 1) negative.sort(byOrg)
  return {
    fingerprint,
    kind: KINDS[slots.kind(newest)],
    status: STATUS_NAMES[tally.status(quorum)],
    positive,
    negative,
    weight: tally.weight,
    quorum,
    expires: tally.nextChange(quorum),
    confirmations
  }
}

/** The slot that is latest overall: its kind is the record's kind (as in `decide`). */
export function newestSlot (recs: RecordStore, slots: SlotStore, rec: number): number {
  let best = recs.head(rec)
  for (let slot = slots.next(best); slot !== NONE; slot = slots.next(slot)) {
    if (slots.later(slot, best)) best = slot
  }
  return best
}

/** Records on the blocklist (not absent), or only those with status `want`, in fingerprint byte order unless `unordered`. */
export function blocklistRecords (store: RecordStore, want: Status | undefined, unordered: boolean): number[] {
  const recs: number[] = []
  for (let rec = 0; rec < store.count; rec++) {
    const status = store.status(rec)
    if (status === ABSENT || (want !== undefined && STATUS_NAMES[status] !== want)) continue
    recs.push(rec)
  }
  if (unordered) return recs
  recs.sort((a, b) => store.compare(a, b))
  return recs
}
