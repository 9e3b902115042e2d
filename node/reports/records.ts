/**
 * What the report service stores (JSON values), as zod schemas: every record
 * read back from disk is parsed with its schema, so a damaged or foreign
 * value is a named error (ReportStoreCorruptError) instead of a record of the
 * wrong shape travelling on. Pure.
 *
 * Sublevels and keys (store/level.ts; the layout of the first release):
 *   outbox    r/<id>          OutboxReport     a report this node sent (signed report, envelope file, evidence paths)
 *             d/<id>/<node>   DeliveryRecord   one per (report, recipient node): state, attempts, next attempt
 *   inbox     <author>/<id>   InboxReport      a report this node received and checked (v 2), keyed by its
 *                                              author org too: a member that learnt a report id cannot pre-empt it
 *             <id>            InboxReport      the same, as the first release stored it (v 1; still read)
 *   receipts  <id>/<node>     ReceiptRecord    signed receipts received by the author (and, v 1, signed by this recipient)
 *             in/<author>/<id>/<node>           receipts this recipient signed for a v 2 inbox report
 *   custody   <seq>           CustodyRecord    custody.ts (seq zero-padded to 16 digits: key order is seq order)
 * Ids are report ids in hex; <node> is a node's signing key in hex.
 */
import { z } from 'zod'
import { InvalidReportRequestError } from './errors.js'
import { DELIVERY_STATES } from './policy.js'

const hex = (bytes: number): z.ZodString => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} hex digits`)
/** A report id: 16 bytes, hex. */
const reportId = hex(16)
/** A node's signing key, a digest, a hash: 32 bytes, hex. */
const hex32 = hex(32)
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
const time = z.number().finite()
const count = z.number().int().nonnegative()

export const outboxReportSchema = z.object({
  v: z.literal(1),
  id: reportId,
  created: time,
  queuedAt: time,
  title: z.string(),
  reference: z.string(),
  recipients: z.array(z.string()),
  /** signedReportDigest, hex: what receipts acknowledge */
  digest: hex32,
  /** encoded SignedReport, base64 */
  signedReport: base64,
  /** file name in reports/outbox/ */
  envelope: z.string().min(1),
  envelopeBytes: count,
  /** the author's evidence files: bundles exported by the author read them again (and check them) */
  evidence: z.array(z.object({ name: z.string(), size: count, path: z.string() }))
})
export type OutboxReport = z.infer<typeof outboxReportSchema>

export const deliveryRecordSchema = z.object({
  id: reportId,
  org: z.string(),
  /** the recipient node's signing key, hex */
  node: hex32,
  peerId: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: count,
  /** ms; meaningful while pending */
  nextAttemptAt: time,
  lastError: z.object({ reason: z.string(), message: z.string(), at: time }).optional(),
  /** when the receipt came back (this node's clock) */
  deliveredAt: time.optional(),
  /** the receipt's own time */
  received: time.optional()
})
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>

export const inboxReportSchema = z.object({
  /** 1: stored under <id>, evidence in inbox/<id>/; 2: under <author>/<id>, evidence in inbox/<author>/<id>/ */
  v: z.union([z.literal(1), z.literal(2)]),
  id: reportId,
  digest: hex32,
  /** encoded SignedReport, base64 */
  signedReport: base64,
  author: z.string(),
  created: time,
  title: z.string(),
  reference: z.string(),
  received: time,
  /** libp2p peer id of the node that delivered it */
  from: z.string(),
  evidence: z.array(z.object({ name: z.string(), size: count, file: z.string().regex(/^evidence-\d+$/) }))
})
export type InboxReport = z.infer<typeof inboxReportSchema>

export const receiptRecordSchema = z.object({
  id: reportId,
  org: z.string(),
  node: hex32,
  /** encoded SignedReceipt, base64 */
  receipt: base64,
  received: time
})
export type ReceiptRecord = z.infer<typeof receiptRecordSchema>

export const CUSTODY_ACTIONS = ['received', 'opened', 'exported'] as const
export type CustodyAction = typeof CUSTODY_ACTIONS[number]

export const custodyRecordSchema = z.object({
  seq: z.number().int().positive(),
  /** ISO 8601 */
  time: z.string(),
  action: z.enum(CUSTODY_ACTIONS),
  /** report id, hex */
  report: z.string(),
  /** what happened: sender, digest, bundle file… (no report content) */
  detail: z.record(z.string(), z.union([z.string(), z.number()])),
  /** hash of the previous record (hex), 64 zeros for the first */
  prev: z.string(),
  hash: z.string(),
  signature: z.string()
})
export type CustodyRecord = z.infer<typeof custodyRecordSchema>

export const outboxReportKey = (id: string): string => `r/${id}`
export const deliveryKey = (id: string, node: string): string => `d/${id}/${node}`
export const receiptKey = (id: string, node: string): string => `${id}/${node}`
export const custodyKey = (seq: number): string => String(seq).padStart(16, '0')
/** Where a received report is stored: by author org and id (v 2), or by id alone (v 1, the first release). */
export const inboxKey = (r: Pick<InboxReport, 'v' | 'author' | 'id'>): string => r.v === 2 ? `${r.author}/${r.id}` : r.id
/** Where this recipient keeps the receipt it signed for a received report. */
export const inboxReceiptKey = (r: Pick<InboxReport, 'v' | 'author' | 'id'>, node: string): string => r.v === 2 ? `in/${r.author}/${r.id}/${node}` : receiptKey(r.id, node)
/** The (report, node) key of a delivery in memory: one per recipient node of a report. */
export const deliverySlot = (d: Pick<DeliveryRecord, 'id' | 'node'>): string => `${d.id}/${d.node}`

export const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

/** A report id as the API and the CLI give it: 32 lower-case hex digits (InvalidReportRequestError otherwise). */
export function checkReportId (id: string): string {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new InvalidReportRequestError(`${JSON.stringify(id.slice(0, 40))} is not a report id (32 hex digits)`)
  return id
}
