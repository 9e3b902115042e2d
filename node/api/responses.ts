/**
 * Response schemas of the local HTTP API (zod), mirroring the JSON types of
 * node/service.ts. The route table (routes.ts) names one per route: the
 * OpenAPI document is generated from them and ApiClient checks every answer
 * against them. The compiler checks that each matches its service type (see
 * `route()` in route-table.ts), so a change to node/service.ts that is not
 * made here fails the typecheck.
 *
 * Each is `named` (schemas.ts): a component of openapi.json.
 */
import { z } from 'zod'
import { KINDS } from '../../protocol/kinds.js'
import { INVALID_WHY, type InvalidWhy } from '../../protocol/canonical/errors.js'
import { IDENTIFIER_COLUMNS } from '../match/columns.js'
import { ROW_WHY, type RowWhy } from '../match/decision.js'
import { ACTIONS } from '../match/policy.js'
import { STATUS_NAMES, named } from './schemas.js'

const iso = z.string().meta({ format: 'date-time' })
const isoOrNull = z.string().nullable()
const hex64 = z.string().regex(/^[0-9a-f]{64}$/)
const kindOrNull = z.enum(KINDS).nullable()
const statusOrAbsent = z.enum([...STATUS_NAMES, 'absent'])
const strings = z.array(z.string())

export const errorSchema = named('Error', z.object({
  error: z.string().describe('Stable snake_case reason code, e.g. invalid_body, unauthorized, invalid_identifier'),
  message: z.string().describe('What was wrong and what to do')
}))

export const attestResultSchema = named('AttestResult', z.object({
  entries: z.number().int().describe('Entries appended to this node\'s log (one bulk segment, one signature)'),
  fingerprints: z.array(hex64).describe('Fingerprints of the accepted items, in request order'),
  rejected: z.array(z.object({
    index: z.number().int().describe('0-based position in the request\'s items'),
    kind: z.string(),
    why: z.string().describe('Short code, e.g. not_e164, bad_checksum'),
    message: z.string()
  }))
}))

export const retractResultSchema = named('RetractResult', z.object({
  retracted: z.number().int().describe('Attestations of this org on the fingerprint that were withdrawn (0 if none stood)'),
  fingerprint: hex64
}))

export const opinionResultSchema = named('OpinionResult', z.object({
  fingerprint: hex64,
  opinion: z.string(),
  entryId: z.string(),
  status: statusOrAbsent.describe('The fingerprint\'s status on this node right after the opinion was applied')
}))

const reasonViewSchema = named('ReasonOfVote', z.object({
  code: z.number().int().min(1),
  name: z.string().nullable().describe('The name in the roster\'s reason vocabulary; null for a code it does not name')
}))

const voteSchema = named('Vote', z.object({
  org: z.string(),
  entryId: z.string(),
  time: iso,
  expires: isoOrNull,
  source: z.string(),
  reason: reasonViewSchema.nullable().describe('Why the org vouches (an attestation\'s reason); null for opinions and attestations that give none')
}))

export const reasonsSchema = named('ReasonVocabulary', z.object({
  reasons: z.array(z.object({ code: z.number().int().min(1), name: z.string(), description: z.string() })),
  defaults: z.boolean().describe('True when the roster names no vocabulary and these are the defaults')
}))

export const explainResultSchema = named('ExplainResult', z.object({
  fingerprint: hex64,
  kind: kindOrNull,
  status: statusOrAbsent,
  quorum: z.number().int(),
  weight: z.number(),
  positive: z.array(voteSchema),
  negative: z.array(voteSchema),
  confirmations: z.number().int(),
  expires: isoOrNull.describe('When the status next changes by expiry alone')
}))

export const blocklistRowSchema = named('BlocklistRow', z.object({
  fingerprint: hex64,
  kind: kindOrNull,
  status: z.enum(STATUS_NAMES),
  orgs: strings,
  weight: z.number(),
  expires: isoOrNull,
  reasons: z.record(z.string(), z.string()).describe('org → why it vouches: its attestation\'s reason name (the code if the vocabulary does not name it), for orgs that gave one')
}))

