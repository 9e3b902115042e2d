/**
 * What `alliance pipeline status` and the node's /metrics report, read
 * from Redis alone: per consumer group its lag (entries not yet delivered),
 * pending entries, dead letters, decisions written, and per worker its
 * heartbeat (blocklist version and epoch, decisions/s, RSS).
 */
import { hostname } from 'node:os'
import { blocklistMetaKey, deadKeyOf, groupsKey, nodeKey, workersKey } from './keys.js'
import type { Redis } from './redis.js'

/** A worker's heartbeat (written every second to `<p>:workers:<group>`). */
export interface WorkerBeat {
  consumer: string
  host: string
  pid: number
  /** Blocklist version (change-stream id) and epoch the worker decides with. */
  version: string
  epoch: number
  /** Listings decided since the worker started, and per second over the last ~10 s. */
  decided: number
  perSecond: number
  deadLetters: number
  retroactive: number
  /** Listings this worker remembers for retroactive decisions (its own and adopted ones). */
  seenListings: number
  /** The newest change whose retroactive decisions this worker has written. */
  retroVersion: string
  rssMb: number
  /** ms since the epoch. */
  at: number
}

/** This process's heartbeat as a worker writes it. */
export function workerBeat (consumer: string, now: number, stats: { decided: number, deadLetters: number, retroactive: number }, perSecond: number,
  state: Pick<WorkerBeat, 'version' | 'epoch' | 'seenListings' | 'retroVersion'>): WorkerBeat {
  return {
    consumer,
    host: hostname(),
    pid: process.pid,
    version: state.version,
    epoch: state.epoch,
    decided: stats.decided,
    perSecond,
    deadLetters: stats.deadLetters,
    retroactive: stats.retroactive,
    seenListings: state.seenListings,
    retroVersion: state.retroVersion,
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
    at: now
  }
}

export interface GroupStats {
  input: string
  group: string
  output: string
  /** Entries not yet delivered to the group (Redis 7 XINFO `lag`; null when Redis cannot tell). */
  lag: number | null
  pending: number
  deadLetters: number
  decisions: number
  workers: Array<WorkerBeat & { alive: boolean }>
}

export interface PipelineStatus {
  prefix: string
  /** The node's heartbeat; null when no node publishes. */
  node: { epoch: number, version: string, snapshot: string, at: number } | null
  blocklist: { snapshot: string, version: string, epoch: number, entries: number } | null
  groups: GroupStats[]
}

/** A heartbeat older than this is a dead worker (ms). */
export const DEAD_AFTER_MS = 15_000

function pairs (flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1]
  return o
}

export async function readGroupStats (r: Redis, prefix: string, now = Date.now()): Promise<GroupStats[]> {
  const out: GroupStats[] = []
  for (const member of (await r.smembers(groupsKey(prefix))).sort()) {
    const [input, group, output] = member.split('\n')
    if (input === undefined || group === undefined || output === undefined) continue
    let lag: number | null = null
    let pending = 0
    try {
      const groups = await r.xinfo('GROUPS', input) as unknown[][]
      const g = groups.map(pairs).find(x => x.name === group)
      if (g !== undefined) {
        pending = Number(g.pending ?? 0)
        lag = g.lag === null || g.lag === undefined ? null : Number(g.lag)
      }
    } catch {
      // the stream does not exist (yet)
    }
    const beats = await r.hgetall(workersKey(prefix, group))
    const workers = Object.values(beats).map(v => {
      const b = JSON.parse(v) as WorkerBeat
      return { ...b, alive: now - b.at < DEAD_AFTER_MS }
    }).sort((a, b) => a.consumer.localeCompare(b.consumer))
    const [deadLetters, decisions] = await Promise.all([r.xlen(deadKeyOf(output)), r.xlen(output)])
    out.push({ input, group, output, lag, pending, deadLetters, decisions, workers })
  }
  return out
}

export async function readPipelineStatus (r: Redis, prefix: string): Promise<PipelineStatus> {
  const [nodeBeat, meta] = await Promise.all([r.get(nodeKey(prefix)), r.hgetall(blocklistMetaKey(prefix))])
  const n = nodeBeat !== null ? JSON.parse(nodeBeat) as { epoch: number, version: string, snapshot: string, at: number } : null
  return {
    prefix,
    node: n !== null ? { epoch: n.epoch, version: n.version, snapshot: n.snapshot, at: n.at } : null,
    blocklist: meta.snapshot !== undefined ? { snapshot: meta.snapshot, version: meta.version, epoch: Number(meta.epoch), entries: Number(meta.entries) } : null,
    groups: await readGroupStats(r, prefix)
  }
}
