/**
 * A pipeline worker's blocklist: the index and matcher core it decides
 * with, at a blocklist version (change-stream id) and fingerprint epoch,
 * and the listings it remembers under that epoch for retroactive
 * decisions. Kept current by following the change stream: each change
 * batch applied to the index in one write, retroactive decisions made for
 * the remembered listings, reload markers (a key rotation's cut-over, a
 * publisher gap) followed by loading the named snapshot. A new epoch means
 * a new index, a fresh value cache and a new seen stream.
 *
 * Apart from worker.ts because it is the worker's one piece of state that
 * changes under the listing loop: the loop reads it (batch.ts reads it
 * afresh after every wait), the tail loop and adoption (adoption.ts, for
 * which this is the host) change it.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { CountryCode } from 'libphonenumber-js'
import type { ComponentLogger } from '../logger.js'
import { type BlocklistIndex, MemorySeenStore } from '../match/index.js'
import { MatchCore } from '../match/core.js'
import { LookupTable } from '../match/fp-lookup.js'
import type { AdoptionHost } from './adoption.js'
import { currentSnapshot, loadSnapshot, type SnapshotRef } from './blocklist.js'
import { decodeBlocklist } from './codec.js'
import { commitBatch, type CommitStreams } from './commit.js'
import { SnapshotUnavailableError } from './errors.js'
import { changesKey, DEAD_MAXLEN, deadKeyOf, seenKey } from './keys.js'
import type { PipelineAttachResult } from './node-service.js'
import type { Redis } from './redis.js'
import { retroDecisions, retroFromReload, type RetroOut } from './retro.js'
import { maxDeletedId, readAfter } from './stream-io.js'
import { compareIds } from './stream-id.js'
import type { WorkerOptions } from './worker-init.js'

/** The worker as its blocklist sees it (current values, read when needed). */
export interface BlocklistHost {
  /** The command connection. */
  readonly redis: Redis
  /** The connection that blocks on the change stream. */
  readonly tail: Redis
  /** The node's answer to the last attach (its default country). */
  readonly attach: PipelineAttachResult
  readonly running: boolean
  /** The worker's counters (worker-heartbeat.ts WorkerStats): retroactive decisions written are counted here. */
  readonly stats: { retroactive: number }
  readonly log: ComponentLogger
}

export class WorkerBlocklist implements AdoptionHost {
  readonly opts: WorkerOptions
  readonly #h: BlocklistHost
  #index!: BlocklistIndex
  #core!: MatchCore
  #version = '0-0'
  #epoch = -1
  #retroVersion = '0-0'
  #seen = new MemorySeenStore()
  #reloading: Promise<void> | undefined

  constructor (opts: WorkerOptions, host: BlocklistHost) {
    this.opts = opts
    this.#h = host
  }