export const statusEventSchema = named('StatusEvent', z.object({
  type: z.literal('status'),
  at: z.string().describe('When this node saw the change (ISO 8601)'),
  fingerprint: hex64,
  kind: kindOrNull,
  from: statusOrAbsent,
  to: statusOrAbsent,
  cause: z.enum(['entry', 'time', 'roster', 'evidence']).describe('An applied entry (attestation, opinion, retraction), an expiry, a roster change, or equivocation evidence that excluded a key'),
  org: z.string().nullable().describe('cause entry: the org whose entry made the change; cause evidence: the org whose key was excluded; null for an expiry or a roster change')
}))

export const nodeStatusSchema = named('NodeStatus', z.object({
  org: z.string(),
  role: z.string(),
  peerId: z.string(),
  alliance: z.string(),
  rosterVersion: z.number().int(),
  quorum: z.number().int(),
  listen: strings,
  peers: z.array(z.object({ peerId: z.string(), org: z.string().nullable(), addrs: strings })),
  members: z.array(z.object({
    org: z.string(),
    name: z.string(),
    roles: strings,
    self: z.boolean().describe('This node\'s own org'),
    nodes: z.number().int().describe('Nodes the org runs, per the roster'),
    connected: z.number().int().describe('Of those, connected to this node now'),
    lastContact: isoOrNull.describe('When this node last had a connection to one of the org\'s nodes (now while connected); null if never')
  })).describe('Every member of the roster in force, offline ones too, with its last contact'),
  heads: z.array(z.object({ org: z.string().nullable(), author: z.string(), seq: z.number().int(), time: iso })),
  entries: z.object({ applied: z.number().int(), rejected: z.record(z.string(), z.number()).describe('Rejected entries by reason') }),
  blocklist: z.object({ listed: z.number().int(), disputed: z.number().int(), candidate: z.number().int() }),
  sync: z.object({ lastRunAt: isoOrNull, lastPeer: z.string().nullable(), inProgress: z.boolean() }),
  snapshotHash: z.string().describe('Blocklist snapshot content hash (hex), to compare nodes'),
  keyEpoch: z.object({
    suite: z.string(),
    rosterEpoch: z.number().int().describe('The epoch of the roster in force (ahead of `epoch` while its sealed key has not arrived)'),
    phase: z.enum(['steady', 'waiting-for-key', 're-attesting', 'waiting-for-members']),
    epoch: z.number().int().describe('Epoch new statements are made under'),
    retiring: z.number().int().nullable().describe('Epoch being replaced, until cut-over'),
    moved: strings.describe('Orgs that announced their move to `epoch`'),
    waitingFor: strings.describe('Orgs of the roster in force that have not yet'),
    cutoverBy: isoOrNull.describe('When the cut-over happens at the latest, during a rotation'),
    reattested: z.number().int().describe('Statements this node re-made under `epoch` since start'),
    vault: z.boolean().describe('Whether this node keeps a vault; without one its old statements are not re-made')
  }).describe('The fingerprint key epoch this node works under, and a key rotation\'s progress'),
  rescanNeeded: z.object({ epoch: z.number().int(), listings: z.number().int(), at: iso }).nullable()
    .describe('Listings scanned under an epoch retired since: rescan them for retroactive decisions under the new one'),
  guardians: z.object({
    threshold: z.number().int(),
    guardians: z.array(z.object({ org: z.string(), index: z.number().int(), self: z.boolean(), connected: z.boolean(), lastError: z.string().nullable() })),
    quota: z.object({ limit: z.number().int().nullable(), usedToday: z.number().int(), resetAt: iso })
  }).nullable().describe('toprf-ristretto255 only: the guardians of the epoch, whether this node reaches them, and this org\'s daily quota'),
  startup: z.object({
    checkpoint: z.enum(['used', 'absent', 'refused']).describe('used: the state came from the checkpoint written at the last clean stop; absent: none (first start, or after a crash); refused: see reason'),
    reason: z.string().nullable().describe('Why a checkpoint was refused (checkpoint_damaged, checkpoint_version, checkpoint_other_alliance, checkpoint_other_roster, checkpoint_stale, checkpoint_store_damaged)'),
    seconds: z.number().describe('Seconds from open until the node could serve, chain check included'),
    entries: z.number().int().describe('Entries the consensus state holds'),
    replayedAfterCheckpoint: z.number().int().nullable().describe('With a checkpoint: entries stored after it, replayed on top of it')
  }).describe('How this node started')
}))

