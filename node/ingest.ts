/**
 * The ingest pipeline: the one way entries enter a node, whether from gossip,
 * sync, or this node's own attestations. Verify before store (STYLE.md §10),
 * one queue so writes never interleave, one atomic batch per covered run of
 * entries, then the consensus index, then listeners.
 *
 * Entries that verify but are not yet covered by a signature (the first
 * frames of a bulk segment arriving over sync) wait in a bounded pending
 * buffer per (sending peer, author) (node/ingest-pending.ts) and are dropped
 * if no signature arrives in time. Scoped to the peer that sent them: unsigned entries prove
 * nothing, so one peer's (possibly made-up) entries never block, replace
 * or use up the room of what another peer sends.
 *
 * The rarer work lives beside it, each in a small class the Ingestor owns and
 * calls from its write queue: equivocation evidence (ingest-evidence.ts), the
 * roster chain's growth and governance forks (ingest-roster.ts), the rate
 * counts (ingest-rate.ts) and the start-up replay (ingest-replay.ts).
 */
import { bytesEqual, toHex } from '../protocol/bytes.js'
import type { ConsensusIndex, StatusChange } from '../protocol/consensus/index.js'
import { statementOf } from '../protocol/consensus/statement.js'
import { ProtocolError } from '../protocol/errors.js'
import type { ErrorCategory } from '../protocol/errors.js'
import {
  SeqGapError, TimeReversalError, relateToHead, verifySegment, type LogEntry, type LogHead
} from '../protocol/log/index.js'
import type { RosterChain, RosterVersion } from '../protocol/roster/index.js'
import { BodyAheadError, checkChainBodies, type RosterFork } from '../protocol/roster/bodies.js'
import type { GuardianCounts, KeyEpoch, Segment, SignedRoster } from '../protocol/types.js'
import type { ComponentLogger } from './logger.js'
import { consensusPolicy, type ConsensusState } from './services/consensus-state.js'
import { EvidenceAuthorError, ForkError, PendingOverflowError, RateLimitError, RemovedKeyError } from './ingest-errors.js'
import { EvidenceKeeper } from './ingest-evidence.js'
import { PendingBuffer } from './ingest-pending.js'
import { RateCounter } from './ingest-rate.js'
import { ReplayFeed } from './ingest-replay.js'
import { RosterKeeper } from './ingest-roster.js'
import {
  LOCAL_PEER, MAX_PENDING_PER_AUTHOR, MAX_PENDING_PER_PEER, MAX_PENDING_TOTAL, PENDING_TTL_MS, RATE_CATCHUP_HOURS, REMOVED_KEY_GRACE_MS
} from './ingest-limits.js'
import type { Store } from './store/types.js'

export { LOCAL_PEER, MAX_PENDING_PER_AUTHOR, MAX_PENDING_PER_PEER, MAX_PENDING_TOTAL, PENDING_TTL_MS, RATE_CATCHUP_HOURS, REMOVED_KEY_GRACE_MS }

export type IngestOutcome =
  | { result: 'accepted', author: string, applied: number, entries: LogEntry[] }
  | { result: 'pending', author: string, pending: number }
  | { result: 'duplicate', author: string }
  | { result: 'gap', author: string, have: number, got: number }
  | { result: 'equivocation', author: string, seq: number }
  | { result: 'rejected', reason: string, message: string, category?: ErrorCategory }

/** What changed a status: an applied entry, time (an expiry), a roster change or equivocation evidence (a key excluded). */
export type StatusCause = 'entry' | 'time' | 'roster' | 'evidence'

/** What became of equivocation evidence offered by a peer (gossip or sync). */
export type EvidenceOutcome =
  | { result: 'accepted', author: string, seq: number }
  | { result: 'duplicate', author: string }
  | { result: 'rejected', reason: string, message: string }

export interface IngestListeners {
  /** Entries durably stored and applied (own or others'). */
  onApplied?: (entries: LogEntry[], orgs: string[]) => void
  onRejected?: (reason: string, message: string) => void
  /**
   * A fingerprint's status changed: by an applied entry, by time (an expiry)
   * or by a roster change. (`onApplied` also names every applied entry, whose
   * explanations may have changed without a status change.)
   */
  onStatusChange?: (change: StatusChange, cause: StatusCause) => void
  /** A new roster version was verified and stored. */
  onRoster?: (version: RosterVersion) => void
  /**
   * A key newly proved to have equivocated: evidence kept, the key flagged
   * and excluded from consensus. `evidence` is the encoded Equivocation;
   * `from` says whether this node saw the fork in a log or was sent the
   * evidence itself.
   */
  onEquivocation?: (author: string, seq: number, evidence: Uint8Array, from: 'log' | 'evidence') => void
  /**
   * A `key-epoch` entry: at start-up replay (in log order) and when applied.
   * Key rotation follows these (node/services/rotation.ts).
   */
  onKeyEpoch?: (body: KeyEpoch, org: string, time: number) => void
  /** A toprf guardian's daily counts: at start-up replay and when applied (node/services/guardian-counts.ts). */
  onGuardianCounts?: (body: GuardianCounts, org: string, time: number) => void
  /** Two valid, different roster versions with one number: evidence kept, the orgs that signed both flagged. */
  onRosterFork?: (fork: RosterFork) => void
}

