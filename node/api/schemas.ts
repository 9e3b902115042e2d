/**
 * Request schemas of the local HTTP API (zod). The route table (routes.ts)
 * names them per route: the server validates with them and the OpenAPI
 * document is generated from them, so the two never drift.
 */
import { z } from 'zod'
import { CLAIMS, KINDS } from '../../protocol/kinds.js'
import { MAX_ATTEST_ITEMS, MAX_VALUE_LENGTH } from './limits.js'
import { MAX_FINGERPRINT_ITEMS } from '../pipeline/keys.js'
import { MAX_EVIDENCE_FILES, MAX_RECIPIENTS, reportInputSchema } from '../../protocol/report/index.js'

/** Named schemas of the API: the `components.schemas` of openapi.json. */
export const API_SCHEMAS = z.registry<{ id: string }>()

/** Registers `schema` as the component `id` of openapi.json and returns it. Every request body and response of a route is one. */
export function named<T extends z.ZodType> (id: string, schema: T, description?: string): T {
  const s = description === undefined ? schema : schema.describe(description) as T
  API_SCHEMAS.add(s as z.ZodType, { id })
  return s
}

export const STATUS_NAMES = ['listed', 'disputed', 'candidate'] as const
export const BLOCKLIST_FORMATS = ['jsonl', 'csv'] as const
export type BlocklistFormat = typeof BLOCKLIST_FORMATS[number]

const kind = z.enum(KINDS)
const value = z.string().min(1).max(MAX_VALUE_LENGTH)
/** A fingerprint: 32 bytes as hex (either case; answers use lower case). */
const fingerprint = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a fingerprint is 64 hex digits').transform(s => s.toLowerCase())

export const attestItemSchema = z.object({
  kind,
  value,
  reason: z.union([
    z.number().int().min(0).max(0xffffffff),
    z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,47}$|^\d{1,10}$/, 'a reason name (e.g. counterfeit) or code')
  ]).optional().describe('A name of the roster\'s reason vocabulary (GET /v1/reasons) or its code; an unknown one is refused with 400 unknown_reason'),
  ttlMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  claim: z.enum(CLAIMS).optional(),
  confidence: z.number().int().min(0).max(100).optional()
}).strict()

export const attestBodySchema = named('AttestRequest', z.object({
  items: z.array(attestItemSchema).min(1).max(MAX_ATTEST_ITEMS)
}).strict())

export const retractBodySchema = named('RetractRequest', z.object({ kind, value }).strict())

export const feedbackBodySchema = named('FeedbackRequest', z.object({
  fingerprint,
  outcome: z.enum(['confirmed', 'removed', 'false-positive', 'dispute-upheld']),
  note: z.string().max(4096).optional(),
  ttlMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional()
}).strict())

const absolutePath = z.string().min(1).max(4096).regex(/^\//, 'must be an absolute path on the node\'s machine')
export const matchBodySchema = named('MatchRequest', z.object({
  listings: absolutePath,
  out: absolutePath.optional(),
  rejects: absolutePath.optional(),
  format: z.enum(['csv', 'jsonl']).optional(),
  outputFormat: z.enum(['jsonl', 'csv']).optional(),
  emit: z.enum(['actions', 'matches', 'all']).optional(),
  policy: z.unknown().optional(),
  workers: z.number().int().min(0).max(256).optional(),
  accountPlatform: z.string().min(1).max(64).optional(),
  force: z.boolean().optional(),
  strictColumns: z.boolean().optional().describe('Refuse a file with a column the matcher does not know (400 unknown_columns); on anyway when the file has no known identifier column')
}).strict())

/** Ms since the epoch, or an ISO 8601 date or date-time (not whatever else Date.parse would guess at). */
const SINCE = /^(?:\d{1,16}|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?)$/

export const retroQuerySchema = z.object({
  since: z.string().regex(SINCE, 'since must be ms since the epoch or an ISO 8601 time, e.g. 2026-01-01T00:00:00Z').transform((s, ctx) => {
    const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s)
    if (!Number.isSafeInteger(n) || n < 0) { ctx.addIssue({ code: 'custom', message: 'since must be a time at or after 1970-01-01' }); return z.NEVER }
    return n
  }).describe('ISO 8601 time or ms since the epoch')
}).strict()

export const allowBodySchema = named('AllowRequest', z.object({ kind, value, ttlMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional() }).strict())

