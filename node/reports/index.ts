/**
 * Infringement reports on the node (DESIGN.md §7): the report service that
 * sends, delivers, receives, shows and exports reports, over the pure
 * protocol layer of protocol/report.
 *
 *   service.ts   ReportService: outbox loop, protocol handler, queries, export
 *   wire.ts      the report transfer protocol /alliance/<id>/report/1.0.0 (frames, credit flow control)
 *   custody.ts   the tamper-evident chain-of-custody log
 *   records.ts   what is stored in LevelDB, and the API views
 *   policy.ts    retry backoff, final refusals, outbox state (pure)
 *   files.ts     the reports/ folder: private, streamed, complete-or-absent files
 *   errors.ts    named errors
 */
export * from './errors.js'
export { createReportService, reportServiceOptions, ReportService, type ReportHost, type ReportMetrics, type ReportServiceComponents, type ReportServiceInit } from './service.js'
export { reportProtocol, REPORT_PROTOCOL_VERSION, sendEnvelope, receiveEnvelope, type Reply } from './wire.js'
export { CUSTODY_TAG, checkCustodyRecord, custodyHash, type CustodyRecord, type CustodyAction } from './custody.js'
export { backoffDelay, isFinalRefusal, outboxState, FINAL_REFUSALS } from './policy.js'
export { reportPaths, REPORTS_DIR } from './files.js'
