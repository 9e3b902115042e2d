/**
 * What a running node offers its local users: the contract between the
 * daemon (node/alliance-node.ts), the HTTP API (node/api/) and the CLI
 * (node/cli/). Plain JSON-able values only; fingerprints and keys as hex.
 */
import type { Claim, Kind } from '../protocol/kinds.js'

export interface AttestItem {
  kind: Kind
  /** The raw identifier. Canonicalised and fingerprinted on this node; never leaves it. */
  value: string
  /** Alliance-defined reason code. @default 0 */
  reason?: number
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

export interface VoteView {
  org: string
  entryId: string
  time: string
  expires: string | null
  source: string
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
  heads: HeadView[]
  entries: { applied: number, rejected: Record<string, number> }
  blocklist: { listed: number, disputed: number, candidate: number }
  sync: { lastRunAt: string | null, lastPeer: string | null, inProgress: boolean }
  /** Blocklist snapshot content hash (hex), to compare nodes. */
  snapshotHash: string
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
  blocklist (filter: { status?: StatusName }): AsyncIterable<BlocklistRow>
  /** Records the platform's outcome as a signed opinion: confirmed/removed vouch, false-positive/dispute-upheld stand against. */
  feedback (item: FeedbackItem): Promise<OpinionResult>
  /** A brand's authorised reseller: a signed negative opinion on the identifier's fingerprint. */
  allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult>
  /** The roster file (alliance-roster/1 JSON) of the version in force. */
  roster (): Promise<unknown>
  /** Adopts roster version n+1 (signed by the governance threshold of n) and spreads it to every node. */
  adoptRoster (file: unknown): Promise<RosterAdoption>
}
