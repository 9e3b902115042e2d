/**
 * Signing and verifying reports, and who they may go to.
 *
 * The author node signs, with Ed25519 (RFC 8032),
 *   "alliance-node/v1/report-signature" 0x00 || reportDigest(report bytes)
 * where reportDigest = SHA-256("alliance-node/v1/report-digest" 0x00 || report bytes),
 * the roster's own pattern (protocol/roster). The report names its alliance,
 * its author org and the author node's key, so the signature binds all three.
 * Receipts acknowledge signedReportDigest, the tagged SHA-256 of the exact
 * SignedReport bytes: report, evidence digests and signature together.
 */
import { randomBytes } from 'node:crypto'
import { bytesEqual } from '../bytes.js'
import { verifySignature, type Signer } from '../ed25519.js'
import type { RosterVersion } from '../roster/index.js'
import type { Member, NodeKey } from '../types.js'
import { decodeReport, decodeSignedReport, encodeReport, encodeSignedReport } from './codec.js'
import {
  InvalidReportError, NotLawEnforcementError, ReportClockError, ReportSignatureError, UnknownKeyError, UnknownRecipientError
} from './errors.js'
import { REPORT_ID_BYTES } from './limits.js'
import { REPORT_TAGS, reportTaggedHash, signedMessage } from './tags.js'
import type { Report, SignedReport } from './types.js'

/**
 * The roster versions a verifier knows: `RosterChain` satisfies it. Keys are
 * checked against the version in force at the time a message claims.
 */
export interface RosterHistory {
  versionAt (time: number): RosterVersion | undefined
}

/** A fresh report id: 16 random bytes (see FORMAT.md: why random and not a content hash). */
export function newReportId (): Uint8Array {
  return new Uint8Array(randomBytes(REPORT_ID_BYTES))
}

export function reportDigest (reportBytes: Uint8Array): Uint8Array {
  return reportTaggedHash(REPORT_TAGS.reportDigest, reportBytes)
}

export function reportSignatureMessage (reportBytes: Uint8Array): Uint8Array {
  return signedMessage(REPORT_TAGS.reportSignature, reportDigest(reportBytes))
}

/** What receipts acknowledge: the tagged SHA-256 of the exact encoded SignedReport. */
export function signedReportDigest (signedReportBytes: Uint8Array): Uint8Array {
  return reportTaggedHash(REPORT_TAGS.signedReportDigest, signedReportBytes)
}

export interface SignedReportResult {
  /** encoded SignedReport: what is encrypted, delivered, stored and bundled */
  bytes: Uint8Array
  /** encoded Report (inside `bytes`) */
  reportBytes: Uint8Array
  signature: Uint8Array
  /** what receipts acknowledge */
  digest: Uint8Array
}

/**
 * Encodes and signs a report. The signer must be the node the report names
 * (`authorKey`); the encoder enforces every limit (OversizeError,
 * TooManyError, InvalidFieldError, InvalidReportError).
 */
export function signReport (signer: Signer, report: Report): SignedReportResult {
  if (!bytesEqual(signer.publicKey, report.authorKey)) throw new InvalidReportError('authorKey', 'is not the key of the signer')
  const reportBytes = encodeReport(report)
  const signature = signer.sign(reportSignatureMessage(reportBytes))
  const bytes = encodeSignedReport({ report: reportBytes, signature })
  return { bytes, reportBytes, signature, digest: signedReportDigest(bytes) }
}

export interface VerifiedReport {
  report: Report
  signed: SignedReport
  /** the exact encoded SignedReport */
  bytes: Uint8Array
  /** signedReportDigest(bytes) */
  digest: Uint8Array
  /** the author's node in the roster version in force at `report.created` */
  author: { member: Member, node: NodeKey, rosterVersion: number }
}

/**
 * Decodes a SignedReport and checks it: strict encodings, the author key is
 * a node of the author org in the roster in force at `created`
 * (UnknownKeyError), the signature verifies (ReportSignatureError), and,
 * when `now` is given, the report is not dated beyond that roster's clock
 * tolerance (ReportClockError).
 */
export function verifySignedReport (signedBytes: Uint8Array, rosters: RosterHistory, now?: number): VerifiedReport {
  const signed = decodeSignedReport(signedBytes)
  const report = decodeReport(signed.report)
  const version = rosters.versionAt(report.created)
  const who = version?.memberOf(report.authorKey)
  if (version === undefined || who === undefined || who.member.org !== report.author) {
    throw new UnknownKeyError('author', report.author, report.created)
  }
  if (version.roster.alliance !== report.alliance) throw new InvalidReportError('alliance', `is ${report.alliance}, not this roster's alliance ${version.roster.alliance}`)
  if (!verifySignature(report.authorKey, reportSignatureMessage(signed.report), signed.signature)) throw new ReportSignatureError()
  if (now !== undefined && report.created > now + version.roster.policy.clockToleranceMs) throw new ReportClockError(report.created, now)
  return {
    report,
    signed,
    bytes: signedBytes,
    digest: signedReportDigest(signedBytes),
    author: { member: who.member, node: who.node, rosterVersion: version.roster.version }
  }
}

/**
 * Every recipient must be a law-enforcement member of `roster` (the
 * version the sender addresses with). Throws UnknownRecipientError or
 * NotLawEnforcementError naming the first bad recipient.
 */
export function validateRecipients (report: Pick<Report, 'recipients'>, roster: RosterVersion): void {
  for (const org of report.recipients) {
    const m = roster.member(org)
    if (m === undefined) throw new UnknownRecipientError(org, roster.roster.version)
    if (!m.roles.includes('law-enforcement')) throw new NotLawEnforcementError(org)
  }
}

export interface RecipientNode {
  org: string
  signKey: Uint8Array
  boxKey: Uint8Array
}

/** Every node of every recipient org (validated first): the envelope seals the content key to each. */
export function recipientNodes (report: Pick<Report, 'recipients'>, roster: RosterVersion): RecipientNode[] {
  validateRecipients(report, roster)
  return report.recipients.flatMap(org => (roster.member(org) as Member).nodes.map(n => ({ org, signKey: n.signKey, boxKey: n.boxKey })))
}
