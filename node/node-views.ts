/**
 * The node-wide views of the NodeService contract: `status` (read from most
 * services at once), the guardians' `quota` audit and the reason
 * vocabulary. Separate from node/alliance-node.ts, which keeps one-line
 * delegations: these are the views the node builds itself rather than asks
 * one service for.
 */
import { DEFAULT_REASONS } from '../protocol/roster/reasons.js'
import type { NodeConfig } from './home.js'
import type { NodeKeys } from './keys.js'
import type { Host } from './net/host.js'
import type { NodeStatus, QuotaDayView, ReasonsView, StartupView } from './service.js'
import type { Store } from './store/types.js'
import type { ConsensusState } from './services/consensus-state.js'
import type { MemberContacts } from './services/contacts.js'
import type { GuardianCountsLedger } from './services/guardian-counts.js'
import type { GuardianService } from './services/guardian.js'
import type { RosterService } from './services/roster.js'
import type { RotationService } from './services/rotation.js'
import type { SyncService } from './services/sync-service.js'
import type { ViewService } from './services/views.js'

/** What `status` reads: the node's services (AllianceNode is one). */
export interface StatusSources {
  readonly config: NodeConfig
  readonly keys: NodeKeys
  readonly state: ConsensusState
  readonly host: Host
  readonly sync: SyncService
  readonly rosters: RosterService
  readonly contacts: MemberContacts
  readonly views: ViewService
  readonly rotation: RotationService
  readonly store: Store
  readonly guardians: GuardianService
  /** Moves the consensus clock to now (before the view is taken). */
  advanceClock (): void
}

/** What the node itself counts, for `status`. */
export interface NodeCounts {
  applied: number
  rejected: Record<string, number>
  startup: StartupView
}

export async function statusView (n: StatusSources, counts: NodeCounts): Promise<NodeStatus> {
  const chain = n.state.chain
  n.advanceClock()
  const last = n.sync.last
  return {
    org: n.config.org,
    role: n.config.role,
    peerId: n.keys.peerId.toString(),
    alliance: chain.alliance,
    rosterVersion: chain.current.roster.version,
    quorum: chain.current.roster.policy.quorum,
    listen: n.host.multiaddrs().map(String),
    peers: n.host.connectedPeers().map(p => ({ peerId: p, org: n.rosters.orgOfPeer(p) ?? null, addrs: [] })),
    members: n.contacts.view(chain, n.config.org),
    heads: n.views.heads(),
    entries: { applied: counts.applied, rejected: { ...counts.rejected } },
    blocklist: n.state.index.counts(),
    sync: { lastRunAt: last !== undefined ? new Date(last.at).toISOString() : null, lastPeer: last?.peer ?? null, inProgress: n.sync.inProgress },
    snapshotHash: n.views.snapshotHash(),
    keyEpoch: { suite: n.state.policy.suite, rosterEpoch: n.state.policy.epoch, ...n.rotation.view() },
    rescanNeeded: (await n.store.getMeta<NodeStatus['rescanNeeded']>('rescanNeeded')) ?? null,
    startup: { ...counts.startup },
    guardians: n.state.policy.guardians.length === 0
      ? null
      : { threshold: n.state.policy.guardianThreshold, guardians: n.guardians.guardians(), quota: n.guardians.quota() }
  }
}

export function quotaView (state: ConsensusState, ledger: GuardianCountsLedger, query: { org?: string, days?: number }): { quotas: Record<string, number>, days: QuotaDayView[] } {
  const quotas = Object.fromEntries(state.policy.quotas.map(q => [q.subject, q.perDay]))
  return { quotas, days: ledger.days({ limit: query.days ?? 31, ...(query.org !== undefined ? { org: query.org } : {}) }) }
}

export function reasonsView (state: ConsensusState): ReasonsView {
  const own = state.policy.reasons
  return { reasons: (own.length > 0 ? own : DEFAULT_REASONS).map(r => ({ code: r.code, name: r.name, description: r.description })), defaults: own.length === 0 }
}
