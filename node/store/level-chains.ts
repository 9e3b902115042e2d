/**
 * LevelStore's start-up chain check (node/store/level.ts `checkChains`):
 * walk every log from seq 1 in large chunks, hand each intact entry to the
 * visitor (the start-up replay), and truncate a damaged log back to its last
 * intact entry. The one part of the store that reads every entry, and the
 * one that repairs: apart from level.ts, which keeps the store's everyday
 * reads and writes and calls this from its write queue.
 */
import { toHex } from '../../protocol/bytes.js'
import { ID_BYTES } from '../../protocol/limits.js'
import type { LogHead } from '../../protocol/log/index.js'
import { checkStored, headAgrees, type DamageKind } from './chain.js'
import { IdChecks } from './id-check.js'
import { AUTHOR_BYTES, LOG_KEY_BYTES, headValue, keySeq, logEnd, logKey, parseHeadValue, view } from './keys.js'
import type { Op, Open } from './level-db.js'
import type { AuthorHead, ChainDamage, ChainVisitor } from './types.js'

/**
 * Entries read per iterator step of the start-up chain check, which reads
 * every entry once: fewer round trips to LevelDB's thread (about 2 MB of
 * entries at a time).
 */
export const CHECK_CHUNK = 10_000
/**
 * classic-level stops a `nextv` once it has read this many bytes (its
 * default, 16 KiB, is about 80 entries: a round trip to LevelDB's thread
 * per 80 entries); room for a whole CHECK_CHUNK of entries of a few hundred
 * bytes.
 */
const CHECK_CHUNK_BYTES = 4 * 1024 * 1024
/** Deletes per batch when checkChains truncates a long damaged tail. */
const DELETE_CHUNK = 10_000

/**
 * Checks every log held, in author byte order, and repairs the damaged ones:
 * `heads` (the store's heads by hex author) follows each truncation, and
 * `sync` is the store's durable option for the deleting batches. Run from
 * the store's write queue.
 */
export async function checkLogs (s: Open, heads: Map<string, AuthorHead>, sync: boolean, visit: ChainVisitor | undefined, walk: WalkOptions): Promise<ChainDamage[]> {
  const damage: ChainDamage[] = []
  const ids = new IdChecks(walk.idThreadFrom)
  try {
    for (const author of await authorsHeld(s)) {
      const d = await checkLog(s, heads, sync, author, visit, ids, walk.checkChunk)
      if (d !== undefined) damage.push(d)
    }
  } finally {
    await ids.close()
  }
  return damage
}

/** LevelStoreInit's `idThreadFrom` and `checkChunk`. */
export interface WalkOptions { idThreadFrom: number, checkChunk: number }

/** Every author with a head record or an entry, in byte order. */
async function authorsHeld (s: Open): Promise<Uint8Array[]> {
  const authors = new Map<string, Uint8Array>()
  for await (const k of s.heads.keys()) authors.set(toHex(k), view(k))
  // skip-scan: one seek per author, not one step per entry
  let gt: Uint8Array | undefined
  for (;;) {
    const [k] = await s.entries.keys(gt === undefined ? { limit: 1 } : { gt, limit: 1 }).all()
    if (k === undefined) break
    const author = view(k, 0, Math.min(AUTHOR_BYTES, k.length))
    authors.set(toHex(author), author)
    gt = logEnd(author)
  }
  return [...authors.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, v]) => v)
}

/**
 * Walks one log from seq 1, handing each intact entry to `visit`; repairs
 * and reports the log when it is not intact.
 */
async function checkLog (s: Open, heads: Map<string, AuthorHead>, sync: boolean, author: Uint8Array, visit: ChainVisitor | undefined, ids: IdChecks, chunkSize: number): Promise<ChainDamage | undefined> {
  let last: LogHead | undefined
  let why: DamageKind | undefined
  const range = { gte: logKey(author, 0), lte: logEnd(author), highWaterMarkBytes: CHECK_CHUNK_BYTES }
  const it = s.entries.iterator(range)
  const mine = author.slice()
  // Three stages overlap: LevelDB's thread reads chunk c + 1, the id thread
  // hashes chunk c, and this thread walks chunk c - 1 (links, replay).
  let ahead: Promise<Array<[Uint8Array, Uint8Array]>> | undefined = it.nextv(chunkSize)
  let posted: { chunk: Array<[Uint8Array, Uint8Array]>, bad: Promise<number | undefined> | undefined } | undefined
  try {
    walk: for (;;) {
      const chunk = ahead === undefined ? [] : await ahead
      ahead = undefined
      if (chunk.length > 0) ahead = it.nextv(chunkSize)
      const next = chunk.length > 0 ? { chunk, bad: ids.check(chunk.map(([, v]) => v)) } : undefined
      if (posted !== undefined) {
        // the first entry whose bytes do not hash to its stored id; undefined: hash them here
        const bad = await posted.bad
        const c = posted.chunk
        for (let i = 0; i < c.length; i++) {
          const [k, v] = c[i]
          // an entries value is the stored id, then the entry bytes (keys.ts)
          const bytes = v.length > ID_BYTES ? view(v, ID_BYTES) : undefined
          const r = k.length !== LOG_KEY_BYTES ? 'broken_chain' : bytes === undefined ? 'bad_id' : checkStored(author, last, keySeq(k), v, bytes, bad === undefined ? undefined : i !== bad)
          if (typeof r === 'string') { why = r; break walk }
          last = r
          if (visit !== undefined) visit.entry({ author: mine, seq: r.seq, id: r.id, bytes: bytes as Uint8Array })
        }
      }
      if (next === undefined) break
      posted = next
    }
  } finally {
    // a read ahead still running when the walk stopped: let it end (its error, if any, is the truncation's to meet)
    await ahead?.catch(() => undefined)
    await it.close()
  }
  const raw = await s.heads.get(author)
  const head = raw === undefined ? undefined : parseHeadValue(raw)
  const headOk = headAgrees(head, last) && (raw === undefined) === (head === undefined)
  if (why === undefined && headOk) return undefined

  await truncate(s, sync, author, last)
  const key = toHex(author)
  if (last === undefined) heads.delete(key)
  else heads.set(key, { author: author.slice(), ...last })
  return { author: author.slice(), validThrough: last?.seq ?? 0, why: why ?? 'head_mismatch' }
}

/**
 * Deletes every entry and signature of `author` after `last` and points the
 * head at `last`, in one batch when the tail is short (the usual case). A
 * long tail goes in several batches, the head last: if the process dies in
 * between, what remains still fails the walk at the same seq (the first
 * damaged entry, or a gap where it was), so the next check repairs to the
 * same point.
 */
async function truncate (s: Open, sync: boolean, author: Uint8Array, last: LogHead | undefined): Promise<void> {
  const from = logKey(author, (last?.seq ?? 0) + 1)
  const end = logEnd(author)
  let ops: Op[] = []
  for (const sublevel of [s.sigs, s.entries]) {
    const it = sublevel.keys({ gte: from, lte: end })
    try {
      for (;;) {
        const keys = await it.nextv(DELETE_CHUNK)
        if (keys.length === 0) break
        for (const key of keys) ops.push({ type: 'del', sublevel, key })
        if (ops.length >= DELETE_CHUNK) {
          await s.db.batch(ops, { sync })
          ops = []
        }
      }
    } finally {
      await it.close()
    }
  }
  ops.push(last === undefined
    ? { type: 'del', sublevel: s.heads, key: author }
    : { type: 'put', sublevel: s.heads, key: author, value: headValue(last) })
  await s.db.batch(ops, { sync })
}
