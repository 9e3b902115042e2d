/**
 * LevelStore's reads of many entries (node/store/level.ts): `range` for sync
 * responders and `all` for a rebuild, each from one snapshot, read in
 * chunks so memory stays bounded and each step is one round trip to
 * LevelDB's thread. Apart from level.ts, which keeps the writes and the
 * store's state; these take the open database as an argument.
 */
import type { LogHead } from '../../protocol/log/index.js'
import { StoreCorruptError, StoreNotOpenError } from './errors.js'
import { AUTHOR_BYTES, LOG_KEY_BYTES, keySeq, logKey, splitEntryValue, view } from './keys.js'
import type { Open } from './level-db.js'
import type { StoredEntry } from './types.js'

/** Entries read per iterator step: bounds memory of range and all. */
const READ_CHUNK = 1000
/** Bytes classic-level may read per `nextv` of `all()` (its default, 16 KiB, cuts a READ_CHUNK to ~80 entries). */
const READ_CHUNK_BYTES = 512 * 1024

/**
 * Entries of `author` from `fromSeq` on (Store.range), where `head` is the
 * log's head as the store holds it: the contiguous intact part only.
 */
export async function readRange (s: Open, author: Uint8Array, head: LogHead | undefined, fromSeq: number, max: number, maxBytes: number): Promise<StoredEntry[]> {
  const from = Math.max(1, fromSeq)
  const out: StoredEntry[] = []
  if (head === undefined || from > head.seq || max < 1) return out
  const limit = Math.min(max, head.seq - from + 1)
  const snapshot = s.db.snapshot()
  try {
    const it = s.entries.iterator({ gte: logKey(author, from), lte: logKey(author, head.seq), limit, snapshot })
    try {
      let bytes = 0
      read: for (;;) {
        const chunk = await it.nextv(Math.min(limit, READ_CHUNK))
        if (chunk.length === 0) break
        for (const [k, v] of chunk) {
          const e = splitEntryValue(v)
          // serve only the contiguous intact part; checkChains repairs the rest at the next start
          if (e === undefined || keySeq(k) !== from + out.length) break read
          if (out.length > 0 && bytes + e.bytes.length > maxBytes) break read
          bytes += e.bytes.length
          out.push({ seq: from + out.length, bytes: e.bytes, id: e.id })
        }
      }
    } finally {
      await it.close()
    }
    if (out.length === 0) return out
    const sigs = s.sigs.iterator({ gte: logKey(author, from), lte: logKey(author, from + out.length - 1), snapshot })
    try {
      for await (const [k, v] of sigs) out[keySeq(k) - from].signature = view(v)
    } finally {
      await sigs.close()
    }
    return out
  } finally {
    await snapshot.close()
  }
}

/**
 * Every entry of every log in (author, seq) order (Store.all). `open` gives
 * the open database at the first step (so a closed store fails there, as a
 * generator method of the store would); `current` is the store's database
 * now, to say a read failed because the store was closed meanwhile.
 */
export async function * readAll (open: () => Open, current: () => Open | undefined): AsyncGenerator<StoredEntry & { author: Uint8Array }> {
  const s = open()
  const snapshot = s.db.snapshot()
  // classic-level's own option, passed through the sublevel (its typings know only abstract-level's)
  const opts = { snapshot, highWaterMarkBytes: READ_CHUNK_BYTES }
  const entries = s.entries.iterator(opts)
  const sigs = s.sigs.iterator(opts)
  try {
    // signatures are sparse (one per segment): walk them alongside in key order
    let sigChunk: Array<[Uint8Array, Uint8Array]> = []
    let si = 0
    let sigsDone = false
    let author: Uint8Array = new Uint8Array(0)
    for (;;) {
      const chunk = await entries.nextv(READ_CHUNK)
      if (chunk.length === 0) break
      for (const [k, v] of chunk) {
        const e = splitEntryValue(v)
        if (e === undefined || k.length !== LOG_KEY_BYTES) throw new StoreCorruptError('an entry record is malformed; run checkChains() at start-up to repair it')
        if (!sameAuthor(author, k)) author = view(k, 0, AUTHOR_BYTES)
        let signature: Uint8Array | undefined
        for (;;) {
          if (si === sigChunk.length) {
            if (sigsDone) break
            sigChunk = await sigs.nextv(READ_CHUNK)
            si = 0
            if (sigChunk.length === 0) { sigsDone = true; break }
          }
          const c = Buffer.compare(sigChunk[si][0], k)
          if (c > 0) break
          if (c === 0) signature = view(sigChunk[si][1])
          si++ // a signature before this key has no entry: skip it
        }
        yield signature === undefined
          ? { author, seq: keySeq(k), bytes: e.bytes, id: e.id }
          : { author, seq: keySeq(k), bytes: e.bytes, id: e.id, signature }
      }
    }
  } catch (err) {
    if (current() !== s) throw new StoreNotOpenError('go on reading all entries (the store was closed)')
    throw err
  } finally {
    await entries.close()
    await sigs.close()
    await snapshot.close()
  }
}

function sameAuthor (author: Uint8Array, key: Uint8Array): boolean {
  if (author.length !== AUTHOR_BYTES) return false
  for (let i = AUTHOR_BYTES - 1; i >= 0; i--) if (author[i] !== key[i]) return false
  return true
}