  get redis (): Redis { return this.#h.redis }
  get consumer (): string { return this.opts.consumer }
  get log (): ComponentLogger { return this.#h.log }
  get index (): BlocklistIndex { return this.#index }
  get core (): MatchCore { return this.#core }
  /** The blocklist version (change-stream id) applied. */
  get version (): string { return this.#version }
  get epoch (): number { return this.#epoch }
  /** The newest change whose retroactive decisions this worker has written. */
  get retroVersion (): string { return this.#retroVersion }
  /** A reload in progress, if any. */
  get reloading (): Promise<void> | undefined { return this.#reloading }
  /** Listings remembered for retroactive decisions (replaced when adoption restores the worker's own). */
  get seen (): MemorySeenStore { return this.#seen }
  set seen (s: MemorySeenStore) { this.#seen = s }
  /** The worker's seen stream under the current epoch. */
  get seenStream (): string { return this.streams().seen }

  streams (): CommitStreams {
    const p = this.opts
    return { input: p.input, output: p.output, dead: deadKeyOf(p.output), seen: seenKey(p.prefix, p.group, this.#epoch, this.consumer) }
  }

  /**
   * Loads a snapshot as this worker's index (and, if its epoch differs, a
   * new epoch: fresh value cache, new seen stream). `retro`: make the
   * retroactive decisions the changes folded into the snapshot imply, by
   * comparing the old index with the new one.
   */
  async reload (ref: SnapshotRef, retro: boolean): Promise<void> {
    const run = (async () => {
      let loaded: Awaited<ReturnType<typeof loadSnapshot>> | undefined
      for (let attempt = 0; loaded === undefined; attempt++) {
        try {
          loaded = await loadSnapshot(this.redis, this.opts.prefix, ref)
        } catch (err) {
          if (!(err instanceof SnapshotUnavailableError) || attempt >= 5) throw err
          ref = await currentSnapshot(this.redis, this.opts.prefix) // replaced meanwhile: take the newest
        }
      }
      const old = this.#index
      const epochChanged = ref.epoch !== this.#epoch
      if (epochChanged && this.#epoch >= 0) {
        this.log.info('fingerprint epoch changed: new index, fresh caches; listings remembered under the old epoch need a rescan', { from: this.#epoch, to: ref.epoch, listingsToRescan: this.#seen.listings })
        await this.redis.del(this.streams().seen)
        this.#seen = new MemorySeenStore()
      }
      const retroOut: RetroOut[] = []
      if (retro && !epochChanged && old !== undefined && this.#seen.listings > 0) {
        retroOut.push(...retroFromReload(ref.version, old, loaded.index, this.#seen, this.opts.policy))
      }
      this.#index = loaded.index
      this.#epoch = ref.epoch
      this.#version = ref.version
      this.#core = new MatchCore({
        // no key here: fingerprints come from the node (batch.ts feeds them to the core), never from the core itself
        suite: new LookupTable(0),
        index: loaded.index,
        policy: this.opts.policy,
        defaultCountry: (this.#h.attach.defaultCountry ?? undefined) as CountryCode | undefined,
        cacheBytes: this.opts.cacheBytes
      })
      this.#core.collectSeen = true
      if (retroOut.length > 0) await this.commitRetro(ref.version, retroOut)
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
  async tailStep (): Promise<void> {
    const p = this.opts
    const before = this.#version
    const res = await readAfter(this.#h.tail, changesKey(p.prefix), before, 100, p.blockMs)
    if (res === null || !this.#h.running) return
    await this.#reloading
    for (const { id, f } of res) {
      if (compareIds(id, this.#version) <= 0) continue // a reload meanwhile moved past it
      const type = f.get('type')?.toString()
      if (type === 'reload') {
        await this.reload({ snapshot: String(f.get('snapshot')), chunks: Number(String(f.get('chunks'))), version: id, epoch: Number(String(f.get('epoch'))) }, true)
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
      if (retro.length > 0) await this.commitRetro(id, retro)
      this.#retroVersion = id
    }
    // entries trimmed away between `before` and what we read: the changes are lost, the snapshot is not
    const maxDeleted = await maxDeletedId(this.redis, changesKey(p.prefix))
    if (compareIds(maxDeleted, before) > 0 && before !== '0-0') {
      this.log.warn('the change stream was trimmed past this worker\'s version; reloading the snapshot', { version: before, maxDeleted })
      await this.reload(await currentSnapshot(this.redis, p.prefix), true)
    }
  }

  async commitRetro (version: string, out: RetroOut[]): Promise<void> {
    const p = this.opts
    for (let i = 0; i < out.length; i += 1000) {
      const part = out.slice(i, i + 1000)
      await commitBatch(this.redis, { ...this.streams(), seen: '' }, {
        group: p.group, consumer: this.consumer, outMaxLen: p.outMaxLen, deadMaxLen: DEAD_MAXLEN, version, epoch: this.#epoch, cause: 'retroactive', decisions: part, dead: [], ack: []
      })
      this.#h.stats.retroactive += part.length
    }
  }

  /** After the node refused an epoch (its key was just destroyed): until this worker runs the new one. */
  async awaitNewEpoch (): Promise<void> {
    const from = this.#epoch
    for (let i = 0; i < 100 && this.#h.running && this.#epoch === from; i++) {
      await this.#reloading
      if (this.#epoch !== from) return
      const ref = await currentSnapshot(this.redis, this.opts.prefix)
      if (ref.epoch !== from) { await this.reload(ref, false); return }
      await sleep(200)
    }
  }
}
