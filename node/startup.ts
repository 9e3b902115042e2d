/**
 * Start-up of a node's consensus state from its store, in one pass: the
 * chain check walks every log (node/store: each stored id recomputed, each
 * link followed) and hands each entry it verified to the replay that
 * rebuilds the consensus index, so the store is read once, not twice.
 *
 * Order: the stored roster chain first (it reads no log entry), then the
 * evidence (an excluded key is never counted, even for a moment), then the
 * walk. Two rare paths keep the old, two-pass order because they must:
 * - a damaged stored roster: the versions it lost come back from the roster
 *   entries in the logs, which may be read only once the logs are checked;
 *   then the chain check runs alone and the replay reads the store again;
 * - the walk starting over (LevelDB could not read a table block and the
 *   database was salvaged): the state built so far is thrown away and a
 *   fresh one is fed by the second walk; the roster chain is read again
 *   first, since the salvage may have lost some of its records too.
 */
import { toHex } from '../protocol/bytes.js'
import type { SignedRoster } from '../protocol/types.js'
import type { Ingestor } from './ingest.js'
import type { ReplayFeed } from './ingest-replay.js'
import type { ComponentLogger } from './logger.js'
import { ConsensusState } from './services/consensus-state.js'
import { loadStoredRosters, recoverRostersFromLogs, type LoadedRosters } from './store/rosters.js'
import type { ChainDamage, Store } from './store/types.js'

export interface StartupInit {
  store: Store
  /** The roster the operator installed (version 1): restores a damaged or missing stored genesis. */
  installedGenesis: SignedRoster
  clock: () => number
  log: ComponentLogger
  /** The node's ingest pipeline over `state` (built again if the walk starts over). */
  ingestor: (state: ConsensusState) => Ingestor
}

export interface Started {
  state: ConsensusState
  ingestor: Ingestor
  /** Entries applied by the replay. */
  replayed: number
  /** Logs the chain check found damaged (truncated; they re-sync from peers). */
  damage: ChainDamage[]
}

/** Checks every chain and rebuilds the consensus state from the store. */
export async function startUp (init: StartupInit): Promise<Started> {
  const { store, log } = init
  let rosters = await loadStoredRosters(store, init.installedGenesis)
  let state = new ConsensusState({ chain: rosters.chain, clock: init.clock })
  let ingestor = init.ingestor(state)
  // undefined: the stored rosters are damaged; the replay waits for the checked logs
  let feed: ReplayFeed | undefined = rosters.damage === undefined ? await ingestor.beginReplay() : undefined
  const damage = await store.checkChains({
    entry: (e) => { feed?.entry(e.id, e.bytes) },
    restart: async () => {
      log.warn('a LevelDB table could not be read during the chain check; the database was salvaged and the check starts over')
      rosters = await loadStoredRosters(store, init.installedGenesis)
      state = new ConsensusState({ chain: rosters.chain, clock: init.clock })
      ingestor = init.ingestor(state)
      feed = rosters.damage === undefined ? await ingestor.beginReplay() : undefined
    }
  })
  for (const d of damage) log.warn('log history damaged on disk; truncated and will re-sync from peers', { author: toHex(d.author), validThrough: d.validThrough, why: d.why })
  let replayed: number
  if (feed !== undefined) replayed = await ingestor.endReplay(feed)
  else {
    await recoverRosters(store, rosters, log)
    state = new ConsensusState({ chain: rosters.chain, clock: init.clock })
    ingestor = init.ingestor(state)
    replayed = await ingestor.replay()
  }
  return { state, ingestor, replayed, damage }
}

async function recoverRosters (store: Store, rosters: LoadedRosters, log: ComponentLogger): Promise<void> {
  const recovered = await recoverRostersFromLogs(store, rosters.chain)
  log.warn('stored roster history damaged on disk; dropped from the damaged version on, restored from the installed roster and the logs', { ...rosters.damage, recovered })
}
