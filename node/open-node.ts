/**
 * Opening a node directory (`AllianceNode.open`): config, keys, roster,
 * storage with the start-up pass (node/startup.ts), fingerprint keys, vault,
 * host, and the wiring of every service to the ones it calls (STYLE.md
 * habit 5). Separate from node/alliance-node.ts so that the class holds what
 * a running node does (start, stop, the checkpoint, the NodeService calls)
 * and this file what it is built from. It never imports the class:
 * `AllianceNode.open` passes its constructor in, and the ingest listeners
 * reach the node through `OpenedNode`.
 */
import { join } from 'node:path'
import type { LogEntry } from '../protocol/log/index.js'
import type { KeyEpoch } from '../protocol/types.js'
import { TOPRF_RISTRETTO255 } from '../protocol/fingerprint/suite.js'
import { DATA_DIR, readConfig, type NodeConfig } from './home.js'
import { Ingestor, type IngestListeners } from './ingest.js'
import { loadNodeKeys, type NodeKeys } from './keys.js'
import { createLogger, type Logger, type LogLevel } from './logger.js'
import { createHost, type Host } from './net/host.js'
import { installedRoster } from './roster-file.js'
import type { StartupView } from './service.js'
import { createStore } from './store/index.js'
import type { Store } from './store/types.js'
import { MetricsRegistry } from './api/metrics.js'
import { FileAccess } from './file-access.js'
import { MatchService } from './matching.js'
import { PipelineService } from './pipeline/node-service.js'
import { startUp, type CheckpointUse } from './startup.js'
import { CoveredState } from './checkpoint/tracker.js'
import { createReportService, type ReportService, type ReportServiceInit } from './reports/index.js'
import { evidenceTopic, gossipTopic } from './protocols.js'
import { AuthorService } from './services/author.js'
import type { ConsensusState } from './services/consensus-state.js'
import { NotReadyError } from './services/errors.js'
import { FingerprintService } from './services/fingerprints.js'
import { EvidenceService } from './services/evidence.js'
import { GossipService } from './services/gossip.js'
import { RosterService, rosterPeers } from './services/roster.js'
import { RosterProposals } from './services/proposals.js'
import { StatusBus } from './services/status-bus.js'
import { SyncService } from './services/sync-service.js'
import { MemberContacts } from './services/contacts.js'
import { ViewService } from './services/views.js'
import { RotationService } from './services/rotation.js'
import { openVault, type Vault } from './services/vault.js'
import { FingerprintCache } from './services/fingerprint-cache.js'
import { GuardianService } from './services/guardian.js'
import { GuardianCountsLedger } from './services/guardian-counts.js'

export interface AllianceNodeInit {
  /** The node directory (alliance init). */
  dir: string
  /** @default config.logLevel */
  logLevel?: LogLevel
  /** Where log lines go. @default process.stderr */
  logSink?: (line: string) => void
  /** The node's clock (tests). @default Date.now */
  clock?: () => number
  /** Anti-entropy: pull from every connected peer this often. @default 30000 */
  antiEntropyIntervalMs?: number
  /** Options of the report service (node/reports). @default {} */
  reports?: ReportServiceInit
  /** toprf guardian: publish changed daily counts this often. @default config.guardianCountsIntervalMs (600000) */
  guardianCountsIntervalMs?: number
  /** toprf guardian: worker threads evaluating requests (0: the main thread). @default config.guardianWorkers, else one per core (at most 8) */
  guardianWorkers?: number
}

/** What the node directory opens to, before any service is built. */
interface BaseParts {
  dir: string
  config: NodeConfig
  keys: NodeKeys
  store: Store
  state: ConsensusState
  ingestor: Ingestor
  host: Host
  metrics: MetricsRegistry
  logger: Logger
  clock: () => number
  bus: StatusBus
  fingerprints: FingerprintService
  vault: Vault | undefined
}

