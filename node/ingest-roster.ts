/**
 * The ingest pipeline's roster chain (node/ingest.ts): the one way the chain
 * grows, whether a version came in a log entry or out of band (verify and
 * extend, store, re-read the consensus policy, tell listeners), and the
 * governance forks seen (two valid versions with one number), kept in the
 * store's meta record. Rare work, kept apart from the per-entry pipeline.
 *
 * Only the Ingestor uses it, from inside its write queue: no locking here.
 */
import type { RosterVersion } from '../protocol/roster/index.js'
import type { RosterFork } from '../protocol/roster/bodies.js'
import type { SignedRoster } from '../protocol/types.js'
import type { ComponentLogger } from './logger.js'
import type { ConsensusState } from './services/consensus-state.js'
import type { IngestListeners } from './ingest.js'
import { loadRosterForks, sameFork, saveRosterForks } from './store/roster-forks.js'
import type { Store } from './store/types.js'

export interface RosterKeeperInit {
  store: Store
  /** The chain it extends, and the index whose policy follows it. */
  state: ConsensusState
  logger: ComponentLogger
  listeners: IngestListeners
}

export class RosterKeeper {
  readonly #store: Store
  readonly #state: ConsensusState
  readonly #log: ComponentLogger
  readonly #listeners: IngestListeners
  readonly #forks: RosterFork[] = []

  constructor (init: RosterKeeperInit) {
    this.#store = init.store
    this.#state = init.state
    this.#log = init.logger
    this.#listeners = init.listeners
  }

  /** Governance forks seen (kept in the store's meta `rosterForks`, and as the log entries that carried them). */
  get forks (): readonly RosterFork[] { return this.#forks }

  /** Loads the forks the store kept (the end of a start-up replay). */
  async loadForks (): Promise<void> {
    this.#forks.push(...await loadRosterForks(this.#store))
  }

  /**
   * The one way the chain grows, whether the version came in a log entry or
   * out of band: verify and extend (a `ProtocolError` if it is not the next
   * valid version), store, re-read the consensus policy, tell listeners.
   * Undefined when the version is already held.
   */
  async extend (signed: SignedRoster): Promise<RosterVersion | undefined> {
    const next = this.#state.extend(signed)
    if (next === undefined) return undefined
    await this.#store.putRoster(next.version.roster.version, signed)
    for (const change of next.changes) this.#listeners.onStatusChange?.(change, 'roster')
    this.#listeners.onRoster?.(next.version)
    return next.version
  }

  /** Keeps a governance fork as evidence (once per pair) and tells listeners. */
  async fork (fork: RosterFork): Promise<void> {
    if (this.#forks.some(f => sameFork(f, fork))) return
    this.#forks.push(fork)
    await saveRosterForks(this.#store, this.#forks)
    this.#log.warn('governance fork: two valid roster versions with one number; evidence kept, the orgs that signed both flagged', { version: fork.version, orgs: fork.orgs })
    this.#listeners.onRosterFork?.(fork)
  }
}
