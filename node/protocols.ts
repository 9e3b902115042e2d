/**
 * Every protocol id this node speaks, in one place (STYLE.md §2): each built
 * from constants with a version segment, the versions side by side. A
 * protocol that changes incompatibly gets a new version here; a node that
 * speaks two versions lists both.
 *
 *   /alliance/<id>/entries/1.0.0   gossipsub topic: new signed segments
 *   /alliance/<id>/sync/1.1.0      request-response: heads in, missing entries out
 *   /alliance/<id>/report/1.0.0    infringement report transfer, answered by a receipt
 *   /alliance/<id>/oprf/1.0.0      toprf guardian evaluation: blinded elements in, evaluations and a proof out
 *   /alliance/<id>/evidence/1.0.0  gossipsub topic: equivocation evidence (an encoded Equivocation)
 *   /alliance/<id>/evidence-sync/1.0.0  request-response: keys already proved in, evidence against the others out
 */

/** Gossip topic of an alliance's entries. */
export const GOSSIP_PROTOCOL_VERSION = '1.0.0'
/**
 * 1.1.0: the requester acknowledges each frame it has read (flow control
 * without stop-and-wait; see node/sync.ts). 1.0.0 is no longer spoken.
 */
export const SYNC_PROTOCOL_VERSION = '1.1.0'
export const REPORT_PROTOCOL_VERSION = '1.0.0'
export const OPRF_PROTOCOL_VERSION = '1.0.0'
/** Equivocation evidence: its gossip topic and its sync protocol (node/services/evidence.ts). */
export const EVIDENCE_PROTOCOL_VERSION = '1.0.0'

/** The versions this node speaks, by protocol, for status output and compatibility checks. */
export const PROTOCOL_VERSIONS = {
  entries: [GOSSIP_PROTOCOL_VERSION],
  sync: [SYNC_PROTOCOL_VERSION],
  report: [REPORT_PROTOCOL_VERSION],
  oprf: [OPRF_PROTOCOL_VERSION],
  evidence: [EVIDENCE_PROTOCOL_VERSION]
} as const

function id (alliance: string, protocol: string, version: string): string {
  return `/alliance/${alliance}/${protocol}/${version}`
}

export function gossipTopic (alliance: string): string {
  return id(alliance, 'entries', GOSSIP_PROTOCOL_VERSION)
}

export function syncProtocol (alliance: string): string {
  return id(alliance, 'sync', SYNC_PROTOCOL_VERSION)
}

/** The versioned protocol id of report transfer in an alliance. */
export function reportProtocol (alliance: string, version: string = REPORT_PROTOCOL_VERSION): string {
  return id(alliance, 'report', version)
}

/** The toprf guardian evaluation protocol of an alliance (node/services/oprf-wire.ts). */
export function oprfProtocol (alliance: string): string {
  return id(alliance, 'oprf', OPRF_PROTOCOL_VERSION)
}

/** Gossip topic of equivocation evidence in an alliance. */
export function evidenceTopic (alliance: string): string {
  return id(alliance, 'evidence', EVIDENCE_PROTOCOL_VERSION)
}

/** The evidence exchange run with every sync pull (node/services/evidence.ts). */
export function evidenceSyncProtocol (alliance: string): string {
  return id(alliance, 'evidence-sync', EVIDENCE_PROTOCOL_VERSION)
}
