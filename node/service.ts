/**
 * What a running node offers its local users: the contract between the
 * daemon (node/alliance-node.ts), the HTTP API (node/api/) and the CLI
 * (node/cli/). Plain JSON-able values only; fingerprints and keys as hex.
 */
import type { Claim, Kind } from '../protocol/kinds.js'
import type { MatchProgress, MatchResult } from './matching.js'
import type { MemberContactView } from './services/contacts.js'

export type { MemberContactView }
import type { RotationView } from './services/rotation.js'
import type { RosterProposalView } from './services/proposals.js'

export type { RosterProposalView } from './services/proposals.js'
import type { PipelineAttachRequest, PipelineAttachResult, PipelineFingerprintRequest, PipelineFingerprintResult } from './pipeline/node-service.js'

export interface AttestItem {
  kind: Kind
  /** The raw identifier. Canonicalised and fingerprinted on this node; never leaves it. */
  value: string
  /**
   * Why: a name of the roster's reason vocabulary ('counterfeit') or its
   * code (1); anything else is refused (UnknownReasonError). @default none (0)
   */
  reason?: number | string
  /** Lifetime in ms. @default 90 days (capped by the roster's maximum lifetime) */
  ttlMs?: number
  /** @default 'counterfeit-seller' */
  claim?: Claim
  /** 0..100. @default 100 */
  confidence?: number
}

export interface RejectedItem {
  /** 0-based position in the request (the CLI adds the file's row numbers). */
  index: number
  kind: string
  /** Short code, e.g. 'not_e164', 'bad_checksum', 'unknown_kind'. */
  why: string
  message: string
}

export interface AttestResult {
  /** Entries appended to this node's log (one bulk segment, one signature). */
  entries: number
  /** Fingerprints (hex) of the accepted items, in request order. */
  fingerprints: string[]
  rejected: RejectedItem[]
}

export interface RetractResult {
  /** Attestations of this org on the fingerprint that were withdrawn (0 if none stood). */
  retracted: number
  fingerprint: string
}

export type StatusName = 'listed' | 'disputed' | 'candidate'

/** An attestation's reason: its code and, when the roster's vocabulary names it, its name. */
export interface ReasonView {
  code: number
  name: string | null
}

export interface VoteView {
  org: string
  entryId: string
  time: string
  expires: string | null
  source: string
  /** The attestation's reason; null for opinions and attestations that give none. */
  reason: ReasonView | null
}

/** One reason of the vocabulary in force (`GET /v1/reasons`). */
export interface ReasonEntry {
  code: number
  name: string
  description: string
}

export interface ReasonsView {
  /** The vocabulary of the roster in force, in its order. */
  reasons: ReasonEntry[]
  /** True when the roster names none and these are the defaults (protocol/roster/reasons.ts). */
  defaults: boolean
}

export interface ExplainResult {
  fingerprint: string
  kind: Kind | null
  status: StatusName | 'absent'
  quorum: number
  weight: number
  positive: VoteView[]
  negative: VoteView[]
  confirmations: number
  /** When the status next changes by expiry alone (ISO time), null if never. */
  expires: string | null
}

export interface BlocklistRow {
  fingerprint: string
  kind: Kind | null
  status: StatusName
  orgs: string[]
  weight: number
  expires: string | null
  /** org → why it vouches (its attestation's reason name, else the code), for the orgs that gave a reason. */
  reasons: Record<string, string>
}

/** A fingerprint's status changed on this node (GET /v1/events, `alliance watch`). */
export interface StatusEvent {
  type: 'status'
  /** When this node saw the change (ISO 8601). */
  at: string
  fingerprint: string
  kind: Kind | null
  from: StatusName | 'absent'
  to: StatusName | 'absent'
  /** An applied entry (attestation, opinion, retraction), time (an expiry) or a roster change. */
  cause: 'entry' | 'time' | 'roster' | 'evidence'
  /** cause 'entry': the org whose attestation, opinion or retraction made the change; cause 'evidence': the org whose key was excluded; null otherwise. */
  org: string | null
}

export interface PeerView {
  peerId: string
  org: string | null
  addrs: string[]
}

export interface HeadView {
  org: string | null
  author: string
  seq: number
  time: string
}

