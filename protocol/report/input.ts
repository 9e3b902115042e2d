/**
 * The JSON a user writes for `alliance report send --file report.json`
 * (zod schema), and building the Report document from it.
 *
 * ```json
 * {
 *   "recipients": ["police-gb"],
 *   "title": "Counterfeit ACME trainers on ShopMarket",
 *   "reference": "CASE-2025-0042",
 *   "listings": [
 *     { "url": "https://shopmarket.example/item/123", "platform": "ShopMarket", "listingId": "123",
 *       "title": "ACME Runner 2 - 80% off", "observedAt": "2025-06-01T09:30:00Z" }
 *   ],
 *   "sellers": [
 *     { "name": "best-deals-4u", "platform": "ShopMarket",
 *       "identifiers": [{ "kind": "email", "value": "best.deals4u@mail.example" },
 *                       { "kind": "phone", "value": "+44 20 7946 0958" }] }
 *   ],
 *   "rights": [
 *     { "type": "trademark", "mark": "ACME", "registrations": ["UK00003000001", "EUTM 018000001"], "jurisdiction": "GB" }
 *   ],
 *   "evidence": [
 *     { "path": "evidence/test-purchase.jpg", "mediaType": "image/jpeg", "description": "the item received" }
 *   ],
 *   "narrative": "Test purchase on 1 June; the item is a counterfeit (lab report attached)."
 * }
 * ```
 *
 * - `recipients`: law-enforcement org ids of the roster (`--to` adds more).
 * - `listings[]`: `url` or `listingId` required; `observedAt` ISO 8601.
 * - `sellers[]`: `name` or at least one identifier; identifier `kind` is a
 *   protocol kind (email, phone, seller-account, payment-account, domain,
 *   url, postal-address, name, product-image); values are raw: the report
 *   is encrypted to its recipients.
 * - `rights[]`: at least one; `type` defaults to trademark.
 * - `evidence[]`: files, `path` relative to the JSON file (`--evidence`
 *   adds more); the node reads and hashes them (SHA-256), `name` defaults
 *   to the file's base name, `mediaType` to application/octet-stream.
 * - `id`: optional 32 hex digits, to make submission idempotent from a case
 *   system; otherwise the node draws a random id once and keeps it.
 * Unknown fields are refused (a typo must not silently drop data).
 */
import { z } from 'zod'
import { fromHex } from '../bytes.js'
import { KINDS } from '../kinds.js'
import { ORG_ID_RE } from '../roster/index.js'
import { FILE_NAME_RE, MEDIA_TYPE_RE, encodeReport } from './codec.js'
import { InvalidReportInputError, type InputIssue } from './errors.js'
import * as L from './limits.js'
import { newReportId } from './report.js'
import { RIGHT_TYPES, type EvidenceFile, type Report } from './types.js'

const text = (max = L.MAX_TEXT_CHARS): z.ZodString => z.string().max(max)
const orgId = z.string().regex(ORG_ID_RE, 'must be an org id (lower-case letters, digits, dots and dashes)')
const isoTime = z.iso.datetime({ offset: true })

export const listingInputSchema = z.object({
  url: text(L.MAX_URL_CHARS).optional(),
  platform: text().optional(),
  listingId: text().optional(),
  title: text().optional(),
  observedAt: isoTime.optional()
}).strict().refine(l => (l.url ?? '') !== '' || (l.listingId ?? '') !== '', { message: 'a listing needs a url or a listingId' })

export const sellerInputSchema = z.object({
  name: text().optional(),
  platform: text().optional(),
  identifiers: z.array(z.object({ kind: z.enum(KINDS), value: text().min(1) }).strict()).max(L.MAX_IDENTIFIERS_PER_SELLER).default([])
}).strict().refine(s => (s.name ?? '') !== '' || s.identifiers.length > 0, { message: 'a seller needs a name or an identifier' })

export const rightInputSchema = z.object({
  type: z.enum(RIGHT_TYPES).default('trademark'),
  mark: text().min(1),
  registrations: z.array(text().min(1)).max(L.MAX_REGISTRATIONS_PER_RIGHT).default([]),
  jurisdiction: text().optional()
}).strict()

export const evidenceInputSchema = z.object({
  path: z.string().min(1).max(4096),
  name: z.string().regex(FILE_NAME_RE, 'must be a plain file name').optional(),
  mediaType: z.string().regex(MEDIA_TYPE_RE, 'must be an RFC 6838 type/subtype').optional(),
  description: text().optional()
}).strict()

