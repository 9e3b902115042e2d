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

/**
 * Builds an index from a snapshot's chunks; SnapshotUnavailableError when a
 * chunk is gone (a newer snapshot replaced it long ago). Every chunk is
 * fetched first (a replaced snapshot is then noticed before any work), then
 * decoded one at a time into the index: a 1,000,000-entry snapshot is ~64 MB
 * of chunks, where its records decoded at once are several hundred MB of
 * objects for the collector to walk while the worker decides.
 */
export async function loadSnapshot (r: Redis, prefix: string, ref: SnapshotRef): Promise<{ index: BlocklistIndex, entries: number }> {
  const chunks: Buffer[] = []
  let entries = 0
  for (let i = 0; i < ref.chunks; i++) {
    const buf = await r.getBuffer(snapshotChunkKey(prefix, ref.snapshot, i))
    if (buf === null) throw new SnapshotUnavailableError(`chunk ${i} of snapshot ${ref.snapshot} is gone`)
    // the count in the chunk's header, no more than its bytes can hold (decodeBlocklist checks it): the index's initial size
    entries += buf.length >= 5 ? Math.min(buf.readUInt32LE(1), Math.floor(buf.length / MIN_ENTRY_BYTES)) : 0
    chunks.push(buf)
  }
  let n = 0
  const records = function * (): Generator<BlocklistRecord> {
    for (let i = 0; i < chunks.length; i++) {
      const part = decodeBlocklist(chunks[i], `snapshot ${ref.snapshot} chunk ${i}`)
      chunks[i] = EMPTY
      n += part.length
      yield * part
    }
  }
  const index = BlocklistIndex.fromExplanations(records(), { initialCapacity: Math.max(1024, entries) })
  return { index, entries: n }
}

const EMPTY = Buffer.alloc(0)
/** The fewest bytes an entry of a blocklist batch takes (codec.ts: fingerprint, codes, counts, expiry). */
const MIN_ENTRY_BYTES = 32 + 3 + 6 + 8 + 2
