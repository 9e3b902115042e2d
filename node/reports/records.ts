/**
 * What the report service stores in its LevelDB (JSON values), and how
 * stored records turn into the API's views (node/service.ts). Pure.
 *
 * Sublevels and keys:
 *   outbox    r/<id>          OutboxReport     a report this node sent (signed report, envelope file, evidence paths)
 *             d/<id>/<node>   DeliveryRecord   one per (report, recipient node): state, attempts, next attempt
 *   inbox     <id>            InboxReport      a report this node received and checked
 *   receipts  <id>/<node>     ReceiptRecord    signed receipts: received by the author, or signed by this recipient
 *   custody   <seq>           CustodyRecord    custody.ts
 * Ids are report ids in hex; <node> is a node's signing key in hex.
 */
import { toHex } from '../../protocol/bytes.js'
import type { Report } from '../../protocol/report/index.js'
import type {
  ReportDeliveryView, ReportDocumentView, ReportInboxItem, ReportOutboxItem
} from '../service.js'
import { outboxState, type DeliveryState } from './policy.js'

export interface OutboxReport {
  v: 1
  id: string
  created: number
  queuedAt: number
  title: string
  reference: string
  recipients: string[]
  /** signedReportDigest, hex: what receipts acknowledge */
  digest: string
  /** encoded SignedReport, base64 */
  signedReport: string
  /** file name in reports/outbox/ */
  envelope: string
  envelopeBytes: number
  /** the author's evidence files: bundles exported by the author read them again (and check them) */
  evidence: Array<{ name: string, size: number, path: string }>
}

export interface DeliveryRecord {
  id: string
  org: string
  /** the recipient node's signing key, hex */
  node: string
  peerId: string
  state: DeliveryState
  attempts: number
  /** ms; meaningful while pending */
  nextAttemptAt: number
  lastError?: { reason: string, message: string, at: number }
  /** when the receipt came back (this node's clock) */
  deliveredAt?: number
  /** the receipt's own time */
  received?: number
}

export interface InboxReport {
  v: 1
  id: string
  digest: string
  /** encoded SignedReport, base64 */
  signedReport: string
  author: string
  created: number
  title: string
  reference: string
  received: number
  /** libp2p peer id of the node that delivered it */
  from: string
  evidence: Array<{ name: string, size: number, file: string }>
}

export interface ReceiptRecord {
  id: string
  org: string
  node: string
  /** encoded SignedReceipt, base64 */
  receipt: string
  received: number
}

export const outboxReportKey = (id: string): string => `r/${id}`
export const deliveryKey = (id: string, node: string): string => `d/${id}/${node}`
export const receiptKey = (id: string, node: string): string => `${id}/${node}`

export const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

const iso = (t: number | undefined): string | null => t === undefined || !Number.isFinite(t) ? null : new Date(t).toISOString()

export function deliveryView (d: DeliveryRecord): ReportDeliveryView {
  return {
    org: d.org,
    node: d.node,
    peerId: d.peerId,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? iso(d.nextAttemptAt) : null,
    lastError: d.lastError === undefined ? null : { reason: d.lastError.reason, message: d.lastError.message, at: iso(d.lastError.at) as string },
    deliveredAt: iso(d.deliveredAt),
    receiptTime: iso(d.received)
  }
}

export function outboxItem (r: OutboxReport, deliveries: DeliveryRecord[]): ReportOutboxItem {
  return {
    id: r.id,
    title: r.title,
    reference: r.reference,
    created: iso(r.created) as string,
    queuedAt: iso(r.queuedAt) as string,
    recipients: [...r.recipients],
    state: outboxState(deliveries.map(d => d.state)),
    digest: r.digest,
    evidence: r.evidence.length,
    evidenceBytes: r.evidence.reduce((a, e) => a + e.size, 0),
    envelopeBytes: r.envelopeBytes,
    deliveries: deliveries.map(deliveryView)
  }
}

export function inboxItem (r: InboxReport): ReportInboxItem {
  return {
    id: r.id,
    author: r.author,
    title: r.title,
    reference: r.reference,
    created: iso(r.created) as string,
    received: iso(r.received) as string,
    from: r.from,
    digest: r.digest,
    evidence: r.evidence.length,
    evidenceBytes: r.evidence.reduce((a, e) => a + e.size, 0)
  }
}

/** The whole report as JSON: raw identifiers included (this is the node of its author or of a recipient). */
export function documentView (r: Report): ReportDocumentView {
  return {
    id: toHex(r.id),
    alliance: r.alliance,
    author: r.author,
    authorKey: toHex(r.authorKey),
    created: iso(r.created) as string,
    recipients: [...r.recipients],
    title: r.title,
    reference: r.reference,
    listings: r.listings.map(l => ({ url: l.url, platform: l.platform, listingId: l.listingId, title: l.title, observed: l.observed === 0 ? null : iso(l.observed) })),
    sellers: r.sellers.map(s => ({ name: s.name, platform: s.platform, identifiers: s.identifiers.map(i => ({ kind: i.kind, value: i.value })) })),
    rights: r.rights.map(x => ({ type: x.type, mark: x.mark, registrations: [...x.registrations], jurisdiction: x.jurisdiction })),
    evidence: r.evidence.map(e => ({ name: e.name, size: e.size, mediaType: e.mediaType, sha256: toHex(e.sha256), description: e.description })),
    narrative: r.narrative
  }
}
