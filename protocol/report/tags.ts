/**
 * Domain-separation tags of reports: the report entries of protocol/hash.ts
 * TAGS under the names this module uses, and its hashing helpers.
 */
import { TAGS, signedMessage, tagPrefix, taggedHash, taggedHasher, type Tag } from '../hash.js'

export const REPORT_TAGS = {
  /** Digest of the exact encoded Report bytes: what the author signs. */
  reportDigest: TAGS.reportDigest,
  /** Prefix of the author's signed message: tag || reportDigest. */
  reportSignature: TAGS.reportSignature,
  /** Digest of the exact encoded SignedReport bytes: what receipts acknowledge. */
  signedReportDigest: TAGS.signedReportDigest,
  /** HPKE `info` prefix when sealing a report's content key. */
  reportSeal: TAGS.reportSeal,
  /** Commitment to the content key in the clear envelope header. */
  contentKeyCommitment: TAGS.reportContentKeyCommitment,
  /** HKDF-SHA256 `info` prefix deriving one STREAM key per stream. */
  streamKey: TAGS.reportStreamKey,
  /** Digest of the exact encoded Receipt bytes. */
  receiptDigest: TAGS.receiptDigest,
  /** Prefix of the recipient's signed message: tag || receiptDigest. */
  receiptSignature: TAGS.receiptSignature,
  /** Digest of the bundle bytes before its export statement. */
  bundleDigest: TAGS.bundleDigest,
  /** Digest of the exact encoded ExportStatement bytes. */
  exportDigest: TAGS.bundleExportDigest,
  /** Prefix of the exporter's signed message: tag || exportDigest. */
  exportSignature: TAGS.bundleExportSignature
} as const
export type ReportTag = typeof REPORT_TAGS[keyof typeof REPORT_TAGS] & Tag

export { signedMessage, taggedHasher }
export const reportTagPrefix = tagPrefix
export const reportTaggedHash = taggedHash
