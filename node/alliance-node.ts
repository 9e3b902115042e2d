/**
 * The alliance node: one member's daemon, as a composition root. `open`
 * builds each service from the node directory and wires what each needs
 * (STYLE.md habits 5 and 7); `start` and `stop` run them in order; the
 * NodeService methods the HTTP API and the CLI call are one-line
 * delegations. The jobs themselves live in node/services/:
 *
 *   consensus-state  the roster chain and consensus index (injected everywhere)
 *   status-bus       each blocklist change with its explanation → watchers, matcher, hash, metrics
 *   fingerprints     the only reader of fingerprint keys; key epochs
 *   gossip           the entries topic, validator, publish
 *   sync-service     sync handler, pulls on connect and on gaps, anti-entropy
 *   author           this node's own statements and the publish queue
 *   roster           adoption of new versions, peer ↔ org
 *   rotation         key rotation: re-attestation from the vault, cut-over
 *   vault            the raw values this node stated, encrypted, for re-attestation
 *   views            explain, blocklist rows, snapshot hash
 *
 * plus node/ingest.ts (the one way entries enter), node/matching.ts (local
 * matching) and node/reports/ (infringement reports).
 */
import './polyfill.js'
import { join } from 'node:path'
import { fromHex } from '../protocol/bytes.js'
import { decodeSegment } from '../protocol/codec/index.js'
import { isKind, type Kind } from '../protocol/kinds.js'
import type { LogEntry } from '../protocol/log/index.js'
import type { Body, KeyEpoch, Segment } from '../protocol/types.js'
import { ProtocolError } from '../protocol/errors.js'
import { DATA_DIR, readConfig, type NodeConfig } from './home.js'
import { Ingestor, type IngestListeners, type IngestOutcome } from './ingest.js'
import { StatusFeed, statusEvent } from './events.js'
import { loadNodeKeys, type NodeKeys } from './keys.js'
import { createLogger, type Logger, type LogLevel } from './logger.js'
import { createHost, type Host } from './net/host.js'
import { installedRoster, type RosterFile } from './roster-file.js'
import type {
  AttestItem, AttestResult, BlocklistRow, ReasonsView, MatchRequestView, MatchResultView, MatchProgressView, RetroDecisionView, ScanView, ExplainResult, FeedbackItem, NodeService, OpinionResult, NodeStatus, QuotaDayView, StartupView, RetractResult, StatusEvent, StatusName
} from './service.js'
import { createStore } from './store/index.js'
import type { Store } from './store/types.js'
import type { SyncResult } from './sync.js'
import { NotReadyError } from './services/errors.js'
import { MetricsRegistry } from './api/metrics.js'
import { FileAccess } from './file-access.js'
import { MatchService } from './matching.js'
import { PipelineService, type PipelineAttachRequest, type PipelineAttachResult, type PipelineFingerprintRequest, type PipelineFingerprintResult } from './pipeline/node-service.js'
import { startUp, type CheckpointUse } from './startup.js'
import { dropCheckpoint, writeCheckpoint } from './checkpoint/index.js'
import { CoveredState } from './checkpoint/tracker.js'
import { createReportService, type ReportService, type ReportServiceInit } from './reports/index.js'
import type { ReportCustodyLog, ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult } from './service.js'
import { evidenceTopic, gossipTopic } from './protocols.js'
import { AuthorService } from './services/author.js'
import { ConsensusState } from './services/consensus-state.js'
import { FingerprintService } from './services/fingerprints.js'
import { EvidenceService } from './services/evidence.js'
import { GossipService } from './services/gossip.js'
import { RosterService, rosterPeers } from './services/roster.js'
import { RosterProposals, type RosterProposalView } from './services/proposals.js'
import { DEFAULT_REASONS } from '../protocol/roster/reasons.js'
import { StatusBus } from './services/status-bus.js'
import { SyncService } from './services/sync-service.js'
import { MemberContacts } from './services/contacts.js'
import { ViewService, parseFingerprint, snapshotOf } from './services/views.js'
import type { SnapshotHash } from './services/snapshot-hash.js'
import { InvalidRequestError } from './services/errors.js'
import { RotationService } from './services/rotation.js'
import { openVault, type Vault } from './services/vault.js'
import { FingerprintCache } from './services/fingerprint-cache.js'
import { GuardianService } from './services/guardian.js'
import { GuardianCountsLedger } from './services/guardian-counts.js'
import { TOPRF_RISTRETTO255 } from '../protocol/fingerprint/suite.js'

