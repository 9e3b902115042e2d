/**
 * Infringement reports on the node (DESIGN.md §7): the report service that
 * sends, delivers, receives, shows and exports reports, over the pure
 * protocol layer of protocol/report.
 *
 *   service.ts   ReportService: composes the parts below, start()/stop()
 *   options.ts   ReportServiceInit (defaults, validation) and ReportServiceComponents
 *   outbox.ts    author: queue a report, deliver it until a receipt verifies
 *   compose.ts   author: check a send request, hash the evidence, build and sign the report
 *   schedule.ts  which deliveries are due, when a failed one is retried (pure)
 *   inbox.ts     recipient: the protocol handler (open, check, store, receipt)
 *   export.ts    show a report, export its evidence bundle
 *   wire.ts      the report transfer protocol /alliance/<id>/report/1.0.0 (frames, credit flow control)
 *   custody.ts   the tamper-evident chain-of-custody log
 *   records.ts   what is stored (zod schemas) and its keys
 *   store/       the ReportStore interface: LevelDB and memory
 *   views.ts     stored records → API views (pure)
 *   policy.ts    retry backoff, final refusals, outbox state (pure)
 *   files.ts     the reports/ folder: private, streamed, complete-or-absent files
 *   errors.ts    named errors
 */
export * from './errors.js'
export { createReportService, ReportService } from './service.js'
export { reportServiceOptions, REPORT_SERVICE_DEFAULTS, type ReportHost, type ReportMetrics, type ReportServiceComponents, type ReportServiceInit } from './options.js'
export { reportProtocol, REPORT_PROTOCOL_VERSION, sendEnvelope, receiveEnvelope, type Reply } from './wire.js'
export { CUSTODY_TAG, checkCustodyRecord, custodyHash, type CustodyRecord, type CustodyAction } from './custody.js'
export { backoffDelay, isFinalRefusal, outboxState, FINAL_REFUSALS } from './policy.js'
export { dueDeliveries, dueOnConnect, retryAt } from './schedule.js'
export { createReportStore, LevelReportStore, MemoryReportStore, type ReportStore } from './store/index.js'
export { reportPaths, REPORTS_DIR } from './files.js'
