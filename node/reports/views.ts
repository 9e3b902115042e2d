/**
 * Stored records → the API's views (node/service.ts). Pure.
 */
import { toHex } from '../../protocol/bytes.js'
import { decodeReport, decodeSignedReport, type Report } from '../../protocol/report/index.js'
import type {
  ReportCustodyView, ReportDeliveryView, ReportDocumentView, ReportInboxItem, ReportOutboxItem
} from '../service.js'
import { outboxState } from './policy.js'
import { unb64, type CustodyRecord, type DeliveryRecord, type InboxReport, type OutboxReport } from './records.js'

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
  // the stored report was verified at receipt; decoding it again only reads who and what it is about
  const report = decodeReport(decodeSignedReport(unb64(r.signedReport)).report)
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
    evidenceBytes: r.evidence.reduce((a, e) => a + e.size, 0),
    sellers: report.sellers.map(s => s.name !== '' ? s.name : s.identifiers[0]?.value ?? '(unnamed)'),
    listings: report.listings.length
  }
}

export function custodyView (r: CustodyRecord): ReportCustodyView {
  return { seq: r.seq, time: r.time, action: r.action, detail: r.detail, hash: r.hash }
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