export { gossipTopic, rosterPeers, InvalidRequestError, NotReadyError }
export { GOSSIP_WHOLE_SEGMENT_ENTRIES, DEFAULT_TTL_MS } from './services/author.js'
export { UnknownFingerprintError } from './services/errors.js'
export { explainView, blocklistRow } from './services/views.js'

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

interface Parts {
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
  cache: FingerprintCache | undefined
  guardianCounts: GuardianCountsLedger
}

export class AllianceNode implements NodeService {
  readonly config: NodeConfig
  readonly dir: string
  readonly keys: NodeKeys
  readonly store: Store
  /** The roster chain and consensus index. */
  readonly state: ConsensusState
  readonly ingestor: Ingestor
  readonly host: Host
  readonly metrics: MetricsRegistry
  readonly logger: Logger
  readonly bus: StatusBus
  readonly fingerprints: FingerprintService
  readonly views: ViewService
  readonly gossip: GossipService
  /** Spreads equivocation evidence (gossip, and with every sync pull). */
  readonly evidence: EvidenceService
  readonly sync: SyncService
  readonly author: AuthorService
  readonly rosters: RosterService
  /** Roster versions n+1 waiting for signatures (`<dir>/proposals/`). */
  readonly proposals: RosterProposals
  readonly rotation: RotationService
  /** The raw values this node stated, encrypted at rest; undefined with --no-vault. */
  readonly vault: Vault | undefined
  /** Infringement reports: outbox, inbox, the report protocol (node/reports). */
  readonly reports: ReportService
  /** Local matching: live blocklist index, scans, retroactive decisions (node/matching.ts). */
  readonly matching: MatchService
  /** The platform pipeline: the blocklist published to Redis for workers (node/pipeline). */
  readonly pipeline: PipelineService
  /** toprf: serves this node's shares (when it guards an epoch) and asks the guardians. */
  readonly guardians: GuardianService
  /** toprf: every guardian's published daily counts (the quota audit). */
  readonly guardianCounts: GuardianCountsLedger
  /** Last contact with each member's nodes, for `status` (node/services/contacts.ts). */
  readonly contacts: MemberContacts
  readonly #cache: FingerprintCache | undefined
  readonly #clock: () => number
  readonly #rejected: Record<string, number> = {}
  readonly #feed = new StatusFeed()
  #applied = 0
  /** What the state covers, for the start-up checkpoint written at stop. */
  #covered: CoveredState | undefined
  #startup: StartupView = { checkpoint: 'absent', reason: null, seconds: 0, entries: 0, replayedAfterCheckpoint: null }
  /** Networking started: evidence found from now on is published. */
  #started = false
  #unsubscribe: Array<() => void> = []

