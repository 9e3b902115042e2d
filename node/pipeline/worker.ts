/**
 * A pipeline worker: one member of a Redis Streams consumer group that
 * decides listings exactly as `alliance match` does, on any machine, without
 * joining the alliance network and without holding an alliance key.
 *
 * Loops (three Redis connections: commands, the blocking group read, the
 * blocking change-stream read):
 * - main: XREADGROUP a batch (or, every claimIdle/2, XAUTOCLAIM entries
 *   idle longer than claimIdle: a dead worker's), parse (entry.ts: bad
 *   entries become dead letters), resolve fingerprints (resolver.ts: own
 *   cache → Redis cache → the node), decide (decide.ts), remember the
 *   listings' fingerprints (seen store), commit (commit.ts: decisions, dead
 *   letters, seen batch and XACK in one Lua script). At most `inFlight`
 *   commits are outstanding; nothing else is buffered.
 * - tail: XREAD BLOCK the blocklist change stream from the worker's
 *   version: apply each change batch to the index (one write), make
 *   retroactive decisions for the listings this worker remembers, and
 *   follow reload markers (a key rotation's cut-over, a publisher gap) by
 *   loading the named snapshot. Within the process deciding a batch and
 *   remembering it happen in one tick, so every change is either seen by
 *   the decision or applied after the batch is remembered: no window.
 * - heartbeat: `<p>:workers:<group>` every second; re-attach to the node
 *   when its heartbeat is gone; adopt dead workers (their seen listings and
 *   the retroactive decisions they still owed); trim the seen stream.
 *
 * Epochs: a worker fingerprints under the epoch of its snapshot. At the
 * node's cut-over the node publishes a reload marker and a snapshot with
 * the new epoch; the worker stops taking batches, builds the new index and
 * a fresh value cache, starts a new seen stream (listings remembered under
 * the old epoch can never match a new-epoch fingerprint: they need a
 * rescan, as the node's own matcher says), and goes on. A batch whose
 * fingerprints the node refuses because their epoch was just destroyed is
 * resolved again under the new epoch; nothing was acknowledged.
 */
import { hostname } from 'node:os'
import type { CountryCode } from 'libphonenumber-js'
import type { ComponentLogger } from '../logger.js'
import { BlocklistIndex, DEFAULT_POLICY, MemorySeenStore, type MatchPolicy, type SeenBatch } from '../match/index.js'
import { MatchCore } from '../match/core.js'
import { decodeBlocklist, decodeSeen, SeenBatchBuilder, type BlocklistRecord } from './codec.js'
import { CacheKeyer } from './cache-key.js'
import { commitBatch, type CommitStreams } from './commit.js'
import { currentSnapshot, loadSnapshot, type SnapshotRef } from './blocklist.js'
import { decideEntry, type DecisionOut } from './decide.js'
import { isDead, parseEntry, type DeadEntry, type ListingEntry } from './entry.js'
import { PipelineConfigError, PolicyMismatchError, SnapshotUnavailableError } from './errors.js'
import { adoptKey, changesKey, DEAD_MAXLEN, deadKeyOf, groupKey, groupsKey, isNamePart, isStreamName, nodeKey, seenKey, workersKey } from './keys.js'
import { connectRedis, type Redis } from './redis.js'
import { PrefetchedSuite, resolveBatch, type FingerprintSource, type ResolveStats } from './resolver.js'
import { retroDecisions, type RetroOut } from './retro.js'
import type { WorkerBeat } from './status.js'
import { compareIds } from './stream-id.js'
import type { PipelineAttachResult } from './node-service.js'

/** The node as a worker reaches it (its HTTP API: ApiClient). */
export interface NodeLink extends FingerprintSource {
  attach: (req: { redis: string, prefix: string }) => Promise<PipelineAttachResult>
}