export const reportInputSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits').optional(),
  recipients: z.array(orgId).max(L.MAX_RECIPIENTS).default([]),
  title: text().optional(),
  reference: text().optional(),
  listings: z.array(listingInputSchema).max(L.MAX_LISTINGS).default([]),
  sellers: z.array(sellerInputSchema).max(L.MAX_SELLERS).default([]),
  rights: z.array(rightInputSchema).min(1).max(L.MAX_RIGHTS),
  evidence: z.array(evidenceInputSchema).max(L.MAX_EVIDENCE_FILES).default([]),
  narrative: text(L.MAX_NARRATIVE_CHARS)
}).strict()

export type ReportInput = z.infer<typeof reportInputSchema>
export type EvidenceInput = z.infer<typeof evidenceInputSchema>

/**
 * Parses the user's JSON (already JSON.parse'd). Throws
 * InvalidReportInputError listing where and what is wrong; values are never
 * echoed (they may be raw identifiers).
 */
export function parseReportInput (json: unknown): ReportInput {
  const r = reportInputSchema.safeParse(json)
  if (r.success) return r.data
  const issues: InputIssue[] = r.error.issues.map(i => ({ path: i.path.map(String).join('.'), message: issueMessage(i) }))
  throw new InvalidReportInputError(issues)
}

function issueMessage (i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'invalid_type': return `expected ${i.expected}`
    case 'too_big': return `too long or too many (at most ${String(i.maximum)})`
    case 'too_small': return `too short or too few (at least ${String(i.minimum)})`
    case 'unrecognized_keys': return `unknown field(s) ${i.keys.map(k => JSON.stringify(k)).join(', ')}`
    case 'invalid_value': return 'not one of the allowed values'
    // Our own messages (regex, refine) never contain the value.
    default: return i.message
  }
}

export interface BuildReportArgs {
  input: ReportInput
  alliance: string
  /** author org */
  author: string
  /** the author node's Ed25519 public key (it will sign) */
  authorKey: Uint8Array
  /** ms since the Unix epoch */
  created: number
  /** evidence files, resolved and hashed by the caller (digestEvidence), in the order to list them */
  evidence: EvidenceFile[]
  /** more recipients (the CLI's --to), merged after the input's, duplicates dropped */
  recipients?: string[]
  /** the report id; default: the input's `id`, else 16 random bytes */
  id?: Uint8Array
}

/**
 * The Report document for an input. Encodes it once to apply every limit
 * and rule (OversizeError, TooManyError, InvalidFieldError, InvalidReportError)
 * so a report that builds is one that signs, sends and decodes.
 */
export function buildReport (args: BuildReportArgs): Report {
  const i = args.input
  const report: Report = {
    alliance: args.alliance,
    id: args.id ?? (i.id !== undefined ? fromHex(i.id) : newReportId()),
    author: args.author,
    authorKey: Uint8Array.from(args.authorKey),
    created: args.created,
    recipients: [...new Set([...i.recipients, ...(args.recipients ?? [])])],
    title: i.title ?? '',
    reference: i.reference ?? '',
    listings: i.listings.map(l => ({
      url: l.url ?? '',
      platform: l.platform ?? '',
      listingId: l.listingId ?? '',
      title: l.title ?? '',
      observed: l.observedAt === undefined ? 0 : Date.parse(l.observedAt)
    })),
    sellers: i.sellers.map(s => ({ name: s.name ?? '', platform: s.platform ?? '', identifiers: s.identifiers.map(x => ({ kind: x.kind, value: x.value })) })),
    rights: i.rights.map(r => ({ type: r.type, mark: r.mark, registrations: [...r.registrations], jurisdiction: r.jurisdiction ?? '' })),
    evidence: args.evidence.map(e => ({ ...e, sha256: Uint8Array.from(e.sha256) })),
    narrative: i.narrative
  }
  encodeReport(report)
  return report
}

/** An EvidenceFile entry from an input entry and the digest the caller computed. */
export function evidenceEntry (input: EvidenceInput, digest: { sha256: Uint8Array, size: number }): EvidenceFile {
  return {
    name: input.name ?? baseName(input.path),
    size: digest.size,
    mediaType: input.mediaType ?? 'application/octet-stream',
    sha256: digest.sha256,
    description: input.description ?? ''
  }
}

function baseName (path: string): string {
  const parts = path.split(/[/\\]/)
  return parts[parts.length - 1]
}
