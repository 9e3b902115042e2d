/**
 * The infringement-report views of the NodeService contract (node/reports,
 * `alliance report …`, the console's police inbox): requests, outbox and
 * inbox items, a report in full, its chain of custody, an export. Re-exported
 * by node/service.ts; separate because they are a third of that contract and
 * change with node/reports alone.
 */

/** `alliance report send`: a report to law enforcement (DESIGN.md §7). */
export interface ReportSendRequest {
  /** Recipient org ids (law-enforcement members of the roster), added to the report's own `recipients`. */
  to: string[]
  /**
   * The report, in the JSON input format of protocol/report/input.ts
   * (examples/report.json). Its evidence paths must be absolute paths on the
   * node's machine (the CLI resolves them against the JSON file's folder).
   */
  report: unknown
  /** More evidence files: absolute paths on the node's machine. */
  evidence: string[]
}

/** One (report, recipient node) delivery, as the author's node tracks it. */
export interface ReportDeliveryView {
  org: string
  /** the recipient node's signing key (hex) */
  node: string
  peerId: string
  /** pending: being retried; delivered: a verified receipt came back; refused: the recipient refused for good; dropped: the node left the roster */
  state: 'pending' | 'delivered' | 'refused' | 'dropped'
  attempts: number
  nextAttemptAt: string | null
  lastError: { reason: string, message: string, at: string } | null
  /** when the receipt came back */
  deliveredAt: string | null
  /** the time the recipient put in its signed receipt */
  receiptTime: string | null
}

export interface ReportOutboxItem {
  id: string
  title: string
  reference: string
  created: string
  queuedAt: string
  recipients: string[]
  /** delivered: every recipient node signed a receipt; queued: none yet; partial: some; failed: none and nothing pending */
  state: 'queued' | 'partial' | 'delivered' | 'failed'
  /** signed-report digest (hex): what receipts acknowledge */
  digest: string
  evidence: number
  evidenceBytes: number
  envelopeBytes: number
  deliveries: ReportDeliveryView[]
}

export interface ReportSendResult extends ReportOutboxItem {
  /** True when a report with this id was already in the outbox: nothing new was queued. */
  duplicate: boolean
}

export interface ReportInboxItem {
  id: string
  author: string
  title: string
  reference: string
  created: string
  received: string
  /** peer id of the node that delivered it */
  from: string
  digest: string
  evidence: number
  evidenceBytes: number
  /** the sellers the report names (their names, else their first identifier) */
  sellers: string[]
  /** how many listings it names */
  listings: number
}

/** A report's content. Raw identifiers included: only its author's and its recipients' nodes can show it. */
export interface ReportDocumentView {
  id: string
  alliance: string
  author: string
  authorKey: string
  created: string
  recipients: string[]
  title: string
  reference: string
  listings: Array<{ url: string, platform: string, listingId: string, title: string, observed: string | null }>
  sellers: Array<{ name: string, platform: string, identifiers: Array<{ kind: string, value: string }> }>
  rights: Array<{ type: string, mark: string, registrations: string[], jurisdiction: string }>
  evidence: Array<{ name: string, size: number, mediaType: string, sha256: string, description: string }>
  narrative: string
}

export interface ReportCustodyView {
  seq: number
  time: string
  action: 'received' | 'opened' | 'exported'
  detail: Record<string, string | number>
  hash: string
}

export interface ReportDetail {
  /** sent: this node is the author; received: a recipient */
  direction: 'sent' | 'received'
  id: string
  digest: string
  report: ReportDocumentView
  outbox: ReportOutboxItem | null
  inbox: ReportInboxItem | null
  /** verified receipts held for the report */
  receipts: Array<{ org: string, node: string, received: string }>
  /** this node's chain-of-custody records for the report (showing it adds an `opened` record on a recipient) */
  custody: ReportCustodyView[]
  /** false if the custody log's hash chain or signatures are broken on disk */
  custodyIntact: boolean
}

/** A report's chain of custody on this node (`alliance report custody`). */
export interface ReportCustodyLog {
  id: string
  custody: ReportCustodyView[]
  /** false if the custody log's hash chain or signatures are broken on disk */
  custodyIntact: boolean
}

export interface ReportExportResult {
  id: string
  /** absolute path of the bundle written */
  out: string
  bytes: number
  /** SHA-256 of the bundle file (hex) */
  sha256: string
  receipts: number
  exporter: string
}