  private constructor (p: Parts, init: AllianceNodeInit) {
    this.config = p.config
    this.dir = p.dir
    this.keys = p.keys
    this.store = p.store
    this.state = p.state
    this.ingestor = p.ingestor
    this.host = p.host
    this.metrics = p.metrics
    this.logger = p.logger
    this.bus = p.bus
    this.fingerprints = p.fingerprints
    this.guardianCounts = p.guardianCounts
    this.#cache = p.cache
    this.#clock = p.clock
    const log = (name: string): ReturnType<Logger['forComponent']> => p.logger.forComponent(name)
    this.views = new ViewService({ state: p.state, store: p.store, bus: p.bus })
    this.contacts = new MemberContacts({ store: p.store, clock: p.clock, logger: log('alliance:contacts') })
    this.sync = new SyncService({ antiEntropyIntervalMs: init.antiEntropyIntervalMs, antiEntropyPeers: p.config.antiEntropyPeers }, {
      host: p.host, store: p.store, ingestor: p.ingestor, alliance: p.state.alliance, metrics: p.metrics, logger: log('alliance:sync'), clock: p.clock,
      beforeRound: () => { this.advanceClock() },
      afterPull: async (peer, signal) => {
        // the entries are in whatever becomes of this: a failed exchange is retried with the next pull
        try {
          const got = await this.evidence.pull(peer, signal)
          if (got.accepted > 0) log('alliance:evidence').info('equivocation evidence pulled', { peer, ...got })
        } catch (err) {
          log('alliance:evidence').debug('evidence exchange failed', { peer, error: (err as Error).message })
        }
      }
    })
    this.evidence = new EvidenceService({ host: p.host, ingestor: p.ingestor, alliance: p.state.alliance, logger: log('alliance:evidence') })
    this.gossip = new GossipService({
      host: p.host, ingestor: p.ingestor, alliance: p.state.alliance, metrics: p.metrics, logger: log('alliance:gossip'),
      onRejected: (reason) => { this.onRejected(reason) },
      onGap: async (peer) => (await this.sync.syncWith(peer))?.accepted
    })
    this.vault = p.vault
    const vault = p.vault
    this.author = new AuthorService({
      state: p.state, ingestor: p.ingestor, keys: p.keys, org: p.config.org, fingerprints: p.fingerprints, gossip: this.gossip, clock: p.clock,
      ...(vault !== undefined ? { remember: async (items) => { await vault.remember(items) }, forget: async (items) => { await vault.forget(items) } } : {})
    })
    this.rosters = new RosterService({
      dir: p.dir, state: p.state, ingestor: p.ingestor, store: p.store, host: p.host, logger: log('alliance:roster'),
      publish: async (bodies) => await this.author.publish(bodies)
    })
    this.proposals = new RosterProposals({ dir: p.dir, state: p.state, logger: log('alliance:roster') })
    const files = new FileAccess({ nodeDir: p.dir, ...p.config.files })
    this.reports = createReportService(init.reports ?? {}, { files, dir: p.dir, org: p.config.org, chain: () => p.state.chain, keys: p.keys, host: p.host, logger: log('alliance:reports'), metrics: p.metrics, clock: p.clock })
    this.matching = new MatchService({ dir: p.dir, consensus: p.state.index, fingerprints: p.fingerprints, defaultCountry: p.config.defaultCountry, logger: log('alliance:match'), files })
    this.pipeline = new PipelineService({ dir: p.dir, defaultCountry: p.config.defaultCountry }, { state: p.state, fingerprints: p.fingerprints, bus: p.bus, logger: log('alliance:pipeline'), registry: p.metrics.registry })
    const guardianWorkers = init.guardianWorkers ?? p.config.guardianWorkers
    this.guardians = new GuardianService({ dir: p.dir, countsIntervalMs: init.guardianCountsIntervalMs ?? p.config.guardianCountsIntervalMs, ...(guardianWorkers !== undefined ? { workers: guardianWorkers } : {}) }, {
      alliance: p.state.alliance, host: p.host, state: p.state, keys: p.keys, shares: p.fingerprints, metrics: p.metrics, logger: log('alliance:guardian'), clock: p.clock,
      orgOfPeer: (peer) => this.rosters.orgOfPeer(peer),
      publish: async (bodies) => await this.author.publish(bodies)
    })
    this.rotation = new RotationService({ graceMs: p.config.rotationGraceMs }, {
      state: p.state, fingerprints: p.fingerprints, author: this.author, vault: p.vault, org: p.config.org, logger: log('alliance:rotation'), clock: p.clock,
      cutoverMatcher: async (from, to) => {
        const listings = this.matching.seen.listings
        await this.bus.settled()
        await this.matching.cutover()
        if (listings > 0) await this.store.putMeta('rescanNeeded', { epoch: from, listings, at: new Date(p.clock()).toISOString() })
        log('alliance:match').info('matching moved to the new key epoch', { from, to, listingsToRescan: listings })
      }
    })
  }

