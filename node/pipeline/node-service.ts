/**
 * The platform node's pipeline service: what the node's API offers the
 * pipeline's workers (node/pipeline/worker.ts), who never join the alliance
 * network.
 *
 * - `attach({ redis, prefix })`: starts publishing the blocklist to that
 *   Redis (publisher.ts, a status-bus subscriber), once per Redis and
 *   prefix, and answers what a worker needs to match: the epoch, the
 *   country of national phone numbers, and the platform's cache secret
 *   (cache-key.ts). Workers call it at start and again whenever the node's
 *   heartbeat in Redis is gone (the node restarted), so a restarted node
 *   resumes publishing without anyone re-configuring it.
 * - `fingerprints({ epoch, items })`: raw identifiers → fingerprints under
 *   `epoch`, through FingerprintService.fingerprintValues — the node's one
 *   way raw identifiers become fingerprints. Workers ask only for values no
 *   worker has fingerprinted yet (the cache in Redis answers the rest).
 * - Metrics: lag, pending, live workers and dead letters of every consumer
 *   group that registered with a published Redis, in the node's /metrics.
 */
import { Gauge, Counter, type Registry } from 'prom-client'
import { toHex } from '../../protocol/bytes.js'
import { isKind, type Kind } from '../../protocol/kinds.js'
import type { ComponentLogger } from '../logger.js'
import type { ConsensusState } from '../services/consensus-state.js'
import type { FingerprintService } from '../services/fingerprints.js'
import type { StatusBus } from '../services/status-bus.js'
import { loadOrCreateCacheSecret } from './cache-key.js'
import { PipelineConfigError } from './errors.js'
import { MAX_FINGERPRINT_ITEMS, isStreamName } from './keys.js'
import { PipelinePublisher } from './publisher.js'
import { checkRedisUrl, redactedUrl } from './redis.js'

export interface PipelineAttachRequest {
  redis: string
  /** @default 'alliance' */
  prefix?: string
}

export interface PipelineAttachResult {
  prefix: string
  /** Fingerprint epoch decisions are made under now. */
  epoch: number
  /** Snapshot id and the change-stream id it covers. */
  snapshot: string
  version: string
  entries: number
  /** Country of national-format phone numbers (the node's config). */
  defaultCountry: string | null
  /** The platform's cache secret, base64url (cache-key.ts). Keep it in memory only. */
  cacheKey: string
}

export interface PipelineFingerprintRequest {
  epoch: number
  items: Array<{ kind: Kind, value: string }>
}

export type PipelineFingerprintOutcome = { fingerprint: string } | { why: string }

export interface PipelineFingerprintResult {
  epoch: number
  results: PipelineFingerprintOutcome[]
}

export interface PipelineServiceInit {
  dir: string
  defaultCountry?: string
  /** Publisher heartbeat (ms). @default 1000 */
  heartbeatMs?: number
  /** How often group metrics are read from Redis (ms). @default 5000 */
  metricsIntervalMs?: number
}

export interface PipelineServiceComponents {
  state: ConsensusState
  fingerprints: FingerprintService
  bus: StatusBus
  logger: ComponentLogger
  /** The node's metrics registry (gauges are added to it). */
  registry: Registry
}

export class PipelineService {
  readonly #init: PipelineServiceInit
  readonly #c: PipelineServiceComponents
  readonly #publishers = new Map<string, { publisher: Promise<PipelinePublisher>, unsubscribe?: () => void }>()
  readonly #lag: Gauge<'prefix' | 'group'>
  readonly #pending: Gauge<'prefix' | 'group'>
  readonly #workers: Gauge<'prefix' | 'group'>
  readonly #dead: Gauge<'prefix' | 'group'>
  readonly #changes: Counter<'prefix'>
  #secret: Promise<Buffer> | undefined
  #timer: NodeJS.Timeout | undefined

  constructor (init: PipelineServiceInit, components: PipelineServiceComponents) {
    this.#init = init
    this.#c = components
    const registers = [components.registry]
    const labelNames = ['prefix', 'group'] as const
    this.#lag = new Gauge({ name: 'alliance_pipeline_lag', help: 'Listing entries of the input stream not yet delivered to any worker of the group', labelNames, registers })
    this.#pending = new Gauge({ name: 'alliance_pipeline_pending', help: 'Listing entries delivered to a worker and not yet decided and acknowledged', labelNames, registers })
    this.#workers = new Gauge({ name: 'alliance_pipeline_workers', help: 'Workers of the group with a fresh heartbeat', labelNames, registers })
    this.#dead = new Gauge({ name: 'alliance_pipeline_dead_letters', help: 'Entries in the group\'s dead-letter stream', labelNames, registers })
    this.#changes = new Counter({ name: 'alliance_pipeline_changes_published_total', help: 'Blocklist updates published to Redis', labelNames: ['prefix'] as const, registers })
  }

