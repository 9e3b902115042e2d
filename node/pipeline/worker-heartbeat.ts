/**
 * A pipeline worker's counters and what it does on its heartbeat: every
 * beat its record in `<p>:workers:<group>` (status.ts: version, epoch,
 * decisions/s over the last ~10 s), every fifth beat housekeeping —
 * attaching to the node again when its heartbeat is gone, adopting dead
 * workers (adoption.ts), trimming the seen stream.
 *
 * Apart from worker.ts because none of it is on the listing path: it runs
 * on a timer, reads the worker's counters and blocklist state, and its
 * failures are logged and retried on a later beat.
 */
import type { ComponentLogger } from '../logger.js'
import { sweepDeadWorkers } from './adoption.js'
import { nodeKey, workersKey } from './keys.js'
import type { Redis } from './redis.js'
import type { ResolveStats } from './resolver.js'
import { workerBeat } from './status.js'
import type { WorkerBlocklist } from './worker-blocklist.js'
import type { WorkerOptions } from './worker-init.js'

export interface WorkerStats {
  decided: number
  deadLetters: number
  retroactive: number
  claimed: number
  batches: number
  resolve: ResolveStats
}

/** The worker as its heartbeat sees it (current values, read when needed). */
export interface HeartbeatHost {
  /** The command connection. */
  readonly redis: Redis
  readonly running: boolean
  readonly stats: WorkerStats
  /** Version, epoch and seen listings for the record; the host of adopting dead workers. */
  readonly blocklist: WorkerBlocklist
  /** Attaches to the node again (it restarted, or stopped publishing). */
  reattach: () => Promise<void>
  readonly log: ComponentLogger
}

export class WorkerHeartbeat {
  readonly #i: WorkerOptions
  readonly #h: HeartbeatHost
  #beats = 0
  #nodeMissing = 0
  #rate: Array<[number, number]> = []
  #lastTrim = 0
  #housekeeping: Promise<void> = Promise.resolve()

  constructor (opts: WorkerOptions, host: HeartbeatHost) {
    this.#i = opts
    this.#h = host
  }

  /** The housekeeping queued so far (settles; failures are logged). */
  get housekeeping (): Promise<void> { return this.#housekeeping }

  beat (): void {
    if (!this.#h.running) return
    this.#beats++
    this.write().catch((err: unknown) => { this.#h.log.debug('heartbeat not written', { error: (err as Error).message }) })
    if (this.#beats % 5 !== 0) return
    this.#housekeeping = this.#housekeeping.then(async () => { await this.#housekeep() }).catch((err: unknown) => {
      this.#h.log.warn('pipeline housekeeping failed; retried', { error: (err as Error).message })
    })
  }

  async write (): Promise<void> {
    const now = Date.now()
    const stats = this.#h.stats
    const bl = this.#h.blocklist
    this.#rate.push([now, stats.decided])
    while (this.#rate.length > 2 && now - this.#rate[0][0] > 10_000) this.#rate.shift()
    const [t0, d0] = this.#rate[0]
    const beat = workerBeat(this.#i.consumer, now, stats, now > t0 ? Math.round((stats.decided - d0) / ((now - t0) / 1000)) : 0, {
      version: bl.version, epoch: bl.epoch, seenListings: bl.seen.listings, retroVersion: bl.retroVersion
    })
    await this.#h.redis.hset(workersKey(this.#i.prefix, this.#i.group), this.#i.consumer, JSON.stringify(beat))
  }

  async #housekeep (): Promise<void> {
    const p = this.#i
    const r = this.#h.redis
    // the node: re-attach when its heartbeat is gone (it restarted, or stopped publishing)
    if (await r.exists(nodeKey(p.prefix)) === 0) {
      if (++this.#nodeMissing >= 2) {
        this.#h.log.warn('the node\'s heartbeat is gone from Redis; attaching again')
        await this.#h.reattach()
        this.#nodeMissing = 0
      }
    } else this.#nodeMissing = 0
    const now = Date.now()
    await sweepDeadWorkers(this.#h.blocklist, now)
    if (now - this.#lastTrim > 3_600_000) {
      this.#lastTrim = now
      await r.xtrim(this.#h.blocklist.seenStream, 'MINID', '~', String(now - p.seenDays * 86_400_000))
    }
  }
}
