/**
 * The node's consensus state: the roster chain in force and the consensus
 * index it implies, with one clock. Built once by the composition root and
 * injected into whatever reads or changes it (ingest, views, authoring,
 * matching), so no service reaches through another to get it.
 *
 * Only the ingest pipeline applies statements and extends the chain; every
 * other service reads.
 */
import { ConsensusIndex, type StatusChange } from '../../protocol/consensus/index.js'
import type { ConsensusPolicy } from '../../protocol/consensus/rule.js'
import type { RosterChain, RosterVersion } from '../../protocol/roster/index.js'
import { ReasonNames } from '../../protocol/roster/reasons.js'
import type { Policy } from '../../protocol/types.js'

/** The consensus policy a roster chain implies (quorum, weights, membership of its current version). */
export function consensusPolicy (chain: RosterChain): ConsensusPolicy {
  const current = chain.current
  return {
    quorum: current.roster.policy.quorum,
    weightOf: org => current.weightOf(org),
    isMember: org => current.member(org) !== undefined
  }
}

export interface ConsensusStateInit {
  chain: RosterChain
  /** @default Date.now */
  clock?: () => number
  /** An index already built for this chain (loaded from a start-up checkpoint). @default an empty index at clock() */
  index?: ConsensusIndex
}

export class ConsensusState {
  readonly chain: RosterChain
  readonly index: ConsensusIndex
  readonly clock: () => number
  #names: { versions: number, names: ReasonNames } | undefined

  constructor (init: ConsensusStateInit) {
    this.chain = init.chain
    this.clock = init.clock ?? Date.now
    this.index = init.index ?? new ConsensusIndex(consensusPolicy(init.chain), this.clock())
  }

  get alliance (): string { return this.chain.alliance }
  get current (): RosterVersion { return this.chain.current }
  get policy (): Policy { return this.chain.current.roster.policy }

  /** Reason names of the chain: the vocabulary in force, and the names of retired codes (rebuilt when a version is added). */
  get reasonNames (): ReasonNames {
    const versions = this.chain.versions.length
    if (this.#names?.versions !== versions) this.#names = { versions, names: new ReasonNames(this.chain.versions.map(v => v.roster.policy)) }
    return this.#names.names
  }

  /** Moves the index's clock to now; the statuses that expiry changed. */
  advance (): StatusChange[] {
    return this.index.advanceTo(Math.max(this.index.now, this.clock()))
  }

  /**
   * Extends the chain with the next signed version (undefined when it is
   * already held) and re-reads the consensus policy; `changes` are the
   * statuses the new membership and quorum changed.
   */
  extend (signed: Parameters<RosterChain['extend']>[0]): { version: RosterVersion, changes: StatusChange[] } | undefined {
    const next = this.chain.extend(signed)
    if (next === undefined) return undefined
    return { version: next, changes: this.index.setPolicy(consensusPolicy(this.chain)) }
  }
}