  /** Opens a node directory: keys, roster, storage (with the start-up chain check), index rebuild, fingerprint keys. Does not start networking. */
  static async open (init: AllianceNodeInit): Promise<AllianceNode> {
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
      let node: AllianceNode | undefined
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
          if (node !== undefined && node.#started) void node.evidence.publish(evidence)
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
      node = new AllianceNode({ dir: init.dir, config, keys, store, state, ingestor, host, metrics, logger, clock, bus, fingerprints, vault, cache, guardianCounts }, init)
      for (const [body, org] of keyEpochs) node.rotation.onKeyEpoch(body, org)
      node.#applied = replayed
      node.#covered = covered
      node.#follow(started.snapshot)
      await node.matching.loadSeen()
      node.#startup = startupView(started.use, (performance.now() - t0) / 1000, replayed)
      metrics.startupSeconds.set({ checkpoint: node.#startup.checkpoint, reason: node.#startup.reason ?? '' }, node.#startup.seconds)
      log.info('node opened', { ...node.#startup })
      return node
    } catch (err) {
      await store.close().catch(() => undefined)
      await cache?.close().catch(() => undefined)
      throw err
    }
  }

  /** The bus's subscribers: the hash and counts (views), the matcher, watchers. */
  #follow (snapshot?: SnapshotHash): void {
    this.views.start(snapshot)
    this.#unsubscribe.push(this.bus.subscribe(this.matching))
    this.#unsubscribe.push(this.bus.subscribe({
      name: 'watchers',
      onUpdates: (updates) => {
        if (this.#feed.subscribers === 0) return
        for (const u of updates) if (u.change !== undefined) this.#feed.emit(statusEvent(u.change, u.cause, this.#clock(), u.org))
      }
    }))
    // gauges are read when /metrics is scraped, never on the gossip or attest path (issue 15)
    this.metrics.onScrape(() => { this.updateGauges() })
  }

  get alliance (): string { return this.state.alliance }

  /** Starts networking: reports, host, sync, gossip. */
  async start (): Promise<void> {
    // before the host: a recipient coming online answers reports from its first connection
    await this.reports.start()
    await this.contacts.load()
    this.host.addEventListener('peer:connect', this.#onContact)
    this.host.addEventListener('peer:disconnect', this.#onContact)
    await this.host.start()
    await this.sync.start()
    await this.guardians.start()
    this.gossip.start()
    await this.evidence.start()
    this.#started = true
    this.rotation.start()
    this.logger.forComponent('alliance:node').info('node started', { org: this.config.org, peerId: this.keys.peerId.toString(), listen: this.host.multiaddrs().map(String) })
  }

  readonly #onContact = (evt: CustomEvent<string>): void => {
    if (evt.type === 'peer:connect') this.contacts.connected(evt.detail)
    else this.contacts.disconnected(evt.detail)
  }

  async stop (): Promise<void> {
    await this.reports.stop()
    await this.rotation.stop()
    await this.author.gossiped()
    this.gossip.stop()
    this.#started = false
    await this.evidence.stop()
    await this.sync.stop()
    await this.guardians.stop()
    await this.host.stop()
    this.host.removeEventListener('peer:connect', this.#onContact)
    this.host.removeEventListener('peer:disconnect', this.#onContact)
    await this.contacts.flush()
    await this.bus.settled()
    await this.#writeCheckpoint()
    await this.pipeline.stop()
    for (const u of this.#unsubscribe) u()
    this.views.stop()
    await this.matching.close()
    await this.store.close()
    await this.vault?.close()
    this.fingerprints.stop()
    await this.#cache?.close()
  }

  /**
   * The consensus state as a start-up checkpoint (node/checkpoint), once
   * nothing is ingested any more: the next open loads it instead of
   * replaying every entry. A failure costs only that: the next start does
   * the full pass.
   */
  async #writeCheckpoint (): Promise<void> {
    const log = this.logger.forComponent('alliance:node')
    const covered = this.#covered
    if (covered === undefined) return
    try {
      await this.ingestor.settled()
      const t0 = performance.now()
      const bytes = await writeCheckpoint(this.dir, {
        alliance: this.state.alliance,
        roster: { version: this.state.current.roster.version, id: this.state.current.id },
        heads: covered.heads(),
        flagged: [...this.ingestor.flagged.keys()].map(fromHex),
        applied: this.#applied,
        rate: this.ingestor.rateCounts(),
        rare: covered.rare,
        // taken together, synchronously: the sum is of exactly this index
        snapshot: snapshotOf(this.state.index).lanes(),
        index: this.state.index.image()
      })
      log.info('start-up checkpoint written', { bytes, seconds: Number(((performance.now() - t0) / 1000).toFixed(2)) })
    } catch (err) {
      log.warn('start-up checkpoint not written; the next start rebuilds the state from the store', { error: (err as Error).message })
      await dropCheckpoint(this.dir).catch(() => {})
    }
  }

  /** Pulls what `peer` has and we lack. One sync per peer at a time. */
  async syncWith (peer: string): Promise<SyncResult | undefined> { return await this.sync.syncWith(peer) }

  /** Anti-entropy round: pull from every connected peer (gossip alone never heals a partition). */
  async antiEntropy (): Promise<void> { await this.sync.antiEntropy() }

  /** Moves the consensus clock to now; statuses that expiry changed go out on the bus. */
  advanceClock (): void {
    this.bus.changedMany(this.state.advance(), 'time')
  }

  /** Entries durably stored and applied (own or others'): the bus explains and delivers their fingerprints. */
  onApplied (entries: LogEntry[]): void {
    this.bus.applied(entries)
    this.#applied += entries.length
    this.metrics.entriesApplied.inc(entries.length)
  }

  onRejected (reason: string): void {
    this.#rejected[reason] = (this.#rejected[reason] ?? 0) + 1
    this.metrics.entriesRejected.inc({ reason })
  }

  #blocklistGauges (): void {
    const c = this.state.index.counts()
    this.metrics.blocklist.set({ status: 'listed' }, c.listed)
    this.metrics.blocklist.set({ status: 'disputed' }, c.disputed)
    this.metrics.blocklist.set({ status: 'candidate' }, c.candidate)
  }

  /** Sets the gauges from the node's state (each scrape of /metrics calls it). */
  updateGauges (): void {
    this.#blocklistGauges()
    this.metrics.peers.set(this.host.connectedPeers().length)
  }

  /** Appends bodies to this node's log as one signed segment (node/services/author.ts). */
  async publish (bodies: Body[]): Promise<LogEntry[]> { return await this.author.publish(bodies) }

  // ---------------------------------------------------------------- NodeService

  async attest (items: AttestItem[]): Promise<AttestResult> { return await this.author.attest(items) }
  async retract (item: { kind: Kind, value: string }): Promise<RetractResult> { return await this.author.retract(item) }
  async feedback (item: FeedbackItem): Promise<OpinionResult> { return await this.author.feedback(item) }
  async allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult> { return await this.author.allow(item) }

  async explain (query: { kind: Kind, value: string } | { fingerprint: string }): Promise<ExplainResult> {
    let fp: Uint8Array
    if ('fingerprint' in query) fp = parseFingerprint(query.fingerprint)
    else {
      if (!isKind(query.kind)) throw new InvalidRequestError(`unknown kind ${String(query.kind)}`)
      fp = await this.fingerprints.fingerprint(query.kind, query.value, this.fingerprints.decisionEpoch)
    }
    this.advanceClock()
    return this.views.explain(fp)
  }

  async * blocklist (filter: { status?: StatusName } = {}): AsyncIterable<BlocklistRow> {
    this.advanceClock()
    yield * this.views.blocklist(filter)
  }

  watch (filter: { status?: StatusName | 'absent' } = {}, signal?: AbortSignal): AsyncIterable<StatusEvent> {
    return this.#feed.subscribe(filter, signal)
  }

  /** Scans a listings file on this machine against the live blocklist (raw identifiers stay here). */
  async match (req: MatchRequestView): Promise<MatchResultView> {
    this.advanceClock()
    await this.bus.settled()
    const summary = await this.matching.match(req)
    if (await this.store.getMeta('rescanNeeded') !== undefined) await this.store.putMeta('rescanNeeded', null)
    return summary
  }

  async matchProgress (): Promise<MatchProgressView | null> {
    return this.matching.progress()
  }

  /** Decisions for earlier scanned listings whose fingerprints became listed (or disputed) since `since`. */
  async matchRecent (): Promise<ScanView[]> {
    return this.matching.recentScans()
  }

  async matchRetro (since: number): Promise<RetroDecisionView[]> {
    this.advanceClock()
    await this.bus.settled()
    return this.matching.retroSince(since)
  }

  /** Content hash of the listed and disputed fingerprints: equal on nodes that agree (node/services/snapshot-hash.ts). */
  snapshotHash (): string {
    this.advanceClock()
    return this.views.snapshotHash()
  }

  async status (): Promise<NodeStatus> {
    const chain = this.state.chain
    this.advanceClock()
    const last = this.sync.last
    return {
      org: this.config.org,
      role: this.config.role,
      peerId: this.keys.peerId.toString(),
      alliance: chain.alliance,
      rosterVersion: chain.current.roster.version,
      quorum: chain.current.roster.policy.quorum,
      listen: this.host.multiaddrs().map(String),
      peers: this.host.connectedPeers().map(p => ({ peerId: p, org: this.rosters.orgOfPeer(p) ?? null, addrs: [] })),
      members: this.contacts.view(chain, this.config.org),
      heads: this.views.heads(),
      entries: { applied: this.#applied, rejected: { ...this.#rejected } },
      blocklist: this.state.index.counts(),
      sync: { lastRunAt: last !== undefined ? new Date(last.at).toISOString() : null, lastPeer: last?.peer ?? null, inProgress: this.sync.inProgress },
      snapshotHash: this.views.snapshotHash(),
      keyEpoch: { suite: this.state.policy.suite, rosterEpoch: this.state.policy.epoch, ...this.rotation.view() },
      rescanNeeded: (await this.store.getMeta<NodeStatus['rescanNeeded']>('rescanNeeded')) ?? null,
      startup: { ...this.#startup },
      guardians: this.state.policy.guardians.length === 0
        ? null
        : { threshold: this.state.policy.guardianThreshold, guardians: this.guardians.guardians(), quota: this.guardians.quota() }
    }
  }

  async quota (query: { org?: string, days?: number } = {}): Promise<{ quotas: Record<string, number>, days: QuotaDayView[] }> {
    const quotas = Object.fromEntries(this.state.policy.quotas.map(q => [q.subject, q.perDay]))
    return { quotas, days: this.guardianCounts.days({ limit: query.days ?? 31, ...(query.org !== undefined ? { org: query.org } : {}) }) }
  }

  /** The roster file of the version in force (as adopted, or as installed for version 1). */
  async roster (): Promise<RosterFile> { return await this.rosters.file() }

  /**
   * Adopts roster version n+1 (signed by the governance threshold of version
   * n) and publishes it in this node's log so every node adopts it too.
   */
  async adoptRoster (input: unknown): Promise<{ version: number, changed: boolean }> { return await this.rosters.adopt(input) }

  async proposeRoster (input: unknown): Promise<RosterProposalView> { return await this.proposals.propose(input) }
  async rosterProposals (): Promise<RosterProposalView[]> { return await this.proposals.list() }

  async reasons (): Promise<ReasonsView> {
    const own = this.state.policy.reasons
    return { reasons: (own.length > 0 ? own : DEFAULT_REASONS).map(r => ({ code: r.code, name: r.name, description: r.description })), defaults: own.length === 0 }
  }

  async pipelineAttach (req: PipelineAttachRequest): Promise<PipelineAttachResult> { return await this.pipeline.attach(req) }
  async pipelineFingerprints (req: PipelineFingerprintRequest): Promise<PipelineFingerprintResult> { return await this.pipeline.fingerprints(req) }

  // ---------------------------------------------------------------- reports (node/reports)

  async reportSend (req: ReportSendRequest): Promise<ReportSendResult> { return await this.reports.send(req) }
  async reportOutbox (): Promise<ReportOutboxItem[]> { return await this.reports.outbox() }
  async reportInbox (): Promise<ReportInboxItem[]> { return await this.reports.inbox() }
  async reportShow (id: string, operator?: string): Promise<ReportDetail> { return await this.reports.show(id, custodyActor(operator)) }
  async reportExport (id: string, outPath: string, operator?: string): Promise<ReportExportResult> { return await this.reports.export(id, outPath, undefined, custodyActor(operator)) }
  async reportCustody (id: string): Promise<ReportCustodyLog> { return await this.reports.custodyOf(id) }

  /** How the node classifies a raw segment (tests and tools). */
  async ingestRaw (bytes: Uint8Array, requireSignature = true): Promise<IngestOutcome> {
    let segment: Segment
    try {
      segment = decodeSegment(bytes)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      this.onRejected(err.reason)
      return { result: 'rejected', reason: err.reason, message: err.message }
    }
    return await this.ingestor.ingest(segment, { requireSignature })
  }
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

/** Who a custody record names: the operator the caller gave (the CLI's --as, default the OS user), through the local API. */
function custodyActor (operator: string | undefined): Record<string, string> {
  return operator !== undefined ? { by: operator, via: 'local API' } : { by: 'local API' }
}