export interface IngestInit {
  store: Store
  /** The roster chain and consensus index this pipeline applies entries to (the only writer of both). */
  state: ConsensusState
  logger: ComponentLogger
  listeners?: IngestListeners
  /** Uncovered entries held across all peers and authors. @default MAX_PENDING_TOTAL */
  maxPendingTotal?: number
  /** Uncovered entries held from one peer. @default MAX_PENDING_PER_PEER */
  maxPendingPerPeer?: number
}

export { consensusPolicy }
export { EvidenceAuthorError, ForkError, PendingOverflowError, RateLimitError, RemovedKeyError }

export class Ingestor {
  readonly #store: Store
  readonly #state: ConsensusState
  readonly #chain: RosterChain
  readonly #clock: () => number
  readonly #log: ComponentLogger
  readonly #listeners: IngestListeners
  readonly #pending: PendingBuffer
  readonly #evidence: EvidenceKeeper
  readonly #roster: RosterKeeper
  readonly #rate = new RateCounter()
  #queue: Promise<unknown> = Promise.resolve()

  constructor (init: IngestInit) {
    this.#store = init.store
    this.#state = init.state
    this.#chain = init.state.chain
    this.#clock = init.state.clock
    this.#log = init.logger
    this.#listeners = init.listeners ?? {}
    this.#pending = new PendingBuffer({ logger: init.logger, maxPendingTotal: init.maxPendingTotal, maxPendingPerPeer: init.maxPendingPerPeer })
    this.#evidence = new EvidenceKeeper({ store: init.store, state: init.state, logger: init.logger, listeners: this.#listeners })
    this.#roster = new RosterKeeper({ store: init.store, state: init.state, logger: init.logger, listeners: this.#listeners })
  }