export interface WorkerInit {
  /** redis:// or rediss:// URL. */
  redis: string
  /** @default 'alliance' */
  prefix?: string
  /** Listings stream. @default 'listings' */
  input?: string
  /** Decisions stream. @default 'decisions' */
  output?: string
  /** Consumer group. @default 'matchers' */
  group?: string
  /** This worker's name in the group. @default '<hostname>-<pid>' */
  consumer?: string
  /** Entries per XREADGROUP. @default 1000 */
  batch?: number
  /** Commits outstanding at once. @default 2 */
  inFlight?: number
  /** Entries pending this long (ms) are claimed from their worker. @default 30000 */
  claimIdleMs?: number
  /** A worker whose heartbeat is this old (ms) is dead: its seen listings are adopted. @default max(15000, claimIdleMs) */
  deadAfterMs?: number
  /** Deliveries after which an entry is dead-lettered. @default 5 */
  maxDeliveries?: number
  /** Output stream length (MAXLEN ~). @default 10000000 */
  outMaxLen?: number
  /** @default DEFAULT_POLICY */
  policy?: MatchPolicy
  /** Value cache of the matcher core (bytes). @default 64 MiB */
  cacheBytes?: number
  /** TTL of fingerprint cache entries in Redis (s). @default 30 days */
  fpCacheTtlS?: number
  /** Listings are remembered for retroactive decisions this long (days). @default 30 */
  seenDays?: number
  /** @default 1000 */
  heartbeatMs?: number
  /** BLOCK of the group and change-stream reads (ms). @default 1000 */
  blockMs?: number
}

export interface WorkerComponents {
  node: NodeLink
  logger: ComponentLogger
}

export interface WorkerStats {
  decided: number
  deadLetters: number
  retroactive: number
  claimed: number
  batches: number
  resolve: ResolveStats
}

interface RawEntry { id: string, fields: Buffer[] }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function checkInt (field: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new PipelineConfigError(field, `must be a whole number from ${min} to ${max}`)
  return v
}

/** Flat [k, v, k, v] Buffers → map of strings and buffers. */
function fieldMap (fields: Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>()
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i].toString('latin1'), fields[i + 1])
  return m
}

export class PipelineWorker {
  readonly consumer: string
  readonly stats: WorkerStats = { decided: 0, deadLetters: 0, retroactive: 0, claimed: 0, batches: 0, resolve: { local: 0, shared: 0, node: 0, invalid: 0 } }
  readonly #i: Required<Omit<WorkerInit, 'policy' | 'consumer'>> & { policy: MatchPolicy }
  readonly #c: WorkerComponents
  readonly #log: ComponentLogger
  #cmd!: Redis
  #read!: Redis
  #tail!: Redis
  #attach!: PipelineAttachResult
  #secret!: Buffer
  #index!: BlocklistIndex
  #core!: MatchCore
  #suite!: PrefetchedSuite
  #version = '0-0'
  #epoch = -1
  #retroVersion = '0-0'
  #seen = new MemorySeenStore()
  #reloading: Promise<void> | undefined
  #running = false
  #loops: Array<Promise<void>> = []
  #timer: NodeJS.Timeout | undefined
  #inflight: Array<Promise<void>> = []
  #beats = 0
  #nodeMissing = 0
  #rate: Array<[number, number]> = []
  #lastTrim = 0
  #housekeeping: Promise<void> = Promise.resolve()

