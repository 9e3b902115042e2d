/**
 * A worker's reads from Redis streams, as plain functions of a client
 * (new listing entries for its group are read at the RESP level: resp.ts,
 * stream-batch.ts): entries idle on other
 * consumers (XAUTOCLAIM, with the delivery counts that send an entry to the
 * dead letters), the blocklist change stream (XREAD), and whole streams
 * page by page (XRANGE). Replies stay Buffers: listing values go to the
 * matcher as bytes.
 */
import type { DeadEntry } from './entry.js'
import type { Redis } from './redis.js'

/** A stream entry as read: id and its flat [name, value, …] fields. */
export interface RawEntry { id: string, fields: Buffer[] }

/** Flat [k, v, k, v] Buffers → map of strings and buffers. */
export function fieldMap (fields: Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>()
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i].toString('latin1'), fields[i + 1])
  return m
}

export interface GroupRead { input: string, group: string, consumer: string, batch: number, blockMs: number }

export interface Claim extends GroupRead { claimIdleMs: number, maxDeliveries: number }

/**
 * Entries idle longer than claimIdle on any consumer (their worker died or
 * hangs), from `cursor` on: the ones to decide, and the dead letters
 * (deleted from the stream meanwhile, or delivered too often).
 */
export async function claimIdle (r: Redis, c: Claim, cursor: string): Promise<{ cursor: string, entries: RawEntry[], dead: DeadEntry[], claimed: number }> {
  const res = await r.callBuffer('XAUTOCLAIM', c.input, c.group, c.consumer, c.claimIdleMs, cursor, 'COUNT', c.batch) as [Buffer, Array<[Buffer, Buffer[] | null]>, Buffer[]?]
  const next = res[0].toString()
  const dead: DeadEntry[] = (res[2] ?? []).map(id => ({ id: id.toString(), reason: 'trimmed' as const }))
  const entries: RawEntry[] = []
  for (const [id, fields] of res[1]) {
    if (fields === null) dead.push({ id: id.toString(), reason: 'trimmed' })
    else entries.push({ id: id.toString(), fields })
  }
  if (entries.length === 0) return { cursor: next, entries, dead, claimed: 0 }
  const pending = await r.xpending(c.input, c.group, entries[0].id, entries[entries.length - 1].id, entries.length, c.consumer) as Array<[string, string, number, number]>
  const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n)]))
  const keep = entries.filter(e => {
    if ((deliveries.get(e.id) ?? 0) <= c.maxDeliveries) return true
    dead.push({ id: e.id, reason: 'too_many_deliveries' })
    return false
  })
  return { cursor: next, entries: keep, dead, claimed: entries.length }
}

/** Entries of `key` after `after` (up to `count`, waiting up to blockMs), or null when none came. */
export async function readAfter (r: Redis, key: string, after: string, count: number, blockMs: number): Promise<Array<{ id: string, f: Map<string, Buffer> }> | null> {
  const res = await r.callBuffer('XREAD', 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, after) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
  if (res === null) return null
  return res[0][1].map(([id, fields]) => ({ id: id.toString(), f: fieldMap(fields) }))
}

/** Every entry of `key` in (from, to], 100 at a time. `from` '-' is the start. */
export async function * rangePages (r: Redis, key: string, from: string, to = '+'): AsyncGenerator<Array<{ id: string, f: Map<string, Buffer> }>> {
  let start = from === '-' ? '-' : `(${from}`
  for (;;) {
    const rows = await r.xrangeBuffer(key, start, to, 'COUNT', 100) as Array<[Buffer, Buffer[]]>
    if (rows.length === 0) return
    yield rows.map(([id, fields]) => ({ id: id.toString(), f: fieldMap(fields) }))
    start = `(${rows[rows.length - 1][0].toString()}`
  }
}

/** The newest id deleted from a stream (MAXLEN/XDEL): changes up to it are gone. */
export async function maxDeletedId (r: Redis, key: string): Promise<string> {
  const info = await r.xinfo('STREAM', key) as unknown[]
  return String(info[info.indexOf('max-deleted-entry-id') + 1] ?? '0-0')
}
