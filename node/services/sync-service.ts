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
  /** Anti-entropy: a round this often. @default 30000 */
  antiEntropyIntervalMs?: number
  /** Anti-entropy: peers pulled per round, round-robin in this node's random order of its connected peers. @default DEFAULT_ANTI_ENTROPY_PEERS */
  antiEntropyPeers?: number
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
 * Peers one anti-entropy round pulls from. Pulling from every peer made each
 * node open and serve 2 × (members − 1) sync and evidence streams per round:
 * at 50 members that, with the connection monitor's pings, was 3 % of a core
 * per idle node (bench/scale.ts), growing with members. A round now takes
 * the next peers of its random round-robin order of them, so each is still
 * pulled once every ⌈peers ÷ this⌉ rounds; an alliance of up to this many
 * + 1 members pulls from everyone every round, as before. Gossip gaps and
 * (re)connections still sync with the peer concerned at once.
 */
export const DEFAULT_ANTI_ENTROPY_PEERS = 8
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
  readonly #peersPerRound: number
  /** This node's random round-robin order of its connected peers, and where the next round starts in it. */
  #order: string[] = []
  #next = 0
  readonly #running = new Map<string, Promise<SyncResult | undefined>>()
  #timer: NodeJS.Timeout | undefined
  #started = false
  #last: { at: number, peer: string } | undefined
  readonly #onConnect = (evt: CustomEvent<string>): void => { void this.syncWith(evt.detail) }

  constructor (init: SyncServiceInit, components: SyncServiceComponents) {
    this.#c = components
    this.#intervalMs = init.antiEntropyIntervalMs ?? DEFAULT_ANTI_ENTROPY_MS
    this.#peersPerRound = init.antiEntropyPeers ?? DEFAULT_ANTI_ENTROPY_PEERS
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
   * Anti-entropy round: pull from the next `antiEntropyPeers` connected
   * peers of its round-robin order, up to ANTI_ENTROPY_CONCURRENCY at once, each within
   * its own deadline, so a dead peer costs one slot for at most
   * ANTI_ENTROPY_PEER_DEADLINE_MS.
   */
  async antiEntropy (opts: { concurrency?: number, peerDeadlineMs?: number } = {}): Promise<void> {
    this.#c.beforeRound?.()
    // a roster peer we lost (a partition, a restart) is dialled now, not after its reconnect backoff: it is synced on connect
    const redialled = this.#c.host.redialRosterPeers()
    if (redialled > 0) this.#c.logger.debug('anti-entropy: redialling roster peers not connected', { peers: redialled })
    const queue = this.roundPeers()
    const deadline = opts.peerDeadlineMs ?? ANTI_ENTROPY_PEER_DEADLINE_MS
    const lane = async (): Promise<void> => {
      for (let peer = queue.shift(); peer !== undefined; peer = queue.shift()) await this.syncWith(peer, deadline)
    }
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? ANTI_ENTROPY_CONCURRENCY, queue.length) }, lane))
  }

  /**
   * The peers the next round pulls from: the next `antiEntropyPeers` of
   * this node's own random order of its connected peers, round-robin, so a
   * peer connected throughout is pulled at least once every
   * ⌈peers ÷ antiEntropyPeers⌉ rounds (nodes' orders differ, so the pulls a
   * peer serves spread evenly). A newly connected peer takes a random place
   * in the order; a disconnected one leaves it.
   */
  roundPeers (): string[] {
    const connected = this.#c.host.connectedPeers()
    if (connected.length <= this.#peersPerRound) return [...connected]
    const live = new Set(connected)
    const kept = this.#order.filter((p, i) => {
      if (live.has(p)) return true
      if (i < this.#next) this.#next--
      return false
    })
    const placed = new Set(kept)
    for (const p of shuffled(connected)) {
      if (placed.has(p)) continue
      const at = Math.floor(Math.random() * (kept.length + 1))
      kept.splice(at, 0, p)
      if (at < this.#next) this.#next++
    }
    this.#order = kept
    if (this.#next >= kept.length) this.#next = 0
    const out: string[] = []
    for (let i = 0; i < this.#peersPerRound; i++) out.push(kept[(this.#next + i) % kept.length])
    this.#next = (this.#next + this.#peersPerRound) % kept.length
    return out
  }
}

/** A uniformly shuffled copy (Fisher–Yates). Not a secret: which peer is pulled first only spreads load. */
function shuffled<T> (items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const t = out[i]
    out[i] = out[j]
    out[j] = t
  }
  return out
}
