/**
 * OpenAPI 3.1 description of the local HTTP API, served at GET /openapi.json.
 * Request schemas come from the zod schemas the server validates with;
 * response schemas mirror the JSON types of node/service.ts.
 */
import { z } from 'zod'
import { CLAIMS, KINDS } from '../../protocol/kinds.js'
import { EVENTS_HEARTBEAT_MS, MAX_BULK_BODY_BYTES } from './limits.js'
import { MAX_WATCH_BACKLOG } from '../events.js'
import { BLOCKLIST_FORMATS, STATUS_NAMES, allowBodySchema, attestBodySchema, matchBodySchema, explainByFingerprintSchema, explainByValueSchema, feedbackBodySchema, retractBodySchema } from './schemas.js'
import { MAX_REPORT_BODY_BYTES } from './limits.js'
import { reportExportBodySchema, reportSendBodySchema } from './schemas.js'

type Json = Record<string, unknown>

function fromZod (schema: z.ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json
  return rest
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: Json): Json => ({ 'application/json': { schema } })
const ok = (description: string, name: string): Json => ({ description, content: json(ref(name)) })

const nullableString = { type: ['string', 'null'] }
const iso = { type: 'string', format: 'date-time' }
const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' }

const errorResponses: Json = {
  400: { description: 'Invalid body or query (nothing changed), or input the node refuses', content: json(ref('Error')) },
  401: { description: 'Missing or wrong bearer token', content: json(ref('Error')) },
  404: { description: 'No such thing', content: json(ref('Error')) },
  409: { description: 'Conflicts with the node\'s state', content: json(ref('Error')) },
  500: { description: 'Internal error (details in the node\'s log)', content: json(ref('Error')) },
  503: { description: 'The node is not ready (starting, stopping, no roster)', content: json(ref('Error')) }
}

