/**
 * The status bus: every change of the consensus blocklist, with its
 * explanation computed once, handed to whoever follows the blocklist —
 * watchers (`alliance watch`, GET /v1/events), the matcher's index, the
 * snapshot hash and the metrics.
 *
 * The ingest pipeline reports two things: status changes (by an applied
 * entry, by time, by a roster change) and applied entries (whose
 * explanations — orgs, expiry — may change without a status change). The
 * bus collects the fingerprints of one applied batch, explains each once,
 * and delivers one list of updates per batch to every subscriber.
 *
 * Delivery is in order per subscriber. A synchronous subscriber runs at
 * once; an asynchronous one (the matcher) gets its next batch only after
 * the previous one settled. A subscriber that fails is never silently
 * skipped: the failure is logged with the subscriber's name, counted, and
 * the subscriber's `resync()` rebuilds its state from the whole index, so
 * it cannot drift from the blocklist.
 */
import { bytesEqual } from '../../protocol/bytes.js'
import type { StatusChange } from '../../protocol/consensus/index.js'
import type { Explanation } from '../../protocol/consensus/rule.js'
import type { LogEntry } from '../../protocol/log/index.js'
import type { StatusCause } from '../ingest.js'
import type { ComponentLogger } from '../logger.js'
import type { ConsensusState } from './consensus-state.js'

export interface StatusUpdate {
  fingerprint: Uint8Array
  /** The fingerprint's explanation after the change (status, orgs, expiry). */
  explanation: Explanation
  /** Set when the status itself changed (present but undefined otherwise). */
  change?: StatusChange
  cause: StatusCause
  /** cause 'entry': the org whose entry (the batch's last naming the fingerprint) made the change, when its author is in the roster. */
  org?: string
  /** Consensus clock when the update was made (ms). */
  at: number
}

export interface StatusSubscriber {
  /** For logs and metrics. */
  readonly name: string
  /** One batch of updates, in order. May be async: the next batch waits for it. */
  onUpdates: (updates: StatusUpdate[]) => void | Promise<void>
  /** Rebuilds the subscriber's state from the whole index after a failed delivery. */
  resync?: () => void | Promise<void>
}

export interface StatusBusComponents {
  state: ConsensusState
  logger: ComponentLogger
  /** Called with the subscriber's name each time a delivery failed. */
  onFailure?: (subscriber: string) => void
}

interface Sub {
  s: StatusSubscriber
  tail: Promise<void> | undefined
}

function bodyFingerprint (e: LogEntry): Uint8Array | undefined {
  const b = e.entry.body
  return b.type === 'attestation' || b.type === 'opinion' || b.type === 'retraction' ? b.fingerprint : undefined
}

/** The change `earlier` then `later` of one fingerprint make together. */
function across (earlier: StatusChange | undefined, later: StatusChange): StatusChange {
  return earlier === undefined ? later : { fingerprint: earlier.fingerprint, kind: later.kind, from: earlier.from, to: later.to }
}

/** A change, or undefined when it ends where it started (changed and changed back within one batch). */
function net (change: StatusChange | undefined): StatusChange | undefined {
  return change !== undefined && change.from !== change.to ? change : undefined
}

export class StatusBus {
  readonly #c: StatusBusComponents
  readonly #subs = new Set<Sub>()
  /** Status changes of the batch being applied (cause 'entry'), in order. */
  readonly #pending: StatusChange[] = []
  /**
   * Per consensus record (ConsensusIndex.recordOf): the batch that last named
   * it, and its position among that batch's updates. A batch's fingerprints
   * are told apart by these arrays, with no map keyed by hex strings (issue
   * 15: three hex strings per applied entry were a tenth of a catch-up's
   * main thread).
   */
  #stamp = new Int32Array(0)
  #slot = new Int32Array(0)
  #batch = 0
  #failures = 0

  constructor (components: StatusBusComponents) {
    this.#c = components
  }

