/**
 * The start-up replay's per-entry work (node/ingest.ts `beginReplay`): each
 * stored entry, in (author, seq) order, is decoded and applied to the
 * consensus index and counted in the rate counts. Entries were verified when
 * stored; here they are only decoded.
 *
 * Fed by whoever reads the store: the chain check hands each entry it
 * verified (one pass over the store at start-up), or `Ingestor.replay` reads
 * `store.all()`. Key-epoch and guardian-counts entries (a handful) are kept
 * and handed to the listeners at `end`, in log order: a replay abandoned
 * half-way (the chain check starting over after LevelDB salvaged a table)
 * has told nobody anything.
 */
import { compareBytes } from '../protocol/bytes.js'
import type { ConsensusIndex } from '../protocol/consensus/index.js'
import { statementOf } from '../protocol/consensus/statement.js'
import type { RosterChain } from '../protocol/roster/index.js'
import type { Entry } from '../protocol/types.js'
import type { IngestListeners } from './ingest.js'
import type { RateCounter } from './ingest-rate.js'

export interface ReplayFeedInit {
  index: ConsensusIndex
  chain: RosterChain
  rate: RateCounter
  /** The strict entry decoder (protocol/codec), loaded by the caller. */
  decode: (bytes: Uint8Array) => Entry
}

/** A replayed entry the listeners hear about (key epochs, guardian counts), with its exact bytes. */
export interface RareEntry {
  bytes: Uint8Array
  entry: Entry
  org: string
}

export class ReplayFeed {
  /** Entries applied so far (those of an org the roster knows at their time). */
  entries = 0
  /** The key-epoch and guardian-counts entries replayed, in log order. */
  readonly rare: RareEntry[] = []
  readonly #index: ConsensusIndex
  readonly #chain: RosterChain
  readonly #rate: RateCounter
  readonly #decode: (bytes: Uint8Array) => Entry
  // rate counts per run of one org and hour (a log's entries come in order, mostly many per hour)
  #runOrg = ''
  #runHour = -1
  #runTime = 0
  #run = 0
  #ended = false

  constructor (init: ReplayFeedInit) {
    this.#index = init.index
    this.#chain = init.chain
    this.#rate = init.rate
    this.#decode = init.decode
  }

  /** Kept entries of a start-up checkpoint (exact bytes): told to the listeners at `end` with the replayed ones, in (author, seq) order. */
  seed (rare: Uint8Array[]): void {
    for (const bytes of rare) {
      const entry = this.#decode(bytes)
      const org = this.#chain.orgAt(entry.author, entry.time)
      if (org !== undefined) this.rare.push({ bytes, entry, org })
    }
  }

  /** One stored entry, the next in (author, seq) order. */
  entry (id: Uint8Array, bytes: Uint8Array): void {
    const entry = this.#decode(bytes)
    const org = this.#chain.orgAt(entry.author, entry.time)
    if (org === undefined) return
    const hour = Math.floor(entry.time / 3600_000)
    if (org === this.#runOrg && hour === this.#runHour) this.#run++
    else {
      if (this.#run > 0) this.#rate.count(this.#runOrg, this.#runTime, this.#run)
      this.#runOrg = org; this.#runHour = hour; this.#runTime = entry.time; this.#run = 1
    }
    const type = entry.body.type
    if (type === 'key-epoch' || type === 'guardian-counts') this.rare.push({ bytes, entry, org })
    const s = statementOf(entry, id, org)
    if (s !== undefined) this.#index.apply(s)
    this.entries++
  }

  /** Closes the last rate run and hands the kept entries to the listeners, in log order. */
  end (listeners: IngestListeners): void {
    if (this.#ended) return
    this.#ended = true
    if (this.#run > 0) this.#rate.count(this.#runOrg, this.#runTime, this.#run)
    this.#run = 0
    // already in this order unless a checkpoint seeded some
    this.rare.sort((a, b) => compareBytes(a.entry.author, b.entry.author) || a.entry.seq - b.entry.seq)
    for (const r of this.rare) tell(listeners, r)
  }
}

/** Hands one key-epoch or guardian-counts entry to its listener. */
export function tell (listeners: IngestListeners, r: RareEntry): void {
  const body = r.entry.body
  if (body.type === 'key-epoch') listeners.onKeyEpoch?.(body, r.org, r.entry.time)
  else if (body.type === 'guardian-counts') listeners.onGuardianCounts?.(body, r.org, r.entry.time)
}
