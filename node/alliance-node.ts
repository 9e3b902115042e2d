/**
 * The alliance node: one member's daemon. Wires the key files, the installed
 * roster, LevelDB, the ingest pipeline and consensus index, the libp2p host
 * (gossip + sync), and implements the local NodeService that the HTTP API and
 * the CLI expose.
 */
import './polyfill.js'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { canonicalBytes } from '../protocol/canonical/index.js'
import { fromHex, toHex } from '../protocol/bytes.js'
import { decodeSegment, encodeSegment } from '../protocol/codec/index.js'
import type { Explanation } from '../protocol/consensus/rule.js'
import type { StatusChange } from '../protocol/consensus/index.js'
import { createSuite, isLocalSuite, type LocalFingerprintSuite } from '../protocol/fingerprint/index.js'
import { TAGS, fileDigest, taggedHasher } from '../protocol/hash.js'
import { isKind, type Kind, type OpinionType } from '../protocol/kinds.js'
import { appendSegment, type LogEntry } from '../protocol/log/index.js'
import { RosterChain } from '../protocol/roster/index.js'
import type { Attestation, Body, Opinion, Retraction, Segment } from '../protocol/types.js'
import { ProtocolError } from '../protocol/errors.js'
import { API_FILE, DATA_DIR, readConfig, readEpochKey, writeApiInfo, type NodeConfig } from './home.js'
import { Ingestor, consensusPolicy, type IngestOutcome, type StatusCause } from './ingest.js'
import { StatusFeed, statusEvent } from './events.js'
import { loadNodeKeys, type NodeKeys } from './keys.js'
import { createLogger, type ComponentLogger, type Logger, type LogLevel } from './logger.js'
import { createHost, type Host, type RosterPeer } from './net/host.js'
import { installedRoster, parseRosterFile, signedRosterOf, type RosterFile } from './roster-file.js'
import type {
  AttestItem, AttestResult, BlocklistRow, MatchRequestView, RetroDecisionView, ExplainResult, FeedbackItem, NodeService, OpinionResult, NodeStatus, RetractResult, StatusEvent, StatusName, VoteView
} from './service.js'
import { createStore } from './store/index.js'
import type { Store } from './store/types.js'
import { DEFAULT_SYNC_BATCH, SYNC_TIMEOUT_MS, pullSync, serveSync, syncProtocol, type SyncResult } from './sync.js'
import { NodeError } from './errors.js'
import { MetricsRegistry } from './api/metrics.js'
import { MatchService } from './matching.js'
import { loadRosterChain } from './store/rosters.js'
import type { MatchSummary } from './match/index.js'
import { createReportService, type ReportService, type ReportServiceInit } from './reports/index.js'
import type { ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult } from './service.js'

export const GOSSIP_PROTOCOL_VERSION = '1.0.0'
export function gossipTopic (alliance: string): string {
  return `/alliance/${alliance}/entries/${GOSSIP_PROTOCOL_VERSION}`
}
/** Own segments up to this many entries are gossiped whole; larger ones announce their signed tail and peers sync the rest. */
export const GOSSIP_WHOLE_SEGMENT_ENTRIES = 64
export const DEFAULT_TTL_MS = 90 * 24 * 3600_000

export class NotReadyError extends NodeError {
  constructor (why: string) {
    super('not_ready', why)
    this.name = 'NotReadyError'
  }
}

export class InvalidRequestError extends NodeError {
  constructor (why: string) {
    super('invalid_request', why)
    this.name = 'InvalidRequestError'
  }
}

export class UnknownFingerprintError extends NodeError {
  constructor () {
    super('not_found', 'no member has said anything about this fingerprint; feedback applies to fingerprints the alliance knows (see alliance blocklist / explain)')
    this.name = 'UnknownFingerprintError'
  }
}

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
}

function iso (t: number): string | null {
  return Number.isFinite(t) ? new Date(t).toISOString() : null
}

function voteView (v: Explanation['positive'][number]): VoteView {
  return { org: v.org, entryId: toHex(v.entryId), time: new Date(v.time).toISOString(), expires: iso(v.expires), source: v.source }
}

export function explainView (e: Explanation): ExplainResult {
  return {
    fingerprint: toHex(e.fingerprint),
    kind: e.kind ?? null,
    status: e.status,
    quorum: e.quorum,
    weight: e.weight,
    positive: e.positive.map(voteView),
    negative: e.negative.map(voteView),
    confirmations: e.confirmations,
    expires: iso(e.expires)
  }
}

