/**
 * The report service's storage behind a small interface (STYLE.md §11): a
 * LevelDB implementation for the node and a memory one for unit tests, one
 * test suite run against both. Each method that records one event (a report
 * queued, a receipt come back, a report received) writes ONE atomic batch.
 *
 * Records come back as fresh copies, parsed with their schema (records.ts):
 * a value that does not parse is a ReportStoreCorruptError naming its key,
 * except in the custody log, which reports such a record as unreadable (the
 * log's check names it as damage; the service keeps running).
 */
import type { UnreadableCustodyRecord } from '../custody.js'
import type { CustodyRecord, DeliveryRecord, InboxReport, OutboxReport, ReceiptRecord } from '../records.js'

export interface ReportStore {
  open (): Promise<void>
  /** Waits for writes in progress; later calls throw ReportStoreNotOpenError until open() again. */
  close (): Promise<void>

  // ------------------------------------------------ author side (outbox)
  /** A report this node sent. */
  sent (id: string): Promise<OutboxReport | undefined>
  /** Every report this node sent, in id order. */
  allSent (): Promise<OutboxReport[]>
  /** Deliveries of one report (or of all reports), in (id, node) order. */
  deliveries (id?: string): Promise<DeliveryRecord[]>
  /** A report and its deliveries, in one batch. */
  queue (report: OutboxReport, deliveries: DeliveryRecord[]): Promise<void>
  putDelivery (delivery: DeliveryRecord): Promise<void>
  /** A delivery that came back with a verified receipt, and the receipt, in one batch. */
  delivered (delivery: DeliveryRecord, receipt: ReceiptRecord): Promise<void>

  // ------------------------------------------------ recipient side (inbox)
  /** The report with this id that this node received from `author` (an org id), checked. */
  received (author: string, id: string): Promise<InboxReport | undefined>
  /** Every received report with this id (one per author that used it). */
  receivedById (id: string): Promise<InboxReport[]>
  /** Every report this node received, in key order. */
  allReceived (): Promise<InboxReport[]>
  /** A received report, the receipt this node signed and its `received` custody record, in one batch (keys: records.ts). */
  receive (report: InboxReport, receipt: ReceiptRecord, custody: CustodyRecord): Promise<void>
  /** The receipts this node signed for a received report. */
  inboxReceipts (report: InboxReport): Promise<ReceiptRecord[]>

  // ------------------------------------------------ both
  receipt (id: string, node: string): Promise<ReceiptRecord | undefined>
  /** Receipts of one report, in node order. */
  receipts (id: string): Promise<ReceiptRecord[]>
  /** The chain-of-custody log in seq order; a record that does not parse comes back unreadable. */
  custody (): AsyncIterable<CustodyRecord | UnreadableCustodyRecord>
  appendCustody (record: CustodyRecord): Promise<void>
}
