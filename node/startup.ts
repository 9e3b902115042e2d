/**
 * Start-up of a node's consensus state from its store, in one pass: the
 * chain check walks every log (node/store: each stored id recomputed, each
 * link followed) and hands each entry it verified to the replay that
 * rebuilds the consensus index, so the store is read once, not twice.
 *
 * With a start-up checkpoint (node/checkpoint: the state written at the last
 * clean stop) that matches the store, the index, rate counts and kept
 * entries come from it, and only entries appended after it are replayed;
 * the chain check still walks every entry before the node serves.
 *
 * Order: the stored roster chain first (it reads no log entry), then the
 * checkpoint (read and deleted), then the evidence (an excluded key is never
 * counted, even for a moment), then the walk. Rare paths that must do more:
 * - a damaged stored roster: the versions it lost come back from the roster
 *   entries in the logs, which may be read only once the logs are checked;
 *   the chain check runs alone and the replay reads the store again;
 * - the walk starting over (LevelDB could not read a table block and the
 *   database was salvaged): the state built so far is thrown away, a fresh
 *   one is fed by the second walk, the roster chain read again first;
 * - a checkpoint that turns out not to match during the walk (a log forked
 *   from it, or damage in the store): the replay reads the store again.
 */
import { bytesEqual, toHex } from '../protocol/bytes.js'
import { ConsensusIndex } from '../protocol/consensus/index.js'
import type { SignedRoster } from '../protocol/types.js'
import { CheckpointRefusedError, decodeCheckpoint, matchCheckpoint, takeCheckpoint, type Checkpoint, type CheckpointHead, type CheckpointRefusal } from './checkpoint/index.js'
import type { Ingestor } from './ingest.js'
import { SnapshotHash } from './services/snapshot-hash.js'
import type { ReplayFeed } from './ingest-replay.js'
import type { ComponentLogger } from './logger.js'
import { ConsensusState, consensusPolicy } from './services/consensus-state.js'
import { loadStoredRosters, recoverRostersFromLogs, type LoadedRosters } from './store/rosters.js'
import type { ChainDamage, CheckedEntry, Store } from './store/types.js'

export interface StartupInit {
  store: Store
  /** The roster the operator installed (version 1): restores a damaged or missing stored genesis. */
  installedGenesis: SignedRoster
  clock: () => number
  log: ComponentLogger
  /** The node's ingest pipeline over `state` (built again if the walk starts over). */
  ingestor: (state: ConsensusState) => Ingestor
  /** The node directory holding the start-up checkpoint; without it none is read. @default undefined */
  dir?: string
}

/** What became of the start-up checkpoint. */
export type CheckpointUse =
  | { checkpoint: 'used', replayedAfter: number }
  | { checkpoint: 'absent' }
  | { checkpoint: 'refused', reason: CheckpointRefusal }

export interface Started {
  state: ConsensusState
  ingestor: Ingestor
  /** Entries the state holds (from the checkpoint and replayed). */
  replayed: number
  /** Logs the chain check found damaged (truncated; they re-sync from peers). */
  damage: ChainDamage[]
  use: CheckpointUse
  /** The last entry of each log the state covers (what a checkpoint at stop may claim), by hex author. */
  covered: Map<string, CheckpointHead>
  /** The key-epoch and guardian-counts entries the state holds (exact bytes), for the next checkpoint. */
  rare: Uint8Array[]
  /**
   * The snapshot hash of the state, from the checkpoint, when nothing but
   * expiry changed the index since it was written (folded in here): the
   * views need not hash every fingerprint again. Undefined otherwise.
   */
  snapshot?: SnapshotHash
}

