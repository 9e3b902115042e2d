/**
 * The store on LevelDB (`level` 10 / classic-level), layout in keys.ts.
 *
 * Writes go through one queue; `append` is one atomic batch of entries,
 * signature and head, and the in-memory head moves only after it resolved.
 * Reads of several records (range, all) use one explicit snapshot, so an
 * append landing meanwhile is seen whole or not at all.
 */
import { Level, type BatchOperation } from 'level'
import { toHex } from '../../protocol/bytes.js'
import { decodeSignedRoster, encodeSignedRoster } from '../../protocol/codec/index.js'
import type { LogEntry, LogHead } from '../../protocol/log/index.js'
import type { SignedRoster } from '../../protocol/types.js'
import { assertContinues, checkStored, headAgrees, type DamageKind } from './chain.js'
import { StoreCorruptError, StoreLockedError, StoreNotOpenError } from './errors.js'
import {
  AUTHOR_BYTES, LOG_KEY_BYTES, SUBLEVELS, headValue, keySeq, logEnd, logKey, parseHeadValue, readU64,
  segmentRecords, splitEntryValue, prefixedLogKey, u64Key, view
} from './keys.js'
import { ID_BYTES } from '../../protocol/limits.js'
import { IdChecks } from './id-check.js'
import { WriteQueue } from './queue.js'
import { guardTables, repairFiles, type DamagedTable } from './table-check.js'
import type { AuthorHead, ChainDamage, ChainVisitor, RosterRecord, Store, StoredEntry } from './types.js'

export interface LevelStoreInit {
  /** Directory of the LevelDB database; created if missing. */
  path: string
  /**
   * fsync every write before acknowledging it: each appended segment (one
   * batch), roster version, evidence and metadata record. Without it,
   * acknowledged writes survive a killed process (they are in the OS's
   * buffers) but not a power cut; with it they survive a power cut too, at
   * the cost of one fsync per segment (bench/store.ts measures it).
   *
   * @default false
   */
  durable?: boolean
  /**
   * The start-up chain check recomputes entry ids on a worker thread
   * (id-check.ts) from the first chunk it reads with at least this many
   * entries; 0 never starts one. Tests set it low to run that path.
   *
   * @default CHECK_CHUNK (10,000)
   */
  idThreadFrom?: number
  /** Entries per read of the start-up chain check (tests make it small to cross chunk edges). @default CHECK_CHUNK (10,000) */
  checkChunk?: number
}

/** Entries read per iterator step: bounds memory of range and all. */
const READ_CHUNK = 1000
/** Bytes classic-level may read per `nextv` of `all()` (its default, 16 KiB, cuts a READ_CHUNK to ~80 entries). */
const READ_CHUNK_BYTES = 512 * 1024
/**
 * Entries read per iterator step of the start-up chain check, which reads
 * every entry once: fewer round trips to LevelDB's thread (about 2 MB of
 * entries at a time).
 */
const CHECK_CHUNK = 10_000
/**
 * classic-level stops a `nextv` once it has read this many bytes (its
 * default, 16 KiB, is about 80 entries: a round trip to LevelDB's thread
 * per 80 entries); room for a whole CHECK_CHUNK of entries of a few hundred
 * bytes.
 */
const CHECK_CHUNK_BYTES = 4 * 1024 * 1024
/** Deletes per batch when checkChains truncates a long damaged tail. */
const DELETE_CHUNK = 10_000

type DB = Level<Uint8Array, Uint8Array>

/** LevelDB reports a damaged table block or file it cannot read around (thrown as is, or as the cause of a failed open). */
function isCorruption (err: unknown): boolean {
  const e = err as { code?: unknown, cause?: { code?: unknown } } | undefined
  return e?.code === 'LEVEL_CORRUPTION' || e?.cause?.code === 'LEVEL_CORRUPTION'
}


type Op = BatchOperation<DB, Uint8Array, Uint8Array>

function binary (db: DB, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
}
type Bin = ReturnType<typeof binary>

function textual (db: DB, name: string) {
  return db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
}

interface Open {
  db: DB
  entries: Bin
  sigs: Bin
  heads: Bin
  rosters: Bin
  evidence: Bin
  /** key → JSON text */
  meta: ReturnType<typeof textual>
  /** Key prefixes of the sublevels written on the hot path, for keys built in one allocation. */
  prefix: { entries: Uint8Array, sigs: Uint8Array }
}

