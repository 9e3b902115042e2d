/**
 * The ingest pipeline's rate counts (node/ingest.ts) for the roster's
 * `rateLimitPerHour`, twice: by the entries' own hours (every node counts
 * the same), and by the hour they arrive here, where an org may add at most
 * RATE_CATCHUP_HOURS times the limit. Entry times are the signer's choice:
 * without the second count, a member could date as many entries as it likes
 * into past hours (with non-decreasing times, the hours since its last
 * entry); with it, that costs it real time, while a node catching up on an
 * org's honest log still takes in a day of it per hour.
 *
 * Only the Ingestor uses it, from inside its write queue: no locking here.
 */
import type { LogEntry } from '../protocol/log/index.js'
import { RateLimitError } from './ingest-errors.js'
import { RATE_CATCHUP_HOURS } from './ingest-limits.js'

export class RateCounter {
  /** Per-org entry counts per hour bucket (by entry time), for the roster's rate limit. */
  readonly #rate = new Map<string, number>()
  /** Per-org entry counts per hour of arrival at this node (this node's clock; since start), for the same limit × RATE_CATCHUP_HOURS. */
  readonly #arrivals = new Map<string, number>()

  /** The counts by entry hour ("org@hour" → entries), for a start-up checkpoint (node/checkpoint). */
  counts (): Array<[string, number]> {
    return [...this.#rate]
  }

  /** Adds counts `counts()` gave (a start-up checkpoint); arrival counts start empty, as after a replay. */
  load (counts: Iterable<[string, number]>): void {
    for (const [key, n] of counts) this.#rate.set(key, (this.#rate.get(key) ?? 0) + n)
  }

  /** Counts `n` entries of `org` in the hour of `time` (entry time). */
  count (org: string, time: number, n = 1): void {
    const key = `${org}@${Math.floor(time / 3600_000)}`
    this.#rate.set(key, (this.#rate.get(key) ?? 0) + n)
  }

  /** `count` for each entry, one map update per run of entries with the same org and hour (a bulk segment is one run). */
  countEntries (orgs: string[], entries: LogEntry[]): void {
    let i = 0
    while (i < entries.length) {
      const org = orgs[i]
      const hour = Math.floor(entries[i].entry.time / 3600_000)
      let j = i + 1
      while (j < entries.length && orgs[j] === org && Math.floor(entries[j].entry.time / 3600_000) === hour) j++
      this.count(org, entries[i].entry.time, j - i)
      i = j
    }
  }

  /** Throws a RateLimitError if taking `entries` (of `orgs`) at `now` would pass `limit` per hour (0: no limit), by either count. */
  check (orgs: string[], entries: LogEntry[], now: number, limit: number): void {
    if (limit === 0) return
    const add = new Map<string, number>()
    const arrived = new Map<string, number>()
    const hour = Math.floor(now / 3600_000)
    const arrivalLimit = limit * RATE_CATCHUP_HOURS
    // one pair of map keys per run of entries with the same org and hour (a bulk segment is one run),
    // throwing for the same entry, with the same error, as a check entry by entry would
    let i = 0
    while (i < entries.length) {
      const org = orgs[i]
      const entryHour = Math.floor(entries[i].entry.time / 3600_000)
      let j = i + 1
      while (j < entries.length && orgs[j] === org && Math.floor(entries[j].entry.time / 3600_000) === entryHour) j++
      const run = j - i
      const key = `${org}@${entryHour}`
      const had = add.get(key) ?? this.#rate.get(key) ?? 0
      const akey = `${org}@${hour}`
      const arrivedHad = arrived.get(akey) ?? this.#arrivals.get(akey) ?? 0
      // the first entry of the run over each limit (run when none is)
      const overRate = Math.max(0, limit - had)
      const overArrival = Math.max(0, arrivalLimit - arrivedHad)
      if (overRate < run || overArrival < run) {
        if (overRate <= overArrival) throw new RateLimitError(org, limit)
        throw new RateLimitError(org, limit, 'arrival')
      }
      add.set(key, had + run)
      arrived.set(akey, arrivedHad + run)
      i = j
    }
  }

  /** Counts entries of `orgs` as arrived at `now`; only this hour's arrival counts are kept. */
  countArrivals (orgs: string[], now: number): void {
    const hour = Math.floor(now / 3600_000)
    let i = 0
    while (i < orgs.length) {
      // one map update per run of one org (a segment has one author)
      let j = i + 1
      while (j < orgs.length && orgs[j] === orgs[i]) j++
      const key = `${orgs[i]}@${hour}`
      this.#arrivals.set(key, (this.#arrivals.get(key) ?? 0) + (j - i))
      i = j
    }
    // only this hour's counts matter
    for (const key of this.#arrivals.keys()) if (!key.endsWith(`@${hour}`)) this.#arrivals.delete(key)
  }
}
