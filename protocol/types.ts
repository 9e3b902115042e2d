/**
 * Decoded protocol messages as TypeScript sees them: numbers instead of
 * Longs, string names instead of enum numbers, Uint8Array for every digest,
 * key and fingerprint. protocol/codec.ts converts to and from the wire.
 */
import type { Claim, Kind, OpinionType, Role } from './kinds.js'

export interface Attestation {
  type: 'attestation'
  fingerprint: Uint8Array
  kind: Kind
  claim: Claim
  reason: number
  confidence: number
  evidenceDigest: Uint8Array
  expires: number
  epoch: number
}

export interface Retraction {
  type: 'retraction'
  target: Uint8Array
  fingerprint: Uint8Array
  kind: Kind
  epoch: number
}

export interface Opinion {
  type: 'opinion'
  fingerprint: Uint8Array
  kind: Kind
  opinion: OpinionType
  expires: number
  noteDigest: Uint8Array
  epoch: number
}

export interface SealedKey {
  recipient: Uint8Array
  enc: Uint8Array
  ciphertext: Uint8Array
}

export interface KeyEpoch {
  type: 'key-epoch'
  suite: string
  epoch: number
  commitment: Uint8Array
  sealed: SealedKey[]
}

/** A toprf guardian's signed count of blinded evaluations per org for one UTC day (cumulative). */
export interface GuardianCounts {
  type: 'guardian-counts'
  epoch: number
  /** floor(ms since the Unix epoch / 86,400,000). */
  day: number
  /** Sorted by org, each org once. */
  counts: Array<{ org: string, evaluations: number }>
}

export interface NodeKey {
  signKey: Uint8Array
  boxKey: Uint8Array
  peerId: Uint8Array
  addrs: string[]
}

export interface Member {
  org: string
  name: string
  roles: Role[]
  nodes: NodeKey[]
}

export interface Policy {
  quorum: number
  governanceThreshold: number
  roleWeights: Array<{ role: Role, weight: number }>
  maxLifetimeMs: number
  rateLimitPerHour: number
  suite: string
  epoch: number
  epochKeyCommitment: Uint8Array
  clockToleranceMs: number
  /** toprf-ristretto255: the guardians holding shares of the epoch key (empty for hmac-sha256). */
  guardians: GuardianRef[]
  /** toprf-ristretto255: t, the shares needed to evaluate (0 for hmac-sha256). */
  guardianThreshold: number
  /** toprf-ristretto255: Feldman commitments C_0..C_{t-1} to the shares. */
  shareCommitments: Uint8Array[]
  /** toprf-ristretto255: evaluations per org per UTC day, per guardian. */
  quotas: Quota[]
  /** What attestation reason codes mean; empty = the defaults (protocol/roster/reasons.ts). */
  reasons: Reason[]
}

/** One entry of the reason vocabulary: Attestation.reason carries `code`. */
export interface Reason {
  /** 1..2^32-1 (0 means "no reason given"). */
  code: number
  /** Lower case, digits and '-', starting with a letter: what people type (`--reason counterfeit`). */
  name: string
  description: string
}

export interface GuardianRef {
  org: string
  /** X25519 key of the org's node that holds the share. */
  boxKey: Uint8Array
  /** The share's index, 1..g. */
  index: number
}

export interface Quota {
  /** An org id, a role name, or '*' (every org not otherwise named). */
  subject: string
  perDay: number
}

export interface Roster {
  alliance: string
  version: number
  prev: Uint8Array
  time: number
  members: Member[]
  policy: Policy
}

export interface RosterSignature {
  key: Uint8Array
  signature: Uint8Array
}

export interface SignedRoster {
  /** Exact encoded Roster bytes: what the signatures cover. */
  roster: Uint8Array
  signatures: RosterSignature[]
}

export interface RosterBody {
  type: 'roster'
  signed: SignedRoster
}

export type Body = Attestation | Retraction | Opinion | RosterBody | KeyEpoch | GuardianCounts

export interface Entry {
  author: Uint8Array
  seq: number
  prev: Uint8Array
  time: number
  body: Body
}

export interface Segment {
  /** Exact encoded Entry bytes, consecutive in one author's log. */
  entries: Uint8Array[]
  /** Signature over the last entry's id; empty when the segment is not (yet) covered. */
  signature: Uint8Array
}

export interface Head {
  author: Uint8Array
  seq: number
  id: Uint8Array
}

export interface Equivocation {
  a: Segment
  b: Segment
}

export interface SyncRequest {
  alliance: string
  heads: Head[]
  maxEntries: number
}

export interface SyncResponse {
  segments: Segment[]
  done: boolean
}
