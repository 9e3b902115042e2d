/**
 * A binary min-heap of (time, record) pairs in typed arrays: 12 bytes per
 * entry, no per-entry objects. The index removes nothing from it; entries
 * that no longer match a record's schedule are skipped when popped (lazy
 * deletion) and dropped wholesale by `clear()` + re-push when too many pile up.
 */
export class TimerQueue {
  size = 0
  #times: Float64Array
  #recs: Int32Array

  constructor (capacity = 1024) {
    this.#times = new Float64Array(capacity)
    this.#recs = new Int32Array(capacity)
  }

  /** Earliest time in the queue, +Infinity when empty. */
  peekTime (): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : this.#times[0]
  }

  push (time: number, rec: number): void {
    if (this.size === this.#times.length) this.#grow()
    const times = this.#times
    const recs = this.#recs
    let i = this.size++
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (times[parent] <= time) break
      times[i] = times[parent]
      recs[i] = recs[parent]
      i = parent
    }
    times[i] = time
    recs[i] = rec
  }

  /** Removes the earliest entry and returns its record; call only when size > 0. */
  pop (): number {
    const times = this.#times
    const recs = this.#recs
    const top = recs[0]
    const n = --this.size
    if (n === 0) return top
    const time = times[n]
    const rec = recs[n]
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      if (child + 1 < n && times[child + 1] < times[child]) child++
      if (times[child] >= time) break
      times[i] = times[child]
      recs[i] = recs[child]
      i = child
    }
    times[i] = time
    recs[i] = rec
    return top
  }

  clear (): void {
    this.size = 0
  }

  #grow (): void {
    const cap = this.#times.length * 2
    const times = new Float64Array(cap); times.set(this.#times); this.#times = times
    const recs = new Int32Array(cap); recs.set(this.#recs); this.#recs = recs
  }
}
