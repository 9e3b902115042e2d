/**
 * A pipeline worker: one member of a Redis Streams consumer group that
 * decides listings exactly as `alliance match` does, on any machine, without
 * joining the alliance network and without holding an alliance key.
 *
 * Loops (four Redis connections: commands and the blocking change-stream
 * read through ioredis; the group reads and the batch commits at the RESP
 * level, resp.ts, where a client's objects per field cost more than the
 * work):
 * - main: XREADGROUP a batch, parsed in place (stream-batch.ts; or, every
 *   claimIdle/2, XAUTOCLAIM entries idle longer than claimIdle: a dead
 *   worker's), parse (entry.ts: bad
 *   entries become dead letters), decide (batch.ts: each value looked up
 *   once in the worker's own cache; the values it does not know resolved
 *   together by resolver.ts: the Redis cache by raw key, canonicalising,
 *   by canonical key, the node), remember the listings' fingerprints (seen
 *   store), commit (commit.ts: decisions, dead letters, seen batch and
 *   XACK in one Lua script). At most `inFlight` commits are outstanding;
 *   nothing else is buffered.
 * - tail: XREAD BLOCK the blocklist change stream from the worker's
 *   version: apply each change batch to the index (one write), make
 *   retroactive decisions for the listings this worker remembers, and
 *   follow reload markers (a key rotation's cut-over, a publisher gap) by
 *   loading the named snapshot. Within the process deciding a batch and
 *   remembering it happen in one tick, so every change is either seen by
 *   the decision or applied after the batch is remembered: no window.
 * - heartbeat: `<p>:workers:<group>` every second; re-attach to the node
 *   when its heartbeat is gone; adopt dead workers (adoption.ts: their
 *   seen listings and the retroactive decisions they still owed); trim the
 *   seen stream.
 *
 * Epochs: a worker fingerprints under the epoch of its snapshot. At the
 * node's cut-over the node publishes a reload marker and a snapshot with
 * the new epoch; the worker stops taking batches, builds the new index and
 * a fresh value cache, starts a new seen stream (listings remembered under
 * the old epoch can never match a new-epoch fingerprint: they need a
 * rescan, as the node's own matcher says), and goes on. A batch whose
 * fingerprints the node refuses because their epoch was just destroyed is
 * resolved again under the new epoch; nothing was acknowledged.
 *
 * The jobs this class orchestrates live beside it: options (worker-init.ts),
 * the blocklist it decides with and follows (worker-blocklist.ts: snapshot
 * loads, the change stream, epochs), its counters, heartbeat and
 * housekeeping (worker-heartbeat.ts), stream reads (stream-io.ts), a
 * batch's decisions (batch.ts, decide.ts), fingerprints and the shared
 * cache (resolver.ts, cache-key.ts), the batch commit (commit.ts),
 * retroactive decisions (retro.ts), seen streams (seen-streams.ts) and
 * adopting dead workers (adoption.ts). What stays here: connections, the
 * loops and the listing path (read or claim, decide, commit).
 */
import type { CountryCode } from 'libphonenumber-js'
import type { ComponentLogger } from '../logger.js'
import { CacheKeyer } from './cache-key.js'
import { commitBatch } from './commit.js'
import { currentSnapshot } from './blocklist.js'
import { decideListings, type BatchHost } from './batch.js'
import { parseBatch, type DeadEntry } from './entry.js'
import { PolicyMismatchError } from './errors.js'
import { DEAD_MAXLEN, groupKey, groupsKey, workersKey } from './keys.js'
import { adopt } from './adoption.js'
import { COMMAND_TIMEOUT_MS, connectRedis, type Redis } from './redis.js'
import { emptyResolveStats, type FingerprintSource, type ResolverInit } from './resolver.js'
import type { WorkerBeat } from './status.js'
import { claimIdle, type RawEntry } from './stream-io.js'
import { batchOfFields, EMPTY_BATCH, parseStreamReply, type EntryBatch } from './stream-batch.js'
import { RespConnection, RespWriter } from './resp.js'
import { WorkerBlocklist } from './worker-blocklist.js'
import { WorkerHeartbeat, type WorkerStats } from './worker-heartbeat.js'
import { workerOptions, type WorkerInit, type WorkerOptions } from './worker-init.js'
import type { PipelineAttachResult } from './node-service.js'