const schemas: Json = {
  Error: {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', description: 'Stable snake_case reason code, e.g. invalid_body, unauthorized, invalid_identifier' },
      message: { type: 'string', description: 'What was wrong and what to do' }
    }
  },
  AttestRequest: fromZod(attestBodySchema),
  RetractRequest: fromZod(retractBodySchema),
  FeedbackRequest: fromZod(feedbackBodySchema),
  MatchRequest: fromZod(matchBodySchema),
  AllowRequest: fromZod(allowBodySchema),
  ExplainByValue: fromZod(explainByValueSchema),
  ExplainByFingerprint: fromZod(explainByFingerprintSchema),
  AttestResult: {
    type: 'object',
    required: ['entries', 'fingerprints', 'rejected'],
    properties: {
      entries: { type: 'integer', description: 'Entries appended to this node\'s log (one bulk segment, one signature)' },
      fingerprints: { type: 'array', items: hex64, description: 'Fingerprints of the accepted items, in request order' },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'kind', 'why', 'message'],
          properties: {
            index: { type: 'integer', description: '0-based position in the request\'s items' },
            kind: { type: 'string' },
            why: { type: 'string', description: 'Short code, e.g. not_e164, bad_checksum' },
            message: { type: 'string' }
          }
        }
      }
    }
  },
  RetractResult: {
    type: 'object',
    required: ['retracted', 'fingerprint'],
    properties: { retracted: { type: 'integer' }, fingerprint: hex64 }
  },
  OpinionResult: {
    type: 'object',
    required: ['fingerprint', 'opinion', 'entryId', 'status'],
    properties: { fingerprint: hex64, opinion: { type: 'string' }, entryId: { type: 'string' }, status: { type: 'string', enum: ['listed', 'disputed', 'candidate', 'absent'] } }
  },
  Vote: {
    type: 'object',
    required: ['org', 'entryId', 'time', 'expires', 'source'],
    properties: { org: { type: 'string' }, entryId: { type: 'string' }, time: iso, expires: nullableString, source: { type: 'string' } }
  },
  ExplainResult: {
    type: 'object',
    required: ['fingerprint', 'kind', 'status', 'quorum', 'weight', 'positive', 'negative', 'confirmations', 'expires'],
    properties: {
      fingerprint: hex64,
      kind: { enum: [...KINDS, null] },
      status: { enum: [...STATUS_NAMES, 'absent'] },
      quorum: { type: 'integer' },
      weight: { type: 'number' },
      positive: { type: 'array', items: ref('Vote') },
      negative: { type: 'array', items: ref('Vote') },
      confirmations: { type: 'integer' },
      expires: { ...nullableString, description: 'When the status next changes by expiry alone' }
    }
  },
  BlocklistRow: {
    type: 'object',
    required: ['fingerprint', 'kind', 'status', 'orgs', 'weight', 'expires'],
    properties: {
      fingerprint: hex64,
      kind: { enum: [...KINDS, null] },
      status: { enum: [...STATUS_NAMES] },
      orgs: { type: 'array', items: { type: 'string' } },
      weight: { type: 'number' },
      expires: nullableString
    }
  },
  StatusEvent: {
    type: 'object',
    required: ['type', 'at', 'fingerprint', 'kind', 'from', 'to', 'cause'],
    properties: {
      type: { enum: ['status'] },
      at: { type: 'string', description: 'When this node saw the change (ISO 8601)' },
      fingerprint: hex64,
      kind: { enum: [...KINDS, null] },
      from: { enum: [...STATUS_NAMES, 'absent'] },
      to: { enum: [...STATUS_NAMES, 'absent'] },
      cause: { enum: ['entry', 'time', 'roster'], description: 'An applied entry (attestation, opinion, retraction), an expiry, or a roster change' }
    }
  },
  NodeStatus: {
    type: 'object',
    required: ['org', 'role', 'peerId', 'alliance', 'rosterVersion', 'quorum', 'listen', 'peers', 'heads', 'entries', 'blocklist', 'sync', 'snapshotHash'],
    properties: {
      org: { type: 'string' },
      role: { type: 'string' },
      peerId: { type: 'string' },
      alliance: { type: 'string' },
      rosterVersion: { type: 'integer' },
      quorum: { type: 'integer' },
      listen: { type: 'array', items: { type: 'string' } },
      peers: { type: 'array', items: { type: 'object', properties: { peerId: { type: 'string' }, org: nullableString, addrs: { type: 'array', items: { type: 'string' } } } } },
      heads: { type: 'array', items: { type: 'object', properties: { org: nullableString, author: { type: 'string' }, seq: { type: 'integer' }, time: iso } } },
      entries: { type: 'object', properties: { applied: { type: 'integer' }, rejected: { type: 'object', additionalProperties: { type: 'integer' } } } },
      blocklist: { type: 'object', properties: { listed: { type: 'integer' }, disputed: { type: 'integer' }, candidate: { type: 'integer' } } },
      sync: { type: 'object', properties: { lastRunAt: nullableString, lastPeer: nullableString, inProgress: { type: 'boolean' } } },
      snapshotHash: { type: 'string', description: 'Blocklist snapshot content hash (hex), to compare nodes' }
    }
  }
}

