/**
 * The blocklist's content hash, kept incrementally so `status` answers in
 * constant time however long the list (issue 10: ≤ 50 ms at 1,000,000
 * listed fingerprints; recomputing it took 1.3 s at 500,000).
 *
 * It is a multiset hash: the sum, lane by lane modulo 2^32, of
 *   SHA-256( tag || fingerprint || u8(status) )
 * over every listed or disputed fingerprint (tag = TAGS.snapshot, status
 * 1 = listed, 2 = disputed), read as eight u32le lanes; hex of the eight
 * lanes is the hash. Adding and removing a fingerprint is one hash and
 * eight additions, and the result does not depend on the order in which
 * nodes learnt their entries: equal on nodes that hold the same blocklist.
 * Keys excluded from consensus for equivocation are folded in too, one
 * term SHA-256( tag' || key ) each (tag' = TAGS.snapshotExcluded), so two
 * nodes show the same hash only when they also exclude the same keys.
 * It compares nodes; it is not a commitment an adversary cannot collide
 * (additive hashes yield to generalised-birthday attacks), so nothing
 * security-relevant rests on it.
 */
import * as crypto from 'node:crypto'
import { toHex } from '../../protocol/bytes.js'
import type { Status } from '../../protocol/consensus/rule.js'
import { TAGS, tagPrefix } from '../../protocol/hash.js'

const PREFIX = tagPrefix(TAGS.snapshot)
const EXCLUDED_PREFIX = tagPrefix(TAGS.snapshotExcluded)
/** crypto.hash (Node ≥ 20.12): no Hash object per fingerprint, ~3× faster when a million are folded in at start-up. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash
const CODE: Partial<Record<Status | 'absent', number>> = { listed: 1, disputed: 2 }

export class SnapshotHash {
  readonly #lanes = new Uint32Array(8)
  readonly #scratch = Buffer.alloc(PREFIX.length + 64 + 1)

  /** The running sum (8 lanes, 32 bytes), without the excluded keys' terms: what a start-up checkpoint keeps. */
  lanes (): Uint8Array {
    return new Uint8Array(this.#lanes.buffer.slice(0))
  }

  /** A hash whose running sum is `lanes` (from `lanes()`, kept in a start-up checkpoint that verified). */
  static fromLanes (lanes: Uint8Array): SnapshotHash {
    if (lanes.length !== 32) throw new RangeError(`snapshot lanes are 32 bytes, got ${lanes.length}`)
    const h = new SnapshotHash()
    h.#lanes.set(new Uint32Array(lanes.slice().buffer))
    return h
  }

  /** Folds a status change in: removes the old status's term, adds the new one's. */
  change (fingerprint: Uint8Array, from: Status | 'absent', to: Status | 'absent'): void {
    if (from === to) return
    const f = CODE[from]
    const t = CODE[to]
    if (f !== undefined) this.#fold(fingerprint, f, -1)
    if (t !== undefined) this.#fold(fingerprint, t, 1)
  }

  /** Adds a fingerprint's status (building the hash from a full pass). */
  add (fingerprint: Uint8Array, status: Status | 'absent'): void {
    const c = CODE[status]
    if (c !== undefined) this.#fold(fingerprint, c, 1)
  }

  /** The hash: the fingerprints' lanes plus one term per excluded key (a handful; folded at each read). */
  hex (excluded: readonly Uint8Array[] = []): string {
    const lanes = Uint32Array.from(this.#lanes)
    for (const key of excluded) {
      const d = crypto.createHash('sha256').update(EXCLUDED_PREFIX).update(key).digest()
      for (let i = 0; i < 8; i++) lanes[i] = (lanes[i] + d.readUInt32LE(i * 4)) >>> 0
    }
    const out = new Uint8Array(32)
    const view = new DataView(out.buffer)
    for (let i = 0; i < 8; i++) view.setUint32(i * 4, lanes[i], true)
    return toHex(out)
  }

  #fold (fingerprint: Uint8Array, code: number, sign: 1 | -1): void {
    const fp = fingerprint.length <= 64 ? fingerprint : fingerprint.subarray(0, 64)
    const n = PREFIX.length + fp.length + 1
    const buf = this.#scratch
    buf.set(PREFIX, 0)
    buf.set(fp, PREFIX.length)
    buf[n - 1] = code
    const d = oneShot !== undefined ? oneShot('sha256', buf.subarray(0, n), 'buffer') : crypto.createHash('sha256').update(buf.subarray(0, n)).digest()
    for (let i = 0; i < 8; i++) this.#lanes[i] = (this.#lanes[i] + sign * d.readUInt32LE(i * 4)) >>> 0
  }
}
