/**
 * An in-memory NodeService test double: records every call, answers from
 * fixed data, and can be told to throw or to hold a blocklist stream open.
 */
import type { ReasonsView, RosterProposalView } from '../../../../node/service.js'
import type { AttestItem, AttestResult, BlocklistRow, ExplainResult, NodeService, NodeStatus, RetractResult, StatusEvent, StatusName, RosterAdoption, FeedbackItem, OpinionResult, MatchRequestView, MatchResultView, MatchProgressView, RetroDecisionView, ScanView } from '../../../../node/service.js'
import type { ReportCustodyLog, ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult, QuotaDayView } from '../../../../node/service.js'
import type { Kind } from '../../../../protocol/kinds.js'
import type { PipelineAttachRequest, PipelineAttachResult, PipelineFingerprintRequest, PipelineFingerprintResult } from '../../../../node/pipeline/node-service.js'
import { StatusFeed } from '../../../../node/events.js'
import type { ErrorCategory } from '../../../../protocol/errors.js'

export type Call =
  | { method: 'status' }
  | { method: 'quota', args: unknown[] }
  | { method: 'attest', items: AttestItem[] }
  | { method: 'retract', item: { kind: Kind, value: string } }
  | { method: 'explain', query: { kind: Kind, value: string } | { fingerprint: string } }
  | { method: 'blocklist', filter: { status?: StatusName } }
  | { method: 'watch', filter: { status?: StatusName | 'absent' } }
  | { method: 'roster' }
  | { method: 'match', req: MatchRequestView }
  | { method: 'matchRetro', since: number }
  | { method: 'matchRecent' }
  | { method: 'matchProgress' }
  | { method: 'feedback', item: FeedbackItem }
  | { method: 'allow', item: { kind: Kind, value: string, ttlMs?: number } }
  | { method: 'adoptRoster', file: unknown }
  | { method: 'proposeRoster', file: unknown }
  | { method: 'rosterProposals' }
  | { method: 'reasons' }
  | { method: 'reportSend', req: ReportSendRequest }
  | { method: 'reportOutbox' }
  | { method: 'reportInbox' }
  | { method: 'reportShow', id: string, operator?: string }
  | { method: 'reportExport', id: string, outPath: string, operator?: string }
  | { method: 'reportCustody', id: string }
  | { method: 'pipelineAttach', req: PipelineAttachRequest }
  | { method: 'pipelineFingerprints', req: PipelineFingerprintRequest }

export const FP = (n: number): string => n.toString(16).padStart(64, '0')

export const PROGRESS: MatchProgressView = { file: 'listings.csv', totalBytes: 1000, bytes: 400, rows: 12, startedAt: '2025-01-01T00:00:00.000Z', elapsedMs: 250 }

export const REPORT_ID = '0123456789abcdef0123456789abcdef'

export const OUTBOX_ITEM: ReportOutboxItem = {
  id: REPORT_ID,
  title: 'Counterfeit trainers',
  reference: 'CASE-1',
  created: '2025-01-01T00:00:00.000Z',
  queuedAt: '2025-01-01T00:00:01.000Z',
  recipients: ['police'],
  state: 'queued',
  digest: 'ab'.repeat(32),
  evidence: 1,
  evidenceBytes: 1000,
  envelopeBytes: 2000,
  deliveries: [{ org: 'police', node: 'cd'.repeat(32), peerId: '12D3KooWpolice', state: 'pending', attempts: 0, nextAttemptAt: '2025-01-01T00:00:01.000Z', lastError: null, deliveredAt: null, receiptTime: null }]
}

export const INBOX_ITEM: ReportInboxItem = {
  id: REPORT_ID,
  author: 'brand-a',
  title: 'Counterfeit trainers',
  reference: 'CASE-1',
  created: '2025-01-01T00:00:00.000Z',
  received: '2025-01-01T00:00:05.000Z',
  from: '12D3KooWbrand',
  digest: 'ab'.repeat(32),
  evidence: 1,
  evidenceBytes: 1000,
  sellers: ['best-deals-4u'],
  listings: 1
}

export const PROPOSAL: RosterProposalView = { id: 'cd'.repeat(32), version: 2, takesEffect: '2025-01-03T00:00:00.000Z', updatedAt: '2025-01-03T00:00:00.000Z', changes: ['adds brand-c'], signedBy: ['brand-a'], missing: ['brand-b', 'platform'], need: 2, ready: false, file: '/srv/node/proposals/x.json' }