/** The services, each wired to the ones it calls. */
interface Services {
  views: ViewService
  contacts: MemberContacts
  sync: SyncService
  evidence: EvidenceService
  gossip: GossipService
  author: AuthorService
  rosters: RosterService
  proposals: RosterProposals
  reports: ReportService
  matching: MatchService
  pipeline: PipelineService
  guardians: GuardianService
  rotation: RotationService
}

/** Everything the node is built from: what `AllianceNode`'s constructor takes. */
export interface NodeParts extends BaseParts, Services {
  cache: FingerprintCache | undefined
  guardianCounts: GuardianCountsLedger
  /** Entries the consensus state holds at open. */
  applied: number
  /** What the state covers, for the start-up checkpoint written at stop. */
  covered: CoveredState
  /** The start-up as `status` shows it. */
  startup: StartupView
  /** Undoes the bus subscriptions made here (the matcher's), at stop. */
  unsubscribe: Array<() => void>
}

/** What the ingest listeners and the services reach on the node once it exists (the listeners fire from the start-up pass on). */
export interface OpenedNode {
  readonly rosters: RosterService
  readonly evidence: EvidenceService
  readonly rotation: RotationService
  readonly guardians: GuardianService
  /** Networking started: evidence found from now on is published. */
  readonly started: boolean
  onApplied (entries: LogEntry[]): void
  onRejected (reason: string): void
  advanceClock (): void
}

