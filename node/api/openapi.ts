/**
 * OpenAPI 3.1 description of the local HTTP API, served at GET /openapi.json.
 * Request schemas come from the zod schemas the server validates with;
 * response schemas mirror the JSON types of node/service.ts.
 */
import { z } from 'zod'
import { CLAIMS, KINDS } from '../../protocol/kinds.js'
import { MAX_BULK_BODY_BYTES } from './limits.js'
import { BLOCKLIST_FORMATS, STATUS_NAMES, allowBodySchema, attestBodySchema, explainByFingerprintSchema, explainByValueSchema, feedbackBodySchema, retractBodySchema } from './schemas.js'

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
