/**
 * Deciding a batch of listing entries, each value looked up once: a pass
 * over the batch probes every value in the worker's own value cache
 * (`MatchCore.probeCached`) and decides each listing whose values were all
 * known; the values nobody in this worker knew are resolved together
 * (resolver.ts: the shared cache by raw key, canonicalising, the shared
 * cache by canonical key, the node), then the listings that waited are
 * decided with those answers (`MatchCore.probeResolved`, which caches
 * them). A listing is decided again only in the rare case a value it
 * found in the first pass was evicted meanwhile.
 *
 * Deciding and remembering happen against one blocklist version: if the
 * tail applied a change (or a reload replaced the index, or the epoch
 * changed) while the batch waited for Redis or the node, the whole batch
 * is decided again, and `remember` (the seen store) is called in the same
 * tick as the last decision, so every change is either seen by a decision
 * or applied after the listings are remembered.
 */
import type { ComponentLogger } from '../logger.js'
import { COLUMN_PROBES, IDENTIFIER_COLUMNS } from '../match/columns.js'
import type { MatchCore } from '../match/core.js'
import { SeenBatchBuilder } from './codec.js'
import { finishEntry, type DecisionOut } from './decide.js'
import type { DeadEntry, ListingEntry } from './entry.js'
import { BatchResolver, valueKey, type FingerprintSource, type ResolverInit, type ResolveStats } from './resolver.js'
import type { Redis } from './redis.js'

/** The worker as a batch sees it: its current matcher state, read afresh after every wait. */
export interface BatchHost {
  readonly core: MatchCore
  /** The blocklist version (change-stream id) applied. */
  readonly version: string
  readonly epoch: number
  /** A reload in progress, if any. */
  readonly reloading: Promise<void> | undefined
  resolverInit: (epoch: number) => ResolverInit
  /** After the node refused an epoch (its key was just destroyed): until the worker runs the new one. */
  awaitNewEpoch: () => Promise<void>
  redis: Redis
  node: FingerprintSource
  stats: ResolveStats
  log: ComponentLogger
}

export interface DecidedBatch {
  decisions: DecisionOut[]
  /** Listings whose decision threw (a bug): dead letters with reason internal_error. */
  failed: DeadEntry[]
  seen: SeenBatchBuilder
  /** The blocklist version and epoch every decision was made at. */
  version: string
  epoch: number
}

const NCOLS = IDENTIFIER_COLUMNS.length

/** Probes every value of `e`: the number the value cache answered, or -1 when some value is not known yet (it is then wanted by `resolver`). */
function probeAll (core: MatchCore, e: ListingEntry, resolver: BatchResolver): number {
  core.begin()
  let hits = 0
  let missing = false
  const cache = core.cache
  const { buf, cols, at } = e
  for (let c = 0; c < NCOLS; c++) {
    const s = cols[at + 2 * c]
    if (s < 0) continue
    const end = cols[at + 2 * c + 1]
    if (end === s) continue
    const fh = cache.fieldHash(buf, s, end) // once for every probe of the column
    const probes = COLUMN_PROBES[c]
    for (let k = 0; k < probes.length; k++) {
      const p = probes[k].id
      if (core.probeCached(p, buf, s, end, fh)) { hits++; continue }
      const key = valueKey(p, buf, s, end)
      const r = resolver.known.get(key)
      if (r !== undefined) core.probeResolved(p, buf, s, end, fh, r.fp, 0, r.why)
      else { resolver.want(key, p, buf.subarray(s, end)); missing = true }
    }
  }
  return missing ? -1 : hits
}

/**
 * Decides `listings`; calls `remember` with the batch's seen listings in
 * the tick of the last decision. Throws what Redis or the node threw
 * (nothing was acknowledged: the batch is retried).
 */
export async function decideListings (listings: readonly ListingEntry[], host: BatchHost, remember: (d: DecidedBatch) => void): Promise<DecidedBatch> {
  let resolver: BatchResolver | undefined
  let out!: DecidedBatch
  let core!: MatchCore
  let indexVersion = 0
  let todo: readonly ListingEntry[] = []
  const begin = (): void => {
    core = host.core
    indexVersion = core.index.version
    out = { decisions: [], failed: [], seen: new SeenBatchBuilder(listings.length), version: host.version, epoch: host.epoch }
    if (resolver?.epoch !== out.epoch) resolver = new BatchResolver(host.resolverInit(out.epoch), host.redis, host.node, host.stats)
    todo = listings
  }
  begin()
  for (;;) {
    const r = resolver as BatchResolver
    const waiting: ListingEntry[] = []
    for (const e of todo) {
      try {
        const hits = probeAll(core, e, r)
        if (hits < 0) { waiting.push(e); continue }
        host.stats.local += hits
        out.decisions.push(finishEntry(core, e, out.seen))
      } catch (err) {
        host.log.error('deciding a listing entry failed; dead-lettered', { entry: e.id, error: (err as Error).message })
        out.failed.push({ id: e.id, reason: 'internal_error', listingId: e.listingId })
      }
    }
    if (waiting.length === 0) {
      remember(out)
      return out
    }
    try {
      await r.resolve()
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'epoch_key_unavailable') throw err
      // the node cut over: the reload marker is on its way; wait for the new epoch, then decide again
      await host.awaitNewEpoch()
    }
    await host.reloading
    if (host.core !== core || host.epoch !== out.epoch || host.version !== out.version || core.index.version !== indexVersion) begin()
    else todo = waiting
  }
}