export interface NodeStatus {
  org: string
  role: string
  peerId: string
  alliance: string
  rosterVersion: number
  quorum: number
  listen: string[]
  peers: PeerView[]
  /** Every member of the roster in force, offline ones too, with this node's last contact with it. */
  members: MemberContactView[]
  heads: HeadView[]
  entries: { applied: number, rejected: Record<string, number> }
  blocklist: { listed: number, disputed: number, candidate: number }
  sync: { lastRunAt: string | null, lastPeer: string | null, inProgress: boolean }
  /** Blocklist snapshot content hash (hex), to compare nodes. */
  snapshotHash: string
  /** The fingerprint key epoch this node works under, and a key rotation's progress (node/services/rotation.ts). */
  keyEpoch: KeyEpochView
  /** Listings scanned under an epoch retired since: rescan them for retroactive decisions under the new one. */
  rescanNeeded: { epoch: number, listings: number, at: string } | null
  /** toprf-ristretto255 only (null otherwise): the epoch's guardians, whether this node reaches them, and this org's quota. */
  guardians: GuardiansView | null
  /** How this node started: from a start-up checkpoint or by replaying its whole store (node/startup.ts). */
  startup: StartupView
}

export interface StartupView {
  /** used: the state came from the checkpoint written at the last clean stop; absent: there was none (first start, or after a crash); refused: see `reason`. */
  checkpoint: 'used' | 'absent' | 'refused'
  /** Why a checkpoint was refused (checkpoint_damaged, checkpoint_version, checkpoint_other_alliance, checkpoint_other_roster, checkpoint_stale, checkpoint_store_damaged), else null. */
  reason: string | null
  /** Seconds from open until the node could serve (chain check included). */
  seconds: number
  /** Entries the consensus state holds. */
  entries: number
  /** With a checkpoint: entries stored after it, replayed on top of it. */
  replayedAfterCheckpoint: number | null
}

export interface GuardiansView {
  threshold: number
  guardians: Array<{ org: string, index: number, self: boolean, connected: boolean, lastError: string | null }>
  /** This node's org: evaluations allowed per UTC day per guardian (null: no limit), its own tally today, the reset time. */
  quota: { limit: number | null, usedToday: number, resetAt: string }
}

/** One UTC day of guardian counts, as every guardian published them (the quota audit). */
export interface QuotaDayView {
  epoch: number
  day: number
  date: string
  /** guardian org → (org → evaluations). */
  byGuardian: Record<string, Record<string, number>>
  /** org → the most any guardian counted. */
  byOrg: Record<string, number>
}

/** The fingerprint key epoch and a rotation's progress, as `status` shows them. */
export interface KeyEpochView extends RotationView {
  suite: string
  /** The epoch of the roster in force (ahead of `epoch` while its sealed key has not arrived). */
  rosterEpoch: number
}

/** The platform's outcomes for a listing matched on a fingerprint. */
export const OUTCOMES = ['confirmed', 'removed', 'false-positive', 'dispute-upheld'] as const
export type Outcome = typeof OUTCOMES[number]

export interface FeedbackItem {
  /** Fingerprint (64 hex digits) the outcome is about. */
  fingerprint: string
  outcome: Outcome
  /** Kept on this node; only its SHA-256 travels. */
  note?: string
  /** How long the opinion stands, ms. @default 90 days (capped by the roster's maximum lifetime) */
  ttlMs?: number
}

export interface OpinionResult {
  fingerprint: string
  opinion: string
  entryId: string
  /** The fingerprint's status on this node right after the opinion was applied. */
  status: StatusName | 'absent'
}

export interface RosterAdoption {
  version: number
  /** False when the node already held this version. */
  changed: boolean
}

/** `alliance report send`: a report to law enforcement (DESIGN.md §7). */
export interface ReportSendRequest {
  /** Recipient org ids (law-enforcement members of the roster), added to the report's own `recipients`. */
  to: string[]
  /**
   * The report, in the JSON input format of protocol/report/input.ts
   * (examples/report.json). Its evidence paths must be absolute paths on the
   * node's machine (the CLI resolves them against the JSON file's folder).
   */
  report: unknown
  /** More evidence files: absolute paths on the node's machine. */
  evidence: string[]
}

/** One (report, recipient node) delivery, as the author's node tracks it. */
export interface ReportDeliveryView {
  org: string
  /** the recipient node's signing key (hex) */
  node: string
  peerId: string
  /** pending: being retried; delivered: a verified receipt came back; refused: the recipient refused for good; dropped: the node left the roster */
  state: 'pending' | 'delivered' | 'refused' | 'dropped'
  attempts: number
  nextAttemptAt: string | null
  lastError: { reason: string, message: string, at: string } | null
  /** when the receipt came back */
  deliveredAt: string | null
  /** the time the recipient put in its signed receipt */
  receiptTime: string | null
}