  /** Starts publishing to `redis` under `prefix` (once), and tells the worker what it needs. */
  async attach (req: PipelineAttachRequest): Promise<PipelineAttachResult> {
    const prefix = req.prefix ?? 'alliance'
    if (!isStreamName(prefix)) throw new PipelineConfigError('prefix', 'must be 1-128 letters, digits or ._:-{}')
    const url = checkRedisUrl(req.redis)
    const id = `${url.host}${url.pathname}|${prefix}`
    let slot = this.#publishers.get(id)
    if (slot === undefined) {
      const publisher = new PipelinePublisher({ redis: req.redis, prefix, ...(this.#init.heartbeatMs !== undefined ? { heartbeatMs: this.#init.heartbeatMs } : {}) }, {
        state: this.#c.state,
        decisionEpoch: () => this.#c.fingerprints.decisionEpoch,
        logger: this.#c.logger,
        onPublished: (n) => { this.#changes.inc({ prefix }, n) }
      })
      const s: { publisher: Promise<PipelinePublisher>, unsubscribe?: () => void } = { publisher: Promise.resolve(publisher) }
      s.publisher = (async () => {
        // subscribe first: changes from here on are covered by the first snapshot or follow it, none is missed
        s.unsubscribe = this.#c.bus.subscribe(publisher)
        try {
          await publisher.start()
        } catch (err) {
          s.unsubscribe?.()
          this.#publishers.delete(id)
          throw err
        }
        return publisher
      })()
      slot = s
      this.#publishers.set(id, slot)
      this.#startMetrics()
    }
    const publisher = await slot.publisher
    const published = publisher.published
    if (published === undefined) throw new PipelineConfigError('redis', 'the publisher has not published yet')
    this.#secret ??= loadOrCreateCacheSecret(this.#init.dir)
    const secret = await this.#secret
    return {
      prefix,
      epoch: published.epoch,
      snapshot: published.snapshot,
      version: published.version,
      entries: published.entries,
      defaultCountry: this.#init.defaultCountry ?? null,
      cacheKey: secret.toString('base64url')
    }
  }

  /** Raw identifiers → fingerprints under `epoch` (EpochKeyUnavailableError once that epoch is cut over). */
  async fingerprints (req: PipelineFingerprintRequest): Promise<PipelineFingerprintResult> {
    if (!Number.isSafeInteger(req.epoch) || req.epoch < 0) throw new PipelineConfigError('epoch', 'must be a non-negative integer')
    if (req.items.length > MAX_FINGERPRINT_ITEMS) throw new PipelineConfigError('items', `at most ${MAX_FINGERPRINT_ITEMS} per request`)
    for (const it of req.items) if (!isKind(it.kind)) throw new PipelineConfigError('items', `unknown kind ${String(it.kind)}`)
    const outcomes = await this.#c.fingerprints.fingerprintValues(req.items, { epoch: req.epoch })
    return { epoch: req.epoch, results: outcomes.map(o => o.ok ? { fingerprint: toHex(o.fingerprint) } : { why: o.why }) }
  }

  /** Redis URLs (without credentials) and prefixes being published to. */
  attached (): Array<{ redis: string, prefix: string }> {
    return [...this.#publishers.keys()].map(k => { const [host, prefix] = k.split('|'); return { redis: redactedUrl(`redis://${host}`), prefix } })
  }

  async stop (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    const slots = [...this.#publishers.values()]
    this.#publishers.clear()
    for (const s of slots) {
      s.unsubscribe?.()
      const p = await s.publisher.catch(() => undefined)
      await p?.stop()
    }
  }

  #startMetrics (): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => { void this.#readMetrics() }, this.#init.metricsIntervalMs ?? 5000)
    this.#timer.unref()
  }

  /** Lag and pending per registered group, from Redis (XINFO GROUPS), into the gauges. */
  async #readMetrics (): Promise<void> {
    for (const slot of this.#publishers.values()) {
      const publisher = await slot.publisher.catch(() => undefined)
      if (publisher === undefined) continue
      try {
        const { readGroupStats } = await import('./status.js')
        const prefix = publisher.prefix
        for (const g of await readGroupStats(publisher.redisClient(), prefix)) {
          const labels = { prefix, group: g.group }
          this.#lag.set(labels, g.lag ?? 0)
          this.#pending.set(labels, g.pending)
          this.#workers.set(labels, g.workers.filter(w => w.alive).length)
          this.#dead.set(labels, g.deadLetters)
        }
      } catch (err) {
        this.#c.logger.debug('pipeline metrics not read', { error: (err as Error).message })
      }
    }
  }
}

