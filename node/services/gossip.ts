/**
 * The gossip service: the alliance's entries topic, its validator and
 * publishing. A received message is decoded and handed to the ingest
 * pipeline; the verdict feeds gossipsub's peer scoring:
 * - accept: stored and applied (relayed on);
 * - reject: the sender's bad input (a `ProtocolError`): lowers its score;
 * - ignore: duplicates, gaps (a sync with the relayer is started), and this
 *   node's own failures (a full disk, a store closing): never the peer's
 *   fault, so never its score — except a relayer whose gap syncs keep
 *   bringing nothing (gap-ledger.ts): its gaps are rejected.
 */
import { encodeSegment, decodeSegment } from '../../protocol/codec/index.js'
import { ProtocolError } from '../../protocol/errors.js'
import type { Segment } from '../../protocol/types.js'
import type { MetricsRegistry } from '../api/metrics.js'
import type { IngestOutcome, Ingestor } from '../ingest.js'
import type { ComponentLogger } from '../logger.js'
import type { GossipVerdict, Host } from '../net/host.js'
import { gossipTopic } from '../protocols.js'
import { GapLedger } from './gap-ledger.js'

export interface GossipServiceComponents {
  host: Host
  ingestor: Ingestor
  alliance: string
  metrics: MetricsRegistry
  logger: ComponentLogger
  /** Counts a rejected entry (by reason) in the node's status. */
  onRejected: (reason: string) => void
  /**
   * The relayer of a message that left a gap in a log holds the rest: pull
   * from it. Resolving with the entries the pull applied (undefined if it
   * failed) lets the gap ledger tell relayers whose gaps bring nothing.
   */
  onGap: (peer: string) => void | Promise<number | undefined>
  /** Empty gap syncs per relayer. @default a GapLedger with its defaults */
  gaps?: GapLedger
  clock?: () => number
}

export class GossipService {
  readonly topic: string
  readonly #c: GossipServiceComponents
  readonly #gaps: GapLedger
  readonly #clock: () => number
  #unsubscribe: (() => void) | undefined

  constructor (components: GossipServiceComponents) {
    this.#c = components
    this.#gaps = components.gaps ?? new GapLedger()
    this.#clock = components.clock ?? Date.now
    this.topic = gossipTopic(components.alliance)
  }

  start (): void {
    this.#unsubscribe = this.#c.host.subscribe(this.topic, async (_from, data, meta) => await this.validate(data, meta.relayedBy), () => {})
  }

  stop (): void {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  /** The verdict on one gossip message (exported for tests through the node). */
  async validate (data: Uint8Array, relayedBy: string): Promise<GossipVerdict> {
    let segment: Segment
    try {
      segment = decodeSegment(data)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      this.#c.onRejected(err.reason)
      this.#c.metrics.gossipMessages.inc({ verdict: 'reject' })
      return 'reject'
    }
    let out: IngestOutcome
    try {
      out = await this.#c.ingestor.ingest(segment, { requireSignature: true })
    } catch (err) {
      // our own failure, not the sender's: ignore (no score penalty), and say so
      this.#c.logger.error('could not store a gossiped segment (this node\'s fault, not the peer\'s)', { error: (err as Error).message, name: (err as Error).name })
      this.#c.metrics.gossipMessages.inc({ verdict: 'ignore' })
      return 'ignore'
    }
    if (out.result === 'gap' && this.#gaps.exhausted(relayedBy, this.#clock())) {
      this.#c.onRejected('empty_gaps')
      this.#c.metrics.gossipMessages.inc({ verdict: 'reject' })
      return 'reject'
    }
    const verdict: GossipVerdict = out.result === 'accepted' ? 'accept' : out.result === 'rejected' ? 'reject' : 'ignore'
    this.#c.metrics.gossipMessages.inc({ verdict })
    if (out.result === 'gap') {
      const pulled = this.#c.onGap(relayedBy)
      if (pulled !== undefined) {
        void pulled.then(n => { if (n !== undefined) this.#gaps.settle(relayedBy, n, this.#clock()) }, () => {})
      }
    }
    return verdict
  }

  /** Empty gap syncs currently held against `peer` (status and tests). */
  gapStrikes (peer: string): number {
    return this.#gaps.strikes(peer, this.#clock())
  }

  /** Publishes an own segment (already stored); a failed publish is fine: peers sync. */
  async publish (segment: Segment): Promise<void> {
    await this.#c.host.publish(this.topic, encodeSegment(segment)).catch(err => {
      this.#c.logger.debug('gossip publish failed; peers will sync', { error: (err as Error).message })
    })
  }
}