  constructor (init: WorkerInit, components: WorkerComponents) {
    const claimIdleMs = init.claimIdleMs ?? 30_000
    this.#i = {
      redis: init.redis,
      prefix: init.prefix ?? 'alliance',
      input: init.input ?? 'listings',
      output: init.output ?? 'decisions',
      group: init.group ?? 'matchers',
      batch: checkInt('batch', init.batch ?? 1000, 1, 10_000),
      inFlight: checkInt('inFlight', init.inFlight ?? 2, 1, 16),
      claimIdleMs: checkInt('claimIdleMs', claimIdleMs, 100, 86_400_000),
      deadAfterMs: checkInt('deadAfterMs', init.deadAfterMs ?? Math.max(15_000, claimIdleMs), 1000, 86_400_000),
      maxDeliveries: checkInt('maxDeliveries', init.maxDeliveries ?? 5, 1, 1000),
      outMaxLen: checkInt('outMaxLen', init.outMaxLen ?? 10_000_000, 1000, 2 ** 40),
      policy: init.policy ?? DEFAULT_POLICY,
      cacheBytes: checkInt('cacheBytes', init.cacheBytes ?? 64 << 20, 1 << 20, 2 ** 34),
      fpCacheTtlS: checkInt('fpCacheTtlS', init.fpCacheTtlS ?? 30 * 86_400, 60, 2 ** 31),
      seenDays: checkInt('seenDays', init.seenDays ?? 30, 1, 3650),
      heartbeatMs: checkInt('heartbeatMs', init.heartbeatMs ?? 1000, 50, 60_000),
      blockMs: checkInt('blockMs', init.blockMs ?? 1000, 10, 60_000)
    }
    this.consumer = init.consumer ?? `${hostname()}-${process.pid}`
    for (const [field, v] of [['prefix', this.#i.prefix], ['input', this.#i.input], ['output', this.#i.output]] as const) {
      if (!isStreamName(v)) throw new PipelineConfigError(field, 'must be 1-128 letters, digits or ._:-{}')
    }
    for (const [field, v] of [['group', this.#i.group], ['consumer', this.consumer]] as const) {
      if (!isNamePart(v)) throw new PipelineConfigError(field, 'must be 1-128 letters, digits or ._-')
    }
    if (this.#i.input === this.#i.output) throw new PipelineConfigError('output', 'must differ from the input stream')
    this.#c = components
    this.#log = components.logger
  }

  get version (): string { return this.#version }
  get epoch (): number { return this.#epoch }
  /** Listings remembered for retroactive decisions. */
  get seenListings (): number { return this.#seen.listings }

  #streams (): CommitStreams {
    const p = this.#i
    return { input: p.input, output: p.output, dead: deadKeyOf(p.output), seen: seenKey(p.prefix, p.group, this.#epoch, this.consumer) }
  }

  async start (): Promise<void> {
    const p = this.#i
    this.#attach = await this.#c.node.attach({ redis: p.redis, prefix: p.prefix })
    this.#secret = Buffer.from(this.#attach.cacheKey, 'base64url')
    this.#cmd = await connectRedis(p.redis, { name: `alliance-worker-${this.consumer}` })
    this.#read = await connectRedis(p.redis, { name: `alliance-worker-${this.consumer}-read`, blocking: true })
    this.#tail = await connectRedis(p.redis, { name: `alliance-worker-${this.consumer}-tail`, blocking: true })
    try {
      await this.#joinGroup()
      await this.#reload(await currentSnapshot(this.#cmd, p.prefix), false)
      const old = await this.#cmd.hget(workersKey(p.prefix, p.group), this.consumer)
      // a restart under the same name: this worker's own listings and the retroactive decisions it still owed
      await this.#adopt(this.consumer, old !== null ? JSON.parse(old) as WorkerBeat : undefined)
    } catch (err) {
      this.#disconnect()
      throw err
    }
    this.#running = true
    this.#loops.push(this.#loop('main', async () => { await this.#mainStep() }))
    this.#loops.push(this.#loop('tail', async () => { await this.#tailStep() }))
    this.#timer = setInterval(() => { this.#beat() }, p.heartbeatMs)
    this.#beat()
    this.#log.info('pipeline worker started', { consumer: this.consumer, group: p.group, input: p.input, output: p.output, epoch: this.#epoch, version: this.#version, entries: this.#index.size, seenListings: this.#seen.listings })
  }

  /** Stops taking entries, finishes the commits in flight, writes a last heartbeat. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await Promise.allSettled(this.#loops)
    await Promise.allSettled(this.#inflight)
    await this.#housekeeping
    await this.#writeBeat().catch(() => undefined)
    this.#disconnect()
    this.#log.info('pipeline worker stopped', { consumer: this.consumer, decided: this.stats.decided })
  }

  #disconnect (): void {
    for (const r of [this.#cmd, this.#read, this.#tail]) r?.disconnect()
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

  // --------------------------------------------------------------------------------- blocklist

  /**
   * Loads a snapshot as this worker's index (and, if its epoch differs, a
   * new epoch: fresh value cache, new seen stream). `retro`: make the
   * retroactive decisions the changes folded into the snapshot imply, by
   * comparing the old index with the new one.
   */
  async #reload (ref: SnapshotRef, retro: boolean): Promise<void> {
    const run = (async () => {
      let loaded: Awaited<ReturnType<typeof loadSnapshot>> | undefined
      for (let attempt = 0; loaded === undefined; attempt++) {
        try {
          loaded = await loadSnapshot(this.#cmd, this.#i.prefix, ref)
        } catch (err) {
          if (!(err instanceof SnapshotUnavailableError) || attempt >= 5) throw err
          ref = await currentSnapshot(this.#cmd, this.#i.prefix) // replaced meanwhile: take the newest
        }
      }
      const old = this.#index
      const epochChanged = ref.epoch !== this.#epoch
      if (epochChanged && this.#epoch >= 0) {
        this.#log.info('fingerprint epoch changed: new index, fresh caches; listings remembered under the old epoch need a rescan', { from: this.#epoch, to: ref.epoch, listingsToRescan: this.#seen.listings })
        await this.#cmd.del(this.#streams().seen)
        this.#seen = new MemorySeenStore()
      }
      const retroOut: RetroOut[] = []
      if (retro && !epochChanged && old !== undefined && this.#seen.listings > 0) {
        for (const x of loaded.index.entries()) {
          const before = old.status(x.fingerprint)
          if (before === x.status) continue
          const rec: BlocklistRecord = { fingerprint: x.fingerprint, kind: x.kind, status: x.status, from: before, positive: x.orgs.map(org => ({ org })), negative: x.disputedBy.map(org => ({ org })), expires: x.expires, confirmations: x.confirmations }
          // true counts beyond the kept names: pad like the codec does
          while (rec.positive.length < x.orgCount) (rec.positive as Array<{ org: string }>).push({ org: '' })
          while (rec.negative.length < x.disputedCount) (rec.negative as Array<{ org: string }>).push({ org: '' })
          retroOut.push(...retroDecisions(ref.version, rec, this.#seen, this.#i.policy))
        }
      }
      this.#index = loaded.index
      this.#epoch = ref.epoch
      this.#version = ref.version
      this.#suite = new PrefetchedSuite(ref.epoch)
      this.#core = new MatchCore({
        suite: this.#suite,
        index: loaded.index,
        policy: this.#i.policy,
        defaultCountry: (this.#attach.defaultCountry ?? undefined) as CountryCode | undefined,
        cacheBytes: this.#i.cacheBytes
      })
      this.#core.collectSeen = true
      if (retroOut.length > 0) await this.#commitRetro(ref.version, retroOut)
      this.#retroVersion = ref.version
    })()
    this.#reloading = run
    try {
      await run
    } finally {
      if (this.#reloading === run) this.#reloading = undefined
    }
  }

  /** One read of the change stream: apply, decide retroactively, follow reload markers. */
  async #tailStep (): Promise<void> {
    const p = this.#i
    const before = this.#version
    const res = await this.#tail.callBuffer('XREAD', 'COUNT', 100, 'BLOCK', p.blockMs, 'STREAMS', changesKey(p.prefix), before) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
    if (res === null || !this.#running) return
    await this.#reloading
    for (const [idBuf, fields] of res[0][1]) {
      const id = idBuf.toString()
      if (compareIds(id, this.#version) <= 0) continue // a reload meanwhile moved past it
      const f = fieldMap(fields)
      const type = f.get('type')?.toString()
      if (type === 'reload') {
        await this.#reload({ snapshot: String(f.get('snapshot')), chunks: Number(String(f.get('chunks'))), version: id, epoch: Number(String(f.get('epoch'))) }, true)
        continue
      }
      if (type !== 'changes') continue
      const data = f.get('data')
      if (data === undefined) continue
      const recs = decodeBlocklist(data, `change ${id}`)
      this.#index.applyAll(recs)
      this.#version = id
      const retro: RetroOut[] = []
      if (this.#seen.listings > 0) for (const rec of recs) retro.push(...retroDecisions(id, rec, this.#seen, p.policy))
      if (retro.length > 0) await this.#commitRetro(id, retro)
      this.#retroVersion = id
    }
    // entries trimmed away between `before` and what we read: the changes are lost, the snapshot is not
    const info = await this.#cmd.xinfo('STREAM', changesKey(p.prefix)) as unknown[]
    const maxDeleted = String(info[info.indexOf('max-deleted-entry-id') + 1] ?? '0-0')
    if (compareIds(maxDeleted, before) > 0 && before !== '0-0') {
      this.#log.warn('the change stream was trimmed past this worker\'s version; reloading the snapshot', { version: before, maxDeleted })
      await this.#reload(await currentSnapshot(this.#cmd, p.prefix), true)
    }
  }

  async #commitRetro (version: string, out: RetroOut[]): Promise<void> {
    const p = this.#i
    for (let i = 0; i < out.length; i += 1000) {
      const part = out.slice(i, i + 1000)
      await commitBatch(this.#cmd, { ...this.#streams(), seen: '' }, {
        group: p.group, consumer: this.consumer, outMaxLen: p.outMaxLen, deadMaxLen: DEAD_MAXLEN, version, epoch: this.#epoch, cause: 'retroactive', decisions: part, dead: [], ack: []
      })
      this.stats.retroactive += part.length
    }
  }

  // --------------------------------------------------------------------------------- listings

  #lastClaim = 0
  #claimCursor = '0-0'

  async #mainStep (): Promise<void> {
    await this.#reloading
    const p = this.#i
    let raw: RawEntry[] = []
    let dead: DeadEntry[] = []
    const now = Date.now()
    if (now - this.#lastClaim >= p.claimIdleMs / 2) {
      this.#lastClaim = now
      ;({ entries: raw, dead } = await this.#claim())
    }
    if (raw.length === 0 && dead.length === 0) raw = await this.#readNew()
    if (raw.length === 0 && dead.length === 0) return
    await this.#process(raw, dead)
  }

  async #readNew (): Promise<RawEntry[]> {
    const p = this.#i
    const res = await this.#read.callBuffer('XREADGROUP', 'GROUP', p.group, this.consumer, 'COUNT', p.batch, 'BLOCK', p.blockMs, 'STREAMS', p.input, '>') as Array<[Buffer, Array<[Buffer, Buffer[] | null]>]> | null
    if (res === null) return []
    const out: RawEntry[] = []
    for (const [id, fields] of res[0][1]) out.push({ id: id.toString(), fields: fields ?? [] })
    return out
  }

  /** Entries idle longer than claimIdle (their worker died or hangs), and what can no longer be decided. */
  async #claim (): Promise<{ entries: RawEntry[], dead: DeadEntry[] }> {
    const p = this.#i
    const res = await this.#cmd.callBuffer('XAUTOCLAIM', p.input, p.group, this.consumer, p.claimIdleMs, this.#claimCursor, 'COUNT', p.batch) as [Buffer, Array<[Buffer, Buffer[] | null]>, Buffer[]?]
    this.#claimCursor = res[0].toString()
    const dead: DeadEntry[] = (res[2] ?? []).map(id => ({ id: id.toString(), reason: 'trimmed' as const }))
    const entries: RawEntry[] = []
    for (const [id, fields] of res[1]) {
      if (fields === null) dead.push({ id: id.toString(), reason: 'trimmed' })
      else entries.push({ id: id.toString(), fields })
    }
    if (entries.length === 0) return { entries, dead }
    this.stats.claimed += entries.length
    const pending = await this.#cmd.xpending(p.input, p.group, entries[0].id, entries[entries.length - 1].id, entries.length, this.consumer) as Array<[string, string, number, number]>
    const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n)]))
    const keep = entries.filter(e => {
      if ((deliveries.get(e.id) ?? 0) <= p.maxDeliveries) return true
      dead.push({ id: e.id, reason: 'too_many_deliveries' })
      return false
    })
    this.#log.info('claimed entries idle longer than the claim timeout', { claimed: entries.length, deadLettered: entries.length - keep.length })
    return { entries: keep, dead }
  }

  async #process (raw: RawEntry[], dead: DeadEntry[]): Promise<void> {
    const p = this.#i
    const listings: ListingEntry[] = []
    for (const r of raw) {
      const e = parseEntry(r.id, r.fields)
      if (isDead(e)) dead.push(e)
      else listings.push(e)
    }
    // fingerprints of every value (async: the tail may apply changes meanwhile; a reload replaces the core)
    let core = this.#core
    for (;;) {
      try {
        await resolveBatch(listings, core, this.#suite, {
          epoch: this.#epoch, keyer: this.#keyerFor(this.#epoch), prefix: p.prefix, ttlSeconds: p.fpCacheTtlS,
          ...(this.#attach.defaultCountry !== null ? { defaultCountry: this.#attach.defaultCountry as CountryCode } : {})
        }, this.#cmd, this.#c.node, this.stats.resolve)
      } catch (err) {
        if ((err as { reason?: string }).reason !== 'epoch_key_unavailable') throw err
        // the node cut over: the reload marker is on its way; wait for the new epoch, then resolve again
        await this.#awaitNewEpoch()
      }
      await this.#reloading
      if (core === this.#core && this.#suite.epoch === this.#epoch) break
      core = this.#core
    }
    // decide and remember in one tick: a change applied later finds these listings in the seen store
    const version = this.#version
    const seen = new SeenBatchBuilder()
    const decisions: DecisionOut[] = []
    for (const e of listings) {
      try {
        decisions.push(decideEntry(core, e, seen))
      } catch (err) {
        this.#log.error('deciding a listing entry failed; dead-lettered', { entry: e.id, error: (err as Error).message })
        dead.push({ id: e.id, reason: 'internal_error', listingId: e.listingId })
      }
    }
    const now = Date.now()
    if (seen.listings > 0) this.#seen.add(seen.batch(now))
    const commit = commitBatch(this.#cmd, this.#streams(), {
      group: p.group,
      consumer: this.consumer,
      outMaxLen: p.outMaxLen,
      deadMaxLen: DEAD_MAXLEN,
      version,
      epoch: this.#epoch,
      cause: 'listing',
      decisions,
      dead,
      ...(seen.listings > 0 ? { seen: seen.encode() } : {}),
      ack: [...listings.map(e => e.id), ...dead.map(d => d.id)]
    }).then(() => {
      this.stats.decided += decisions.length
      this.stats.deadLetters += dead.length
      this.stats.batches++
    }, (err: unknown) => {
      // nothing was acknowledged: the entries stay pending and are claimed again after claimIdle
      this.#log.warn('commit failed; the batch\'s entries will be claimed and decided again', { error: (err as Error).message, entries: raw.length })
    })
    this.#inflight.push(commit)
    while (this.#inflight.length >= p.inFlight) await this.#inflight.shift()
  }

  #keyer: CacheKeyer | undefined
  #keyerOf: [Buffer, number] | undefined

  /** Cache keys under `epoch` with the node's current cache secret (made once per secret and epoch). */
  #keyerFor (epoch: number): CacheKeyer {
    if (this.#keyer === undefined || this.#keyerOf?.[0] !== this.#secret || this.#keyerOf[1] !== epoch) {
      this.#keyer = new CacheKeyer(this.#secret, epoch)
      this.#keyerOf = [this.#secret, epoch]
    }
    return this.#keyer
  }

  async #awaitNewEpoch (): Promise<void> {
    const from = this.#epoch
    for (let i = 0; i < 100 && this.#running && this.#epoch === from; i++) {
      await this.#reloading
      if (this.#epoch !== from) return
      const ref = await currentSnapshot(this.#cmd, this.#i.prefix)
      if (ref.epoch !== from) { await this.#reload(ref, false); return }
      await sleep(200)
    }
  }

  // --------------------------------------------------------------------------------- heartbeat, adoption

  #beat (): void {
    if (!this.#running) return
    this.#beats++
    this.#writeBeat().catch((err: unknown) => { this.#log.debug('heartbeat not written', { error: (err as Error).message }) })
    if (this.#beats % 5 !== 0) return
    this.#housekeeping = this.#housekeeping.then(async () => { await this.#housekeep() }).catch((err: unknown) => {
      this.#log.warn('pipeline housekeeping failed; retried', { error: (err as Error).message })
    })
  }

  async #writeBeat (): Promise<void> {
    const now = Date.now()
    this.#rate.push([now, this.stats.decided])
    while (this.#rate.length > 2 && now - this.#rate[0][0] > 10_000) this.#rate.shift()
    const [t0, d0] = this.#rate[0]
    const beat: WorkerBeat = {
      consumer: this.consumer,
      host: hostname(),
      pid: process.pid,
      version: this.#version,
      epoch: this.#epoch,
      decided: this.stats.decided,
      perSecond: now > t0 ? Math.round((this.stats.decided - d0) / ((now - t0) / 1000)) : 0,
      deadLetters: this.stats.deadLetters,
      retroactive: this.stats.retroactive,
      seenListings: this.#seen.listings,
      retroVersion: this.#retroVersion,
      rssMb: Math.round(process.memoryUsage().rss / 1048576),
      at: now
    }
    await this.#cmd.hset(workersKey(this.#i.prefix, this.#i.group), this.consumer, JSON.stringify(beat))
  }

  async #housekeep (): Promise<void> {
    const p = this.#i
    // the node: re-attach when its heartbeat is gone (it restarted, or stopped publishing)
    if (await this.#cmd.exists(nodeKey(p.prefix)) === 0) {
      if (++this.#nodeMissing >= 2) {
        this.#log.warn('the node\'s heartbeat is gone from Redis; attaching again')
        this.#attach = await this.#c.node.attach({ redis: p.redis, prefix: p.prefix })
        this.#nodeMissing = 0
      }
    } else this.#nodeMissing = 0
    // dead workers: adopt their listings, then drop them from the group once nothing of theirs is pending
    const beats = await this.#cmd.hgetall(workersKey(p.prefix, p.group))
    const now = Date.now()
    for (const [consumer, json] of Object.entries(beats)) {
      if (consumer === this.consumer) continue
      const b = JSON.parse(json) as WorkerBeat & { adoptedBy?: string }
      if (now - b.at < p.deadAfterMs) continue
      if (b.adoptedBy === undefined) {
        await this.#adopt(consumer, b)
        continue
      }
      const pending = await this.#cmd.xpending(p.input, p.group, '-', '+', 1, consumer) as unknown[]
      if (pending.length === 0) {
        await this.#cmd.xgroup('DELCONSUMER', p.input, p.group, consumer)
        await this.#cmd.hdel(workersKey(p.prefix, p.group), consumer)
        this.#log.info('removed a dead worker from the group', { consumer })
      }
    }
    if (now - this.#lastTrim > 3_600_000) {
      this.#lastTrim = now
      await this.#cmd.xtrim(this.#streams().seen, 'MINID', '~', String(now - p.seenDays * 86_400_000))
    }
  }

  /**
   * Takes over the seen listings of `consumer` (a dead worker, or this one
   * restarted): loads its seen stream, moves it into this worker's, and
   * makes the retroactive decisions for changes after the last one it
   * handled (`beat.retroVersion`) up to this worker's version; later
   * changes find the listings in this worker's seen store.
   */
  async #adopt (consumer: string, beat: (WorkerBeat & { adoptedBy?: string }) | undefined): Promise<void> {
    const p = this.#i
    const self = consumer === this.consumer
    if (!self && await this.#cmd.set(adoptKey(p.prefix, p.group, consumer), this.consumer, 'PX', 120_000, 'NX') !== 'OK') return
    const mine = this.#streams().seen
    if (beat !== undefined && beat.epoch !== this.#epoch) {
      await this.#cmd.del(seenKey(p.prefix, p.group, beat.epoch, consumer))
    } else {
      const theirs = seenKey(p.prefix, p.group, this.#epoch, consumer)
      const batches: SeenBatch[] = []
      let from = '-'
      for (;;) {
        const rows = await this.#cmd.xrangeBuffer(theirs, from, '+', 'COUNT', 100) as Array<[Buffer, Buffer[]]>
        if (rows.length === 0) break
        const move = this.#cmd.multi()
        for (const [idBuf, fields] of rows) {
          const f = fieldMap(fields)
          const data = f.get('d')
          const id = idBuf.toString()
          if (data !== undefined) {
            batches.push(decodeSeen(data, Number(id.split('-')[0]), `seen batch ${id} of ${consumer}`))
            if (!self) move.xadd(mine, '*', 'v', f.get('v') ?? '0-0', 'd', data)
          }
          if (!self) move.xdel(theirs, id)
        }
        if (!self) await move.exec()
        else move.discard()
        from = `(${rows[rows.length - 1][0].toString()}`
      }
      // merge and fix the version in one tick: changes after `upTo` are the tail's, with these listings in the store
      const adopted = new MemorySeenStore()
      for (const b of batches) { adopted.add(b); if (!self) this.#seen.add(b) }
      if (self) this.#seen = adopted
      const upTo = this.#version
      const since = beat?.retroVersion ?? upTo
      if (adopted.listings > 0 && compareIds(since, upTo) < 0) await this.#replay(since, upTo, adopted, consumer)
      if (!self) await this.#cmd.del(theirs)
      if (adopted.listings > 0) this.#log.info(self ? 'seen listings of this worker restored' : 'adopted the seen listings of a dead worker', { consumer, listings: adopted.listings, since, upTo })
    }
    if (!self && beat !== undefined) await this.#cmd.hset(workersKey(p.prefix, p.group), consumer, JSON.stringify({ ...beat, adoptedBy: this.consumer }))
  }

  /** Retroactive decisions of the changes in (since, upTo] for `seen`. */
  async #replay (since: string, upTo: string, seen: MemorySeenStore, consumer: string): Promise<void> {
    const key = changesKey(this.#i.prefix)
    const info = await this.#cmd.xinfo('STREAM', key) as unknown[]
    const maxDeleted = String(info[info.indexOf('max-deleted-entry-id') + 1] ?? '0-0')
    if (compareIds(maxDeleted, since) > 0) this.#log.warn('changes since the adopted worker\'s last retroactive decisions were trimmed; some of its listings may miss theirs', { consumer, since, maxDeleted })
    let from = `(${since}`
    for (;;) {
      const rows = await this.#cmd.xrangeBuffer(key, from, upTo, 'COUNT', 100) as Array<[Buffer, Buffer[]]>
      if (rows.length === 0) return
      for (const [idBuf, fields] of rows) {
        const f = fieldMap(fields)
        const data = f.get('data')
        if (f.get('type')?.toString() !== 'changes' || data === undefined) continue
        const id = idBuf.toString()
        const out: RetroOut[] = []
        for (const rec of decodeBlocklist(data, `change ${id}`)) out.push(...retroDecisions(id, rec, seen, this.#i.policy))
        if (out.length > 0) await this.#commitRetro(id, out)
      }
      from = `(${rows[rows.length - 1][0].toString()}`
    }
  }
}