export const SCAN: ScanView = { at: '2025-01-01T00:00:09.000Z', file: 'listings.csv', rows: 3, decisions: { none: 1, screen: 1, block: 1 }, matched: 2, rejects: 0, elapsedMs: 1 }

export const RETRO_DECISION: RetroDecisionView = {
  listingId: 'listing-7',
  action: 'block',
  matches: [{ column: 'email', kind: 'email', fingerprint: 'ab'.repeat(32), status: 'listed', action: 'block', orgs: ['brand-a', 'brand-b'], expires: null }],
  retro: true,
  seenAt: '2023-11-14T22:13:20.000Z',
  decidedAt: '2025-01-02T00:00:00.000Z'
}

export function row (n: number, status: StatusName = 'listed'): BlocklistRow {
  return { fingerprint: FP(n), kind: 'phone', status, orgs: ['brand-a', 'brand-b'], weight: 2, expires: '2030-01-01T00:00:00.000Z', reasons: { 'brand-a': 'counterfeit' } }
}

export const STATUS: NodeStatus = {
  org: 'brand-a',
  role: 'brand',
  peerId: '12D3KooWtest',
  alliance: 'acme-alliance',
  rosterVersion: 1,
  quorum: 2,
  listen: ['/ip4/127.0.0.1/tcp/4001'],
  members: [
    { org: 'brand-a', name: 'Brand A', roles: ['brand'], self: true, nodes: 1, connected: 0, lastContact: null },
    { org: 'police', name: 'Police', roles: ['law-enforcement'], self: false, nodes: 1, connected: 0, lastContact: '2025-01-01T00:00:00.000Z' }
  ],
  peers: [{ peerId: '12D3KooWpeer', org: 'brand-b', addrs: ['/ip4/127.0.0.1/tcp/4002'] }],
  heads: [{ org: 'brand-a', author: 'ab'.repeat(32), seq: 3, time: '2025-01-01T00:00:00.000Z' }],
  entries: { applied: 10, rejected: { bad_signature: 1 } },
  blocklist: { listed: 2, disputed: 0, candidate: 1 },
  sync: { lastRunAt: null, lastPeer: null, inProgress: false },
  snapshotHash: 'cd'.repeat(32),
  keyEpoch: { suite: 'hmac-sha256', rosterEpoch: 1, phase: 'steady', epoch: 1, retiring: null, moved: [], waitingFor: [], cutoverBy: null, reattested: 0, vault: true },
  rescanNeeded: null,
  guardians: null,
  startup: { checkpoint: 'used', reason: null, seconds: 1.5, entries: 42, replayedAfterCheckpoint: 0 }
}

/** A named error of the daemon's kind: a name, a reason and a category (tests that need a particular class use the real one). */
export class FakeNamedError extends Error {
  readonly reason: string
  readonly category: ErrorCategory
  constructor (name: string, reason: string, message: string, category: ErrorCategory = 'input') {
    super(message)
    this.name = name
    this.reason = reason
    this.category = category
  }
}

export class FakeService implements NodeService {
  calls: Call[] = []
  /** Thrown by the next call of any method, then cleared. */
  failNext: Error | undefined
  /** Rows the blocklist yields. */
  rows: BlocklistRow[] = [row(1), row(2, 'candidate')]
  /** If set, the blocklist waits on it after `holdAfter` rows. */
  hold: Promise<void> | undefined
  holdAfter = 0
  /** Thrown by the blocklist after this many rows. */
  failAfter: number | undefined
  /** Items at these indexes are rejected by attest. */
  rejectIndexes = new Set<number>()

