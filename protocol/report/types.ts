/**
 * Decoded report messages as TypeScript sees them (numbers instead of Longs,
 * string names instead of enum numbers, Uint8Array for every id, digest and
 * key). protocol/report/codec.ts converts to and from report.proto.
 */
import type { Kind } from '../kinds.js'

export const RIGHT_TYPES = ['trademark', 'design', 'copyright', 'patent'] as const
export type RightType = typeof RIGHT_TYPES[number]

export interface Listing {
  url: string
  platform: string
  listingId: string
  title: string
  /** ms since the Unix epoch; 0 = not said */
  observed: number
}

export interface Identifier {
  kind: Kind
  /** raw, as the author recorded it */
  value: string
}

export interface Seller {
  name: string
  platform: string
  identifiers: Identifier[]
}

export interface Right {
  type: RightType
  mark: string
  registrations: string[]
  jurisdiction: string
}

export interface EvidenceFile {
  name: string
  size: number
  mediaType: string
  /** SHA-256 of the file, 32 bytes */
  sha256: Uint8Array
  description: string
}

export interface Report {
  alliance: string
  /** 16 bytes */
  id: Uint8Array
  author: string
  /** Ed25519 key of the signing author node */
  authorKey: Uint8Array
  created: number
  recipients: string[]
  title: string
  reference: string
  listings: Listing[]
  sellers: Seller[]
  rights: Right[]
  evidence: EvidenceFile[]
  narrative: string
}

export interface SignedReport {
  /** exact encoded Report bytes: what the signature covers */
  report: Uint8Array
  signature: Uint8Array
}

export interface SealedContentKey {
  recipient: Uint8Array
  enc: Uint8Array
  ciphertext: Uint8Array
}

export interface EnvelopeHeader {
  alliance: string
  reportId: Uint8Array
  keyCommitment: Uint8Array
  /** 1 + number of evidence files */
  streams: number
  keys: SealedContentKey[]
}

export interface Receipt {
  alliance: string
  reportId: Uint8Array
  signedReportDigest: Uint8Array
  recipient: string
  recipientKey: Uint8Array
  received: number
}

export interface SignedReceipt {
  /** exact encoded Receipt bytes */
  receipt: Uint8Array
  signature: Uint8Array
}

export interface ExportStatement {
  alliance: string
  reportId: Uint8Array
  bundleDigest: Uint8Array
  exporter: string
  exporterKey: Uint8Array
  exported: number
}

export interface SignedExportStatement {
  /** exact encoded ExportStatement bytes */
  statement: Uint8Array
  signature: Uint8Array
}
