/**
 * The store on LevelDB (`level` 10 / classic-level), layout in keys.ts.
 *
 * Writes go through one queue; `append` is one atomic batch of entries,
 * signature and head, and the in-memory head moves only after it resolved.
 * Reads of several records (range, all) use one explicit snapshot, so an
 * append landing meanwhile is seen whole or not at all.
 *
 * This file is the Store and its state (open database, heads, queue); its
 * larger parts take the open database as an argument: opening it and its
 * sublevels in level-db.ts, the chunked reads in level-read.ts, the start-up
 * chain check and its repairs in level-chains.ts.
 */
import type { BatchOperation } from 'level'
import { toHex } from '../../protocol/bytes.js'
import { decodeSignedRoster, encodeSignedRoster } from '../../protocol/codec/index.js'
import type { LogEntry, LogHead } from '../../protocol/log/index.js'
import type { SignedRoster } from '../../protocol/types.js'
import { assertContinues } from './chain.js'
import { StoreCorruptError, StoreNotOpenError } from './errors.js'
import {
  AUTHOR_BYTES, LOG_KEY_BYTES, headValue, keySeq, logKey, parseHeadValue, readU64,
  segmentRecords, splitEntryValue, prefixedLogKey, u64Key, view
} from './keys.js'
import { CHECK_CHUNK, checkLogs, type WalkOptions } from './level-chains.js'
import { isCorruption, openLevel, type DB, type Op, type Open } from './level-db.js'
import { readAll, readRange } from './level-read.js'
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

export class LevelStore implements Store {
  private readonly path: string
  private readonly sync: boolean
  private readonly walk: WalkOptions
  private readonly queue = new WriteQueue()
  private readonly headsByAuthor = new Map<string, AuthorHead>()
  private s: Open | undefined
  private opening: Promise<void> | undefined
  private closing: Promise<void> | undefined
  tablesSetAside: DamagedTable[] = []

  constructor (init: LevelStoreInit) {
    this.path = init.path
    this.sync = init.durable ?? false
    this.walk = { idThreadFrom: init.idThreadFrom ?? CHECK_CHUNK, checkChunk: init.checkChunk ?? CHECK_CHUNK }
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
    const s = await openLevel(this.path)
    this.headsByAuthor.clear()
    try {
      for await (const [k, v] of s.heads.iterator()) {
        // a record this code did not write is left out here; checkChains rebuilds it from the entries
        const h = parseHeadValue(v)
        if (h !== undefined && k.length === AUTHOR_BYTES) this.headsByAuthor.set(toHex(k), { author: view(k), ...h })
      }
    } catch (err) {
      this.headsByAuthor.clear()
      await s.db.close()
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
    return await readRange(s, author, this.headsByAuthor.get(toHex(author)), fromSeq, max, maxBytes)
  }

  all (): AsyncIterable<StoredEntry & { author: Uint8Array }> {
    // the generator checks that the store is open at its first step, not here
    return readAll(() => this.open_('read all entries'), () => this.s)
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
    return await this.queue.run(async () => await checkLogs(s, this.headsByAuthor, this.sync, visit, this.walk))
  }

  private open_ (operation: string): Open {
    if (this.s === undefined) throw new StoreNotOpenError(operation)
    return this.s
  }
}