/** The node as a worker reaches it (its HTTP API: ApiClient). */
export interface NodeLink extends FingerprintSource {
  attach: (req: { redis: string, prefix: string }) => Promise<PipelineAttachResult>
}

export type { WorkerInit } from './worker-init.js'
export type { WorkerStats } from './worker-heartbeat.js'

export interface WorkerComponents {
  node: NodeLink
  logger: ComponentLogger
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export class PipelineWorker {
  readonly consumer: string
  readonly stats: WorkerStats = { decided: 0, deadLetters: 0, retroactive: 0, claimed: 0, batches: 0, resolve: emptyResolveStats() }
  readonly #i: WorkerOptions
  readonly #c: WorkerComponents
  readonly #log: ComponentLogger
  #cmd!: Redis
  /**
   * Connections at the RESP level (resp.ts), each opened again when it
   * failed: the group reads (the reply parsed in place, stream-batch.ts)
   * and the batch commits (~170 KB of arguments per 1,000 listings), apart
   * so neither waits behind the other. (The shared fingerprint cache's
   * MGETs stay on ioredis: at the RESP level they measured no cheaper.)
   */
  readonly #resp = new Map<'read' | 'commit', RespConnection>()
  #tail!: Redis
  #attach!: PipelineAttachResult
  #secret!: Buffer
  /** Index, core, version, epoch and seen listings: read by the listing path, changed by the tail loop and adoption. */
  readonly #bl: WorkerBlocklist
  readonly #heartbeat: WorkerHeartbeat
  #running = false
  #loops: Array<Promise<void>> = []
  #timer: NodeJS.Timeout | undefined
  #inflight: Array<Promise<void>> = []

  constructor (init: WorkerInit, components: WorkerComponents) {
    this.#i = workerOptions(init)
    this.consumer = this.#i.consumer
    this.#c = components
    this.#log = components.logger
    const w = this // eslint-disable-line @typescript-eslint/no-this-alias
    this.#bl = new WorkerBlocklist(this.#i, {
      get redis () { return w.#cmd },
      get tail () { return w.#tail },
      get attach () { return w.#attach },
      get running () { return w.#running },
      stats: this.stats,
      log: this.#log
    })
    this.#heartbeat = new WorkerHeartbeat(this.#i, {
      get redis () { return w.#cmd },
      get running () { return w.#running },
      stats: this.stats,
      blocklist: this.#bl,
      reattach: async () => { w.#attach = await w.#c.node.attach({ redis: w.#i.redis, prefix: w.#i.prefix }) },
      log: this.#log
    })
  }

  get version (): string { return this.#bl.version }
  get epoch (): number { return this.#bl.epoch }
  /** Listings remembered for retroactive decisions. */
  get seenListings (): number { return this.#bl.seen.listings }

  async start (): Promise<void> {
    const p = this.#i
    this.#attach = await this.#c.node.attach({ redis: p.redis, prefix: p.prefix })
    this.#secret = Buffer.from(this.#attach.cacheKey, 'base64url')
    this.#cmd = await connectRedis(p.redis, { name: `alliance-worker-${this.consumer}` })
    try {
      this.#tail = await connectRedis(p.redis, { name: `alliance-worker-${this.consumer}-tail`, blocking: true })
      for (const role of ['read', 'commit'] as const) await this.#connection(role)
      await this.#joinGroup()
      await this.#bl.reload(await currentSnapshot(this.#cmd, p.prefix), false)
      const old = await this.#cmd.hget(workersKey(p.prefix, p.group), this.consumer)
      // a restart under the same name: this worker's own listings and the retroactive decisions it still owed
      await adopt(this.#bl, this.consumer, old !== null ? JSON.parse(old) as WorkerBeat : undefined)
    } catch (err) {
      this.#disconnect()
      throw err
    }
    this.#running = true
    this.#loops.push(this.#loop('main', async () => { await this.#mainStep() }))
    this.#loops.push(this.#loop('tail', async () => { await this.#bl.tailStep() }))
    this.#timer = setInterval(() => { this.#heartbeat.beat() }, p.heartbeatMs)
    this.#heartbeat.beat()
    this.#log.info('pipeline worker started', { consumer: this.consumer, group: p.group, input: p.input, output: p.output, epoch: this.#bl.epoch, version: this.#bl.version, entries: this.#bl.index.size, seenListings: this.#bl.seen.listings })
  }

  /** Stops taking entries, finishes the commits in flight, writes a last heartbeat. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await Promise.allSettled(this.#loops)
    await Promise.allSettled(this.#inflight)
    await this.#heartbeat.housekeeping
    await this.#heartbeat.write().catch(() => undefined)
    this.#disconnect()
    this.#log.info('pipeline worker stopped', { consumer: this.consumer, decided: this.stats.decided })
  }

  #disconnect (): void {
    for (const r of [this.#cmd, this.#tail]) r?.disconnect()
    for (const c of this.#resp.values()) c.close()
    this.#resp.clear()
  }

  async #loop (name: string, step: () => Promise<void>): Promise<void> {
    let failures = 0
    while (this.#running) {
      try {
        await step()
        failures = 0
      } catch (err) {
        if (!this.#running) return
        failures++
        this.#log.warn(`pipeline ${name} loop: step failed; retrying`, { error: (err as Error).message, name: (err as Error).name, failures })
        await sleep(Math.min(100 * 2 ** Math.min(failures, 5), 3000))
      }
    }
  }

  async #joinGroup (): Promise<void> {
    const p = this.#i
    try {
      await this.#cmd.xgroup('CREATE', p.input, p.group, '0', 'MKSTREAM')
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err
    }
    const policy = JSON.stringify(p.policy)
    await this.#cmd.hsetnx(groupKey(p.prefix, p.group), 'policy', policy)
    const [kept] = await Promise.all([this.#cmd.hget(groupKey(p.prefix, p.group), 'policy'), this.#cmd.sadd(groupsKey(p.prefix), `${p.input}\n${p.group}\n${p.output}`)])
    if (kept !== policy) throw new PolicyMismatchError(p.group)
  }

  // --------------------------------------------------------------------------------- listings

  #lastClaim = 0
  #claimCursor = '0-0'

  async #mainStep (): Promise<void> {
    await this.#bl.reloading
    const p = this.#i
    let batch = EMPTY_BATCH
    let dead: DeadEntry[] = []
    const now = Date.now()
    if (now - this.#lastClaim >= p.claimIdleMs / 2) {
      this.#lastClaim = now
      let raw: RawEntry[]
      ;({ entries: raw, dead } = await this.#claim())
      batch = batchOfFields(raw)
    }
    if (batch.n === 0 && dead.length === 0) batch = await this.#readNew()
    if (batch.n === 0 && dead.length === 0) return
    await this.#process(batch, dead)
  }

  async #readNew (): Promise<EntryBatch> {
    const p = this.#i
    const c = await this.#connection('read')
    const w = new RespWriter(256)
    w.cmd('XREADGROUP', 'GROUP', p.group, this.consumer, 'COUNT', p.batch, 'BLOCK', p.blockMs, 'STREAMS', p.input, '>')
    return parseStreamReply(await c.send(w.take(), 1, p.blockMs + COMMAND_TIMEOUT_MS))
  }

  /** Entries idle longer than claimIdle (their worker died or hangs), and what can no longer be decided. */
  async #claim (): Promise<{ entries: RawEntry[], dead: DeadEntry[] }> {
    const c = await claimIdle(this.#cmd, { ...this.#i, consumer: this.consumer }, this.#claimCursor)
    this.#claimCursor = c.cursor
    if (c.claimed > 0) {
      this.stats.claimed += c.claimed
      this.#log.info('claimed entries idle longer than the claim timeout', { claimed: c.claimed, deadLettered: c.claimed - c.entries.length })
    }
    return c
  }

  async #process (batch: EntryBatch, claimedDead: DeadEntry[]): Promise<void> {
    const p = this.#i
    const { listings, dead } = parseBatch(batch)
    for (const d of claimedDead) dead.push(d)
    // remembered in the tick of the last decision: a change applied later finds these listings in the seen store
    const d = await decideListings(listings, this.#batchHost, d => {
      if (d.seen.listings > 0) this.#bl.seen.add(d.seen.batch(Date.now()))
    })
    for (const f of d.failed) dead.push(f)
    const commit = this.#connection('commit').then(async c => await commitBatch(c, this.#bl.streams(), {
      group: p.group,
      consumer: this.consumer,
      outMaxLen: p.outMaxLen,
      deadMaxLen: DEAD_MAXLEN,
      version: d.version,
      epoch: d.epoch,
      cause: 'listing',
      decisions: d.decisions,
      dead,
      ...(d.seen.listings > 0 ? { seen: d.seen.encode() } : {}),
      ack: [...listings.map(e => e.id), ...dead.map(d => d.id)]
    })).then(() => {
      this.stats.decided += d.decisions.length
      this.stats.deadLetters += dead.length
      this.stats.batches++
    }, (err: unknown) => {
      // nothing was acknowledged: the entries stay pending and are claimed again after claimIdle
      this.#log.warn('commit failed; the batch\'s entries will be claimed and decided again', { error: (err as Error).message, entries: batch.n })
    })
    this.#inflight.push(commit)
    while (this.#inflight.length >= p.inFlight) await this.#inflight.shift()
  }

  /** The RESP-level connection for `role`, opened (again) when it is not open. The read's timeout is its own (BLOCK). */
  async #connection (role: 'read' | 'commit'): Promise<RespConnection> {
    const c = this.#resp.get(role)
    if (c !== undefined && !c.dead) return c
    this.#resp.delete(role)
    const opened = await RespConnection.open(this.#i.redis, { name: `alliance-worker-${this.consumer}-${role}`, ...(role === 'read' ? {} : { timeoutMs: COMMAND_TIMEOUT_MS }) })
    this.#resp.set(role, opened)
    return opened
  }

  #keyers: { secret: Buffer, epoch: number, keyer: CacheKeyer, rawKeyer: CacheKeyer } | undefined

  /** What a batch reads from this worker (current values, read afresh after every wait). */
  readonly #batchHost: BatchHost = (() => {
    const w = this // eslint-disable-line @typescript-eslint/no-this-alias
    return {
      get core () { return w.#bl.core },
      get version () { return w.#bl.version },
      get epoch () { return w.#bl.epoch },
      get reloading () { return w.#bl.reloading },
      resolverInit: (epoch: number) => w.#resolverInit(epoch),
      awaitNewEpoch: async () => { await w.#bl.awaitNewEpoch() },
      get redis () { return w.#cmd },
      get node () { return w.#c.node },
      get stats () { return w.stats.resolve },
      get log () { return w.#log }
    }
  })()

  /** Cache keys under `epoch` with the node's current cache secret (keyers made once per secret and epoch). */
  #resolverInit (epoch: number): ResolverInit {
    const country = this.#attach.defaultCountry ?? ''
    let k = this.#keyers
    if (k === undefined || k.secret !== this.#secret || k.epoch !== epoch) {
      k = { secret: this.#secret, epoch, keyer: new CacheKeyer(this.#secret, epoch), rawKeyer: new CacheKeyer(this.#secret, epoch, country) }
      this.#keyers = k
    }
    return {
      epoch, keyer: k.keyer, rawKeyer: k.rawKeyer, prefix: this.#i.prefix, ttlSeconds: this.#i.fpCacheTtlS,
      ...(country !== '' ? { defaultCountry: country as CountryCode } : {})
    }
  }
}