export interface ReportOutboxItem {
  id: string
  title: string
  reference: string
  created: string
  queuedAt: string
  recipients: string[]
  /** delivered: every recipient node signed a receipt; queued: none yet; partial: some; failed: none and nothing pending */
  state: 'queued' | 'partial' | 'delivered' | 'failed'
  /** signed-report digest (hex): what receipts acknowledge */
  digest: string
  evidence: number
  evidenceBytes: number
  envelopeBytes: number
  deliveries: ReportDeliveryView[]
}

export interface ReportSendResult extends ReportOutboxItem {
  /** True when a report with this id was already in the outbox: nothing new was queued. */
  duplicate: boolean
}

export interface ReportInboxItem {
  id: string
  author: string
  title: string
  reference: string
  created: string
  received: string
  /** peer id of the node that delivered it */
  from: string
  digest: string
  evidence: number
  evidenceBytes: number
  /** the sellers the report names (their names, else their first identifier) */
  sellers: string[]
  /** how many listings it names */
  listings: number
}

/** A report's content. Raw identifiers included: only its author's and its recipients' nodes can show it. */
export interface ReportDocumentView {
  id: string
  alliance: string
  author: string
  authorKey: string
  created: string
  recipients: string[]
  title: string
  reference: string
  listings: Array<{ url: string, platform: string, listingId: string, title: string, observed: string | null }>
  sellers: Array<{ name: string, platform: string, identifiers: Array<{ kind: string, value: string }> }>
  rights: Array<{ type: string, mark: string, registrations: string[], jurisdiction: string }>
  evidence: Array<{ name: string, size: number, mediaType: string, sha256: string, description: string }>
  narrative: string
}

export interface ReportCustodyView {
  seq: number
  time: string
  action: 'received' | 'opened' | 'exported'
  detail: Record<string, string | number>
  hash: string
}

export interface ReportDetail {
  /** sent: this node is the author; received: a recipient */
  direction: 'sent' | 'received'
  id: string
  digest: string
  report: ReportDocumentView
  outbox: ReportOutboxItem | null
  inbox: ReportInboxItem | null
  /** verified receipts held for the report */
  receipts: Array<{ org: string, node: string, received: string }>
  /** this node's chain-of-custody records for the report (showing it adds an `opened` record on a recipient) */
  custody: ReportCustodyView[]
  /** false if the custody log's hash chain or signatures are broken on disk */
  custodyIntact: boolean
}

/** A report's chain of custody on this node (`alliance report custody`). */
export interface ReportCustodyLog {
  id: string
  custody: ReportCustodyView[]
  /** false if the custody log's hash chain or signatures are broken on disk */
  custodyIntact: boolean
}

export interface ReportExportResult {
  id: string
  /** absolute path of the bundle written */
  out: string
  bytes: number
  /** SHA-256 of the bundle file (hex) */
  sha256: string
  receipts: number
  exporter: string
}

/** `alliance match`: scan a listings file on the node's machine (raw identifiers never leave it). */
export interface MatchRequestView {
  /** Absolute path of a CSV (header row) or JSONL listings file on the node's machine. */
  listings: string
  /** Absolute path for decisions; omitted: summary only. */
  out?: string
  /** Absolute path for rejected identifiers (JSONL with row numbers). */
  rejects?: string
  format?: 'csv' | 'jsonl'
  outputFormat?: 'jsonl' | 'csv'
  /** 'actions' (block/screen only, the default), 'matches' (any matched identifier) or 'all'. */
  emit?: 'actions' | 'matches' | 'all'
  /** Status → action policy JSON (see node/match/policy.ts). */
  policy?: unknown
  /** Worker threads for this and later scans. @default the node's cores */
  workers?: number
  /** Platform of bare seller ids in the file: "A1B2" is matched as "<accountPlatform>:A1B2". */
  accountPlatform?: string
  /** Replace `out` and `rejects` if they exist. @default false (409 already_exists) */
  force?: boolean
  /** Refuse a file with a column the matcher does not know (400 unknown_columns). @default false; on anyway when no known identifier column is found */
  strictColumns?: boolean
}

/** A scan's summary with the columns of the file the matcher ignored (each with the known column it most likely meant); the scan running now (GET /v1/match/progress). */
export type MatchResultView = MatchResult
export type MatchProgressView = MatchProgress

/** A decision for a listing scanned earlier, made when one of its fingerprints became listed or disputed. */
export interface RetroDecisionView {
  listingId: string
  action: 'none' | 'screen' | 'block'
  matches: Array<{ column: string, kind: string, fingerprint: string, status: string, action: string, orgs: string[], expires: string | null }>
  retro: true
  /** When the listing was scanned (ISO 8601). */
  seenAt?: string
  decidedAt: string
}

