/**
 * Reading what a worker keeps in Redis for retroactive decisions: a
 * worker's seen stream (the listings it decided, one entry per batch) and
 * the blocklist changes between two versions. Used when a worker adopts a
 * dead one's listings, or restores its own after a restart.
 */
import type { SeenBatch } from '../match/index.js'
import { decodeBlocklist, decodeSeen, type BlocklistRecord } from './codec.js'
import { changesKey } from './keys.js'
import type { Redis } from './redis.js'
import { rangePages } from './stream-io.js'

/**
 * Every batch of the seen stream `theirs`, decoded. With `moveTo`, each page
 * is also moved there (XADD to moveTo, XDEL from theirs, in one MULTI), so a
 * worker killed while adopting leaves every batch in one of the two streams.
 */
export async function takeSeenStream (r: Redis, theirs: string, moveTo: string | undefined, consumer: string): Promise<SeenBatch[]> {
  const batches: SeenBatch[] = []
  for await (const rows of rangePages(r, theirs, '-')) {
    const move = moveTo !== undefined ? r.multi() : undefined
    for (const { id, f } of rows) {
      const data = f.get('d')
      if (data !== undefined) {
        batches.push(decodeSeen(data, Number(id.split('-')[0]), `seen batch ${id} of ${consumer}`))
        move?.xadd(moveTo as string, '*', 'v', f.get('v') ?? '0-0', 'd', data)
      }
      move?.xdel(theirs, id)
    }
    if (move !== undefined) await move.exec()
  }
  return batches
}

/** The change batches of the blocklist change stream in (since, upTo], in order (reload markers skipped). */
export async function * changesBetween (r: Redis, prefix: string, since: string, upTo: string): AsyncGenerator<{ id: string, records: BlocklistRecord[] }> {
  for await (const rows of rangePages(r, changesKey(prefix), since, upTo)) {
    for (const { id, f } of rows) {
      const data = f.get('data')
      if (f.get('type')?.toString() !== 'changes' || data === undefined) continue
      yield { id, records: decodeBlocklist(data, `change ${id}`) }
    }
  }
}
