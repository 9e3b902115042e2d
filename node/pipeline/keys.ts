/**
 * Where the pipeline keeps things in Redis: every key name in one place,
 * and the limits that bound what it writes.
 *
 * Written by the platform's node (the publisher):
 *   <p>:bl:meta                  hash: snapshot id, version, epoch, chunks, entries
 *   <p>:bl:snap:<id>:<i>         snapshot chunk i (binary, codec.ts)
 *   <p>:bl:changes               stream of change batches and epoch markers (MAXLEN ~)
 *   <p>:node                     the node's heartbeat (expires: a missing key means no publisher)
 * Written by workers:
 *   <p>:fpc:<epoch>:<16 B>       fingerprint cache: keyed hash of a canonical value → fingerprint (TTL)
 *   <p>:fpr:<epoch>:<16 B>       fingerprint cache: keyed hash of a raw cell text and its kind → fingerprint, or the name of why it is invalid (TTL)
 *   <p>:seen:<group>:<epoch>:<consumer>   stream of seen batches (what the consumer decided; for retroactive decisions)
 *   <p>:workers:<group>          hash: consumer → heartbeat JSON (version, epoch, rates, RSS)
 *   <p>:group:<group>            hash: the group's policy and streams
 *   <p>:groups                   set of "<in>\n<group>" (what the node reports in /metrics)
 *   <p>:adopt:<group>:<consumer> lock while a live worker adopts a dead one's seen listings
 * The platform's own streams: listings in (`--in`), decisions out (`--out`),
 * dead letters (`<out>:dead`).
 *
 * Every key of one pipeline lives on one Redis: the commit of a batch is
 * one Lua script over the input, output, dead-letter and seen streams. To
 * shard, run one Redis per shard (each with its own listings stream and
 * workers) and attach the node to each (README "Platform pipeline").
 */

/** Snapshot entries per chunk (a chunk is ~64 B per entry: ~4 MB). */
export const SNAPSHOT_CHUNK_ENTRIES = 65_536
/** Updates per change-stream entry (the status bus can deliver 100,000 at once after a bulk segment). */
export const CHANGE_BATCH = 1000
/** The change stream keeps about this many entries; the node re-publishes its snapshot well before a worker could need a trimmed one. */
export const CHANGES_MAXLEN = 10_000
/** Snapshot again after this many change entries since the last snapshot (half the stream). */
export const SNAPSHOT_EVERY_CHANGES = CHANGES_MAXLEN / 2
/** A replaced snapshot's chunks live this long, so a worker loading it can finish. */
export const OLD_SNAPSHOT_TTL_S = 300
/** The node's heartbeat key expires after this long without a refresh. */
export const NODE_HEARTBEAT_TTL_MS = 5000
/** A listing entry larger than this (all fields) is dead-lettered: no identifier is that long. */
export const MAX_ENTRY_BYTES = 64 * 1024
/** Items in one fingerprint request to the node (its body limit allows ~1 MiB). */
export const MAX_FINGERPRINT_ITEMS = 5000
/** Dead-letter stream length (MAXLEN ~). */
export const DEAD_MAXLEN = 1_000_000

export const blocklistMetaKey = (p: string): string => `${p}:bl:meta`
export const snapshotChunkKey = (p: string, id: string, i: number): string => `${p}:bl:snap:${id}:${i}`
export const changesKey = (p: string): string => `${p}:bl:changes`
export const nodeKey = (p: string): string => `${p}:node`
export const fpCachePrefix = (p: string, epoch: number): string => `${p}:fpc:${epoch}:`
export const fpRawCachePrefix = (p: string, epoch: number): string => `${p}:fpr:${epoch}:`
export const seenKey = (p: string, group: string, epoch: number, consumer: string): string => `${p}:seen:${group}:${epoch}:${consumer}`
export const workersKey = (p: string, group: string): string => `${p}:workers:${group}`
export const groupKey = (p: string, group: string): string => `${p}:group:${group}`
export const groupsKey = (p: string): string => `${p}:groups`
export const adoptKey = (p: string, group: string, consumer: string): string => `${p}:adopt:${group}:${consumer}`
export const deadKeyOf = (out: string): string => `${out}:dead`

const NAME = /^[A-Za-z0-9{][A-Za-z0-9._:\-{}]{0,127}$/
const PART = /^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$/
/** Whether a prefix or stream name is safe to put in key names and logs (letters, digits, `._:-{}`). */
export function isStreamName (s: string): boolean {
  return NAME.test(s)
}
/** Whether a group or consumer name is safe as one segment of a key name (no `:`). */
export function isNamePart (s: string): boolean {
  return PART.test(s)
}