export class LevelStore implements Store {
  private readonly path: string
  private readonly sync: boolean
  private readonly idThreadFrom: number
  private readonly checkChunk: number
  private readonly queue = new WriteQueue()
  private readonly headsByAuthor = new Map<string, AuthorHead>()
  private s: Open | undefined
  private opening: Promise<void> | undefined
  private closing: Promise<void> | undefined
  tablesSetAside: DamagedTable[] = []

  constructor (init: LevelStoreInit) {
    this.path = init.path
    this.sync = init.durable ?? false
    this.idThreadFrom = init.idThreadFrom ?? CHECK_CHUNK
    this.checkChunk = init.checkChunk ?? CHECK_CHUNK
  }

  async open (): Promise<void> {
    if (this.s !== undefined) return
    this.opening ??= this.setAsideDamagedTables()
      .then(async () => await this.load())
      .catch(async (err: unknown) => {
        // a damaged file or block: salvage what is readable; checkChains then finds what was lost
        if (!isCorruption(err)) throw err
        await repairFiles(this.path)
        await this.load()
      })
      .finally(() => { this.opening = undefined })
    await this.opening
  }

  /**
   * Checks every table's block checksums before LevelDB reads any of them
   * (table-check.ts: a damaged key can abort the process inside leveldb);
   * damaged tables go to `lost/` and the database is rebuilt from the rest.
   */
  private async setAsideDamagedTables (): Promise<void> {
    await this.closing
    this.tablesSetAside.push(...await guardTables(this.path, 'set-aside', 'log store'))
  }

  private async load (): Promise<void> {
    await this.closing
    const db: DB = new Level<Uint8Array, Uint8Array>(this.path, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(this.path, { cause: err })
      throw err
    }
    const entries = binary(db, SUBLEVELS.entries)
    const sigs = binary(db, SUBLEVELS.sigs)
    const s: Open = {
      db,
      entries,
      sigs,
      heads: binary(db, SUBLEVELS.heads),
      rosters: binary(db, SUBLEVELS.rosters),
      evidence: binary(db, SUBLEVELS.evidence),
      meta: textual(db, SUBLEVELS.meta),
      prefix: { entries: entries.prefixKey(new Uint8Array(0), 'view'), sigs: sigs.prefixKey(new Uint8Array(0), 'view') }
    }
    this.headsByAuthor.clear()
    try {
      for await (const [k, v] of s.heads.iterator()) {
        // a record this code did not write is left out here; checkChains rebuilds it from the entries
        const h = parseHeadValue(v)
        if (h !== undefined && k.length === AUTHOR_BYTES) this.headsByAuthor.set(toHex(k), { author: view(k), ...h })
      }
    } catch (err) {
      this.headsByAuthor.clear()
      await db.close()
      throw err
    }
    this.s = s
  }

  async close (): Promise<void> {
    const s = this.s
    if (s === undefined) return await this.closing
    this.s = undefined // new calls fail from here; queued writes still complete
    this.closing = (async () => {
      await this.queue.idle()
      await s.db.close()
      this.headsByAuthor.clear()
    })()
    await this.closing
  }

  head (author: Uint8Array): LogHead | undefined {
    this.open_('read a head')
    const h = this.headsByAuthor.get(toHex(author))
    return h === undefined ? undefined : { seq: h.seq, id: h.id, time: h.time }
  }

  heads (): AuthorHead[] {
    this.open_('read heads')
    return [...this.headsByAuthor.values()].map(h => ({ ...h }))
  }

  async idAt (author: Uint8Array, seq: number): Promise<Uint8Array | undefined> {
    const s = this.open_('read an entry id')
    const head = this.headsByAuthor.get(toHex(author))
    if (head === undefined || seq < 1 || seq > head.seq) return undefined
    const v = await s.entries.get(logKey(author, seq))
    return v === undefined ? undefined : splitEntryValue(v)?.id
  }