export const quotaResultSchema = named('QuotaAudit', z.object({
  quotas: z.record(z.string(), z.number().int()).describe('The roster\'s quotas: subject (org, role or *) → evaluations per UTC day per guardian'),
  days: z.array(z.object({
    epoch: z.number().int(),
    day: z.number().int(),
    date: z.string(),
    byGuardian: z.record(z.string(), z.record(z.string(), z.number().int())),
    byOrg: z.record(z.string(), z.number().int())
  }))
}))

export const rosterFileSchema = named('RosterFile', z.record(z.string(), z.unknown()), 'The roster file (alliance-roster/1) of the version in force')

export const rosterProposalSchema = named('RosterProposal', z.object({
  id: hex64.describe('Roster id of the proposed version'),
  version: z.number().int(),
  takesEffect: iso,
  updatedAt: iso.describe('When the node last received it'),
  changes: strings.describe('What it changes against the version in force, one line each'),
  signedBy: strings.describe('Orgs of the version in force whose valid signature it carries'),
  missing: strings.describe('Orgs of the version in force that have not signed'),
  need: z.number().int().describe('Signatures needed: the governance threshold of the version in force'),
  ready: z.boolean().describe('Enough signatures: `alliance roster install <dir> <file>` adopts it'),
  file: z.string().describe('Where the node keeps the file, on its machine')
}))

export const rosterProposalsSchema = named('RosterProposals', z.object({ proposals: z.array(rosterProposalSchema) }))

export const rosterAdoptionSchema = named('RosterAdoption', z.object({
  version: z.number().int(),
  changed: z.boolean().describe('False when the node already held this version')
}))

const REJECT_WHYS = [...Object.keys(INVALID_WHY), ...Object.keys(ROW_WHY)] as [InvalidWhy | RowWhy, ...Array<InvalidWhy | RowWhy>]
export const matchSummarySchema = named('MatchSummary', z.object({
  rows: z.number().int(),
  decisions: z.record(z.enum(ACTIONS), z.number().int()).describe('Listings by action'),
  matched: z.number().int().describe('Listings with at least one matched identifier (whatever the action)'),
  invalid: z.object({
    identifiers: z.number().int().describe('Invalid identifiers (each also a reject)'),
    rows: z.number().int().describe('Rows that could not be matched at all (no listing id, bad JSON)'),
    byWhy: z.record(z.string(), z.number()),
    byColumn: z.record(z.string(), z.number()),
    sample: z.array(z.object({
      line: z.number().int(),
      listingId: z.string().optional(),
      column: z.enum([...IDENTIFIER_COLUMNS, 'listing_id', '(row)']),
      kind: z.enum(KINDS).optional(),
      why: z.enum(REJECT_WHYS),
      bytes: z.number().int().optional(),
      value: z.string().optional(),
      reason: z.string().optional()
    })).describe('The first rejects (never with raw values)')
  }),
  identifiers: z.number().int(),
  undecided: z.object({ rows: z.number().int(), reason: z.string().optional() }).describe('toprf: listings not decided because an identifier could not be fingerprinted (guardians unreachable, quota), with the reason'),
  resolved: z.number().int().describe('toprf: distinct values the scan lanes did not know, fingerprinted through the node (its cache first, the guardians for new ones)'),
  cache: z.object({ hits: z.number(), misses: z.number(), hitRate: z.number() }),
  bytes: z.number(),
  workers: z.number().int(),
  elapsedMs: z.number(),
  listingsPerSecond: z.number(),
  ignoredColumns: z.array(z.object({ name: z.string(), suggestion: z.string().optional() })).describe('Columns of the file the matcher ignored (not one it reads), each with the known column it most likely meant')
}), 'Scan summary: rows, decisions by action, invalid identifiers, throughput, ignored columns')