// ---- infringement reports (DESIGN.md §7)
const str = { type: 'string' }
const reportDelivery: Json = {
  type: 'object',
  required: ['org', 'node', 'peerId', 'state', 'attempts', 'nextAttemptAt', 'lastError', 'deliveredAt', 'receiptTime'],
  properties: {
    org: str,
    node: { ...hex64, description: 'The recipient node\'s signing key' },
    peerId: str,
    state: { enum: ['pending', 'delivered', 'refused', 'dropped'], description: 'pending: retried with backoff; delivered: a verified signed receipt came back; refused: refused for good; dropped: the node left the roster' },
    attempts: { type: 'integer' },
    nextAttemptAt: nullableString,
    lastError: { oneOf: [{ type: 'null' }, { type: 'object', properties: { reason: str, message: str, at: iso } }] },
    deliveredAt: nullableString,
    receiptTime: { ...nullableString, description: 'The time in the recipient\'s signed receipt' }
  }
}
const reportOutboxItem: Json = {
  type: 'object',
  required: ['id', 'title', 'reference', 'created', 'queuedAt', 'recipients', 'state', 'digest', 'evidence', 'evidenceBytes', 'envelopeBytes', 'deliveries'],
  properties: {
    id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    title: str,
    reference: str,
    created: iso,
    queuedAt: iso,
    recipients: { type: 'array', items: str },
    state: { enum: ['queued', 'partial', 'delivered', 'failed'] },
    digest: { ...hex64, description: 'Signed-report digest: what receipts acknowledge' },
    evidence: { type: 'integer' },
    evidenceBytes: { type: 'integer' },
    envelopeBytes: { type: 'integer' },
    deliveries: { type: 'array', items: ref('ReportDelivery') }
  }
}
const reportInboxItem: Json = {
  type: 'object',
  required: ['id', 'author', 'title', 'reference', 'created', 'received', 'from', 'digest', 'evidence', 'evidenceBytes'],
  properties: { id: str, author: str, title: str, reference: str, created: iso, received: iso, from: { ...str, description: 'Peer id of the delivering node' }, digest: hex64, evidence: { type: 'integer' }, evidenceBytes: { type: 'integer' } }
}
Object.assign(schemas, {
  ReportSendRequest: fromZod(reportSendBodySchema),
  ReportExportRequest: fromZod(reportExportBodySchema),
  ReportDelivery: reportDelivery,
  ReportOutboxItem: reportOutboxItem,
  ReportSendResult: { allOf: [ref('ReportOutboxItem'), { type: 'object', required: ['duplicate'], properties: { duplicate: { type: 'boolean', description: 'A report with this id was already queued: nothing new was queued' } } }] },
  ReportInboxItem: reportInboxItem,
  ReportDetail: {
    type: 'object',
    required: ['direction', 'id', 'digest', 'report', 'outbox', 'inbox', 'receipts', 'custody', 'custodyIntact'],
    properties: {
      direction: { enum: ['sent', 'received'] },
      id: str,
      digest: hex64,
      report: { type: 'object', description: 'The whole report (listings, sellers with raw identifiers, rights, evidence by SHA-256, narrative)' },
      outbox: { oneOf: [{ type: 'null' }, ref('ReportOutboxItem')] },
      inbox: { oneOf: [{ type: 'null' }, ref('ReportInboxItem')] },
      receipts: { type: 'array', items: { type: 'object', properties: { org: str, node: str, received: iso } } },
      custody: { type: 'array', items: { type: 'object', properties: { seq: { type: 'integer' }, time: iso, action: { enum: ['received', 'opened', 'exported'] }, detail: { type: 'object' }, hash: hex64 } } },
      custodyIntact: { type: 'boolean', description: 'False if the custody log\'s hash chain or signatures are broken on disk' }
    }
  },
  ReportExportResult: {
    type: 'object',
    required: ['id', 'out', 'bytes', 'sha256', 'receipts', 'exporter'],
    properties: { id: str, out: str, bytes: { type: 'integer' }, sha256: hex64, receipts: { type: 'integer' }, exporter: str }
  }
})
const reportIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' }, description: 'Report id (32 hex digits)' }

