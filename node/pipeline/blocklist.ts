/**
 * A worker's copy of the blocklist: built from the snapshot the node
 * published (publisher.ts), then kept current by the change stream.
 */
import { BlocklistIndex } from '../match/index.js'
import { decodeBlocklist, type BlocklistRecord } from './codec.js'
import { SnapshotUnavailableError } from './errors.js'
import { blocklistMetaKey, snapshotChunkKey } from './keys.js'
import type { Redis } from './redis.js'

export interface SnapshotRef {
  snapshot: string
  chunks: number
  /** The change-stream id the snapshot covers. */
  version: string
  epoch: number
}

/** The snapshot `<p>:bl:meta` names now (SnapshotUnavailableError when the node has published none). */
export async function currentSnapshot (r: Redis, prefix: string): Promise<SnapshotRef> {
  const m = await r.hgetall(blocklistMetaKey(prefix))
  if (m.snapshot === undefined || m.version === undefined || m.epoch === undefined || m.chunks === undefined) {
    throw new SnapshotUnavailableError(`no blocklist published under prefix ${prefix} yet (the node publishes one when a worker attaches)`)
  }
  return { snapshot: m.snapshot, chunks: Number(m.chunks), version: m.version, epoch: Number(m.epoch) }
}

/** Builds an index from a snapshot's chunks; SnapshotUnavailableError when a chunk is gone (a newer snapshot replaced it long ago). */
export async function loadSnapshot (r: Redis, prefix: string, ref: SnapshotRef): Promise<{ index: BlocklistIndex, entries: number }> {
  const records: BlocklistRecord[][] = []
  let entries = 0
  for (let i = 0; i < ref.chunks; i++) {
    const buf = await r.getBuffer(snapshotChunkKey(prefix, ref.snapshot, i))
    if (buf === null) throw new SnapshotUnavailableError(`chunk ${i} of snapshot ${ref.snapshot} is gone`)
    const part = decodeBlocklist(buf, `snapshot ${ref.snapshot} chunk ${i}`)
    entries += part.length
    records.push(part)
  }
  const index = BlocklistIndex.fromExplanations((function * () { for (const part of records) yield * part })(), { initialCapacity: Math.max(1024, entries) })
  return { index, entries }
}