export const matchProgressSchema = named('MatchProgress', z.object({
  scan: z.object({
    file: z.string().describe('The listings file\'s name (no folder)'),
    totalBytes: z.number().int(),
    bytes: z.number().int().describe('Read and decided so far'),
    rows: z.number().int(),
    startedAt: z.string(),
    elapsedMs: z.number().int()
  }).nullable().describe('The scan running now, null when none is')
}), 'The scan running now, for progress bars')

export const pipelineAttachResultSchema = named('PipelineAttachResult', z.object({
  prefix: z.string(),
  epoch: z.number().int(),
  snapshot: z.string(),
  version: z.string(),
  entries: z.number().int(),
  defaultCountry: z.string().nullable(),
  cacheKey: z.string()
}))

export const pipelineFingerprintResultSchema = named('PipelineFingerprintResult', z.object({
  epoch: z.number().int(),
  results: z.array(z.union([z.object({ fingerprint: z.string() }), z.object({ why: z.string() })]))
}))

export const retroDecisionsSchema = named('RetroDecisions', z.object({
  decisions: z.array(z.object({
    listingId: z.string(),
    action: z.enum(ACTIONS),
    matches: z.array(z.object({ column: z.string(), kind: z.string(), fingerprint: z.string(), status: z.string(), action: z.string(), orgs: strings, expires: isoOrNull })),
    retro: z.literal(true),
    seenAt: z.string().optional().describe('When the listing was scanned (ISO 8601)'),
    decidedAt: z.string().describe('When the decision was made (ISO 8601)')
  }))
}), 'Decisions for listings scanned earlier whose fingerprints became listed or disputed')

// ---- infringement reports (DESIGN.md §7)

const reportDeliverySchema = named('ReportDelivery', z.object({
  org: z.string(),
  node: hex64.describe('The recipient node\'s signing key'),
  peerId: z.string(),
  state: z.enum(['pending', 'delivered', 'refused', 'dropped']).describe('pending: retried with backoff; delivered: a verified signed receipt came back; refused: refused for good; dropped: the node left the roster'),
  attempts: z.number().int(),
  nextAttemptAt: isoOrNull,
  lastError: z.object({ reason: z.string(), message: z.string(), at: iso }).nullable(),
  deliveredAt: isoOrNull,
  receiptTime: isoOrNull.describe('The time in the recipient\'s signed receipt')
}))

const outboxItemShape = {
  id: z.string().regex(/^[0-9a-f]{32}$/),
  title: z.string(),
  reference: z.string(),
  created: iso,
  queuedAt: iso,
  recipients: strings,
  state: z.enum(['queued', 'partial', 'delivered', 'failed']),
  digest: hex64.describe('Signed-report digest: what receipts acknowledge'),
  evidence: z.number().int(),
  evidenceBytes: z.number().int(),
  envelopeBytes: z.number().int(),
  deliveries: z.array(reportDeliverySchema)
}
export const reportOutboxItemSchema = named('ReportOutboxItem', z.object(outboxItemShape))
export const reportOutboxSchema = named('ReportOutbox', z.array(reportOutboxItemSchema), 'Outbox, oldest first')

export const reportSendResultSchema = named('ReportSendResult', z.object({
  ...outboxItemShape,
  duplicate: z.boolean().describe('A report with this id was already queued: nothing new was queued')
}))