const explainQueryParams = [
  { name: 'kind', in: 'query', schema: { enum: [...KINDS] }, description: 'With value: explain a raw identifier (fingerprinted on the node)' },
  { name: 'value', in: 'query', schema: { type: 'string' }, description: 'The raw identifier. Prefer POST /v1/explain to keep it out of URLs' },
  { name: 'fingerprint', in: 'query', schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' }, description: 'Instead of kind and value' }
]

const document: Json = {
  openapi: '3.1.0',
  info: {
    title: 'Alliance node local API',
    version: '1.0.0',
    description: 'The local API of an anti-counterfeiting alliance node. Serve on loopback only. Every route, /metrics and /openapi.json included, requires `Authorization: Bearer <token>` (the token is in <node dir>/api.json, mode 0600). Raw identifiers sent here are fingerprinted on the node and never leave it.'
  },
  security: [{ bearer: [] }],
  paths: {
    '/v1/status': {
      get: { operationId: 'status', summary: 'Peers, heads per member, counts, blocklist size, sync state', responses: { 200: ok('Node status', 'NodeStatus'), ...errorResponses } }
    },
    '/v1/attest': {
      post: {
        operationId: 'attest',
        summary: 'Attest identifiers: one request is one bulk segment with one signature',
        description: `Body limit ${MAX_BULK_BODY_BYTES} bytes. Items the node cannot canonicalise are listed in rejected[] by their index; the rest are attested. Claims: ${CLAIMS.join(', ')}.`,
        requestBody: { required: true, content: json(ref('AttestRequest')) },
        responses: { 200: ok('Attested', 'AttestResult'), 413: { description: 'Body too large: split the upload', content: json(ref('Error')) }, ...errorResponses }
      }
    },
    '/v1/retract': {
      post: {
        operationId: 'retract',
        summary: 'Withdraw this org\'s attestations of an identifier',
        requestBody: { required: true, content: json(ref('RetractRequest')) },
        responses: { 200: ok('Retracted (retracted = 0 if none stood)', 'RetractResult'), ...errorResponses }
      }
    },
    '/v1/feedback': {
      post: {
        operationId: 'feedback',
        summary: 'Record the platform\'s outcome on a fingerprint as a signed opinion (confirmed/removed vouch; false-positive/dispute-upheld dispute it)',
        requestBody: { required: true, content: json(ref('FeedbackRequest')) },
        responses: { 200: ok('Opinion recorded', 'OpinionResult'), ...errorResponses }
      }
    },
    '/v1/allow': {
      post: {
        operationId: 'allow',
        summary: 'A brand\'s authorised reseller: a signed negative opinion on the identifier\'s fingerprint',
        requestBody: { required: true, content: json(ref('AllowRequest')) },
        responses: { 200: ok('Opinion recorded', 'OpinionResult'), ...errorResponses }
      }
    },
    '/v1/match': {
      post: {
        operationId: 'match',
        summary: 'Scan a listings file on the node\'s machine against the live blocklist (paths are absolute, on the node\'s machine; raw identifiers never leave it)',
        requestBody: { required: true, content: json(ref('MatchRequest')) },
        responses: { 200: { description: 'Scan summary: rows, decisions by action, invalid identifiers, throughput', content: json({ type: 'object' }) }, ...errorResponses }
      }
    },
    '/v1/match/retro': {
      get: {
        operationId: 'matchRetro',
        summary: 'Decisions for listings scanned earlier whose fingerprints became listed or disputed since a time',
        parameters: [{ name: 'since', in: 'query', required: true, schema: { type: 'string' }, description: 'ISO time or ms since the epoch' }],
        responses: { 200: { description: 'Retroactive decisions', content: json({ type: 'object', properties: { decisions: { type: 'array', items: { type: 'object' } } } }) }, ...errorResponses }
      }
    },
    '/v1/roster': {
      get: {
        operationId: 'roster',
        summary: 'The roster file (alliance-roster/1) of the version in force',
        responses: { 200: { description: 'Roster file', content: json({ type: 'object' }) }, ...errorResponses }
      },
      post: {
        operationId: 'adoptRoster',
        summary: 'Adopt roster version n+1 (signed by the governance threshold of version n) and spread it to every node',
        requestBody: { required: true, content: json({ type: 'object', description: 'an alliance-roster/1 file' }) },
        responses: { 200: { description: 'Adopted (changed = false if already held)', content: json({ type: 'object', properties: { version: { type: 'integer' }, changed: { type: 'boolean' } }, required: ['version', 'changed'] }) }, ...errorResponses }
      }
    },
    '/v1/explain': {
      get: {
        operationId: 'explain',
        summary: 'Why is this listed? Status of a fingerprint with the votes behind it',
        parameters: explainQueryParams,
        responses: { 200: ok('Explanation', 'ExplainResult'), ...errorResponses }
      },
      post: {
        operationId: 'explainPost',
        summary: 'As GET /v1/explain, with the identifier in the body',
        requestBody: { required: true, content: json({ oneOf: [ref('ExplainByValue'), ref('ExplainByFingerprint')] }) },
        responses: { 200: ok('Explanation', 'ExplainResult'), ...errorResponses }
      }
    },
    '/v1/blocklist': {
      get: {
        operationId: 'blocklist',
        summary: 'The consensus blocklist, streamed',
        parameters: [
          { name: 'status', in: 'query', schema: { enum: [...STATUS_NAMES] }, description: 'Only rows of this status' },
          { name: 'format', in: 'query', schema: { enum: [...BLOCKLIST_FORMATS], default: 'jsonl' } }
        ],
        responses: {
          200: {
            description: 'JSONL: one BlocklistRow per line. CSV: header fingerprint,kind,status,orgs,weight,expires; orgs joined with ";". A transfer cut short means the export failed.',
            content: {
              'application/x-ndjson': { schema: ref('BlocklistRow') },
              'text/csv': { schema: { type: 'string' } }
            }
          },
          ...errorResponses
        }
      }
    },
    '/v1/events': {
      get: {
        operationId: 'watch',
        summary: 'Status changes as they happen, streamed until the client disconnects',
        description: `One JSON object per line: a heartbeat at once (the subscription is live), then a StatusEvent for every change of a fingerprint's status (to the given status only, if \`status\` is set); {"type":"heartbeat","at":…} every ${EVENTS_HEARTBEAT_MS / 1000} s when nothing happens, so a silent connection can be told from a dead one; and, if this subscriber falls ${MAX_WATCH_BACKLOG} events behind, a last {"type":"error","error":"watch_overflow",…} line before the stream ends. Nothing is replayed: read the blocklist to catch up. The stream also ends when the node stops.`,
        parameters: [
          { name: 'status', in: 'query', schema: { enum: [...STATUS_NAMES, 'absent'] }, description: 'Only changes to this status' }
        ],
        responses: {
          200: { description: 'NDJSON event stream', content: { 'application/x-ndjson': { schema: ref('StatusEvent') } } },
          ...errorResponses
        }
      }
    },
    '/v1/reports': {
      post: {
        operationId: 'reportSend',
        summary: 'Sign, encrypt and queue an infringement report to law-enforcement members; delivered with retries until each recipient node returns a signed receipt',
        description: `Body limit ${MAX_REPORT_BODY_BYTES} bytes. The report is the JSON input of \`alliance report send\` (examples/report.json); evidence paths are absolute paths on the node's machine. Refused with 400 and nothing queued: unknown_recipient, not_law_enforcement, evidence_file (missing or unreadable), oversize (report or evidence over the limit), invalid_report_input / invalid_report. Idempotent by report id: a known \`id\` returns the queued report with duplicate = true.`,
        requestBody: { required: true, content: json(ref('ReportSendRequest')) },
        responses: { 200: ok('Queued (or already queued)', 'ReportSendResult'), 413: { description: 'Body too large', content: json(ref('Error')) }, ...errorResponses }
      }
    },
    '/v1/reports/outbox': {
      get: {
        operationId: 'reportOutbox',
        summary: 'Reports this node sent, with each delivery\'s state (pending, delivered with a verified receipt, refused)',
        responses: { 200: { description: 'Outbox, oldest first', content: json({ type: 'array', items: ref('ReportOutboxItem') }) }, ...errorResponses }
      }
    },
    '/v1/reports/inbox': {
      get: {
        operationId: 'reportInbox',
        summary: 'Reports this node received: each opened, its author\'s signature and every evidence file checked, then receipted',
        responses: { 200: { description: 'Inbox, oldest first', content: json({ type: 'array', items: ref('ReportInboxItem') }) }, ...errorResponses }
      }
    },
    '/v1/reports/{id}': {
      get: {
        operationId: 'reportShow',
        summary: 'One report in full, its receipts and chain of custody; on a recipient, recorded as opened',
        parameters: [reportIdParam],
        responses: { 200: ok('The report', 'ReportDetail'), ...errorResponses }
      }
    },
    '/v1/reports/{id}/export': {
      post: {
        operationId: 'reportExport',
        summary: 'Write the report\'s evidence bundle (report, evidence, signatures, receipts, roster chain) to a path on the node\'s machine; recorded as exported',
        description: 'The bundle verifies offline with `alliance report verify <bundle>`. An existing file is never overwritten (409 already_exists).',
        parameters: [reportIdParam],
        requestBody: { required: true, content: json(ref('ReportExportRequest')) },
        responses: { 200: ok('Bundle written', 'ReportExportResult'), ...errorResponses }
      }
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition). Scrape with the bearer token',
        responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: errorResponses[401] }
      }
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, 401: errorResponses[401] }
      }
    }
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from <node dir>/api.json' } },
    schemas
  }
}

/** The OpenAPI document (a fresh deep copy, so callers cannot alter the served one). */
export function openApiDocument (): Json {
  return structuredClone(document)
}