/** explain by raw identifier (canonicalised and fingerprinted on the node) */
export const explainByValueSchema = named('ExplainByValue', z.object({
  kind: kind.describe('With value: explain a raw identifier (fingerprinted on the node)'),
  value: value.describe('The raw identifier. In a query, prefer POST /v1/explain to keep it out of URLs')
}).strict())
/** explain by fingerprint (hex) */
export const explainByFingerprintSchema = named('ExplainByFingerprint', z.object({ fingerprint: fingerprint.describe('Instead of kind and value') }).strict())

/**
 * Either form; each is strict, so exactly one matches (an input with a
 * `fingerprint` is held to the fingerprint form, and errors name its fields).
 */
export const explainQuerySchema = named('ExplainRequest', z.union([explainByFingerprintSchema, explainByValueSchema]))
export type ExplainQuery = z.output<typeof explainQuerySchema>

export const quotaQuerySchema = z.object({
  org: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,62}$/).optional(),
  days: z.coerce.number().int().min(1).max(366).default(31)
}).strict()

export const blocklistQuerySchema = z.object({
  status: z.enum(STATUS_NAMES).optional(),
  format: z.enum(BLOCKLIST_FORMATS).default('jsonl')
}).strict()

export const eventsQuerySchema = z.object({
  status: z.enum([...STATUS_NAMES, 'absent']).optional()
}).strict()

/** POST /v1/reports: a report (the JSON input of `alliance report send`), more recipients, more evidence files (absolute paths on the node's machine). */
export const reportSendBodySchema = named('ReportSendRequest', z.object({
  to: z.array(z.string().min(1).max(64)).max(MAX_RECIPIENTS).default([]),
  report: reportInputSchema,
  evidence: z.array(z.string().min(1).max(4096)).max(MAX_EVIDENCE_FILES).default([])
}).strict())

/** A report id in a route: 16 bytes as hex. */
export const reportIdParamsSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/, 'a report id is 32 lower-case hex digits')
}).strict()

/** Who opens or exports a report, as the chain of custody records it: the person at the CLI (`--as`, default the OS user) or the case system's user. */
export const operatorName = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}._@ '-]{0,63}$/u, 'an operator name is 1 to 64 letters, digits, spaces and . _ @ \' -, starting with a letter or digit').describe('Who opens or exports the report, as the chain of custody records it (e.g. the OS user at the CLI)')

/** GET /v1/reports/:id: who opens it. */
export const reportShowQuerySchema = z.object({ operator: operatorName.optional() }).strict()

/** POST /v1/reports/:id/export: where the node writes the bundle (an absolute path on the node's machine; never overwritten). */
export const reportExportBodySchema = named('ReportExportRequest', z.object({
  out: z.string().min(1).max(4096),
  operator: operatorName.optional()
}).strict())

/** POST /v1/roster: an alliance-roster/1 file, passed whole to the node, which verifies it (a refusal is a named 400). */
export const rosterAdoptBodySchema = named('RosterAdoptRequest', z.unknown(), 'An alliance-roster/1 file (`alliance roster next` writes one)')

type Issue = z.core.$ZodIssue

/** How far an alternative of a union is from the input: fields it does not know count most. */
function distance (issues: readonly Issue[]): number {
  return issues.reduce((d, i) => d + (i.code === 'unrecognized_keys' ? 100 : 1), 0)
}

/** A union's issues as those of its closest alternative, with full paths. */
function flatIssues (issues: readonly Issue[]): Issue[] {
  return issues.flatMap(i => {
    if (i.code !== 'invalid_union' || i.errors.length === 0) return [i]
    const closest = i.errors.reduce((a, b) => distance(b) < distance(a) ? b : a)
    return flatIssues(closest).map(j => ({ ...j, path: [...i.path, ...j.path] }))
  })
}

/** POST /v1/pipeline/attach: the Redis a pipeline worker uses (node/pipeline). */
export const pipelineAttachBodySchema = named('PipelineAttachRequest', z.object({
  redis: z.string().min(1).max(2048),
  prefix: z.string().min(1).max(128).optional()
}).strict())

/** POST /v1/pipeline/fingerprints: raw identifiers a pipeline worker has no fingerprint for yet, under an epoch. */
export const pipelineFingerprintsBodySchema = named('PipelineFingerprintsRequest', z.object({
  epoch: z.number().int().min(0).max(0xffffffff),
  items: z.array(z.object({ kind, value }).strict()).min(1).max(MAX_FINGERPRINT_ITEMS)
}).strict())

/** One line per problem, at most `max`, naming the field path; never echoes the input's values. */
export function describeIssues (error: z.ZodError, max = 5): string {
  const issues = flatIssues(error.issues)
  const lines = issues.slice(0, max).map(i => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
  if (issues.length > max) lines.push(`and ${issues.length - max} more`)
  return lines.join('; ')
}
