/**
 * What a checkpoint written at stop may claim: the last entry of each log
 * the consensus state covers, and the key-epoch and guardian-counts entries
 * it holds (exact bytes). Seeded by the start-up walk (node/startup.ts) and
 * moved by every applied batch (the ingest `onApplied` listener). Not the
 * store's heads: an entry stored without being applied (a tool appending to
 * the store directly) is not in the state, so the checkpoint must not claim
 * it; the next start replays it on top of the checkpoint instead.
 */
import { bytesEqual, toHex } from '../../protocol/bytes.js'
import type { LogEntry } from '../../protocol/log/index.js'
import type { CheckpointHead } from './format.js'

export class CoveredState {
  readonly #heads: Map<string, CheckpointHead>
  readonly rare: Uint8Array[]

  constructor (heads: Map<string, CheckpointHead>, rare: Uint8Array[]) {
    this.#heads = heads
    this.rare = rare
  }

  /** A batch of entries applied (in seq order per author; the ingest path applies one author's segment at a time). */
  applied (entries: readonly LogEntry[]): void {
    if (entries.length === 0) return
    for (let i = 0; i < entries.length; i++) {
      const type = entries[i].entry.body.type
      if (type === 'key-epoch' || type === 'guardian-counts') this.rare.push(entries[i].bytes)
    }
    const first = entries[0].entry
    const last = entries[entries.length - 1]
    if (bytesEqual(first.author, last.entry.author)) {
      this.#moved(last)
      return
    }
    // several authors in one batch: the last entry of each run of one author
    for (let i = 0; i < entries.length; i++) {
      const next = entries[i + 1]
      if (next === undefined || !bytesEqual(next.entry.author, entries[i].entry.author)) this.#moved(entries[i])
    }
  }

  #moved (e: LogEntry): void {
    this.#heads.set(toHex(e.entry.author), { author: e.entry.author, seq: e.entry.seq, id: e.id })
  }

  heads (): CheckpointHead[] {
    return [...this.#heads.values()]
  }
}