  async range (author: Uint8Array, fromSeq: number, max: number, maxBytes = Infinity): Promise<StoredEntry[]> {
    const s = this.open_('read a range')
    const head = this.headsByAuthor.get(toHex(author))
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

  async * all (): AsyncIterable<StoredEntry & { author: Uint8Array }> {
    const s = this.open_('read all entries')
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
      if (this.s !== s) throw new StoreNotOpenError('go on reading all entries (the store was closed)')
      throw err
    } finally {
      await entries.close()
      await sigs.close()
      await snapshot.close()
    }
  }

  async append (author: Uint8Array, entries: LogEntry[], signature?: Uint8Array): Promise<void> {
    const s = this.open_('append')
    await this.queue.run(async () => {
      const key = toHex(author)
      const head = this.headsByAuthor.get(key)
      assertContinues(author, head, entries, signature)
      if (head === undefined && await s.entries.get(logKey(author, 1)) !== undefined) {
        throw new StoreCorruptError(`log ${toHex(author.subarray(0, 8))} has entries but no head record; run checkChains() to repair it before appending`)
      }
      // The hot path of ingest (a segment is up to 1,000 puts): a chained batch on the root
      // database with keys prefixed here. abstract-level's array form clones every op and
      // resolves its sublevel, and in a busy node that cost 10-15 µs of the main thread per
      // entry, as much as verifying it; bench/store compares the two.
      const last = entries[entries.length - 1]
      const next: LogHead = { seq: last.entry.seq, id: last.id.slice(), time: last.entry.time }
      const batch = s.db.batch()
      try {
        // every key and value of the segment in one buffer (LevelDB copies them into its batch): one
        // allocation per segment instead of two per entry (issue 15: garbage collection was a fifth
        // of a catch-up's main thread)
        const records = segmentRecords(s.prefix.entries, author, entries)
        for (let i = 0; i < records.length; i += 2) batch.put(records[i], records[i + 1])
        if (signature !== undefined && signature.length > 0) batch.put(prefixedLogKey(s.prefix.sigs, author, last.entry.seq), signature)
        batch.put(s.heads.prefixKey(author, 'view'), headValue(next))
      } catch (err) {
        await batch.close()
        throw err
      }
      await batch.write({ sync: this.sync })
      this.headsByAuthor.set(key, { author: author.slice(), ...next })
    })
  }

  async putEvidence (author: Uint8Array, seq: number, evidence: Uint8Array): Promise<void> {
    const s = this.open_('store evidence')
    await this.queue.run(async () => await s.db.batch([{ type: 'put', sublevel: s.evidence, key: logKey(author, seq), value: evidence }], { sync: this.sync }))
  }

  async evidence (): Promise<Array<{ author: Uint8Array, seq: number, evidence: Uint8Array }>> {
    const s = this.open_('read evidence')
    const out: Array<{ author: Uint8Array, seq: number, evidence: Uint8Array }> = []
    for await (const [k, v] of s.evidence.iterator()) {
      if (k.length !== LOG_KEY_BYTES) throw new StoreCorruptError('an evidence record has a malformed key')
      out.push({ author: view(k, 0, AUTHOR_BYTES), seq: keySeq(k), evidence: view(v) })
    }
    return out
  }

  async putRoster (version: number, signed: SignedRoster): Promise<void> {
    const s = this.open_('store a roster')
    const bytes = encodeSignedRoster(signed)
    await this.queue.run(async () => await s.db.batch([{ type: 'put', sublevel: s.rosters, key: u64Key(version), value: bytes }], { sync: this.sync }))
  }

  async rosters (): Promise<SignedRoster[]> {
    const s = this.open_('read rosters')
    const out: SignedRoster[] = []
    for await (const [k, v] of s.rosters.iterator()) {
      try {
        out.push(decodeSignedRoster(view(v)))
      } catch (err) {
        throw new StoreCorruptError(`stored roster version ${k.length === 8 ? readU64(k, 0) : '?'} does not decode; restore it from a peer or a backup`, { cause: err })
      }
    }
    return out
  }

  async rosterRecords (): Promise<RosterRecord[]> {
    const s = this.open_('read rosters')
    const out: RosterRecord[] = []
    for await (const [k, v] of s.rosters.iterator()) {
      if (k.length !== 8) continue // not a record this code wrote: never a version
      const version = readU64(k, 0)
      try {
        out.push({ version, signed: decodeSignedRoster(view(v)) })
      } catch (err) {
        out.push({ version, damaged: (err as Error).message })
      }
    }
    return out
  }

