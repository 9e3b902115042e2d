/**
 * The alliance node: one member's daemon, as a composition root. `open`
 * builds each service from the node directory and wires what each needs
 * (node/open-node.ts; STYLE.md habits 5 and 7); `start` and `stop` run them
 * in order; the NodeService methods the HTTP API and the CLI call are
 * one-line delegations. The jobs themselves live in node/services/:
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
import { fromHex } from '../protocol/bytes.js'
import { decodeSegment } from '../protocol/codec/index.js'
import { isKind, type Kind } from '../protocol/kinds.js'
import type { LogEntry } from '../protocol/log/index.js'
import type { Body, Segment } from '../protocol/types.js'
import { ProtocolError } from '../protocol/errors.js'
import type { NodeConfig } from './home.js'
import type { Ingestor, IngestOutcome } from './ingest.js'
import { StatusFeed, statusEvent } from './events.js'
import type { NodeKeys } from './keys.js'
import type { Logger } from './logger.js'
import type { Host } from './net/host.js'
import type { RosterFile } from './roster-file.js'
import type {
  AttestItem, AttestResult, BlocklistRow, ReasonsView, MatchRequestView, MatchResultView, MatchProgressView, RetroDecisionView, ScanView, ExplainResult, FeedbackItem, NodeService, OpinionResult, NodeStatus, QuotaDayView, StartupView, RetractResult, StatusEvent, StatusName,
  ReportCustodyLog, ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult
} from './service.js'
import type { Store } from './store/types.js'
import type { SyncResult } from './sync.js'
import type { MetricsRegistry } from './api/metrics.js'
import type { MatchService } from './matching.js'
import type { PipelineService, PipelineAttachRequest, PipelineAttachResult, PipelineFingerprintRequest, PipelineFingerprintResult } from './pipeline/node-service.js'
import { dropCheckpoint, writeCheckpoint } from './checkpoint/index.js'
import type { CoveredState } from './checkpoint/tracker.js'
import type { ReportService } from './reports/index.js'
import { openNode, type AllianceNodeInit, type NodeParts } from './open-node.js'
import { quotaView, reasonsView, statusView } from './node-views.js'
import { gossipTopic } from './protocols.js'
import type { AuthorService } from './services/author.js'
import type { ConsensusState } from './services/consensus-state.js'
import type { FingerprintService } from './services/fingerprints.js'
import type { EvidenceService } from './services/evidence.js'
import type { GossipService } from './services/gossip.js'
import { rosterPeers, type RosterService } from './services/roster.js'
import type { RosterProposals, RosterProposalView } from './services/proposals.js'
import type { StatusBus } from './services/status-bus.js'
import type { SyncService } from './services/sync-service.js'
import type { MemberContacts } from './services/contacts.js'
import { parseFingerprint, snapshotOf, type ViewService } from './services/views.js'
import { InvalidRequestError, NotReadyError } from './services/errors.js'
import type { RotationService } from './services/rotation.js'
import type { Vault } from './services/vault.js'
import type { FingerprintCache } from './services/fingerprint-cache.js'
import type { GuardianService } from './services/guardian.js'
import type { GuardianCountsLedger } from './services/guardian-counts.js'

export type { AllianceNodeInit }
export { gossipTopic, rosterPeers, InvalidRequestError, NotReadyError }
export { GOSSIP_WHOLE_SEGMENT_ENTRIES, DEFAULT_TTL_MS } from './services/author.js'
export { UnknownFingerprintError } from './services/errors.js'
export { explainView, blocklistRow } from './services/views.js'

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
  /** Entries durably stored and applied: those the state held at open, and every one since. */
  #applied: number
  /** What the state covers, for the start-up checkpoint written at stop. */
  readonly #covered: CoveredState
  readonly #startup: StartupView
  /** Networking started: evidence found from now on is published. */
  #started = false
  readonly #unsubscribe: Array<() => void>

  private constructor (p: NodeParts) {
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
    this.vault = p.vault
    this.views = p.views
    this.contacts = p.contacts
    this.sync = p.sync
    this.evidence = p.evidence
    this.gossip = p.gossip
    this.author = p.author
    this.rosters = p.rosters
    this.proposals = p.proposals
    this.reports = p.reports
    this.matching = p.matching
    this.pipeline = p.pipeline
    this.guardians = p.guardians
    this.rotation = p.rotation
    this.#cache = p.cache
    this.#clock = p.clock
    this.#applied = p.applied
    this.#covered = p.covered
    this.#startup = p.startup
    this.#unsubscribe = [...p.unsubscribe]
    // the bus's subscriber of the node itself (the views' and the matcher's are open's)
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

  /** Opens a node directory: keys, roster, storage (with the start-up chain check), index rebuild, fingerprint keys (node/open-node.ts). Does not start networking. */
  static async open (init: AllianceNodeInit): Promise<AllianceNode> {
    return await openNode(init, (parts) => new AllianceNode(parts))
  }

  /** Networking started: evidence found from now on is published. */
  get started (): boolean { return this.#started }

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
    return await statusView(this, { applied: this.#applied, rejected: this.#rejected, startup: this.#startup })
  }

  async quota (query: { org?: string, days?: number } = {}): Promise<{ quotas: Record<string, number>, days: QuotaDayView[] }> {
    return quotaView(this.state, this.guardianCounts, query)
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

  async reasons (): Promise<ReasonsView> { return reasonsView(this.state) }

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

/** Who a custody record names: the operator the caller gave (the CLI's --as, default the OS user), through the local API. */
function custodyActor (operator: string | undefined): Record<string, string> {
  return operator !== undefined ? { by: operator, via: 'local API' } : { by: 'local API' }
}
