/**
 * The node's side of the pipeline: it publishes the blocklist to Redis so
 * that workers on any number of machines match without joining the
 * alliance network.
 *
 * - Snapshot: every fingerprint's explanation (the same input the daemon's
 *   own matcher index is built from), in chunks, under a fresh snapshot id;
 *   `<p>:bl:meta` names the snapshot, the change-stream id it covers (its
 *   *version*) and the fingerprint epoch decisions are made under.
 * - Changes: a status-bus subscriber (node/services/status-bus.ts): every
 *   batch of updates becomes entries of `<p>:bl:changes` (≤ CHANGE_BATCH
 *   updates each), with the status before the change so workers can make
 *   retroactive decisions. The stream id of an entry is the blocklist
 *   version a worker reaches by applying it.
 * - Reload markers: an entry `{type: reload, snapshot, epoch}` tells every
 *   worker to load that snapshot instead of tailing on. Written when the
 *   node's decision epoch changes (a key rotation's cut-over) and after a
 *   gap (Redis was unreachable while changes happened: the bus then asks
 *   this subscriber to resync, and the next step publishes a new snapshot).
 * - Heartbeat: `<p>:node` every second, expiring after NODE_HEARTBEAT_TTL_MS;
 *   the epoch is checked at the same time. Workers re-attach when it is gone.
 *
 * Ordering: every Redis write goes through one queue, so a snapshot's
 * version is exactly the last change entry written before it. The
 * consensus index may be ahead of the changes published so far; those
 * changes follow the snapshot and applying them again changes nothing.
 */
import { randomBytes } from 'node:crypto'
import type { ComponentLogger } from '../logger.js'
import type { ConsensusState } from '../services/consensus-state.js'
import type { StatusSubscriber, StatusUpdate } from '../services/status-bus.js'
import { encodeBlocklist, type ExplanationLike } from './codec.js'
import {
  CHANGE_BATCH, CHANGES_MAXLEN, NODE_HEARTBEAT_TTL_MS, OLD_SNAPSHOT_TTL_S, SNAPSHOT_CHUNK_ENTRIES, SNAPSHOT_EVERY_CHANGES,
  blocklistMetaKey, changesKey, nodeKey, snapshotChunkKey
} from './keys.js'
import { connectRedis, redactedUrl, type Redis } from './redis.js'

export interface PublisherInit {
  /** redis:// or rediss:// URL. */
  redis: string
  /** Key prefix of this pipeline's keys. */
  prefix: string
  /** Heartbeat and epoch check interval (ms). @default 1000 */
  heartbeatMs?: number
}

export interface PublisherComponents {
  state: Pick<ConsensusState, 'index'>
  /** The epoch decisions are made under (FingerprintService.decisionEpoch). */
  decisionEpoch: () => number
  logger: ComponentLogger
  /** Called after each change entry written (metrics). */
  onPublished?: (updates: number) => void
}

export interface PublishedState {
  snapshot: string
  version: string
  epoch: number
  entries: number
  chunks: number
}

export class PipelinePublisher implements StatusSubscriber {
  readonly name: string
  readonly redisUrl: string
  readonly prefix: string
  readonly #c: PublisherComponents
  readonly #heartbeatMs: number
  #redis: Redis | undefined
  #queue: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #published: PublishedState | undefined
  #changesSinceSnapshot = 0
  /** A change could not be written: the next step publishes a snapshot and a reload marker first. */
  #gap = false
  #stopped = false

  constructor (init: PublisherInit, components: PublisherComponents) {
    this.redisUrl = init.redis
    this.prefix = init.prefix
    this.name = `pipeline:${init.prefix}`
    this.#c = components
    this.#heartbeatMs = init.heartbeatMs ?? 1000
  }

