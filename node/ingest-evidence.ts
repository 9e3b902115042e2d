/**
 * The ingest pipeline's equivocation evidence (node/ingest.ts): keys proved
 * to have signed two histories at one seq. Builds the evidence when a signed
 * segment forks a stored log, checks evidence a peer offers, keeps it in the
 * store, flags the key and excludes its statements from consensus
 * (protocol/consensus/exclusion.ts), and finds what a peer lacks. Rare work,
 * kept apart from the per-entry pipeline.
 *
 * Only the Ingestor uses it, from inside its write queue (`missing` only
 * reads): no locking here.
 */
import { toHex } from '../protocol/bytes.js'
import { decodeEquivocation, encodeEquivocation } from '../protocol/codec/index.js'
import { verifyEquivocation, type VerifiedSegment } from '../protocol/log/index.js'
import type { RosterChain } from '../protocol/roster/index.js'
import type { Equivocation, Segment } from '../protocol/types.js'
import type { ComponentLogger } from './logger.js'
import type { ConsensusState } from './services/consensus-state.js'
import { EvidenceAuthorError, ForkError } from './ingest-errors.js'
import type { EvidenceOutcome, IngestListeners, IngestOutcome } from './ingest.js'
import type { Store } from './store/types.js'

export interface EvidenceKeeperInit {
  store: Store
  /** Its index excludes flagged keys; its chain says who may be accused. */
  state: ConsensusState
  logger: ComponentLogger
  listeners: IngestListeners
}

export class EvidenceKeeper {
  readonly #store: Store
  readonly #state: ConsensusState
  readonly #chain: RosterChain
  readonly #log: ComponentLogger
  readonly #listeners: IngestListeners
  readonly #flagged = new Map<string, number>()

  constructor (init: EvidenceKeeperInit) {
    this.#store = init.store
    this.#state = init.state
    this.#chain = init.state.chain
    this.#log = init.logger
    this.#listeners = init.listeners
  }

  /** Authors flagged for equivocation (hex key → seq). */
  get flagged (): ReadonlyMap<string, number> { return this.#flagged }

  /** Flags every key the store holds evidence against and excludes it from the index (start-up, before any entry is replayed). */
  async load (): Promise<void> {
    for (const ev of await this.#store.evidence()) this.#flagged.set(toHex(ev.author), ev.seq)
    this.#state.index.exclude(this.#flaggedKeys())
  }

  #flaggedKeys (): Uint8Array[] {
    return [...this.#flagged.keys()].map(k => Uint8Array.from(Buffer.from(k, 'hex')))
  }

  /** Two signed histories at one seq: build portable evidence, keep it, flag the key. */
  async fork (v: VerifiedSegment, seq: number): Promise<IngestOutcome> {
    const author = toHex(v.author)
    const at = v.entries.findIndex(e => e.entry.seq === seq)
    if (!v.signed || at < 0) {
      throw new ForkError(seq)
    }
    const theirs: Segment = { entries: v.entries.slice(at).map(e => e.bytes), signature: v.signature }
    const ours = await this.#signedRunFrom(v.author, seq)
    if (ours === undefined) throw new ForkError(seq)
    const evidence: Equivocation = { a: ours, b: theirs }
    verifyEquivocation(evidence, this.#chain.alliance)
    await this.#flag(v.author, seq, encodeEquivocation(evidence), 'log')
    return { result: 'equivocation', author, seq }
  }

  /**
   * Keeps evidence against a key, flags it and excludes its statements from
   * consensus (protocol/consensus/exclusion.ts: the same rule on every node
   * that holds evidence against it). The first evidence per key is kept; a
   * key already flagged stays as it is.
   */
  async #flag (author: Uint8Array, seq: number, evidence: Uint8Array, from: 'log' | 'evidence'): Promise<void> {
    const hex = toHex(author)
    const known = this.#flagged.has(hex)
    if (!known || from === 'log') await this.#store.putEvidence(author, seq, evidence)
    if (known) return
    this.#flagged.set(hex, seq)
    for (const change of this.#state.index.exclude([author])) this.#listeners.onStatusChange?.(change, 'evidence')
    this.#log.warn('equivocation: two signed histories at one seq; evidence kept, key flagged and excluded from consensus', { author: hex, seq, from })
    this.#listeners.onEquivocation?.(hex, seq, evidence, from)
  }

  /**
   * Evidence a peer offered (Ingestor.ingestEvidence), accepted or a
   * duplicate; evidence that proves nothing is a ProtocolError, thrown
   * before anything is kept.
   */
  async offered (bytes: Uint8Array): Promise<EvidenceOutcome> {
    const ev = decodeEquivocation(bytes)
    const { author, seq } = verifyEquivocation(ev, this.#chain.alliance)
    if (!this.#chain.versions.some(v => v.memberOf(author) !== undefined)) throw new EvidenceAuthorError()
    const hex = toHex(author)
    if (this.#flagged.has(hex)) return { result: 'duplicate', author: hex }
    await this.#flag(author, seq, bytes, 'evidence')
    return { result: 'accepted', author: hex, seq }
  }

  /** Stored evidence against every flagged key, one per key except `known` (hex keys): what a peer lacks. */
  async missing (known: ReadonlySet<string>, max: number): Promise<Uint8Array[]> {
    // every stored piece of evidence is against a flagged key (#flag, load): a peer that
    // knows them all gets nothing, without a store read (the usual answer, after every pull)
    let unknown = false
    for (const hex of this.#flagged.keys()) if (!known.has(hex)) { unknown = true; break }
    if (!unknown) return []
    const out: Uint8Array[] = []
    const seen = new Set<string>()
    for (const ev of await this.#store.evidence()) {
      const hex = toHex(ev.author)
      if (known.has(hex) || seen.has(hex)) continue
      seen.add(hex)
      out.push(ev.evidence)
      if (out.length >= max) break
    }
    return out
  }

  /** Our stored entries of `author` from `seq` up to the first signed one, as a signed segment. */
  async #signedRunFrom (author: Uint8Array, seq: number): Promise<Segment | undefined> {
    const run: Uint8Array[] = []
    let from = seq
    for (;;) {
      const batch = await this.#store.range(author, from, 1000)
      if (batch.length === 0) return undefined
      for (const e of batch) {
        run.push(e.bytes)
        if (e.signature !== undefined) return { entries: run, signature: e.signature }
      }
      from = batch[batch.length - 1].seq + 1
    }
  }
}