/** Opens a node directory: keys, roster, storage (with the start-up chain check), index rebuild, fingerprint keys. Does not start networking. */
export async function openNode<N extends OpenedNode> (init: AllianceNodeInit, create: (parts: NodeParts) => N): Promise<N> {
  const t0 = performance.now()
  const config = await readConfig(init.dir)
  const logger = createLogger({ level: init.logLevel ?? config.logLevel, sink: init.logSink })
  const log = logger.forComponent('alliance:node')
  const clock = init.clock ?? Date.now
  const keys = await loadNodeKeys(init.dir)
  const installed = await installedRoster(init.dir).catch(err => {
    throw new NotReadyError(`no valid roster installed in ${init.dir} (${(err as Error).message}); install one with: alliance roster install ${init.dir} <roster.json>`)
  })
  const store = createStore({ path: join(init.dir, DATA_DIR), durable: config.durable })
  await store.open()
  let cache: FingerprintCache | undefined
  try {
    for (const t of store.tablesSetAside) log.warn('damaged LevelDB table set aside (its block checksums fail); the database was rebuilt from the rest and what it held re-syncs from peers', { file: t.file, why: t.why, keptIn: 'data/lost/' })
    const metrics = new MetricsRegistry()
    let node: N | undefined
    const guardianCounts = new GuardianCountsLedger()
    const keyEpochs: Array<[KeyEpoch, string]> = []
    let covered: CoveredState | undefined
    const listeners: IngestListeners = {
      onApplied: (entries) => {
        covered?.applied(entries)
        node?.onApplied(entries)
      },
      onStatusChange: (change, cause) => { bus.changed(change, cause) },
      onRejected: (reason) => node?.onRejected(reason),
      onRoster: () => { void node?.rosters.onRoster() },
      onEquivocation: (author, seq, evidence) => {
        log.warn('equivocation: key excluded from consensus', { author, seq })
        // spread it: every node must hold the evidence to exclude the same keys
        if (node !== undefined && node.started) void node.evidence.publish(evidence)
      },
      onKeyEpoch: (body, org) => { if (node === undefined) keyEpochs.push([body, org]); else node.rotation.onKeyEpoch(body, org) },
      onGuardianCounts: (body, org) => { guardianCounts.add(body, org) }
    }
    // the chain check and the index rebuild, in one pass over the store (node/startup.ts)
    const started = await startUp({
      store,
      installedGenesis: installed.chain.versions[0].signed,
      clock,
      log,
      dir: init.dir,
      ingestor: (state) => new Ingestor({ store, state, logger: logger.forComponent('alliance:ingest'), listeners })
    })
    const { state, ingestor, replayed } = started
    covered = new CoveredState(started.covered, started.rare)
    log.info('index rebuilt from storage', { entries: replayed, checkpoint: started.use.checkpoint, ...(started.use.checkpoint === 'used' ? { replayedAfter: started.use.replayedAfter } : {}) })
    const bus = new StatusBus({ state, logger: logger.forComponent('alliance:status'), onFailure: (subscriber) => metrics.statusBusFailures.inc({ subscriber }) })
    // toprf: fingerprints come from the guardians (through `node.guardians` once the host exists), cached on disk
    cache = state.chain.versions.some(v => v.roster.policy.suite === TOPRF_RISTRETTO255) ? await FingerprintCache.open(init.dir) : undefined
    const fingerprints = new FingerprintService({ dir: init.dir, defaultCountry: config.defaultCountry }, {
      state, keys, logger: logger.forComponent('alliance:fingerprints'), metrics, cache,
      oprf: (epoch) => async (guardian, blinded, signal) => {
        if (node === undefined) throw new NotReadyError('the node is starting; guardians are asked once it has started')
        return await node.guardians.evaluate(epoch, guardian, blinded, signal)
      }
    })
    await fingerprints.start()
    const vault = await openVault(init.dir, config.vault, (kind, value) => fingerprints.canonical(kind, value))
    const host = await createHost({
      listen: config.listen,
      announce: config.announce,
      peers: rosterPeers(state.chain),
      gossipTopics: [gossipTopic(state.alliance), evidenceTopic(state.alliance)],
      pingIntervalMs: config.pingIntervalMs
    }, { keys, logger })
    const base: BaseParts = { dir: init.dir, config, keys, store, state, ingestor, host, metrics, logger, clock, bus, fingerprints, vault }
    // the services run once the node has started: by then `node` is set
    const services = wire(base, init, { advanceClock: () => { node?.advanceClock() }, onRejected: (reason) => { node?.onRejected(reason) } })
    // the bus's subscribers made here: the hash and counts (views), the matcher (the node adds its watchers)
    services.views.start(started.snapshot)
    const unsubscribe = [bus.subscribe(services.matching)]
    await services.matching.loadSeen()
    const startup = startupView(started.use, (performance.now() - t0) / 1000, replayed)
    node = create({ ...base, ...services, cache, guardianCounts, applied: replayed, covered, startup, unsubscribe })
    for (const [body, org] of keyEpochs) node.rotation.onKeyEpoch(body, org)
    metrics.startupSeconds.set({ checkpoint: startup.checkpoint, reason: startup.reason ?? '' }, startup.seconds)
    log.info('node opened', { ...startup })
    return node
  } catch (err) {
    await store.close().catch(() => undefined)
    await cache?.close().catch(() => undefined)
    throw err
  }
}

