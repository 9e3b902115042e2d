/**
 * The store in memory, for unit tests: same contract and same checks as
 * LevelStore (the shared suite runs against both), nothing survives the
 * process. Data survives close() and open() of one instance.
 */
import { compareBytes, toHex } from '../../protocol/bytes.js'
import { decodeSignedRoster, encodeSignedRoster } from '../../protocol/codec/index.js'
import type { LogEntry, LogHead } from '../../protocol/log/index.js'
import type { SignedRoster } from '../../protocol/types.js'
import { assertContinues, checkLink, headAgrees } from './chain.js'
import { StoreNotOpenError } from './errors.js'
import { logKey } from './keys.js'
import { WriteQueue } from './queue.js'
import type { AuthorHead, ChainDamage, ChainVisitor, RosterRecord, Store, StoredEntry } from './types.js'

interface Log {
  author: Uint8Array
  /** entries[i] holds seq i + 1 */
  entries: StoredEntry[]
  head: LogHead | undefined
}

export class MemoryStore implements Store {
  private readonly logs = new Map<string, Log>()
  private readonly evidenceByKey = new Map<string, { author: Uint8Array, seq: number, evidence: Uint8Array }>()
  private readonly rosterBytes = new Map<number, Uint8Array>()
  private readonly meta = new Map<string, string>()
  private readonly queue = new WriteQueue()
  private isOpen = false

  async open (): Promise<void> {
    this.isOpen = true
  }

  async close (): Promise<void> {
    if (!this.isOpen) return
    this.isOpen = false
    await this.queue.idle()
  }

  head (author: Uint8Array): LogHead | undefined {
    this.assertOpen('read a head')
    const h = this.logs.get(toHex(author))?.head
    return h === undefined ? undefined : { ...h }
  }

  heads (): AuthorHead[] {
    this.assertOpen('read heads')
    const out: AuthorHead[] = []
    for (const log of this.logs.values()) if (log.head !== undefined) out.push({ author: log.author, ...log.head })
    return out
  }

  async idAt (author: Uint8Array, seq: number): Promise<Uint8Array | undefined> {
    this.assertOpen('read an entry id')
    const log = this.logs.get(toHex(author))
    if (log?.head === undefined || seq < 1 || seq > log.head.seq) return undefined
    return log.entries[seq - 1]?.id
  }

  async range (author: Uint8Array, fromSeq: number, max: number, maxBytes = Infinity): Promise<StoredEntry[]> {
    this.assertOpen('read a range')
    const log = this.logs.get(toHex(author))
    const out: StoredEntry[] = []
    if (log?.head === undefined) return out
    let bytes = 0
    for (let seq = Math.max(1, fromSeq); seq <= log.head.seq && out.length < max; seq++) {
      const e = log.entries[seq - 1]
      if (e === undefined) break
      if (out.length > 0 && bytes + e.bytes.length > maxBytes) break
      bytes += e.bytes.length
      out.push({ ...e })
    }
    return out
  }

  async * all (): AsyncIterable<StoredEntry & { author: Uint8Array }> {
    this.assertOpen('read all entries')
    // what is held now; later appends are not seen
    const logs = this.sortedLogs().map(l => ({ author: l.author, entries: l.entries.slice(0, l.head?.seq ?? 0) }))
    for (const { author, entries } of logs) {
      for (const e of entries) yield { author, ...e }
    }
  }

  async append (author: Uint8Array, entries: LogEntry[], signature?: Uint8Array): Promise<void> {
    this.assertOpen('append')
    await this.queue.run(async () => {
      const key = toHex(author)
      const log = this.logs.get(key) ?? { author: author.slice(), entries: [], head: undefined }
      assertContinues(author, log.head, entries, signature)
      log.entries.length = log.head?.seq ?? 0
      for (const { bytes, id, entry } of entries) log.entries.push({ seq: entry.seq, bytes, id })
      const last = entries[entries.length - 1]
      if (signature !== undefined && signature.length > 0) log.entries[last.entry.seq - 1].signature = signature.slice()
      log.head = { seq: last.entry.seq, id: last.id, time: last.entry.time }
      this.logs.set(key, log)
    })
  }

  async putEvidence (author: Uint8Array, seq: number, evidence: Uint8Array): Promise<void> {
    this.assertOpen('store evidence')
    await this.queue.run(async () => {
      this.evidenceByKey.set(toHex(logKey(author, seq)), { author: author.slice(), seq, evidence: evidence.slice() })
    })
  }

  async evidence (): Promise<Array<{ author: Uint8Array, seq: number, evidence: Uint8Array }>> {
    this.assertOpen('read evidence')
    // hex of the fixed-length key sorts like the key bytes: (author, seq) order
    return [...this.evidenceByKey.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, v]) => ({ ...v }))
  }

  async putRoster (version: number, signed: SignedRoster): Promise<void> {
    this.assertOpen('store a roster')
    const bytes = encodeSignedRoster(signed)
    await this.queue.run(async () => { this.rosterBytes.set(version, bytes) })
  }

  async rosters (): Promise<SignedRoster[]> {
    this.assertOpen('read rosters')
    return [...this.rosterBytes.entries()].sort(([a], [b]) => a - b).map(([, b]) => decodeSignedRoster(b))
  }

  async rosterRecords (): Promise<RosterRecord[]> {
    this.assertOpen('read rosters')
    return [...this.rosterBytes.entries()].sort(([a], [b]) => a - b).map(([version, b]) => {
      try {
        return { version, signed: decodeSignedRoster(b) }
      } catch (err) {
        return { version, damaged: (err as Error).message }
      }
    })
  }

  async deleteRosters (fromVersion: number): Promise<void> {
    this.assertOpen('delete rosters')
    await this.queue.run(async () => {
      for (const v of [...this.rosterBytes.keys()]) if (v >= fromVersion) this.rosterBytes.delete(v)
    })
  }

  async getMeta<T> (key: string): Promise<T | undefined> {
    this.assertOpen('read metadata')
    const json = this.meta.get(key)
    return json === undefined ? undefined : JSON.parse(json) as T
  }

  async putMeta (key: string, value: unknown): Promise<void> {
    this.assertOpen('store metadata')
    const json = JSON.stringify(value)
    await this.queue.run(async () => {
      if (json === undefined) this.meta.delete(key)
      else this.meta.set(key, json)
    })
  }

  readonly tablesSetAside = []

  async checkChains (visit?: ChainVisitor): Promise<ChainDamage[]> {
    this.assertOpen('check chains')
    return await this.queue.run(async () => {
      const damage: ChainDamage[] = []
      for (const log of this.sortedLogs()) {
        let last: LogHead | undefined
        let why: ChainDamage['why'] | undefined
        for (const e of log.entries) {
          const r = checkLink(log.author, last, e.seq, e.id, e.bytes)
          if (typeof r === 'string') { why = r; break }
          last = r
          visit?.entry({ author: log.author, seq: r.seq, id: r.id, bytes: e.bytes })
        }
        if (why === undefined && headAgrees(log.head, last)) continue
        damage.push({ author: log.author, validThrough: last?.seq ?? 0, why: why ?? 'head_mismatch' })
        log.entries.length = last?.seq ?? 0
        log.head = last
      }
      return damage
    })
  }

  private sortedLogs (): Log[] {
    return [...this.logs.values()].sort((a, b) => compareBytes(a.author, b.author))
  }

  private assertOpen (operation: string): void {
    if (!this.isOpen) throw new StoreNotOpenError(operation)
  }
}
