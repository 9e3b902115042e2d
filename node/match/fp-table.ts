/**
 * Open addressing over 32-byte fingerprints in typed arrays: the core of the
 * blocklist index and of the memory seen-store. No objects per entry.
 *
 * - `slots` is a Uint32Array of 2 × capacity words: slot i holds the
 *   fingerprint's 32-bit hash at 2i (the tag) and entry + 1 at 2i + 1
 *   (0 = empty). A probe compares the tag first and touches the
 *   fingerprint bytes only when tags agree, so a miss reads one cache line.
 * - Fingerprints live in a separate slab, 32 bytes per entry, indexed by
 *   entry number; callers own entry numbering.
 * - Linear probing, capacity a power of two, deletion by backward shift
 *   (no tombstones, so lookups never slow down with churn).
 * - The hash covers all 32 bytes under a random seed: fingerprints come from
 *   other members, and a member who could predict buckets could attest
 *   fingerprints that all land in one cluster.
 *
 * Functions rather than a class so the index can run them over
 * SharedArrayBuffer views that another thread owns.
 */

export const FP_BYTES = 32
/** Grow when more than this share of slots is used. Linear probing stays at ~2.5 probes per miss at 0.5 and ~8.5 at 0.75. */
export const MAX_LOAD = 0.7

/** 32-bit hash of fp[o .. o+32) under `seed`. */
export function fpHash (fp: Uint8Array, o: number, seed: number): number {
  let h = seed | 0
  for (let i = o; i < o + FP_BYTES; i += 4) {
    const w = fp[i] | (fp[i + 1] << 8) | (fp[i + 2] << 16) | (fp[i + 3] << 24)
    h = Math.imul(h ^ w, 0x9e3779b1)
    h = (h << 13) | (h >>> 19)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function fpEqual (a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < FP_BYTES; i++) if (a[ao + i] !== b[bo + i]) return false
  return true
}

/**
 * Slot index holding the fingerprint, or -1. `fps` is the entry slab.
 * Bounded by the capacity even if a concurrent writer leaves the table in a
 * transient state (the caller's seqlock then discards the answer).
 */
export function findSlot (slots: Uint32Array, mask: number, fps: Uint8Array, fp: Uint8Array, o: number, h: number): number {
  let i = h & mask
  for (let n = 0; n <= mask; n++) {
    const ref = slots[2 * i + 1]
    if (ref === 0 || ref === undefined) return -1
    if (slots[2 * i] === h) {
      const e = (ref - 1) * FP_BYTES
      if (e + FP_BYTES <= fps.length && fpEqual(fps, e, fp, o)) return i
    }
    i = (i + 1) & mask
  }
  return -1
}

/** Puts `entry` (whose fingerprint is known to be absent) into the first free slot of its probe sequence. */
export function insertSlot (slots: Uint32Array, mask: number, h: number, entry: number): number {
  let i = h & mask
  while (slots[2 * i + 1] !== 0) i = (i + 1) & mask
  slots[2 * i] = h
  slots[2 * i + 1] = entry + 1
  return i
}

/** Empties slot `i` and shifts later members of its cluster back, so no probe sequence is broken. */
export function deleteSlot (slots: Uint32Array, mask: number, i: number): void {
  let j = i
  for (;;) {
    j = (j + 1) & mask
    if (slots[2 * j + 1] === 0) break
    const home = slots[2 * j] & mask
    // the entry at j may move to i only if its home is not cyclically within (i, j]
    const stays = i <= j ? (i < home && home <= j) : (i < home || home <= j)
    if (stays) continue
    slots[2 * i] = slots[2 * j]
    slots[2 * i + 1] = slots[2 * j + 1]
    i = j
  }
  slots[2 * i] = 0
  slots[2 * i + 1] = 0
}

/** Reinserts every occupied slot of `old` into `slots` (empty, any power-of-two size), using the stored tags. */
export function rehash (old: Uint32Array, slots: Uint32Array, mask: number): void {
  for (let i = 0; i < old.length; i += 2) {
    const ref = old[i + 1]
    if (ref !== 0) insertSlot(slots, mask, old[i], ref - 1)
  }
}

/** Smallest power of two ≥ n / MAX_LOAD (at least 16). */
export function capacityFor (entries: number): number {
  let cap = 16
  while (cap * MAX_LOAD < entries) cap *= 2
  return cap
}

export function randomSeed (): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] | 0
}
