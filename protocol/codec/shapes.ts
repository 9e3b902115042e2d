/**
 * The wire shape of every message of alliance.proto for the strict parser
 * (strict-parse.ts): field numbers, types and the named limit of each
 * repeated field, so counts are checked while parsing, before anything is
 * built. Kept beside the .proto: a field added there is refused here (as an
 * unknown field) until it is added here too; the differential test against
 * protobufjs (test/unit/protocol/codec.strict.test.ts) checks both agree.
 */
import { ROLES } from '../kinds.js'
import * as L from '../limits.js'
import { F, type MessageShape } from './strict-parse.js'

const attestation: MessageShape = {
  1: F.bytes('attestation.fingerprint'),
  2: F.enum('attestation.kind'),
  3: F.enum('attestation.claim'),
  4: F.uint32('attestation.reason'),
  5: F.uint32('attestation.confidence'),
  6: F.bytes('attestation.evidenceDigest'),
  7: F.uint64('attestation.expires'),
  8: F.uint32('attestation.epoch')
}

const retraction: MessageShape = {
  1: F.bytes('retraction.target'),
  2: F.bytes('retraction.fingerprint'),
  3: F.enum('retraction.kind'),
  4: F.uint32('retraction.epoch')
}

const opinion: MessageShape = {
  1: F.bytes('opinion.fingerprint'),
  2: F.enum('opinion.kind'),
  3: F.enum('opinion.opinion'),
  4: F.uint64('opinion.expires'),
  5: F.bytes('opinion.noteDigest'),
  6: F.uint32('opinion.epoch')
}

const sealedKey: MessageShape = {
  1: F.bytes('keyEpoch.sealed.recipient'),
  2: F.bytes('keyEpoch.sealed.enc'),
  3: F.bytes('keyEpoch.sealed.ciphertext')
}

const keyEpoch: MessageShape = {
  1: F.string('keyEpoch.suite'),
  2: F.uint32('keyEpoch.epoch'),
  3: F.bytes('keyEpoch.commitment'),
  4: F.repeated('keyEpoch.sealed', 'message', L.MAX_SEALED_KEYS, sealedKey)
}

const orgCount: MessageShape = {
  1: F.string('guardianCounts.counts.org'),
  2: F.uint64('guardianCounts.counts.evaluations')
}

const guardianCounts: MessageShape = {
  1: F.uint32('guardianCounts.epoch'),
  2: F.uint32('guardianCounts.day'),
  3: F.repeated('guardianCounts.counts', 'message', L.MAX_MEMBERS, orgCount)
}

const rosterSignature: MessageShape = {
  1: F.bytes('signedRoster.signatures.key'),
  2: F.bytes('signedRoster.signatures.signature')
}

export const SIGNED_ROSTER: MessageShape = {
  1: F.bytes('signedRoster.roster'),
  2: F.repeated('signedRoster.signatures', 'message', L.MAX_ROSTER_SIGNATURES, rosterSignature)
}

export const ENTRY: MessageShape = {
  1: F.bytes('entry.author'),
  2: F.uint64('entry.seq'),
  3: F.bytes('entry.prev'),
  4: F.uint64('entry.time'),
  10: F.message('entry.attestation', attestation, 'body'),
  11: F.message('entry.retraction', retraction, 'body'),
  12: F.message('entry.opinion', opinion, 'body'),
  13: F.message('entry.roster', SIGNED_ROSTER, 'body'),
  14: F.message('entry.keyEpoch', keyEpoch, 'body'),
  15: F.message('entry.guardianCounts', guardianCounts, 'body')
}

const nodeKey: MessageShape = {
  1: F.bytes('nodeKey.signKey'),
  2: F.bytes('nodeKey.boxKey'),
  3: F.bytes('nodeKey.peerId'),
  4: F.repeated('nodeKey.addrs', 'string', L.MAX_ADDRS_PER_NODE)
}

const member: MessageShape = {
  1: F.string('member.org'),
  2: F.string('member.name'),
  3: F.packedEnum('member.roles', ROLES.length),
  4: F.repeated('member.nodes', 'message', L.MAX_NODES_PER_MEMBER, nodeKey, { name: 'roster.nodes', max: L.MAX_ROSTER_NODES })
}

const roleWeight: MessageShape = {
  1: F.enum('roleWeight.role'),
  2: F.uint32('roleWeight.weight')
}

const guardian: MessageShape = {
  1: F.string('guardian.org'),
  2: F.bytes('guardian.boxKey'),
  3: F.uint32('guardian.index')
}

const quota: MessageShape = {
  1: F.string('quota.subject'),
  2: F.uint64('quota.perDay')
}

const reason: MessageShape = {
  1: F.uint32('reason.code'),
  2: F.string('reason.name'),
  3: F.string('reason.description')
}

const policy: MessageShape = {
  1: F.uint32('policy.quorum'),
  2: F.uint32('policy.governanceThreshold'),
  3: F.repeated('policy.roleWeights', 'message', L.MAX_MEMBERS, roleWeight),
  4: F.uint64('policy.maxLifetimeMs'),
  5: F.uint32('policy.rateLimitPerHour'),
  6: F.string('policy.suite'),
  7: F.uint32('policy.epoch'),
  8: F.bytes('policy.epochKeyCommitment'),
  9: F.uint64('policy.clockToleranceMs'),
  10: F.repeated('policy.guardians', 'message', L.MAX_GUARDIANS, guardian),
  11: F.uint32('policy.guardianThreshold'),
  12: F.repeated('policy.shareCommitments', 'bytes', L.MAX_GUARDIANS),
  13: F.repeated('policy.quotas', 'message', L.MAX_QUOTAS, quota),
  14: F.repeated('policy.reasons', 'message', L.MAX_REASONS, reason)
}

export const ROSTER: MessageShape = {
  1: F.string('roster.alliance'),
  2: F.uint64('roster.version'),
  3: F.bytes('roster.prev'),
  4: F.uint64('roster.time'),
  5: F.repeated('roster.members', 'message', L.MAX_MEMBERS, member),
  6: F.message('roster.policy', policy)
}

export const SEGMENT: MessageShape = {
  1: F.repeated('segment.entries', 'bytes', L.MAX_SEGMENT_ENTRIES),
  2: F.bytes('segment.signature')
}

/** A segment inside a sync response: its entries also count towards the frame's total. */
const responseSegment: MessageShape = {
  1: F.repeated('segment.entries', 'bytes', L.MAX_SEGMENT_ENTRIES, undefined, { name: 'syncResponse.entries', max: L.MAX_SYNC_RESPONSE_ENTRIES }),
  2: F.bytes('segment.signature')
}

export const EQUIVOCATION: MessageShape = {
  1: F.message('equivocation.a', SEGMENT),
  2: F.message('equivocation.b', SEGMENT)
}

const head: MessageShape = {
  1: F.bytes('heads.author'),
  2: F.uint64('heads.seq'),
  3: F.bytes('heads.id')
}

export const SYNC_REQUEST: MessageShape = {
  1: F.string('syncRequest.alliance'),
  2: F.repeated('syncRequest.heads', 'message', L.MAX_HEADS, head),
  3: F.uint32('syncRequest.maxEntries')
}

export const SYNC_RESPONSE: MessageShape = {
  1: F.repeated('syncResponse.segments', 'message', L.MAX_SEGMENTS_PER_RESPONSE, responseSegment),
  2: F.bool('syncResponse.done')
}