  async deleteRosters (fromVersion: number): Promise<void> {
    const s = this.open_('delete rosters')
    await this.queue.run(async () => {
      const ops: Op[] = []
      for await (const k of s.rosters.keys({ gte: u64Key(fromVersion) })) ops.push({ type: 'del', sublevel: s.rosters, key: k })
      if (ops.length > 0) await s.db.batch(ops, { sync: this.sync })
    })
  }

  async getMeta<T> (key: string): Promise<T | undefined> {
    const s = this.open_('read metadata')
    const json = await s.meta.get(key)
    return json === undefined ? undefined : JSON.parse(json) as T
  }

  async putMeta (key: string, value: unknown): Promise<void> {
    const s = this.open_('store metadata')
    const json = JSON.stringify(value) // fail here, not in the queue, on what JSON cannot hold
    await this.queue.run(async () => {
      const op: BatchOperation<DB, string, string> = json === undefined
        ? { type: 'del', sublevel: s.meta, key }
        : { type: 'put', sublevel: s.meta, key, value: json }
      await s.db.batch<string, string>([op], { sync: this.sync })
    })
  }

  async checkChains (visit?: ChainVisitor): Promise<ChainDamage[]> {
    this.open_('check chains')
    try {
      return await this.checkAllChains(visit)
    } catch (err) {
      // A table block LevelDB cannot read (a flipped byte in an .ldb file)
      // fails every read that touches it, so the node could not start. Salvage
      // what is readable and check again: the lost entries are then missing
      // history, truncated and re-synced from peers like any other loss.
      if (!isCorruption(err)) throw err
      await this.close()
      await repairFiles(this.path)
      await this.open()
      await visit?.restart()
      return await this.checkAllChains(visit)
    }
  }

  private async checkAllChains (visit: ChainVisitor | undefined): Promise<ChainDamage[]> {
    const s = this.open_('check chains')
    return await this.queue.run(async () => {
      const damage: ChainDamage[] = []
      const ids = new IdChecks(this.idThreadFrom)
      try {
        for (const author of await this.authorsHeld(s)) {
          const d = await this.checkLog(s, author, visit, ids)
          if (d !== undefined) damage.push(d)
        }
      } finally {
        await ids.close()
      }
      return damage
    })
  }

  /** Every author with a head record or an entry, in byte order. */
  private async authorsHeld (s: Open): Promise<Uint8Array[]> {
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
  private async checkLog (s: Open, author: Uint8Array, visit: ChainVisitor | undefined, ids: IdChecks): Promise<ChainDamage | undefined> {
    let last: LogHead | undefined
    let why: DamageKind | undefined
    const range = { gte: logKey(author, 0), lte: logEnd(author), highWaterMarkBytes: CHECK_CHUNK_BYTES }
    const it = s.entries.iterator(range)
    const mine = author.slice()
    // Three stages overlap: LevelDB's thread reads chunk c + 1, the id thread
    // hashes chunk c, and this thread walks chunk c - 1 (links, replay).
    let ahead: Promise<Array<[Uint8Array, Uint8Array]>> | undefined = it.nextv(this.checkChunk)
    let posted: { chunk: Array<[Uint8Array, Uint8Array]>, bad: Promise<number | undefined> | undefined } | undefined
    try {
      walk: for (;;) {
        const chunk = ahead === undefined ? [] : await ahead
        ahead = undefined
        if (chunk.length > 0) ahead = it.nextv(this.checkChunk)
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

    await this.truncate(s, author, last)
    const key = toHex(author)
    if (last === undefined) this.headsByAuthor.delete(key)
    else this.headsByAuthor.set(key, { author: author.slice(), ...last })
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
  private async truncate (s: Open, author: Uint8Array, last: LogHead | undefined): Promise<void> {
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
            await s.db.batch(ops, { sync: this.sync })
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
    await s.db.batch(ops, { sync: this.sync })
  }

  private open_ (operation: string): Open {
    if (this.s === undefined) throw new StoreNotOpenError(operation)
    return this.s
  }
}

function sameAuthor (author: Uint8Array, key: Uint8Array): boolean {
  if (author.length !== AUTHOR_BYTES) return false
  for (let i = AUTHOR_BYTES - 1; i >= 0; i--) if (author[i] !== key[i]) return false
  return true
}