export function blocklistRow (e: Explanation): BlocklistRow {
  return {
    fingerprint: toHex(e.fingerprint),
    kind: e.kind ?? null,
    status: e.status as StatusName,
    orgs: e.positive.map(v => v.org),
    weight: e.weight,
    expires: iso(e.expires)
  }
}

/** Roster members' nodes as host peers. */
export function rosterPeers (chain: RosterChain): Array<RosterPeer & { org: string }> {
  return chain.current.roster.members.flatMap(m => m.nodes.map(n => ({
    peerId: peerIdFromMultihash(Digest.decode(n.peerId)).toString(),
    addrs: n.addrs,
    org: m.org
  })))
}

export class AllianceNode implements NodeService {
  readonly config: NodeConfig
  readonly dir: string
  readonly keys: NodeKeys
  readonly store: Store
  readonly ingestor: Ingestor
  readonly host: Host
  readonly metrics: MetricsRegistry
  readonly logger: Logger
  /** Infringement reports: outbox, inbox, the report protocol (node/reports). Set by open(). */
  reports!: ReportService
  /** Local matching: live blocklist index, scans, retroactive decisions (node/matching.ts). Set by open(). */
  matching!: MatchService
  readonly #log: ComponentLogger
  readonly #suite: LocalFingerprintSuite
  readonly #clock: () => number
  readonly #antiEntropyMs: number
  readonly #syncing = new Map<string, Promise<SyncResult | undefined>>()
  readonly #rejected: Record<string, number> = {}
  #applied = 0
  #timer: NodeJS.Timeout | undefined
  #lastSync: { at: number, peer: string } | undefined
  #unsubscribe: (() => void) | undefined
  #peerOrgs: { version: number, map: Map<string, string> } | undefined
  #publishing: Promise<unknown> = Promise.resolve()
  #snapshot: { applied: number, at: number, hash: string } | undefined
  readonly #feed = new StatusFeed()

  private constructor (p: {
    dir: string, config: NodeConfig, keys: NodeKeys, store: Store, ingestor: Ingestor, host: Host, metrics: MetricsRegistry,
    logger: Logger, suite: LocalFingerprintSuite, clock: () => number, antiEntropyMs: number
  }) {
    this.config = p.config
    this.dir = p.dir
    this.keys = p.keys
    this.store = p.store
    this.ingestor = p.ingestor
    this.host = p.host
    this.metrics = p.metrics
    this.logger = p.logger
    this.#log = p.logger.forComponent('alliance:node')
    this.#suite = p.suite
    this.#clock = p.clock
    this.#antiEntropyMs = p.antiEntropyMs
  }

