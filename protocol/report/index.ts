/**
 * Infringement reports to law enforcement (DESIGN.md §7): the pure protocol
 * layer. No I/O: files and network streams come in and go out as
 * AsyncIterable<Uint8Array>, which the node layer connects to disk and libp2p.
 *
 *   input.ts     JSON input (zod) → Report document
 *   codec.ts     strict protobuf encoding of report.proto
 *   report.ts    sign / verify (Ed25519 over tagged digests), recipients
 *   envelope.ts  sign-then-encrypt: HPKE-sealed content key + STREAM chunks
 *   receipt.ts   recipients' signed receipts
 *   bundle.ts    the offline-verifiable evidence bundle
 *   FORMAT.md    the envelope and bundle byte formats
 */
export * from './errors.js'
export * from './limits.js'
export * from './types.js'
export { REPORT_TAGS, type ReportTag } from './tags.js'
export {
  checkReport, decodeEnvelopeHeader, decodeExportStatement, decodeReceipt, decodeReport, decodeSignedExportStatement,
  decodeSignedReceipt, decodeSignedReport, encodeReport, encodeSignedReport, REPORT_DECODERS
} from './codec.js'
export {
  buildReport, evidenceEntry, parseReportInput, reportInputSchema, type BuildReportArgs, type EvidenceInput, type ReportInput
} from './input.js'
export {
  newReportId, recipientNodes, reportDigest, reportSignatureMessage, signedReportDigest, signReport, validateRecipients,
  verifySignedReport, type RecipientNode, type RosterHistory, type SignedReportResult, type VerifiedReport
} from './report.js'
export { checkedEvidence, digestEvidence } from './evidence.js'
export { REPORT_HPKE_SUITE } from './hpke.js'
export {
  encryptReport, ENVELOPE_MAGIC, openReport, type EncryptReportArgs, type EvidenceSource, type OpenedEvidence,
  type OpenedReport, type OpenReportArgs
} from './envelope.js'
export { createReceipt, receiptSignatureMessage, verifyReceipt, type CreateReceiptArgs, type ReceiptContext } from './receipt.js'
export {
  BUNDLE_MAGIC, describeFailure, verifyBundle, writeBundle, type BundleFailure, type BundleReason, type BundleVerdict,
  type VerifyBundleOptions, type WriteBundleArgs
} from './bundle.js'
