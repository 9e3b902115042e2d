/**
 * The ingest pipeline's pending buffer (node/ingest.ts): entries that verify
 * but are not yet covered by a signature (the first frames of a bulk segment
 * arriving over sync), held per (sending peer, author) until a signature
 * covers them or PENDING_TTL_MS passes. Scoped to the peer that sent them:
 * unsigned entries prove nothing, so one peer's (possibly made-up) entries
 * never block, replace or use up the room of what another peer sends.
 *
 * Only the Ingestor uses it, from inside its write queue: no locking here.
 */
import { bytesEqual } from '../protocol/bytes.js'
import type { LogEntry, LogHead } from '../protocol/log/index.js'
import type { ComponentLogger } from './logger.js'
import { PendingOverflowError } from './ingest-errors.js'
import { MAX_PENDING_PER_AUTHOR, MAX_PENDING_PER_PEER, MAX_PENDING_TOTAL, PENDING_TTL_MS } from './ingest-limits.js'

/** One (peer, author) list: a chain of verified entries onto what the store held when it began. */
export interface Pending {
  peer: string
  author: string
  entries: LogEntry[]
  orgs: string[]
  since: number
}

export interface PendingBufferInit {
  logger: ComponentLogger
  /** Uncovered entries held across all peers and authors. @default MAX_PENDING_TOTAL */
  maxPendingTotal?: number
  /** Uncovered entries held from one peer. @default MAX_PENDING_PER_PEER */
  maxPendingPerPeer?: number
}

export class PendingBuffer {
  readonly #log: ComponentLogger
  readonly #maxTotal: number
  readonly #maxPerPeer: number
  readonly #lists = new Map<string, Pending>()

  constructor (init: PendingBufferInit) {
    this.#log = init.logger
    this.#maxTotal = init.maxPendingTotal ?? MAX_PENDING_TOTAL
    this.#maxPerPeer = init.maxPendingPerPeer ?? MAX_PENDING_PER_PEER
  }

  /** The list `peer` sent of `author` (hex), if any. */
  get (peer: string, author: string): Pending | undefined {
    return this.#lists.get(pendingKey(peer, author))
  }

  /** The head the list `peer` sent of `author` (hex) would give the log, if it holds any entry. */
  head (peer: string, author: string): LogHead | undefined {
    const p = this.get(peer, author)
    if (p === undefined || p.entries.length === 0) return undefined
    const last = p.entries[p.entries.length - 1]
    return { seq: last.entry.seq, id: last.id, time: last.entry.time }
  }

  delete (peer: string, author: string): void {
    this.#lists.delete(pendingKey(peer, author))
  }

  /** Drops lists no signature covered within PENDING_TTL_MS (the next sync fetches them again). */
  expire (now: number): void {
    for (const [k, p] of this.#lists) {
      if (now - p.since > PENDING_TTL_MS) {
        this.#log.warn('dropping entries never covered by a signature', { author: p.author, peer: p.peer, count: p.entries.length })
        this.#lists.delete(k)
      }
    }
  }

  /**
   * Appends `fresh` (which chain onto the list, or onto the stored head) to
   * what `peer` sent of `author`. Past a limit, the list is dropped whole and
   * a PendingOverflowError names the room that was full.
   */
  add (peer: string, author: string, fresh: LogEntry[], freshOrgs: string[], now: number): Pending {
    const pkey = pendingKey(peer, author)
    const p = this.#lists.get(pkey) ?? { peer, author, entries: [], orgs: [], since: now }
    if (p.entries.length + fresh.length > MAX_PENDING_PER_AUTHOR) {
      this.#lists.delete(pkey)
      throw new PendingOverflowError(MAX_PENDING_PER_AUTHOR, 'author')
    }
    let total = fresh.length
    let mine = fresh.length
    for (const q of this.#lists.values()) {
      total += q.entries.length
      if (q.peer === peer) mine += q.entries.length
    }
    // the sender's own room first: a peer filling it loses only its own entries
    if (mine > this.#maxPerPeer) {
      this.#lists.delete(pkey)
      throw new PendingOverflowError(this.#maxPerPeer, 'peer')
    }
    if (total > this.#maxTotal) {
      this.#lists.delete(pkey)
      throw new PendingOverflowError(this.#maxTotal, 'total')
    }
    p.entries.push(...fresh)
    p.orgs.push(...freshOrgs)
    this.#lists.set(pkey, p)
    return p
  }

  /** A signature from `peer` covered `author`'s entries up to `last`: they are stored, drop them from its list. */
  covered (peer: string, author: string, last: number): void {
    const pkey = pendingKey(peer, author)
    const pending = this.#lists.get(pkey)
    if (pending === undefined) return
    const rest = pending.entries.findIndex(p => p.entry.seq > last)
    if (rest < 0) this.#lists.delete(pkey)
    else { pending.entries.splice(0, rest); pending.orgs.splice(0, rest) }
  }

  /**
   * After `author`'s log grew to `head`, other peers' pending entries of it
   * that the store now holds are dropped; a list that disagrees with the
   * store, or no longer chains onto its head, is dropped whole (unsigned: it
   * proves nothing, and the peer sends it again if it was real). `idAt` reads
   * the stored id at a seq.
   */
  async trim (author: string, head: LogHead, idAt: (seq: number) => Promise<Uint8Array | undefined>): Promise<void> {
    for (const [k, p] of this.#lists) {
      if (p.author !== author) continue
      // the list is one chain onto what the store held when it began: if its last entry the store now
      // covers has the stored id, so has every one before it (each names the id of the one before)
      let rest = 0
      while (rest < p.entries.length && p.entries[rest].entry.seq <= head.seq) rest++
      let keep = true
      if (rest > 0) {
        const last = p.entries[rest - 1]
        const id = last.entry.seq === head.seq ? head.id : await idAt(last.entry.seq)
        keep = id !== undefined && bytesEqual(id, last.id)
      }
      if (keep && rest < p.entries.length && !bytesEqual(p.entries[rest].entry.prev, head.id)) keep = false
      if (!keep || rest === p.entries.length) { this.#lists.delete(k); continue }
      p.entries.splice(0, rest); p.orgs.splice(0, rest)
    }
  }
}

function pendingKey (peer: string, author: string): string {
  return `${peer}|${author}`
}