  /** Opens a node directory: keys, roster, storage (with the start-up chain check), index rebuild. Does not start networking. */
  static async open (init: AllianceNodeInit): Promise<AllianceNode> {
    const config = await readConfig(init.dir)
    const logger = createLogger({ level: init.logLevel ?? config.logLevel, sink: init.logSink })
    const log = logger.forComponent('alliance:node')
    const clock = init.clock ?? Date.now
    const keys = await loadNodeKeys(init.dir)
    const installed = await installedRoster(init.dir).catch(err => {
      throw new NotReadyError(`no valid roster installed in ${init.dir} (${(err as Error).message}); install one with: alliance roster install ${init.dir} <roster.json>`)
    })
    const store = createStore({ path: join(init.dir, DATA_DIR) })
    await store.open()
    try {
      const damage = await store.checkChains()
      for (const d of damage) log.warn('log history damaged on disk; truncated and will re-sync from peers', { author: toHex(d.author), validThrough: d.validThrough, why: d.why })
      const rosters = await loadRosterChain(store, installed.chain.versions[0].signed)
      if (rosters.damage !== undefined) {
        log.warn('stored roster history damaged on disk; dropped from the damaged version on, restored from the installed roster and the logs', { ...rosters.damage, recovered: rosters.recovered })
      }
      const chain = rosters.chain
      const policy = chain.current.roster.policy
      const key = await readEpochKey(init.dir, policy.epoch)
      const suite = createSuite({ name: policy.suite, epoch: policy.epoch, key })
      key.fill(0)
      if (!isLocalSuite(suite)) throw new NotReadyError(`fingerprint suite ${policy.suite} needs an online service this node does not run yet`)
      const metrics = new MetricsRegistry()
      let node: AllianceNode | undefined
      const ingestor = new Ingestor({
        store,
        chain,
        clock,
        logger: logger.forComponent('alliance:ingest'),
        listeners: {
          onApplied: (entries) => node?.onApplied(entries),
          onStatusChange: (change, cause) => node?.onStatusChange(change, cause),
          onRejected: (reason) => node?.onRejected(reason),
          onRoster: () => { void node?.onRoster() },
          onEquivocation: (author, seq) => log.warn('equivocation detected', { author, seq })
        }
      })
      const replayed = await ingestor.replay()
      log.info('index rebuilt from storage', { entries: replayed })
      const host = await createHost({
        listen: config.listen,
        announce: config.announce,
        peers: rosterPeers(chain),
        gossipTopics: [gossipTopic(chain.alliance)]
      }, { keys, logger })
      node = new AllianceNode({ dir: init.dir, config, keys, store, ingestor, host, metrics, logger, suite, clock, antiEntropyMs: init.antiEntropyIntervalMs ?? 30_000 })
      node.reports = createReportService(init.reports ?? {}, { dir: init.dir, org: config.org, chain: () => ingestor.chain, keys, host, logger: logger.forComponent('alliance:reports'), metrics, clock })
      node.matching = new MatchService({ dir: init.dir, consensus: ingestor.consensus, suite: policy.suite, epoch: policy.epoch, defaultCountry: config.defaultCountry, logger: logger.forComponent('alliance:match') })
      await node.matching.loadSeen()
      node.#applied = replayed
      node.updateGauges()
      return node
    } catch (err) {
      await store.close().catch(() => undefined)
      throw err
    }
  }

  get alliance (): string { return this.ingestor.chain.alliance }