/** One scan of a listings file (`alliance match`), as the console's Matching page lists them. */
export interface ScanView {
  /** When the scan ended (ISO 8601). */
  at: string
  /** The listings file's name (no folder: the path is on the node's machine). */
  file: string
  rows: number
  decisions: { none: number, screen: number, block: number }
  /** Listings with at least one matched identifier. */
  matched: number
  /** Invalid identifiers plus rows that could not be matched at all. */
  rejects: number
  elapsedMs: number
}

export interface NodeService {
  status (): Promise<NodeStatus>
  attest (items: AttestItem[]): Promise<AttestResult>
  retract (item: { kind: Kind, value: string }): Promise<RetractResult>
  explain (query: { kind: Kind, value: string } | { fingerprint: string }): Promise<ExplainResult>
  blocklist (filter?: { status?: StatusName }): AsyncIterable<BlocklistRow>
  /** Status changes from now on (only those to `status`, if given) until `signal` aborts; a subscriber that falls too far behind ends with WatchOverflowError. */
  watch (filter?: { status?: StatusName | 'absent' }, signal?: AbortSignal): AsyncIterable<StatusEvent>
  /** Records the platform's outcome as a signed opinion: confirmed/removed vouch, false-positive/dispute-upheld stand against. */
  feedback (item: FeedbackItem): Promise<OpinionResult>
  /** A brand's authorised reseller: a signed negative opinion on the identifier's fingerprint. */
  allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult>
  /** Scans listings against the live blocklist; returns the summary (see node/match/pool.ts MatchSummary). */
  match (req: MatchRequestView): Promise<MatchResultView>
  /** The scan running now (rows and bytes read so far), or null when none is. */
  matchProgress (): Promise<MatchProgressView | null>
  /** Decisions for earlier scanned listings whose fingerprints became listed or disputed at or after `since` (ms). */
  matchRetro (since: number): Promise<RetroDecisionView[]>
  /** The latest scans since the daemon started, newest first (at most MAX_RECENT_SCANS). */
  matchRecent (): Promise<ScanView[]>
  /** The roster file (alliance-roster/1 JSON) of the version in force. */
  roster (): Promise<unknown>
  /** toprf: every guardian's signed daily counts per org, newest day first (`org` keeps one org). */
  quota (query: { org?: string, days?: number }): Promise<{ quotas: Record<string, number>, days: QuotaDayView[] }>
  /** Adopts roster version n+1 (signed by the governance threshold of n) and spreads it to every node. */
  adoptRoster (file: unknown): Promise<RosterAdoption>
  /** Keeps a partly signed version n+1 (checked: it extends the version in force, its signatures verify) until adopted. */
  proposeRoster (file: unknown): Promise<RosterProposalView>
  /** Versions n+1 waiting for signatures, with who signed and who has not. */
  rosterProposals (): Promise<RosterProposalView[]>
  /** The reason vocabulary of the roster in force. */
  reasons (): Promise<ReasonsView>
  /** Signs, encrypts and queues a report to law-enforcement recipients; refusals queue nothing. */
  reportSend (req: ReportSendRequest): Promise<ReportSendResult>
  /** Reports this node sent, with each delivery's state. */
  reportOutbox (): Promise<ReportOutboxItem[]>
  /** Reports this node received, each opened, checked and receipted. */
  reportInbox (): Promise<ReportInboxItem[]>
  /** One report in full (logged as `opened` in the chain of custody on a recipient, by `operator`: the person at the CLI or the case system). */
  reportShow (id: string, operator?: string): Promise<ReportDetail>
  /** Writes the report's evidence bundle to `outPath` on the node's machine (never overwrites); logged as `exported` by `operator`. */
  reportExport (id: string, outPath: string, operator?: string): Promise<ReportExportResult>
  /** The report's chain-of-custody records on this node, without opening it (nothing is logged). */
  reportCustody (id: string): Promise<ReportCustodyLog>
  /** Platform pipeline (node/pipeline): publish the blocklist to a Redis and tell a worker what it needs. */
  pipelineAttach (req: PipelineAttachRequest): Promise<PipelineAttachResult>
  /** Platform pipeline: raw identifiers → fingerprints under an epoch, for workers that hold no key. */
  pipelineFingerprints (req: PipelineFingerprintRequest): Promise<PipelineFingerprintResult>
}
