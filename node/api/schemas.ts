/**
 * Request schemas of the local HTTP API (zod). The server validates with
 * them, the OpenAPI document is generated from them, so the two never drift.
 */
import { z } from 'zod'
import { CLAIMS, KINDS } from '../../protocol/kinds.js'
import { MAX_ATTEST_ITEMS, MAX_VALUE_LENGTH } from './limits.js'
import { MAX_EVIDENCE_FILES, MAX_RECIPIENTS, reportInputSchema } from '../../protocol/report/index.js'

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
  reason: z.number().int().min(0).max(0xffffffff).optional(),
  ttlMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  claim: z.enum(CLAIMS).optional(),
  confidence: z.number().int().min(0).max(100).optional()
}).strict()

export const attestBodySchema = z.object({
  items: z.array(attestItemSchema).min(1).max(MAX_ATTEST_ITEMS)
}).strict()

export const retractBodySchema = z.object({ kind, value }).strict()

export const feedbackBodySchema = z.object({
  fingerprint,
  outcome: z.enum(['confirmed', 'removed', 'false-positive', 'dispute-upheld']),
  note: z.string().max(4096).optional(),
  ttlMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional()
}).strict()

const absolutePath = z.string().min(1).max(4096).refine(p => p.startsWith('/'), 'must be an absolute path on the node\'s machine')
export const matchBodySchema = z.object({
  listings: absolutePath,
  out: absolutePath.optional(),
  rejects: absolutePath.optional(),
  format: z.enum(['csv', 'jsonl']).optional(),
  outputFormat: z.enum(['jsonl', 'csv']).optional(),
  emit: z.enum(['actions', 'matches', 'all']).optional(),
  policy: z.unknown().optional(),
  workers: z.number().int().min(0).max(256).optional()
}).strict()

export const retroQuerySchema = z.object({
  /** ISO time or ms since the epoch */
  since: z.string().min(1).transform((s, ctx) => {
    const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s)
    if (!Number.isFinite(n)) { ctx.addIssue({ code: 'custom', message: 'since must be an ISO time or ms since the epoch' }); return z.NEVER }
    return n
  })
}).strict()

export const allowBodySchema = z.object({ kind, value, ttlMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional() }).strict()

/** explain by raw identifier (canonicalised and fingerprinted on the node) */
export const explainByValueSchema = z.object({ kind, value }).strict()
/** explain by fingerprint (hex) */
export const explainByFingerprintSchema = z.object({ fingerprint }).strict()

/** Picks the explain form by the presence of `fingerprint`, so errors name the right fields. */
export type ExplainQuery = z.infer<typeof explainByValueSchema> | z.infer<typeof explainByFingerprintSchema>
export function parseExplainQuery (input: unknown): z.ZodSafeParseResult<ExplainQuery> {
  const hasFingerprint = typeof input === 'object' && input !== null && 'fingerprint' in input
  return hasFingerprint ? explainByFingerprintSchema.safeParse(input) : explainByValueSchema.safeParse(input)
}

export const blocklistQuerySchema = z.object({
  status: z.enum(STATUS_NAMES).optional(),
  format: z.enum(BLOCKLIST_FORMATS).default('jsonl')
}).strict()

export const eventsQuerySchema = z.object({
  status: z.enum([...STATUS_NAMES, 'absent']).optional()
}).strict()

/** POST /v1/reports: a report (the JSON input of `alliance report send`), more recipients, more evidence files (absolute paths on the node's machine). */
export const reportSendBodySchema = z.object({
  to: z.array(z.string().min(1).max(64)).max(MAX_RECIPIENTS).default([]),
  report: reportInputSchema,
  evidence: z.array(z.string().min(1).max(4096)).max(MAX_EVIDENCE_FILES).default([])
}).strict()

/** A report id in a route: 16 bytes as hex. */
export const reportIdParamsSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/, 'a report id is 32 lower-case hex digits')
}).strict()

/** POST /v1/reports/:id/export: where the node writes the bundle (an absolute path on the node's machine; never overwritten). */
export const reportExportBodySchema = z.object({
  out: z.string().min(1).max(4096)
}).strict()

/** One line per problem, at most `max`, naming the field path; never echoes the input's values. */
export function describeIssues (error: z.ZodError, max = 5): string {
  const lines = error.issues.slice(0, max).map(i => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
  if (error.issues.length > max) lines.push(`and ${error.issues.length - max} more`)
  return lines.join('; ')
}