  /** Starts networking: gossip subscription, sync handler, anti-entropy, first syncs. */
  async start (): Promise<void> {
    const alliance = this.alliance
    // before the host: a recipient coming online answers reports from its first connection
    await this.reports.start()
    await this.host.start()
    await this.host.handle(syncProtocol(alliance), (stream) => {
      const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
      serveSync(stream, this.#syncComponents(), signal).catch(err => {
        this.#log.debug('sync request failed', { error: (err as Error).message })
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 4 })
    this.#unsubscribe = this.host.subscribe(gossipTopic(alliance), async (_from, data, meta) => await this.#validateGossip(data, meta.relayedBy), () => {})
    this.host.addEventListener('peer:connect', (evt) => { void this.syncWith(evt.detail) ; this.updateGauges() })
    this.host.addEventListener('peer:disconnect', () => { this.updateGauges() })
    this.#timer = setInterval(() => { void this.antiEntropy() }, this.#antiEntropyMs)
    this.#timer.unref()
    this.#log.info('node started', { org: this.config.org, peerId: this.keys.peerId.toString(), listen: this.host.multiaddrs().map(String) })
  }

  async stop (): Promise<void> {
    await this.reports.stop()
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#unsubscribe?.()
    await Promise.allSettled([...this.#syncing.values()])
    await this.host.stop()
    await this.matching.close()
    await this.store.close()
    this.#suite.destroy()
  }

  #syncComponents (): { store: Store, ingestor: Ingestor, alliance: string, logger: ComponentLogger } {
    return { store: this.store, ingestor: this.ingestor, alliance: this.alliance, logger: this.logger.forComponent('alliance:sync') }
  }

  async #validateGossip (data: Uint8Array, relayedBy: string): Promise<'accept' | 'ignore' | 'reject'> {
    let segment: Segment
    try {
      segment = decodeSegment(data)
    } catch (err) {
      this.onRejected((err as ProtocolError).reason ?? 'malformed')
      this.metrics.gossipMessages.inc({ verdict: 'reject' })
      return 'reject'
    }
    const out = await this.ingestor.ingest(segment, { requireSignature: true })
    const verdict = out.result === 'accepted' ? 'accept' : out.result === 'rejected' ? 'reject' : 'ignore'
    this.metrics.gossipMessages.inc({ verdict })
    if (out.result === 'gap') void this.syncWith(relayedBy)
    return verdict
  }

  /** Pulls what `peer` has and we lack. One sync per peer at a time. */
  async syncWith (peer: string): Promise<SyncResult | undefined> {
    const running = this.#syncing.get(peer)
    if (running !== undefined) return await running
    const run = (async () => {
      const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS)
      try {
        const stream = await this.host.dialProtocol(peer, syncProtocol(this.alliance), { signal })
        const result = await pullSync(stream, peer, this.#syncComponents(), signal)
        this.#lastSync = { at: this.#clock(), peer }
        this.metrics.syncRuns.inc({ result: 'ok' })
        // how far behind this peer we were: entries it had that we lacked (0 once caught up)
        this.metrics.syncLagEntries.set(result.accepted)
        if (result.accepted > 0) this.#log.info('synced', { ...result })
        return result
      } catch (err) {
        this.metrics.syncRuns.inc({ result: 'error' })
        this.#log.debug('sync failed', { peer, error: (err as Error).message })
        return undefined
      } finally {
        this.#syncing.delete(peer)
      }
    })()
    this.#syncing.set(peer, run)
    return await run
  }

  /** Anti-entropy round: pull from every connected peer (gossip alone never heals a partition). */
  async antiEntropy (): Promise<void> {
    this.#advanceClock()
    this.updateGauges()
    for (const peer of this.host.connectedPeers()) await this.syncWith(peer)
  }

  /** Moves the consensus clock to now; expiries that change a status reach the matcher. */
  #advanceClock (): void {
    for (const change of this.ingestor.consensus.advanceTo(Math.max(this.ingestor.consensus.now, this.#clock()))) this.onStatusChange(change, 'time')
  }

  /** The matcher's index follows these fingerprints' explanations (a failure is logged: matching must never stop ingest). */
  follow (fingerprints: Uint8Array[]): void {
    if (fingerprints.length === 0 || this.matching === undefined) return
    this.matching.refreshAll(fingerprints, this.#clock()).catch((err: unknown) => {
      this.#log.error('matcher index update failed', { error: (err as Error).message })
    })
  }

  /** A status changed: watchers hear of it; the matcher follows changes by time or roster (applied entries reach it through onApplied). */
  onStatusChange (change: StatusChange, cause: StatusCause): void {
    if (cause !== 'entry') this.follow([change.fingerprint])
    if (this.#feed.subscribers > 0) this.#feed.emit(statusEvent(change, cause, this.#clock()))
  }

  onApplied (entries: LogEntry[]): void {
    // explanations (orgs, expiry) change without a status change too: the matcher's index follows every statement
    const fingerprints: Uint8Array[] = []
    for (const { entry } of entries) {
      const b = entry.body
      if (b.type === 'attestation' || b.type === 'opinion' || b.type === 'retraction') fingerprints.push(b.fingerprint)
    }
    this.follow(fingerprints)
    this.#applied += entries.length
    this.metrics.entriesApplied.inc(entries.length)
  }

  onRejected (reason: string): void {
    this.#rejected[reason] = (this.#rejected[reason] ?? 0) + 1
    this.metrics.entriesRejected.inc({ reason })
  }

  /** Org of each roster peer id, for the version in force (rebuilt when the roster changes). */
  #orgOfPeer (): Map<string, string> {
    const v = this.ingestor.chain.current.roster.version
    if (this.#peerOrgs?.version !== v) this.#peerOrgs = { version: v, map: new Map(rosterPeers(this.ingestor.chain).map(p => [p.peerId, p.org])) }
    return this.#peerOrgs.map
  }

  async onRoster (): Promise<void> {
    await this.host.setAllowedPeers(rosterPeers(this.ingestor.chain))
    this.#log.info('roster updated', { version: this.ingestor.chain.current.roster.version })
  }

  updateGauges (): void {
    const c = this.ingestor.consensus.counts()
    this.metrics.blocklist.set({ status: 'listed' }, c.listed)
    this.metrics.blocklist.set({ status: 'disputed' }, c.disputed)
    this.metrics.blocklist.set({ status: 'candidate' }, c.candidate)
    this.metrics.peers.set(this.host.connectedPeers().length)
  }

  // ---------------------------------------------------------------- authoring

  /** Appends bodies to this node's log as one signed segment, through the same pipeline as everyone else's entries, then gossips it. */
  async publish (bodies: Body[]): Promise<LogEntry[]> {
    // one own segment at a time: reading the head and appending after it must not interleave,
    // or two concurrent requests would sign two entries at one seq (a fork of our own log)
    const turn = this.#publishing.then(async () => {
      const head = this.ingestor.headOf(this.keys.sign.publicKey)
      const { entries, segment } = appendSegment({ signer: this.keys.sign, alliance: this.alliance, head, bodies, time: this.#clock() })
      return { entries, segment, out: await this.ingestor.ingest(segment) }
    })
    this.#publishing = turn.catch(() => undefined)
    const { entries, segment, out } = await turn
    if (out.result !== 'accepted') {
      throw new NodeError(out.result === 'rejected' ? out.reason : out.result, `own entries were not accepted: ${out.result === 'rejected' ? out.message : out.result}`)
    }
    const wire: Segment = entries.length <= GOSSIP_WHOLE_SEGMENT_ENTRIES
      ? segment
      : { entries: [entries[entries.length - 1].bytes], signature: segment.signature }
    await this.host.publish(gossipTopic(this.alliance), encodeSegment(wire)).catch(err => {
      this.#log.debug('gossip publish failed; peers will sync', { error: (err as Error).message })
    })
    this.updateGauges()
    return entries
  }

  fingerprintOf (kind: Kind, value: string): Uint8Array {
    return this.#suite.fingerprint(kind, canonicalBytes(kind, value, this.config.defaultCountry !== undefined ? { defaultCountry: this.config.defaultCountry as never } : undefined))
  }

  // ---------------------------------------------------------------- NodeService

  async attest (items: AttestItem[]): Promise<AttestResult> {
    const now = this.#clock()
    const policy = this.ingestor.chain.current.roster.policy
    const bodies: Body[] = []
    const fingerprints: string[] = []
    const rejected: AttestResult['rejected'] = []
    for (const [index, item] of items.entries()) {
      if (!isKind(item.kind)) { rejected.push({ index, kind: String(item.kind), why: 'unknown_kind', message: `unknown kind ${String(item.kind)}` }); continue }
      let fingerprint: Uint8Array
      try {
        fingerprint = this.fingerprintOf(item.kind, item.value)
      } catch (err) {
        const e = err as ProtocolError & { why?: string }
        if (!(err instanceof ProtocolError)) throw err
        rejected.push({ index, kind: item.kind, why: e.why ?? e.reason, message: e.message })
        continue
      }
      const ttl = Math.min(item.ttlMs ?? DEFAULT_TTL_MS, policy.maxLifetimeMs)
      const body: Attestation = {
        type: 'attestation',
        fingerprint,
        kind: item.kind,
        claim: item.claim ?? 'counterfeit-seller',
        reason: item.reason ?? 0,
        confidence: item.confidence ?? 100,
        evidenceDigest: new Uint8Array(0),
        expires: now + ttl,
        epoch: policy.epoch
      }
      bodies.push(body)
      fingerprints.push(toHex(fingerprint))
    }
    if (bodies.length === 0) return { entries: 0, fingerprints, rejected }
    const entries = await this.publish(bodies)
    return { entries: entries.length, fingerprints, rejected }
  }

  async retract (item: { kind: Kind, value: string }): Promise<RetractResult> {
    if (!isKind(item.kind)) throw new InvalidRequestError(`unknown kind ${String(item.kind)}`)
    const fingerprint = this.fingerprintOf(item.kind, item.value)
    const mine = this.ingestor.consensus.explain(fingerprint).positive.filter(v => v.org === this.config.org && v.source === 'attestation')
    const bodies: Retraction[] = mine.map(v => ({ type: 'retraction', target: v.entryId, fingerprint, kind: item.kind, epoch: this.ingestor.chain.current.roster.policy.epoch }))
    if (bodies.length > 0) await this.publish(bodies)
    return { retracted: bodies.length, fingerprint: toHex(fingerprint) }
  }

  async feedback (item: FeedbackItem): Promise<OpinionResult> {
    if (!/^[0-9a-f]{64}$/i.test(item.fingerprint)) throw new InvalidRequestError('fingerprint must be 64 hex digits')
    const fingerprint = fromHex(item.fingerprint.toLowerCase())
    const known = this.ingestor.consensus.explain(fingerprint)
    if (known.kind === undefined) throw new UnknownFingerprintError()
    return await this.#opinion(fingerprint, known.kind, item.outcome, item.ttlMs, item.note)
  }

  async allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult> {
    if (!isKind(item.kind)) throw new InvalidRequestError(`unknown kind ${String(item.kind)}`)
    return await this.#opinion(this.fingerprintOf(item.kind, item.value), item.kind, 'authorised-reseller', item.ttlMs)
  }

  async #opinion (fingerprint: Uint8Array, kind: Kind, opinion: OpinionType, ttlMs?: number, note?: string): Promise<OpinionResult> {
    const policy = this.ingestor.chain.current.roster.policy
    const body: Opinion = {
      type: 'opinion',
      fingerprint,
      kind,
      opinion,
      expires: this.#clock() + Math.min(ttlMs ?? DEFAULT_TTL_MS, policy.maxLifetimeMs),
      noteDigest: note !== undefined && note !== '' ? fileDigest(Buffer.from(note, 'utf8')) : new Uint8Array(0),
      epoch: policy.epoch
    }
    const [entry] = await this.publish([body])
    return { fingerprint: toHex(fingerprint), opinion, entryId: toHex(entry.id), status: this.ingestor.consensus.status(fingerprint) }
  }

  async explain (query: { kind: Kind, value: string } | { fingerprint: string }): Promise<ExplainResult> {
    let fp: Uint8Array
    if ('fingerprint' in query) {
      if (!/^[0-9a-f]{16,64}$/i.test(query.fingerprint) || query.fingerprint.length % 2 !== 0) throw new InvalidRequestError('fingerprint must be hex (32 bytes: 64 hex digits)')
      fp = fromHex(query.fingerprint.toLowerCase())
    } else {
      if (!isKind(query.kind)) throw new InvalidRequestError(`unknown kind ${String(query.kind)}`)
      fp = this.fingerprintOf(query.kind, query.value)
    }
    this.#advanceClock()
    return explainView(this.ingestor.consensus.explain(fp))
  }

  async * blocklist (filter: { status?: StatusName } = {}): AsyncIterable<BlocklistRow> {
    this.#advanceClock()
    for (const e of this.ingestor.consensus.entries(filter.status !== undefined ? { status: filter.status } : {})) {
      if (e.status === 'absent') continue
      yield blocklistRow(e)
    }
  }

  watch (filter: { status?: StatusName | 'absent' } = {}, signal?: AbortSignal): AsyncIterable<StatusEvent> {
    return this.#feed.subscribe(filter, signal)
  }

  /** Scans a listings file on this machine against the live blocklist (raw identifiers stay here). */
  async match (req: MatchRequestView): Promise<MatchSummary> {
    this.#advanceClock()
    return await this.matching.match(req)
  }

  /** Decisions for earlier scanned listings whose fingerprints became listed (or disputed) since `since`. */
  async matchRetro (since: number): Promise<RetroDecisionView[]> {
    this.#advanceClock()
    return this.matching.retroSince(since)
  }

  /**
   * Content hash of the listed and disputed fingerprints (deterministic
   * order): equal on nodes that agree. Hashed incrementally, and cached until
   * an entry is applied or the clock passes a second.
   */
  snapshotHash (): string {
    const now = this.#clock()
    if (this.#snapshot !== undefined && this.#snapshot.applied === this.#applied && now - this.#snapshot.at < 1000) return this.#snapshot.hash
    const h = taggedHasher(TAGS.snapshot)
    for (const e of this.ingestor.consensus.statuses()) {
      if (e.status === 'listed' || e.status === 'disputed') h.update(`${toHex(e.fingerprint)} ${e.status}\n`)
    }
    const hash = h.digest('hex')
    this.#snapshot = { applied: this.#applied, at: now, hash }
    return hash
  }

  async status (): Promise<NodeStatus> {
    const chain = this.ingestor.chain
    this.#advanceClock()
    return {
      org: this.config.org,
      role: this.config.role,
      peerId: this.keys.peerId.toString(),
      alliance: chain.alliance,
      rosterVersion: chain.current.roster.version,
      quorum: chain.current.roster.policy.quorum,
      listen: this.host.multiaddrs().map(String),
      peers: this.host.connectedPeers().map(p => ({ peerId: p, org: this.#orgOfPeer().get(p) ?? null, addrs: [] })),
      heads: this.store.heads().map(h => ({ org: chain.current.memberOf(h.author)?.member.org ?? chain.orgAt(h.author, h.time) ?? null, author: toHex(h.author), seq: h.seq, time: new Date(h.time).toISOString() })),
      entries: { applied: this.#applied, rejected: { ...this.#rejected } },
      blocklist: this.ingestor.consensus.counts(),
      sync: { lastRunAt: this.#lastSync !== undefined ? new Date(this.#lastSync.at).toISOString() : null, lastPeer: this.#lastSync?.peer ?? null, inProgress: this.#syncing.size > 0 },
      snapshotHash: this.snapshotHash()
    }
  }

  /** The roster file of the version in force (as adopted, or as installed for version 1). */
  async roster (): Promise<RosterFile> {
    const adopted = await this.store.getMeta<RosterFile>('rosterFile')
    if (adopted !== undefined && parseRosterFile(adopted) !== undefined && signedRosterOf(adopted).roster.length > 0) {
      const { roster } = signedRosterOf(adopted)
      if (Buffer.compare(Buffer.from(roster), Buffer.from(this.ingestor.chain.current.bytes)) === 0) return adopted
    }
    const installed = await installedRoster(this.dir)
    if (this.ingestor.chain.current.roster.version === 1) return installed.file
    // a version learnt from a peer's log: its file is rebuilt from the signed roster (the sealed keys of version 1 still apply)
    const signed = this.ingestor.chain.current.signed
    return { ...installed.file, roster: Buffer.from(signed.roster).toString('base64'), signatures: signed.signatures.map(s => ({ org: this.ingestor.chain.versions[this.ingestor.chain.versions.length - 2]?.memberOf(s.key)?.member.org ?? '', key: toHex(s.key), signature: toHex(s.signature) })) }
  }

  /**
   * Adopts roster version n+1 (signed by the governance threshold of version
   * n) and publishes it in this node's log so every node adopts it too.
   * Orgs it removes stop counting everywhere; their peers are disconnected.
   */
  async adoptRoster (input: unknown): Promise<{ version: number, changed: boolean }> {
    const file = parseRosterFile(input)
    const signed = signedRosterOf(file)
    const next = await this.ingestor.addRoster(signed)
    if (next === undefined) return { version: this.ingestor.chain.current.roster.version, changed: false }
    await this.store.putMeta('rosterFile', file)
    await this.publish([{ type: 'roster', signed }])
    return { version: next.roster.version, changed: true }
  }

  // ---------------------------------------------------------------- reports (node/reports)

  async reportSend (req: ReportSendRequest): Promise<ReportSendResult> { return await this.reports.send(req) }
  async reportOutbox (): Promise<ReportOutboxItem[]> { return await this.reports.outbox() }
  async reportInbox (): Promise<ReportInboxItem[]> { return await this.reports.inbox() }
  async reportShow (id: string): Promise<ReportDetail> { return await this.reports.show(id) }
  async reportExport (id: string, outPath: string): Promise<ReportExportResult> { return await this.reports.export(id, outPath) }

  /** Applies an outcome (for tests and tools): how the node classifies a raw segment. */
  async ingestRaw (bytes: Uint8Array, requireSignature = true): Promise<IngestOutcome> {
    let segment: Segment
    try {
      segment = decodeSegment(bytes)
    } catch (err) {
      const e = err as ProtocolError
      this.onRejected(e.reason)
      return { result: 'rejected', reason: e.reason, message: e.message }
    }
    return await this.ingestor.ingest(segment, { requireSignature })
  }
}

export { consensusPolicy, DEFAULT_SYNC_BATCH }

/**
 * `alliance start`: opens and starts the node and its HTTP API, writes
 * <dir>/api.json (url + a fresh bearer token, 0600).
 */
export async function startDaemon (dir: string, opts: { logLevel?: string, logSink?: (line: string) => void, antiEntropyIntervalMs?: number } = {}): Promise<{ stop: () => Promise<void>, apiUrl: string, node: AllianceNode }> {
  const node = await AllianceNode.open({ dir, logLevel: opts.logLevel as LogLevel | undefined, logSink: opts.logSink, antiEntropyIntervalMs: opts.antiEntropyIntervalMs })
  await node.start()
  const { createApiServer } = await import('./api/server.js')
  const token = randomBytes(32).toString('base64url')
  const api = createApiServer({ service: node, token, host: node.config.api.host, port: node.config.api.port, logger: node.logger, metrics: node.metrics })
  const { url } = await api.start()
  await writeApiInfo(dir, { url, token, pid: process.pid })
  let stopped = false
  return {
    apiUrl: url,
    node,
    stop: async () => {
      if (stopped) return
      stopped = true
      await api.stop()
      await node.stop()
      await rm(join(dir, API_FILE), { force: true })
    }
  }
}
