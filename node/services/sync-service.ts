/**
 * The sync service: answers sync requests, pulls from a peer on connect and
 * on a gossip gap, and runs anti-entropy (gossip alone never heals a
 * partition). One pull per peer at a time. The wire protocol itself is in
 * node/sync.ts.
 */
import type { MetricsRegistry } from '../api/metrics.js'
import type { Ingestor } from '../ingest.js'
import type { ComponentLogger } from '../logger.js'
import type { Host } from '../net/host.js'
import { syncProtocol } from '../protocols.js'
import type { Store } from '../store/types.js'
import { SYNC_TIMEOUT_MS, pullSync, serveSync, type SyncComponents, type SyncResult } from '../sync.js'

export interface SyncServiceInit {
  /** Anti-entropy: pull from every connected peer this often. @default 30000 */
  antiEntropyIntervalMs?: number
}

export interface SyncServiceComponents {
  host: Host
  store: Store
  ingestor: Ingestor
  alliance: string
  metrics: MetricsRegistry
  logger: ComponentLogger
  clock: () => number
  /** Runs before each anti-entropy round (the node moves its consensus clock). */
  beforeRound?: () => void
  /** Runs after each successful pull from a peer, within its deadline (the evidence exchange, node/services/evidence.ts). */
  afterPull?: (peer: string, signal: AbortSignal) => Promise<void>
}

export const DEFAULT_ANTI_ENTROPY_MS = 30_000
/**
 * Pulls an anti-entropy round runs at once. A round used to pull from one
 * peer after another, so one silently dead peer (no FIN, no RST) held up
 * every peer behind it until its dial or sync timed out.
 */
export const ANTI_ENTROPY_CONCURRENCY = 8
/**
 * Each round starts between (1 − this fraction) × the interval and the
 * whole interval after the previous one started, at random. Nodes started
 * together (a restart, a bench) otherwise run their rounds at the same
 * instant for ever: every node pulling from and serving every peer in the
 * same few hundred ms, a burst that showed in the gossip tail (issue 15).
 * Never longer than the interval, so "converged within two intervals of a
 * heal" still holds.
 */
export const ANTI_ENTROPY_JITTER = 0.2
/** One peer's pull in an anti-entropy round gives up after this long (the next round tries again). */
export const ANTI_ENTROPY_PEER_DEADLINE_MS = 20_000

export class SyncService {
  readonly protocol: string
  readonly #c: SyncServiceComponents
  readonly #intervalMs: number
  readonly #running = new Map<string, Promise<SyncResult | undefined>>()
  #timer: NodeJS.Timeout | undefined
  #started = false
  #last: { at: number, peer: string } | undefined
  readonly #onConnect = (evt: CustomEvent<string>): void => { void this.syncWith(evt.detail) }

  constructor (init: SyncServiceInit, components: SyncServiceComponents) {
    this.#c = components
    this.#intervalMs = init.antiEntropyIntervalMs ?? DEFAULT_ANTI_ENTROPY_MS
    this.protocol = syncProtocol(components.alliance)
  }

  get inProgress (): boolean { return this.#running.size > 0 }
  get last (): { at: number, peer: string } | undefined { return this.#last }

  async start (): Promise<void> {
    await this.#c.host.handle(this.protocol, (stream) => {
      const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
      serveSync(stream, this.#components(), signal).catch(err => {
        this.#c.logger.debug('sync request failed', { error: (err as Error).message })
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 4 })
    this.#c.host.addEventListener('peer:connect', this.#onConnect)
    this.#started = true
    this.#schedule()
  }

  /** The next round, after a jittered interval (see ANTI_ENTROPY_JITTER); then the one after it. */
  #schedule (): void {
    if (!this.#started) return
    const delay = this.#intervalMs * (1 - ANTI_ENTROPY_JITTER * Math.random())
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      // the next round is timed from this one's start, as setInterval did: a round held up by a dead
      // peer (up to ANTI_ENTROPY_PEER_DEADLINE_MS) must not delay the next round's redial
      this.#schedule()
      void this.antiEntropy()
    }, delay)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    this.#started = false
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#c.host.removeEventListener('peer:connect', this.#onConnect)
    await Promise.allSettled([...this.#running.values()])
    await this.#c.host.unhandle(this.protocol).catch(() => undefined)
  }

  #components (): SyncComponents {
    return { store: this.#c.store, ingestor: this.#c.ingestor, alliance: this.#c.alliance, logger: this.#c.logger }
  }

  /** Pulls what `peer` has and we lack. One sync per peer at a time; failures are counted, never thrown. */
  async syncWith (peer: string, deadlineMs = SYNC_TIMEOUT_MS): Promise<SyncResult | undefined> {
    const running = this.#running.get(peer)
    if (running !== undefined) return await running
    const run = (async () => {
      const signal = AbortSignal.timeout(deadlineMs)
      try {
        const stream = await this.#c.host.dialProtocol(peer, this.protocol, { signal })
        const result = await pullSync(stream, peer, this.#components(), signal)
        await this.#c.afterPull?.(peer, signal)
        this.#last = { at: this.#c.clock(), peer }
        this.#c.metrics.syncRuns.inc({ result: 'ok' })
        // how far behind this peer we were: entries it had that we lacked (0 once caught up)
        this.#c.metrics.syncLagEntries.set(result.accepted)
        if (result.accepted > 0) this.#c.logger.info('synced', { ...result })
        return result
      } catch (err) {
        this.#c.metrics.syncRuns.inc({ result: 'error' })
        this.#c.logger.debug('sync failed', { peer, error: (err as Error).message })
        return undefined
      } finally {
        this.#running.delete(peer)
      }
    })()
    this.#running.set(peer, run)
    return await run
  }

  /**
   * Anti-entropy round: pull from every connected peer, up to
   * ANTI_ENTROPY_CONCURRENCY at once, each within its own deadline, so a
   * dead peer costs one slot for at most ANTI_ENTROPY_PEER_DEADLINE_MS.
   */
  async antiEntropy (opts: { concurrency?: number, peerDeadlineMs?: number } = {}): Promise<void> {
    this.#c.beforeRound?.()
    // a roster peer we lost (a partition, a restart) is dialled now, not after its reconnect backoff: it is synced on connect
    const redialled = this.#c.host.redialRosterPeers()
    if (redialled > 0) this.#c.logger.debug('anti-entropy: redialling roster peers not connected', { peers: redialled })
    const queue = [...this.#c.host.connectedPeers()]
    const deadline = opts.peerDeadlineMs ?? ANTI_ENTROPY_PEER_DEADLINE_MS
    const lane = async (): Promise<void> => {
      for (let peer = queue.shift(); peer !== undefined; peer = queue.shift()) await this.syncWith(peer, deadline)
    }
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? ANTI_ENTROPY_CONCURRENCY, queue.length) }, lane))
  }
}