  /** Deliveries that failed since start. */
  get failures (): number { return this.#failures }

  subscribe (s: StatusSubscriber): () => void {
    const sub: Sub = { s, tail: undefined }
    this.#subs.add(sub)
    return () => { this.#subs.delete(sub) }
  }

  /** A status changed. Changes by an applied entry wait for the batch's `applied`; others go out at once. */
  changed (change: StatusChange, cause: StatusCause): void {
    if (cause === 'entry') {
      this.#pending.push(change)
      return
    }
    this.#deliver([this.#update(change.fingerprint, change, cause)])
  }

  /** Several changes of one cause (an expiry sweep, a roster change), as one batch. */
  changedMany (changes: StatusChange[], cause: StatusCause): void {
    if (changes.length === 0) return
    if (cause === 'entry') { for (const c of changes) this.changed(c, cause); return }
    this.#deliver(changes.map(c => this.#update(c.fingerprint, c, cause)))
  }

  /** A batch of entries was applied: one update per fingerprint they name, with the batch's status changes. */
  applied (entries: LogEntry[]): void {
    const index = this.#c.state.index
    const batch = this.#nextBatch(index.size)
    const stamp = this.#stamp
    const slot = this.#slot
    // per fingerprint, in order of first mention: the last entry of the batch that names it is the one that decided
    const recs: number[] = []
    const fps: Uint8Array[] = []
    const deciding: LogEntry[] = []
    for (const e of entries) {
      const fp = bodyFingerprint(e)
      if (fp === undefined) continue
      const rec = index.recordOf(fp)
      if (rec >= 0 && stamp[rec] === batch) { deciding[slot[rec]] = e; continue }
      if (rec >= 0) { stamp[rec] = batch; slot[rec] = recs.length }
      recs.push(rec); fps.push(fp); deciding.push(e)
    }
    // each fingerprint's change over the whole batch (from its status before the batch to its status
    // after it: two entries of one batch may change it twice); changes whose fingerprint no entry of
    // the batch names (none today; kept honest) after them
    const changes: Array<StatusChange | undefined> = new Array(recs.length)
    let unnamed: Map<number | Uint8Array, StatusChange> | undefined
    for (const c of this.#pending) {
      const rec = index.recordOf(c.fingerprint)
      if (rec >= 0 && stamp[rec] === batch) changes[slot[rec]] = across(changes[slot[rec]], c)
      else {
        unnamed ??= new Map()
        const key = rec >= 0 ? rec : c.fingerprint
        unnamed.set(key, across(unnamed.get(key), c))
      }
    }
    this.#pending.length = 0
    const updates: StatusUpdate[] = []
    const current = this.#c.state.chain.current
    let author: Uint8Array | undefined
    let org: string | undefined
    for (let i = 0; i < recs.length; i++) {
      // a batch is one author's: its org is looked up once
      const a = deciding[i].entry.author
      if (author === undefined || !bytesEqual(a, author)) { author = a; org = current.memberOf(a)?.member.org }
      const rec = recs[i]
      const explanation = rec >= 0 ? index.explainRecord(rec) : index.explain(fps[i])
      updates.push({ fingerprint: fps[i], explanation, change: net(changes[i]), cause: 'entry', org, at: index.now })
    }
    if (unnamed !== undefined) for (const change of unnamed.values()) updates.push(this.#update(change.fingerprint, net(change), 'entry'))
    if (updates.length > 0) this.#deliver(updates)
  }

  /** A new batch number, with the per-record scratch grown to `records`. */
  #nextBatch (records: number): number {
    if (this.#stamp.length < records) {
      const n = Math.max(records, 2 * this.#stamp.length, 1024)
      const stamp = new Int32Array(n); stamp.set(this.#stamp); this.#stamp = stamp
      const slot = new Int32Array(n); slot.set(this.#slot); this.#slot = slot
    }
    if (this.#batch === 0x7fffffff) { this.#stamp.fill(0); this.#batch = 0 }
    return ++this.#batch
  }

  /** Resolves when every subscriber has handled everything delivered so far (tests, shutdown). */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.#subs].map(s => s.tail))
  }

  #update (fingerprint: Uint8Array, change: StatusChange | undefined, cause: StatusCause, org?: string): StatusUpdate {
    const index = this.#c.state.index
    // one object shape whether or not the status changed (`change` undefined when it did not; `org` only for entries): an object spread here cost more than the explanation
    return { fingerprint, explanation: index.explain(fingerprint), change, cause, org, at: index.now }
  }

  #deliver (updates: StatusUpdate[]): void {
    for (const sub of this.#subs) {
      if (sub.tail === undefined) {
        let r: void | Promise<void>
        try {
          r = sub.s.onUpdates(updates)
        } catch (err) {
          const resync = this.#failed(sub, err)
          if (resync !== undefined) this.#chain(sub, resync)
          continue
        }
        if (r instanceof Promise) this.#chain(sub, r)
      } else {
        this.#chain(sub, sub.tail.then(async () => { await sub.s.onUpdates(updates) }))
      }
    }
  }

  #chain (sub: Sub, p: Promise<void>): void {
    const tail = p.then(() => undefined, (err: unknown) => this.#failed(sub, err)).finally(() => {
      if (sub.tail === tail) sub.tail = undefined
    })
    sub.tail = tail
  }

  #failed (sub: Sub, err: unknown): Promise<void> | undefined {
    this.#failures++
    this.#c.onFailure?.(sub.s.name)
    this.#c.logger.error('status subscriber failed; rebuilding its state from the whole blocklist', { subscriber: sub.s.name, error: (err as Error).message })
    if (sub.s.resync === undefined) return undefined
    return Promise.resolve().then(async () => { await sub.s.resync?.() }).catch((e: unknown) => {
      this.#c.logger.error('status subscriber could not rebuild its state', { subscriber: sub.s.name, error: (e as Error).message })
    })
  }
}