  get published (): PublishedState | undefined { return this.#published }

  /** The publisher's connection (metrics read through it). */
  redisClient (): Redis { return this.#client() }

  /** Connects and publishes a snapshot; resolves once workers can load it. */
  async start (): Promise<void> {
    this.#redis = await connectRedis(this.redisUrl, { name: 'alliance-node-publisher' })
    await this.#enqueue(async () => { await this.#snapshot(false) })
    this.#timer = setInterval(() => { this.#beat() }, this.#heartbeatMs)
    this.#timer.unref()
    this.#beat()
    this.#c.logger.info('publishing the blocklist to Redis', { redis: redactedUrl(this.redisUrl), prefix: this.prefix, entries: this.#published?.entries, epoch: this.#published?.epoch })
  }

  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#queue.catch(() => undefined)
    const r = this.#redis
    this.#redis = undefined
    if (r !== undefined) {
      await r.del(nodeKey(this.prefix)).catch(() => undefined)
      r.disconnect()
    }
  }

  /** Status-bus delivery: the updates as change entries (the bus waits for this before the next batch). */
  async onUpdates (updates: StatusUpdate[]): Promise<void> {
    await this.#enqueue(async () => {
      if (this.#gap) {
        await this.#snapshot(true) // covers these updates too: the index is at least as new as they are
        return
      }
      await this.#publishChanges(updates)
    })
  }

  /** After a failed delivery: the whole blocklist again, and every worker told to reload it. */
  async resync (): Promise<void> {
    this.#gap = true
    await this.#enqueue(async () => { await this.#snapshot(true) })
  }

  async #enqueue (step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#stopped) return
      await step()
    })
    this.#queue = run.catch(() => undefined)
    await run
  }

  #client (): Redis {
    const r = this.#redis
    if (r === undefined) throw new Error('publisher not started')
    return r
  }

  async #publishChanges (updates: StatusUpdate[]): Promise<void> {
    const published = this.#published
    if (published === undefined) return // before the first snapshot, which covers these updates
    const r = this.#client()
    try {
      for (let i = 0; i < updates.length; i += CHANGE_BATCH) {
        const part = updates.slice(i, i + CHANGE_BATCH)
        const data = encodeBlocklist(part.map(u => ({ x: u.explanation as ExplanationLike, from: u.change?.from ?? u.explanation.status })))
        const id = await r.xadd(changesKey(this.prefix), 'MAXLEN', '~', CHANGES_MAXLEN, '*', 'type', 'changes', 'epoch', String(published.epoch), 'n', String(part.length), 'data', data) as string
        published.version = id
        this.#changesSinceSnapshot++
        this.#c.onPublished?.(part.length)
      }
    } catch (err) {
      this.#gap = true
      throw err
    }
    if (this.#changesSinceSnapshot >= SNAPSHOT_EVERY_CHANGES) await this.#snapshot(false)
  }

  /**
   * Writes every explanation of the consensus index as a new snapshot and
   * points the meta hash at it. `reload`: also a marker in the change
   * stream, so workers that tail it switch to this snapshot.
   */
  async #snapshot (reload: boolean): Promise<void> {
    const r = this.#client()
    const epoch = this.#c.decisionEpoch()
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
    const items: Array<{ x: ExplanationLike }> = []
    let chunks = 0
    let entries = 0
    const flush = async (): Promise<void> => {
      await r.set(snapshotChunkKey(this.prefix, id, chunks++), encodeBlocklist(items))
      entries += items.length
      items.length = 0
    }
    for (const x of this.#c.state.index.entries()) {
      items.push({ x })
      if (items.length >= SNAPSHOT_CHUNK_ENTRIES) await flush()
    }
    if (items.length > 0 || chunks === 0) await flush()
    const previous = this.#published
    let version = previous?.version ?? '0-0'
    if (reload || previous === undefined || previous.epoch !== epoch) {
      version = await r.xadd(changesKey(this.prefix), 'MAXLEN', '~', CHANGES_MAXLEN, '*', 'type', 'reload', 'epoch', String(epoch), 'snapshot', id, 'chunks', String(chunks)) as string
    }
    await r.hset(blocklistMetaKey(this.prefix), { snapshot: id, version, epoch: String(epoch), chunks: String(chunks), entries: String(entries), at: new Date().toISOString() })
    if (previous !== undefined) {
      const m = r.multi()
      for (let i = 0; i < previous.chunks; i++) m.expire(snapshotChunkKey(this.prefix, previous.snapshot, i), OLD_SNAPSHOT_TTL_S)
      await m.exec()
    }
    this.#published = { snapshot: id, version, epoch, entries, chunks }
    this.#changesSinceSnapshot = 0
    this.#gap = false
    if (previous !== undefined && previous.epoch !== epoch) this.#c.logger.info('pipeline moved to a new fingerprint epoch: workers reload the blocklist', { from: previous.epoch, to: epoch })
  }

  #beat (): void {
    if (this.#stopped) return
    const published = this.#published
    if (published !== undefined && this.#c.decisionEpoch() !== published.epoch) {
      void this.#enqueue(async () => { if (this.#c.decisionEpoch() !== this.#published?.epoch) await this.#snapshot(true) }).catch((err: unknown) => {
        this.#c.logger.warn('could not publish the new epoch\'s snapshot; retried next second', { error: (err as Error).message })
      })
    } else if (this.#gap) {
      void this.#enqueue(async () => { if (this.#gap) await this.#snapshot(true) }).catch(() => undefined)
    }
    const r = this.#redis
    if (r === undefined || published === undefined) return
    r.set(nodeKey(this.prefix), JSON.stringify({ pid: process.pid, epoch: published.epoch, version: published.version, snapshot: published.snapshot, at: Date.now() }), 'PX', NODE_HEARTBEAT_TTL_MS)
      .catch(() => undefined)
  }
}
