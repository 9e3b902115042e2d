/**
 * What a running node offers its local users: the contract between the
 * daemon (node/alliance-node.ts), the HTTP API (node/api/) and the CLI
 * (node/cli/). Plain JSON-able values only; fingerprints and keys as hex.
 *
 * The views of status (node/service-status.ts), reports
 * (node/service-reports.ts) and matching (node/service-match.ts) live beside
 * this file and are re-exported here: import every API type from this module.
 */
import type { Claim, Kind } from '../protocol/kinds.js'
import type { RosterProposalView } from './services/proposals.js'
import type { PipelineAttachRequest, PipelineAttachResult, PipelineFingerprintRequest, PipelineFingerprintResult } from './pipeline/node-service.js'
import type { NodeStatus, QuotaDayView } from './service-status.js'
import type { ReportCustodyLog, ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult } from './service-reports.js'
import type { MatchProgressView, MatchRequestView, MatchResultView, RetroDecisionView, ScanView } from './service-match.js'

export type { MemberContactView } from './services/contacts.js'
export type { RosterProposalView } from './services/proposals.js'
export type * from './service-status.js'
export type * from './service-reports.js'
export type * from './service-match.js'

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
