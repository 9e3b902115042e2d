/**
 * Read views of the consensus state for the API and CLI: explain a
 * fingerprint, blocklist rows, the node's status. Pure reads; the snapshot
 * hash and the status counts follow the status bus, so `status` costs the
 * same at a million listed fingerprints as at ten.
 */
import { fromHex, toHex } from '../../protocol/bytes.js'
import type { ConsensusIndex } from '../../protocol/consensus/index.js'
import type { Explanation } from '../../protocol/consensus/rule.js'
import type { ReasonNames } from '../../protocol/roster/reasons.js'
import type { Store } from '../store/types.js'
import type { BlocklistRow, ExplainResult, HeadView, StatusName, VoteView } from '../service.js'
import { InvalidRequestError } from './errors.js'
import type { ConsensusState } from './consensus-state.js'
import { SnapshotHash } from './snapshot-hash.js'
import type { StatusBus } from './status-bus.js'

function iso (t: number): string | null {
  return Number.isFinite(t) ? new Date(t).toISOString() : null
}

function voteView (v: Explanation['positive'][number], names: ReasonNames): VoteView {
  const reason = v.reason === 0 ? null : { code: v.reason, name: names.of(v.reason)?.name ?? null }
  return { org: v.org, entryId: toHex(v.entryId), time: new Date(v.time).toISOString(), expires: iso(v.expires), source: v.source, reason }
}

export function explainView (e: Explanation, names: ReasonNames): ExplainResult {
  return {
    fingerprint: toHex(e.fingerprint),
    kind: e.kind ?? null,
    status: e.status,
    quorum: e.quorum,
    weight: e.weight,
    positive: e.positive.map(v => voteView(v, names)),
    negative: e.negative.map(v => voteView(v, names)),
    confirmations: e.confirmations,
    expires: iso(e.expires)
  }
}

export function blocklistRow (e: Explanation, names: ReasonNames): BlocklistRow {
  const reasons: Record<string, string> = {}
  for (const v of e.positive) if (v.reason !== 0) reasons[v.org] = names.label(v.reason)
  return {
    fingerprint: toHex(e.fingerprint),
    kind: e.kind ?? null,
    status: e.status as StatusName,
    orgs: e.positive.map(v => v.org),
    weight: e.weight,
    expires: iso(e.expires),
    reasons
  }
}

/** A fingerprint given as hex (32 bytes; shorter even-length prefixes of 8+ bytes are accepted for perceptual hashes). */
export function parseFingerprint (hex: string): Uint8Array {
  if (!/^[0-9a-f]{16,64}$/i.test(hex) || hex.length % 2 !== 0) throw new InvalidRequestError('fingerprint must be hex (32 bytes: 64 hex digits)')
  return fromHex(hex.toLowerCase())
}

/** The snapshot hash of an index, from a full pass over it. */
export function snapshotOf (index: ConsensusIndex): SnapshotHash {
  const h = new SnapshotHash()
  // a multiset hash: the order does not matter, so no sort of every fingerprint at start-up
  for (const e of index.statuses({ unordered: true })) h.add(e.fingerprint, e.status)
  return h
}

export interface ViewServiceComponents {
  state: ConsensusState
  store: Store
  bus: StatusBus
}

export class ViewService {
  readonly #c: ViewServiceComponents
  #hash = new SnapshotHash()
  #unsubscribe: (() => void) | undefined

  constructor (components: ViewServiceComponents) {
    this.#c = components
  }

  /**
   * Builds the snapshot hash from the index once (after the start-up
   * replay), or takes `seed` (the running sum a start-up checkpoint kept, for
   * an index loaded from it and changed since only as folded into the seed),
   * then follows the bus.
   */
  start (seed?: SnapshotHash): void {
    if (seed !== undefined) this.#hash = seed
    else this.#rebuild()
    this.#unsubscribe = this.#c.bus.subscribe({
      name: 'snapshot-hash',
      onUpdates: (updates) => {
        for (const u of updates) if (u.change !== undefined) this.#hash.change(u.fingerprint, u.change.from, u.change.to)
      },
      resync: () => { this.#rebuild() }
    })
  }

  stop (): void {
    this.#unsubscribe?.()
  }

  #rebuild (): void {
    this.#hash = snapshotOf(this.#c.state.index)
  }

  /** Content hash of the listed and disputed fingerprints and of the keys excluded for equivocation: equal on nodes that agree. */
  snapshotHash (): string {
    return this.#hash.hex(this.#c.state.index.excluded())
  }

  explain (fingerprint: Uint8Array): ExplainResult {
    return explainView(this.#c.state.index.explain(fingerprint), this.#c.state.reasonNames)
  }

  * blocklist (filter: { status?: StatusName } = {}): Iterable<BlocklistRow> {
    const names = this.#c.state.reasonNames
    for (const e of this.#c.state.index.entries(filter.status !== undefined ? { status: filter.status } : {})) {
      if (e.status === 'absent') continue
      yield blocklistRow(e, names)
    }
  }

  heads (): HeadView[] {
    const chain = this.#c.state.chain
    return this.#c.store.heads().map(h => ({ org: chain.current.memberOf(h.author)?.member.org ?? chain.orgAt(h.author, h.time) ?? null, author: toHex(h.author), seq: h.seq, time: new Date(h.time).toISOString() }))
  }
}
