/**
 * Workers that died, and a worker restarted under its own name: their
 * seen listings (what they decided, kept in Redis per worker) are taken
 * over by a live worker, which also makes the retroactive decisions they
 * still owed, so a listing decided by a worker that died still gets its
 * retroactive decision. A dead worker is dropped from the group once
 * nothing of its is pending (its entries are claimed by XAUTOCLAIM in the
 * main loop, stream-io.ts).
 */
import type { ComponentLogger } from '../logger.js'
import { MemorySeenStore } from '../match/index.js'
import { adoptKey, changesKey, seenKey, workersKey } from './keys.js'
import type { Redis } from './redis.js'
import { retroDecisions, type RetroOut } from './retro.js'
import { changesBetween, takeSeenStream } from './seen-streams.js'
import type { WorkerBeat } from './status.js'
import { maxDeletedId } from './stream-io.js'
import { compareIds } from './stream-id.js'
import type { WorkerOptions } from './worker-init.js'

/** The worker as adoption sees it (current values, read when needed). */
export interface AdoptionHost {
  readonly redis: Redis
  readonly opts: WorkerOptions
  readonly consumer: string
  readonly epoch: number
  /** The blocklist version (change-stream id) applied. */
  readonly version: string
  /** The worker's seen store (replaced when a worker restores its own). */
  seen: MemorySeenStore
  /** The worker's own seen stream. */
  readonly seenStream: string
  commitRetro: (version: string, out: RetroOut[]) => Promise<void>
  readonly log: ComponentLogger
}

export type Beat = WorkerBeat & { adoptedBy?: string }

/**
 * Takes over the seen listings of `consumer` (a dead worker, or this one
 * restarted): loads its seen stream, moves it into this worker's, and
 * makes the retroactive decisions for changes after the last one it
 * handled (`beat.retroVersion`) up to this worker's version; later
 * changes find the listings in this worker's seen store.
 */
export async function adopt (h: AdoptionHost, consumer: string, beat: Beat | undefined): Promise<void> {
  const p = h.opts
  const r = h.redis
  const self = consumer === h.consumer
  if (!self && await r.set(adoptKey(p.prefix, p.group, consumer), h.consumer, 'PX', 120_000, 'NX') !== 'OK') return
  const mine = h.seenStream
  if (beat !== undefined && beat.epoch !== h.epoch) {
    await r.del(seenKey(p.prefix, p.group, beat.epoch, consumer))
  } else {
    const theirs = seenKey(p.prefix, p.group, h.epoch, consumer)
    const batches = await takeSeenStream(r, theirs, self ? undefined : mine, consumer)
    // merge and fix the version in one tick: changes after `upTo` are the tail's, with these listings in the store
    const adopted = new MemorySeenStore()
    for (const b of batches) { adopted.add(b); if (!self) h.seen.add(b) }
    if (self) h.seen = adopted
    const upTo = h.version
    const since = beat?.retroVersion ?? upTo
    if (adopted.listings > 0 && compareIds(since, upTo) < 0) await replay(h, since, upTo, adopted, consumer)
    if (!self) await r.del(theirs)
    if (adopted.listings > 0) h.log.info(self ? 'seen listings of this worker restored' : 'adopted the seen listings of a dead worker', { consumer, listings: adopted.listings, since, upTo })
  }
  if (!self && beat !== undefined) await r.hset(workersKey(p.prefix, p.group), consumer, JSON.stringify({ ...beat, adoptedBy: h.consumer }))
}

/** Retroactive decisions of the changes in (since, upTo] for `seen`. */
async function replay (h: AdoptionHost, since: string, upTo: string, seen: MemorySeenStore, consumer: string): Promise<void> {
  const key = changesKey(h.opts.prefix)
  const maxDeleted = await maxDeletedId(h.redis, key)
  if (compareIds(maxDeleted, since) > 0) h.log.warn('changes since the adopted worker\'s last retroactive decisions were trimmed; some of its listings may miss theirs', { consumer, since, maxDeleted })
  for await (const { id, records } of changesBetween(h.redis, h.opts.prefix, since, upTo)) {
    const out: RetroOut[] = []
    for (const rec of records) out.push(...retroDecisions(id, rec, seen, h.opts.policy))
    if (out.length > 0) await h.commitRetro(id, out)
  }
}

/** Dead workers of the group (no heartbeat for deadAfter): adopt their listings, then drop them from the group once nothing of theirs is pending. */
export async function sweepDeadWorkers (h: AdoptionHost, now: number): Promise<void> {
  const p = h.opts
  const r = h.redis
  const beats = await r.hgetall(workersKey(p.prefix, p.group))
  for (const [consumer, json] of Object.entries(beats)) {
    if (consumer === h.consumer) continue
    const b = JSON.parse(json) as Beat
    if (now - b.at < p.deadAfterMs) continue
    if (b.adoptedBy === undefined) {
      await adopt(h, consumer, b)
      continue
    }
    const pending = await r.xpending(p.input, p.group, '-', '+', 1, consumer) as unknown[]
    if (pending.length === 0) {
      await r.xgroup('DELCONSUMER', p.input, p.group, consumer)
      await r.hdel(workersKey(p.prefix, p.group), consumer)
      h.log.info('removed a dead worker from the group', { consumer })
    }
  }
}
