/**
 * Domain-separation tags of reports, in the `alliance-node/v1/...` scheme of
 * protocol/hash.ts, with the same construction:
 *   taggedHash(tag, data...) = SHA-256(utf8(tag) || 0x00 || data...)
 * They live here until they move into hash.ts TAGS (hash.ts's `Tag` type
 * admits only its own tags); none of them collides with a tag there.
 */
import { createHash, type Hash } from 'node:crypto'
import { utf8 } from '../bytes.js'

export const REPORT_TAGS = {
  /** Digest of the exact encoded Report bytes: what the author signs. */
  reportDigest: 'alliance-node/v1/report-digest',
  /** Prefix of the author's signed message: tag || reportDigest. */
  reportSignature: 'alliance-node/v1/report-signature',
  /** Digest of the exact encoded SignedReport bytes: what receipts acknowledge. */
  signedReportDigest: 'alliance-node/v1/signed-report-digest',
  /** HPKE `info` prefix when sealing a report's content key. */
  reportSeal: 'alliance-node/v1/report-seal',
  /** Commitment to the content key in the clear envelope header. */
  contentKeyCommitment: 'alliance-node/v1/report-content-key-commitment',
  /** HKDF-SHA256 `info` prefix deriving one STREAM key per stream. */
  streamKey: 'alliance-node/v1/report-stream-key',
  /** Digest of the exact encoded Receipt bytes. */
  receiptDigest: 'alliance-node/v1/receipt-digest',
  /** Prefix of the recipient's signed message: tag || receiptDigest. */
  receiptSignature: 'alliance-node/v1/receipt-signature',
  /** Digest of the bundle bytes before its export statement. */
  bundleDigest: 'alliance-node/v1/bundle-digest',
  /** Digest of the exact encoded ExportStatement bytes. */
  exportDigest: 'alliance-node/v1/bundle-export-digest',
  /** Prefix of the exporter's signed message: tag || exportDigest. */
  exportSignature: 'alliance-node/v1/bundle-export-signature'
} as const
export type ReportTag = typeof REPORT_TAGS[keyof typeof REPORT_TAGS]

/** utf8(tag) || 0x00, as protocol/hash.ts tagPrefix. */
export function reportTagPrefix (tag: ReportTag): Uint8Array {
  const t = utf8(tag)
  const out = new Uint8Array(t.length + 1)
  out.set(t)
  return out
}

/** An incremental tagged hash, for streams (the bundle digest). */
export function taggedHasher (tag: ReportTag): Hash {
  return createHash('sha256').update(reportTagPrefix(tag))
}

/** SHA-256(utf8(tag) || 0x00 || data...), native OpenSSL, as protocol/hash.ts taggedHash. */
export function reportTaggedHash (tag: ReportTag, ...data: Uint8Array[]): Uint8Array {
  const h = taggedHasher(tag)
  for (const d of data) h.update(d)
  return new Uint8Array(h.digest())
}

/** The message an Ed25519 key signs for a signed object: utf8(tag) || 0x00 || digest. */
export function signedMessage (tag: ReportTag, digest: Uint8Array): Uint8Array {
  const p = reportTagPrefix(tag)
  const out = new Uint8Array(p.length + digest.length)
  out.set(p)
  out.set(digest, p.length)
  return out
}