/** Builds each service with what it needs, the calls between services included. */
function wire (p: BaseParts, init: AllianceNodeInit, node: Pick<OpenedNode, 'advanceClock' | 'onRejected'>): Services {
  const log = (name: string): ReturnType<Logger['forComponent']> => p.logger.forComponent(name)
  const views = new ViewService({ state: p.state, store: p.store, bus: p.bus })
  const contacts = new MemberContacts({ store: p.store, clock: p.clock, logger: log('alliance:contacts') })
  const sync = new SyncService({ antiEntropyIntervalMs: init.antiEntropyIntervalMs, antiEntropyPeers: p.config.antiEntropyPeers }, {
    host: p.host, store: p.store, ingestor: p.ingestor, alliance: p.state.alliance, metrics: p.metrics, logger: log('alliance:sync'), clock: p.clock,
    beforeRound: () => { node.advanceClock() },
    afterPull: async (peer, signal) => {
      // the entries are in whatever becomes of this: a failed exchange is retried with the next pull
      try {
        const got = await evidence.pull(peer, signal)
        if (got.accepted > 0) log('alliance:evidence').info('equivocation evidence pulled', { peer, ...got })
      } catch (err) {
        log('alliance:evidence').debug('evidence exchange failed', { peer, error: (err as Error).message })
      }
    }
  })
  const evidence = new EvidenceService({ host: p.host, ingestor: p.ingestor, alliance: p.state.alliance, logger: log('alliance:evidence') })
  const gossip = new GossipService({
    host: p.host, ingestor: p.ingestor, alliance: p.state.alliance, metrics: p.metrics, logger: log('alliance:gossip'),
    onRejected: (reason) => { node.onRejected(reason) },
    onGap: async (peer) => (await sync.syncWith(peer))?.accepted
  })
  const vault = p.vault
  const author = new AuthorService({
    state: p.state, ingestor: p.ingestor, keys: p.keys, org: p.config.org, fingerprints: p.fingerprints, gossip, clock: p.clock,
    ...(vault !== undefined ? { remember: async (items) => { await vault.remember(items) }, forget: async (items) => { await vault.forget(items) } } : {})
  })
  const rosters = new RosterService({
    dir: p.dir, state: p.state, ingestor: p.ingestor, store: p.store, host: p.host, logger: log('alliance:roster'),
    publish: async (bodies) => await author.publish(bodies)
  })
  const proposals = new RosterProposals({ dir: p.dir, state: p.state, logger: log('alliance:roster') })
  const files = new FileAccess({ nodeDir: p.dir, ...p.config.files })
  const reports = createReportService(init.reports ?? {}, { files, dir: p.dir, org: p.config.org, chain: () => p.state.chain, keys: p.keys, host: p.host, logger: log('alliance:reports'), metrics: p.metrics, clock: p.clock })
  const matching = new MatchService({ dir: p.dir, consensus: p.state.index, fingerprints: p.fingerprints, defaultCountry: p.config.defaultCountry, logger: log('alliance:match'), files })
  const pipeline = new PipelineService({ dir: p.dir, defaultCountry: p.config.defaultCountry }, { state: p.state, fingerprints: p.fingerprints, bus: p.bus, logger: log('alliance:pipeline'), registry: p.metrics.registry })
  const guardianWorkers = init.guardianWorkers ?? p.config.guardianWorkers
  const guardians = new GuardianService({ dir: p.dir, countsIntervalMs: init.guardianCountsIntervalMs ?? p.config.guardianCountsIntervalMs, ...(guardianWorkers !== undefined ? { workers: guardianWorkers } : {}) }, {
    alliance: p.state.alliance, host: p.host, state: p.state, keys: p.keys, shares: p.fingerprints, metrics: p.metrics, logger: log('alliance:guardian'), clock: p.clock,
    orgOfPeer: (peer) => rosters.orgOfPeer(peer),
    publish: async (bodies) => await author.publish(bodies)
  })
  const rotation = new RotationService({ graceMs: p.config.rotationGraceMs }, {
    state: p.state, fingerprints: p.fingerprints, author, vault: p.vault, org: p.config.org, logger: log('alliance:rotation'), clock: p.clock,
    cutoverMatcher: async (from, to) => {
      const listings = matching.seen.listings
      await p.bus.settled()
      await matching.cutover()
      if (listings > 0) await p.store.putMeta('rescanNeeded', { epoch: from, listings, at: new Date(p.clock()).toISOString() })
      log('alliance:match').info('matching moved to the new key epoch', { from, to, listingsToRescan: listings })
    }
  })
  return { views, contacts, sync, evidence, gossip, author, rosters, proposals, reports, matching, pipeline, guardians, rotation }
}

/** The start-up as `status` shows it. */
function startupView (use: CheckpointUse, seconds: number, entries: number): StartupView {
  return {
    checkpoint: use.checkpoint,
    reason: use.checkpoint === 'refused' ? use.reason : null,
    seconds: Number(seconds.toFixed(2)),
    entries,
    replayedAfterCheckpoint: use.checkpoint === 'used' ? use.replayedAfter : null
  }
}