  /** The chain this pipeline extends (read-only use; the node's services get it from ConsensusState). */
  get chain (): RosterChain { return this.#chain }
  /** The index this pipeline applies to (read-only use; the node's services get it from ConsensusState). */
  get consensus (): ConsensusIndex { return this.#state.index }

  /** Authors flagged for equivocation (hex key → seq). */
  get flagged (): ReadonlyMap<string, number> { return this.#evidence.flagged }

  /** Governance forks seen (kept in the store's meta `rosterForks`, and as the log entries that carried them). */
  get rosterForks (): readonly RosterFork[] { return this.#roster.forks }

  /**
   * Rebuilds the consensus index and rate counters from the store (start-up),
   * reading every entry. The node feeds the chain check's walk instead
   * (`beginReplay`), which reads the store once for both.
   */
  async replay (): Promise<number> {
    const feed = await this.beginReplay()
    for await (const e of this.#store.all()) feed.entry(e.id, e.bytes)
    return await this.endReplay(feed)
  }

  /**
   * Starts a replay (start-up): loads the evidence first, so an excluded
   * key's statements are never counted, even for a moment; then feed every
   * stored entry to the returned feed in (author, seq) order, and call
   * `endReplay`. A feed abandoned half-way leaves this pipeline's index
   * holding part of the store: build a new state and Ingestor instead.
   */
  async beginReplay (): Promise<ReplayFeed> {
    const { decodeEntry } = await import('../protocol/codec/index.js')
    await this.#evidence.load()
    return new ReplayFeed({ index: this.#state.index, chain: this.#chain, rate: this.#rate, decode: decodeEntry })
  }

  /**
   * Starts from a start-up checkpoint instead (node/startup.ts): the state's
   * index was loaded from it; the rate counts and the kept key-epoch and
   * guardian-counts entries come from it too. Evidence is loaded and excluded
   * as in `beginReplay` (a key flagged since is excluded now). Feed the
   * entries appended after the checkpoint, then `endReplay`.
   */
  async resumeReplay (rate: Iterable<[string, number]>, rare: Uint8Array[]): Promise<ReplayFeed> {
    const feed = await this.beginReplay()
    this.#rate.load(rate)
    feed.seed(rare)
    return feed
  }

  /** Rate counts by entry hour, for a start-up checkpoint (node/checkpoint). */
  rateCounts (): Array<[string, number]> { return this.#rate.counts() }

  /** Resolves once everything queued so far has been ingested (a clean stop, before a checkpoint is written). */
  async settled (): Promise<void> { await this.#serial(async () => {}) }

  /** Ends a replay: the key-epoch and guardian-counts entries go to the listeners; governance forks are loaded. How many entries it applied. */
  async endReplay (feed: ReplayFeed): Promise<number> {
    feed.end(this.#listeners)
    await this.#roster.loadForks()
    return feed.entries
  }

  /** Heads including verified-but-pending entries from `from`: what a sync with that peer should ask beyond. */
  headOf (author: Uint8Array, from: string = LOCAL_PEER): LogHead | undefined {
    return this.#pending.head(from, toHex(author)) ?? this.#store.head(author)
  }

  /** Runs `fn` after everything queued before it: the single write queue. */
  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => undefined)
    return await run
  }

  /**
   * Verifies and stores a segment. Bad input (a `ProtocolError`: malformed,
   * badly signed, out of policy) is never thrown: it answers 'rejected' with
   * the reason. Anything else is this node's own failure (a full disk, a
   * store closed during shutdown) and is thrown, so that callers do not
   * blame the peer that sent the segment.
   */
  async ingest (segment: Segment, opts: { requireSignature?: boolean, from?: string } = {}): Promise<IngestOutcome> {
    return await this.#serial(async () => {
      try {
        return await this.#ingest(segment, opts.requireSignature === true, opts.from ?? LOCAL_PEER)
      } catch (err) {
        if (err instanceof ProtocolError) {
          const reason = err.reason
          this.#listeners.onRejected?.(reason, err.message)
          return { result: 'rejected', reason, message: err.message, category: err.category }
        }
        throw err
      }
    })
  }

  async #ingest (segment: Segment, requireSignature: boolean, from: string): Promise<IngestOutcome> {
    const now = this.#clock()
    this.#pending.expire(now)
    const policy = this.#chain.current.roster.policy
    const v = verifySegment(segment, {
      alliance: this.#chain.alliance,
      now,
      clockToleranceMs: policy.clockToleranceMs,
      maxLifetimeMs: policy.maxLifetimeMs,
      orgAt: (k, t) => this.#chain.orgAt(k, t),
      requireSignature
    })
    const author = toHex(v.author)
    const pending = this.#pending.get(from, author)
    const head = this.headOf(v.author, from)
    const first = v.entries[0].entry.seq
    const last = v.entries[v.entries.length - 1].entry.seq
    const haveSeq = head?.seq ?? 0
    if (first > haveSeq + 1) {
      return { result: 'gap', author, have: haveSeq, got: first }
    }
    // ids we hold for the overlapping seqs (pending first, then the store)
    const held = new Map<number, Uint8Array>()
    if (pending !== undefined) for (const p of pending.entries) held.set(p.entry.seq, p.id)
    const overlapEnd = Math.min(last, haveSeq)
    if (first <= overlapEnd) {
      const stored = await this.#store.range(v.author, first, overlapEnd - first + 1)
      for (const s of stored) if (!held.has(s.seq)) held.set(s.seq, s.id)
    }
    if (haveSeq > 0 && !held.has(haveSeq) && head !== undefined) held.set(haveSeq, head.id)
    let rel
    try {
      rel = relateToHead(v.entries, head, seq => held.get(seq))
    } catch (err) {
      if (err instanceof SeqGapError) return { result: 'gap', author, have: err.have, got: err.got }
      throw err
    }
    if (rel.kind === 'fork' && v.signed && pending !== undefined && rel.seq > (this.#store.head(v.author)?.seq ?? 0)) {
      // The conflict is with pending entries, which no signature covers: they
      // may never have been the author's (anyone can make up unsigned ones).
      // A signed segment wins; drop them and judge it against what is stored.
      this.#log.warn('pending entries conflict with a signed segment; dropped', { author, seq: rel.seq, count: pending.entries.length })
      this.#pending.delete(from, author)
      return await this.#ingest(segment, requireSignature, from)
    }
    if (rel.kind === 'fork') return await this.#evidence.fork(v, rel.seq)

    const fresh = rel.kind === 'append' ? v.entries.slice(rel.from) : []
    const freshOrgs = rel.kind === 'append' ? v.orgs.slice(rel.from) : []
    // a key the roster dropped takes no new entries once its removal is past the grace, whatever time they claim
    const removedAt = fresh.length > 0 ? this.#chain.removedAt(v.author) : undefined
    if (removedAt !== undefined && now >= removedAt + REMOVED_KEY_GRACE_MS) throw new RemovedKeyError(fresh[0].entry.seq, removedAt)
    // entry times never go backwards in an author's log, across segments too (within one, verifySegment checks it)
    if (rel.kind === 'append' && fresh.length > 0 && rel.from === 0 && head !== undefined && fresh[0].entry.time < head.time) {
      throw new TimeReversalError(fresh[0].entry.seq)
    }
    if (!v.signed) {
      if (fresh.length === 0) return { result: 'duplicate', author }
      const p = this.#pending.add(from, author, fresh, freshOrgs, now)
      return { result: 'pending', author, pending: p.entries.length }
    }
    // Signed: the signature covers everything up to `last`, pending entries included.
    const storedHead = this.#store.head(v.author)?.seq ?? 0
    if (last <= storedHead) return { result: 'duplicate', author }
    const covered: LogEntry[] = []
    const orgs: string[] = []
    if (pending !== undefined) {
      for (let i = 0; i < pending.entries.length && pending.entries[i].entry.seq <= last; i++) {
        covered.push(pending.entries[i]); orgs.push(pending.orgs[i])
      }
    }
    for (let i = 0; i < fresh.length; i++) {
      if (covered.length === 0 || fresh[i].entry.seq > covered[covered.length - 1].entry.seq) {
        covered.push(fresh[i]); orgs.push(freshOrgs[i])
      }
    }
    if (covered.length === 0) return { result: 'duplicate', author }
    let forks: RosterFork[]
    try {
      // roster and key-epoch bodies must mean something to the chain (protocol/roster/bodies.ts)
      forks = checkChainBodies(this.#chain, covered.map(c => c.entry.body), orgs).forks
    } catch (err) {
      // a version or epoch beyond ours: the peer holds what we lack, as with a gap in a log
      if (err instanceof BodyAheadError) return { result: 'gap', author, have: storedHead, got: covered[0].entry.seq }
      throw err
    }
    this.#rate.check(orgs, covered, now, this.#chain.current.roster.policy.rateLimitPerHour)
    await this.#store.append(v.author, covered, v.signature)
    for (const f of forks) await this.#roster.fork(f)
    this.#pending.covered(from, author, last)
    const grown = this.#store.head(v.author)
    if (grown !== undefined) await this.#pending.trim(author, grown, async seq => await this.#store.idAt(v.author, seq))
    this.#rate.countEntries(orgs, covered)
    this.#rate.countArrivals(orgs, now)
    await this.#apply(covered, orgs)
    return { result: 'accepted', author, applied: covered.length, entries: covered }
  }

  async #apply (entries: LogEntry[], orgs: string[]): Promise<void> {
    for (const change of this.#state.advance()) this.#listeners.onStatusChange?.(change, 'time')
    for (let i = 0; i < entries.length; i++) {
      const { entry, id } = entries[i]
      if (entry.body.type === 'roster') {
        // a version in a log entry that does not extend our chain is kept as the author's statement, not applied
        await this.#roster.extend(entry.body.signed).catch((err: unknown) => {
          if (!(err instanceof ProtocolError)) throw err
          this.#log.warn('roster version in a log entry does not extend our chain', { error: err.message })
        })
        continue
      }
      if (entry.body.type === 'key-epoch') this.#listeners.onKeyEpoch?.(entry.body, orgs[i], entry.time)
      else if (entry.body.type === 'guardian-counts') this.#listeners.onGuardianCounts?.(entry.body, orgs[i], entry.time)
      const s = statementOf(entry, id, orgs[i])
      if (s === undefined) continue
      const change = this.#state.index.apply(s)
      if (change !== undefined) this.#listeners.onStatusChange?.(change, 'entry')
    }
    this.#listeners.onApplied?.(entries, orgs)
  }

  /** Adds a roster version received out of band (`alliance roster update`), in the write queue. */
  async addRoster (signed: SignedRoster): Promise<RosterVersion | undefined> {
    return await this.#serial(async () => await this.#roster.extend(signed))
  }

  /**
   * Equivocation evidence sent by a peer (gossip or sync): both signatures
   * and the fork are checked (`verifyEquivocation`), and the key must be a
   * node key of some roster version, before anything is kept. New evidence
   * flags and excludes the key as if this node had seen the fork itself.
   * Bad evidence is 'rejected' with a reason and changes nothing.
   */
  async ingestEvidence (bytes: Uint8Array): Promise<EvidenceOutcome> {
    return await this.#serial(async () => {
      try {
        return await this.#evidence.offered(bytes)
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err
        this.#listeners.onRejected?.(err.reason, err.message)
        return { result: 'rejected', reason: err.reason, message: err.message }
      }
    })
  }

  /** Stored evidence against every flagged key, one per key except `known` (hex keys): what a peer lacks. */
  async evidenceFor (known: ReadonlySet<string>, max: number): Promise<Uint8Array[]> {
    return await this.#evidence.missing(known, max)
  }

  /** Whether the given id at seq matches what we hold (for sync responders). */
  async holds (author: Uint8Array, seq: number, id: Uint8Array): Promise<boolean> {
    const ours = await this.#store.idAt(author, seq)
    return ours !== undefined && bytesEqual(ours, id)
  }
}
