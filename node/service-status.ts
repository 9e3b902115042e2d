/**
 * The views of a node's state as `alliance status` and the console show it:
 * peers, heads, the key epoch, guardians and their quota audit, how the node
 * started. Part of the NodeService contract (node/service.ts re-exports
 * them); separate so that file stays the list of calls, not of every view.
 */
import type { MemberContactView } from './services/contacts.js'
import type { RotationView } from './services/rotation.js'

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