export const reportInboxItemSchema = named('ReportInboxItem', z.object({
  id: z.string(),
  author: z.string(),
  title: z.string(),
  reference: z.string(),
  created: iso,
  received: iso,
  from: z.string().describe('Peer id of the delivering node'),
  digest: hex64,
  evidence: z.number().int(),
  evidenceBytes: z.number().int(),
  sellers: strings.describe('The sellers the report names (their names, else their first identifier)'),
  listings: z.number().int().describe('How many listings it names')
}))
export const reportInboxSchema = named('ReportInbox', z.array(reportInboxItemSchema), 'Inbox, oldest first')

const reportDocumentSchema = z.object({
  id: z.string(),
  alliance: z.string(),
  author: z.string(),
  authorKey: z.string(),
  created: iso,
  recipients: strings,
  title: z.string(),
  reference: z.string(),
  listings: z.array(z.object({ url: z.string(), platform: z.string(), listingId: z.string(), title: z.string(), observed: isoOrNull })),
  sellers: z.array(z.object({ name: z.string(), platform: z.string(), identifiers: z.array(z.object({ kind: z.string(), value: z.string() })) })),
  rights: z.array(z.object({ type: z.string(), mark: z.string(), registrations: strings, jurisdiction: z.string() })),
  evidence: z.array(z.object({ name: z.string(), size: z.number().int(), mediaType: z.string(), sha256: z.string(), description: z.string() })),
  narrative: z.string()
}).describe('The whole report (listings, sellers with raw identifiers, rights, evidence by SHA-256, narrative)')

const custodyRecordsSchema = z.array(z.object({
  seq: z.number().int(),
  time: iso,
  action: z.enum(['received', 'opened', 'exported']),
  detail: z.record(z.string(), z.union([z.string(), z.number()])).describe('received: from, author, digest…; opened/exported: by (the operator, or "local API" when none was given), via, and for an export out, bytes, sha256'),
  hash: hex64
}))

export const reportCustodySchema = named('ReportCustody', z.object({
  id: z.string(),
  custody: custodyRecordsSchema,
  custodyIntact: z.boolean().describe('False if the custody log\'s hash chain or signatures are broken on disk')
}))

export const reportDetailSchema = named('ReportDetail', z.object({
  direction: z.enum(['sent', 'received']),
  id: z.string(),
  digest: hex64,
  report: reportDocumentSchema,
  outbox: reportOutboxItemSchema.nullable(),
  inbox: reportInboxItemSchema.nullable(),
  receipts: z.array(z.object({ org: z.string(), node: z.string(), received: iso })),
  custody: custodyRecordsSchema,
  custodyIntact: z.boolean().describe('False if the custody log\'s hash chain or signatures are broken on disk')
}))

export const reportExportResultSchema = named('ReportExportResult', z.object({
  id: z.string(),
  out: z.string().describe('Absolute path of the bundle written'),
  bytes: z.number().int(),
  sha256: hex64.describe('SHA-256 of the bundle file'),
  receipts: z.number().int(),
  exporter: z.string()
}))

export const metricsTextSchema = named('MetricsText', z.string(), 'Prometheus text format')

export const openApiSchema = named('OpenApiDocument', z.record(z.string(), z.unknown()), 'OpenAPI 3.1')

export const consoleLinkSchema = named('ConsoleLink', z.object({
  url: z.string().describe('One-time login link of the web console: works once, until expiresAt'),
  expiresAt: iso
}))

export const recentScansSchema = named('RecentScans', z.array(z.object({
  at: iso,
  file: z.string().describe('The listings file\'s name (no folder)'),
  rows: z.number().int(),
  decisions: z.object({ none: z.number().int(), screen: z.number().int(), block: z.number().int() }),
  matched: z.number().int(),
  rejects: z.number().int().describe('Invalid identifiers plus rows that could not be matched at all'),
  elapsedMs: z.number().int()
})), 'The latest scans since the daemon started, newest first')