/** Checks every chain and rebuilds the consensus state from the store (and a checkpoint when one matches). */
export async function startUp (init: StartupInit): Promise<Started> {
  const { store, log, clock } = init
  let rosters = await loadStoredRosters(store, init.installedGenesis)
  const file = init.dir !== undefined ? await takeCheckpoint(init.dir) : undefined
  let use: CheckpointUse = { checkpoint: 'absent' }
  const refuse = (reason: CheckpointRefusal, message: string): void => {
    use = { checkpoint: 'refused', reason }
    log.warn('start-up checkpoint not used; rebuilding the state from the store', { reason, why: message })
  }
  let cp: { c: Checkpoint, index: ConsensusIndex, heads: Map<string, CheckpointHead> } | undefined
  if (file !== undefined) {
    try {
      if (rosters.damage !== undefined) throw new CheckpointRefusedError('checkpoint_store_damaged', 'the stored roster history is damaged')
      const c = decodeCheckpoint(file)
      matchCheckpoint(c, { chain: rosters.chain, store, flagged: (await store.evidence()).map(e => e.author), now: clock() })
      let index: ConsensusIndex
      try {
        index = ConsensusIndex.fromImage(consensusPolicy(rosters.chain), c.index)
      } catch (err) {
        throw new CheckpointRefusedError('checkpoint_damaged', `its index image does not load (${(err as Error).message})`, { cause: err })
      }
      cp = { c, index, heads: new Map(c.heads.map(h => [toHex(h.author), h])) }
    } catch (err) {
      // a checkpoint never stops a node from starting: whatever is wrong with it, the full pass is the answer
      if (err instanceof CheckpointRefusedError) refuse(err.reason, err.message)
      else refuse('checkpoint_damaged', (err as Error).message)
    }
  }

  let state!: ConsensusState
  let ingestor!: Ingestor
  // undefined: the stored rosters are damaged; the replay waits for the checked logs and the versions they carry
  let feed: ReplayFeed | undefined
  let recovered = false
  let snapshot: SnapshotHash | undefined
  const build = async (): Promise<void> => {
    state = new ConsensusState({ chain: rosters.chain, clock, ...(cp !== undefined ? { index: cp.index } : {}) })
    snapshot = undefined
    if (cp !== undefined) {
      // the index moves to now as a fresh one starts there; nobody listens yet but the snapshot sum
      snapshot = SnapshotHash.fromLanes(cp.c.snapshot)
      for (const c of state.advance()) snapshot.change(c.fingerprint, c.from, c.to)
    }
    ingestor = init.ingestor(state)
    feed = rosters.damage !== undefined && !recovered ? undefined : cp !== undefined ? await ingestor.resumeReplay(cp.c.rate, cp.c.rare) : await ingestor.beginReplay()
  }
  await build()
  if (cp !== undefined) use = { checkpoint: 'used', replayedAfter: 0 }

  const covered = new Map<string, CheckpointHead>()
  // per log: what the checkpoint covers of it (entries up to `skip` are in its state; entry `skip` must be its head)
  let author: Uint8Array | undefined
  let skip = 0
  let skipId: Uint8Array | undefined
  let forked = false
  let last: CheckedEntry | undefined
  const endLog = (): void => { if (last !== undefined) covered.set(toHex(last.author), { author: last.author, seq: last.seq, id: last.id }) }
  const damage = await store.checkChains({
    entry: (e) => {
      if (e.author !== author) {
        endLog()
        author = e.author
        const h = cp?.heads.get(toHex(e.author))
        skip = h?.seq ?? 0
        skipId = h?.id
      }
      last = e
      if (feed === undefined) return
      if (e.seq < skip) return
      if (e.seq === skip) {
        if (!bytesEqual(e.id, skipId as Uint8Array)) forked = true
        return
      }
      feed.entry(e.id, e.bytes)
    },
    restart: async () => {
      log.warn('a LevelDB table could not be read during the chain check; the database was salvaged and the check starts over')
      if (cp !== undefined) refuse('checkpoint_store_damaged', 'the chain check started over')
      cp = undefined
      covered.clear()
      forked = false
      author = undefined
      last = undefined
      skip = 0
      rosters = await loadStoredRosters(store, init.installedGenesis)
      await build()
    }
  })
  endLog()
  for (const d of damage) log.warn('log history damaged on disk; truncated and will re-sync from peers', { author: toHex(d.author), validThrough: d.validThrough, why: d.why })
  if (cp !== undefined && (forked || damage.length > 0)) {
    refuse(forked ? 'checkpoint_stale' : 'checkpoint_store_damaged', forked ? 'a log holds other entries than the checkpoint covers' : 'the chain check found damage')
    cp = undefined
    await build()
    await readAll(store, feed as unknown as ReplayFeed)
  } else if (feed === undefined) {
    await recoverRosters(store, rosters, log)
    recovered = true
    await build()
    await readAll(store, feed as unknown as ReplayFeed)
  }
  const f = feed as unknown as ReplayFeed
  const after = await ingestor.endReplay(f)
  const applied = cp !== undefined ? cp.c.applied : 0
  if (cp !== undefined) use = { checkpoint: 'used', replayedAfter: after }
  // the sum holds only if no entry was applied and no key excluded since the checkpoint (expiry is folded in)
  const sameFlags = cp !== undefined && sameKeys(cp.c.flagged, [...ingestor.flagged.keys()])
  return { state, ingestor, replayed: applied + after, damage, use, covered, rare: f.rare.map(r => r.bytes), ...(cp !== undefined && after === 0 && sameFlags && snapshot !== undefined ? { snapshot } : {}) }
}

function sameKeys (a: Uint8Array[], hex: string[]): boolean {
  const want = new Set(hex)
  return a.length === want.size && a.every(k => want.has(toHex(k)))
}

/** The second pass of the rare paths: every stored entry into the replay. */
async function readAll (store: Store, feed: ReplayFeed): Promise<void> {
  for await (const e of store.all()) feed.entry(e.id, e.bytes)
}

async function recoverRosters (store: Store, rosters: LoadedRosters, log: ComponentLogger): Promise<void> {
  const recovered = await recoverRostersFromLogs(store, rosters.chain)
  log.warn('stored roster history damaged on disk; dropped from the damaged version on, restored from the installed roster and the logs', { ...rosters.damage, recovered })
}