  #maybeFail (): void {
    const err = this.failNext
    this.failNext = undefined
    if (err !== undefined) throw err
  }

  async status (): Promise<NodeStatus> {
    this.calls.push({ method: 'status' })
    this.#maybeFail()
    return STATUS
  }

  async attest (items: AttestItem[]): Promise<AttestResult> {
    this.calls.push({ method: 'attest', items })
    this.#maybeFail()
    const accepted = items.map((_, i) => i).filter(i => !this.rejectIndexes.has(i))
    return {
      entries: accepted.length,
      fingerprints: accepted.map(i => FP(1000 + i)),
      rejected: [...this.rejectIndexes].filter(i => i < items.length).map(i => ({ index: i, kind: items[i].kind, why: 'not_e164', message: `invalid ${items[i].kind} identifier` }))
    }
  }

  async retract (item: { kind: Kind, value: string }): Promise<RetractResult> {
    this.calls.push({ method: 'retract', item })
    this.#maybeFail()
    return { retracted: 1, fingerprint: FP(7) }
  }

  async explain (query: { kind: Kind, value: string } | { fingerprint: string }): Promise<ExplainResult> {
    this.calls.push({ method: 'explain', query })
    this.#maybeFail()
    return {
      fingerprint: 'fingerprint' in query ? query.fingerprint : FP(7),
      kind: 'phone',
      status: 'listed',
      quorum: 2,
      weight: 2,
      positive: [
        { org: 'brand-a', entryId: 'aa'.repeat(32), time: '2025-01-01T00:00:00.000Z', expires: '2025-04-01T00:00:00.000Z', source: 'attestation', reason: { code: 1, name: 'counterfeit' } },
        { org: 'brand-b', entryId: 'bb'.repeat(32), time: '2025-01-02T00:00:00.000Z', expires: null, source: 'attestation', reason: null }
      ],
      negative: [],
      confirmations: 0,
      expires: '2025-04-01T00:00:00.000Z'
    }
  }

  async * blocklist (filter: { status?: StatusName }): AsyncGenerator<BlocklistRow> {
    this.calls.push({ method: 'blocklist', filter })
    this.#maybeFail()
    let n = 0
    for (const r of this.rows) {
      if (this.hold !== undefined && n === this.holdAfter) await this.hold
      if (this.failAfter !== undefined && n === this.failAfter) throw new Error('disk on fire')
      if (filter.status === undefined || r.status === filter.status) yield r
      n++
    }
  }

  /** Status events: emit on it, watchers of the API receive them. */
  readonly feed = new StatusFeed()

  watch (filter: { status?: StatusName | 'absent' }, signal?: AbortSignal): AsyncIterable<StatusEvent> {
    this.calls.push({ method: 'watch', filter })
    this.#maybeFail()
    return this.feed.subscribe(filter, signal)
  }

  async feedback (item: FeedbackItem): Promise<OpinionResult> {
    this.calls.push({ method: 'feedback', item })
    this.#maybeFail()
    return { fingerprint: item.fingerprint, opinion: item.outcome, entryId: 'ee'.repeat(32), status: 'disputed' }
  }

  async allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult> {
    this.calls.push({ method: 'allow', item })
    this.#maybeFail()
    return { fingerprint: FP(9), opinion: 'authorised-reseller', entryId: 'ff'.repeat(32), status: 'disputed' }
  }

  async match (req: MatchRequestView): Promise<MatchResultView> {
    this.calls.push({ method: 'match', req })
    this.#maybeFail()
    return { rows: 3, decisions: { none: 1, screen: 1, block: 1 }, matched: 2, invalid: { identifiers: 0, rows: 0, byWhy: {}, byColumn: {}, sample: [] }, identifiers: 6, undecided: { rows: 0 }, resolved: 0, cache: { hits: 0, misses: 6, hitRate: 0 }, bytes: 100, workers: 0, elapsedMs: 1, listingsPerSecond: 3000, ignoredColumns: [{ name: 'seller_acount', suggestion: 'seller_account' }, { name: 'notes' }] }
  }

  async matchProgress (): Promise<MatchProgressView | null> {
    this.calls.push({ method: 'matchProgress' })
    this.#maybeFail()
    return PROGRESS
  }

  async matchRetro (since: number): Promise<RetroDecisionView[]> {
    this.calls.push({ method: 'matchRetro', since })
    this.#maybeFail()
    return [RETRO_DECISION]
  }

  async quota (query: { org?: string, days?: number }): Promise<{ quotas: Record<string, number>, days: QuotaDayView[] }> {
    this.calls.push({ method: 'quota', args: [query] })
    this.#maybeFail()
    return { quotas: { '*': 1000 }, days: [{ epoch: 1, day: 20000, date: '2024-10-04', byGuardian: { 'brand-a': { platform: 5 } }, byOrg: { platform: 5 } }] }
  }

  async matchRecent (): Promise<ScanView[]> {
    this.calls.push({ method: 'matchRecent' })
    this.#maybeFail()
    return [SCAN]
  }

  async roster (): Promise<unknown> {
    this.calls.push({ method: 'roster' })
    this.#maybeFail()
    return { format: 'alliance-roster/1' }
  }

  async adoptRoster (file: unknown): Promise<RosterAdoption> {
    this.calls.push({ method: 'adoptRoster', file })
    this.#maybeFail()
    return { version: 2, changed: true }
  }

  async proposeRoster (file: unknown): Promise<RosterProposalView> {
    this.calls.push({ method: 'proposeRoster', file })
    this.#maybeFail()
    return PROPOSAL
  }

  async rosterProposals (): Promise<RosterProposalView[]> {
    this.calls.push({ method: 'rosterProposals' })
    this.#maybeFail()
    return [PROPOSAL]
  }

  async reasons (): Promise<ReasonsView> {
    this.calls.push({ method: 'reasons' })
    this.#maybeFail()
    return { reasons: [{ code: 1, name: 'counterfeit', description: 'fake goods' }], defaults: true }
  }

  async reportSend (req: ReportSendRequest): Promise<ReportSendResult> {
    this.calls.push({ method: 'reportSend', req })
    this.#maybeFail()
    return { ...OUTBOX_ITEM, duplicate: false }
  }

  async reportOutbox (): Promise<ReportOutboxItem[]> {
    this.calls.push({ method: 'reportOutbox' })
    this.#maybeFail()
    return [OUTBOX_ITEM]
  }

  async reportInbox (): Promise<ReportInboxItem[]> {
    this.calls.push({ method: 'reportInbox' })
    this.#maybeFail()
    return [INBOX_ITEM]
  }

  async reportShow (id: string, operator?: string): Promise<ReportDetail> {
    this.calls.push({ method: 'reportShow', id, ...(operator !== undefined ? { operator } : {}) })
    this.#maybeFail()
    return {
      direction: 'received',
      id,
      digest: 'ab'.repeat(32),
      report: {
        id, alliance: 'acme-alliance', author: 'brand-a', authorKey: 'ef'.repeat(32), created: '2025-01-01T00:00:00.000Z', recipients: ['police'],
        title: 'Counterfeit trainers', reference: 'CASE-1', listings: [], sellers: [{ name: 'seller', platform: 'shop', identifiers: [] }],
        rights: [{ type: 'trademark', mark: 'ACME', registrations: [], jurisdiction: 'GB' }], evidence: [], narrative: 'n'
      },
      outbox: null,
      inbox: INBOX_ITEM,
      receipts: [{ org: 'police', node: 'cd'.repeat(32), received: '2025-01-01T00:00:05.000Z' }],
      custody: [{ seq: 1, time: '2025-01-01T00:00:05.000Z', action: 'received', detail: { from: '12D3KooWbrand' }, hash: '00'.repeat(32) }],
      custodyIntact: true
    }
  }

  async reportExport (id: string, outPath: string, operator?: string): Promise<ReportExportResult> {
    this.calls.push({ method: 'reportExport', id, outPath, ...(operator !== undefined ? { operator } : {}) })
    this.#maybeFail()
    return { id, out: outPath, bytes: 1234, sha256: '12'.repeat(32), receipts: 1, exporter: 'police' }
  }

  async reportCustody (id: string): Promise<ReportCustodyLog> {
    this.calls.push({ method: 'reportCustody', id })
    this.#maybeFail()
    return { id, custody: [{ seq: 2, time: '2025-01-01T00:00:06.000Z', action: 'opened', detail: { by: 'alice', via: 'local API' }, hash: '01'.repeat(32) }], custodyIntact: true }
  }

  async pipelineAttach (req: PipelineAttachRequest): Promise<PipelineAttachResult> {
    this.calls.push({ method: 'pipelineAttach', req })
    this.#maybeFail()
    return { prefix: req.prefix ?? 'alliance', epoch: 1, snapshot: 's1', version: '0-0', entries: 0, defaultCountry: 'GB', cacheKey: 'AAAA' }
  }

  async pipelineFingerprints (req: PipelineFingerprintRequest): Promise<PipelineFingerprintResult> {
    this.calls.push({ method: 'pipelineFingerprints', req })
    this.#maybeFail()
    return { epoch: req.epoch, results: req.items.map((_, i) => ({ fingerprint: FP(i) })) }
  }
}
