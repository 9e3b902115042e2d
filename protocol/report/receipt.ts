/**
 * Receipts: a recipient node's signed acknowledgement that it holds a
 * report. It signs, with Ed25519,
 *   "alliance-node/v1/receipt-signature" 0x00 || SHA-256("alliance-node/v1/receipt-digest" 0x00 || receipt bytes)
 * over a Receipt naming the alliance, the report id, the digest of the exact
 * SignedReport (report, evidence digests and author signature), the
 * recipient org, the signing node's key and the time of receipt. A node
 * signs only after openReport and every evidence file checked out, so a
 * receipt also says "the evidence arrived intact".
 */
import { bytesEqual } from '../bytes.js'
import { verifySignature, type Signer } from '../ed25519.js'
import { decodeReceipt, decodeSignedReceipt, encodeReceipt, encodeSignedReceipt } from './codec.js'
import { ReceiptMismatchError, ReceiptRecipientError, ReceiptSignatureError, UnknownKeyError } from './errors.js'
import type { RosterHistory } from './report.js'
import { REPORT_TAGS, reportTaggedHash, signedMessage } from './tags.js'
import type { Receipt, Report } from './types.js'

export function receiptSignatureMessage (receiptBytes: Uint8Array): Uint8Array {
  return signedMessage(REPORT_TAGS.receiptSignature, reportTaggedHash(REPORT_TAGS.receiptDigest, receiptBytes))
}

export interface CreateReceiptArgs {
  /** the receiving node's signing key */
  signer: Signer
  alliance: string
  /** the receiving org */
  recipient: string
  reportId: Uint8Array
  /** signedReportDigest of the report received (OpenedReport.digest) */
  signedReportDigest: Uint8Array
  /** ms since the Unix epoch */
  received: number
}

/** Builds and signs a receipt; returns the encoded SignedReceipt (what travels back and is bundled). */
export function createReceipt (args: CreateReceiptArgs): Uint8Array {
  const receipt = encodeReceipt({
    alliance: args.alliance,
    reportId: args.reportId,
    signedReportDigest: args.signedReportDigest,
    recipient: args.recipient,
    recipientKey: args.signer.publicKey,
    received: args.received
  })
  return encodeSignedReceipt({ receipt, signature: args.signer.sign(receiptSignatureMessage(receipt)) })
}

export interface ReceiptContext {
  /** the report acknowledged */
  report: Pick<Report, 'alliance' | 'id' | 'recipients'>
  /** signedReportDigest of that report */
  signedReportDigest: Uint8Array
  rosters: RosterHistory
}

/** The org a receipt speaks for, as far as it can be told (for naming a bad receipt): the roster's, else its own claim. */
export function receiptOrg (signedReceiptBytes: Uint8Array, rosters?: RosterHistory): string | undefined {
  try {
    const r = decodeReceipt(decodeSignedReceipt(signedReceiptBytes).receipt)
    return rosters?.versionAt(r.received)?.memberOf(r.recipientKey)?.member.org ?? r.recipient
  } catch {
    return undefined
  }
}

/**
 * Verifies an encoded SignedReceipt for a report: strict encodings (codec
 * errors), same alliance, report id and signed-report digest
 * (ReceiptMismatchError), a recipient org of the report that was law
 * enforcement when it signed (ReceiptRecipientError), a key that was a node
 * of that org in the roster in force at `received` (UnknownKeyError), and
 * the signature (ReceiptSignatureError). Returns the receipt.
 */
export function verifyReceipt (signedReceiptBytes: Uint8Array, ctx: ReceiptContext): Receipt {
  const signed = decodeSignedReceipt(signedReceiptBytes)
  const r = decodeReceipt(signed.receipt)
  if (r.alliance !== ctx.report.alliance) throw new ReceiptMismatchError(`it is for alliance ${r.alliance}`)
  if (!bytesEqual(r.reportId, ctx.report.id)) throw new ReceiptMismatchError('it names another report id')
  if (!bytesEqual(r.signedReportDigest, ctx.signedReportDigest)) throw new ReceiptMismatchError('it acknowledges different report bytes (another version of the report, or altered evidence digests)')
  if (!ctx.report.recipients.includes(r.recipient)) throw new ReceiptRecipientError(r.recipient, 'not a recipient of the report')
  const version = ctx.rosters.versionAt(r.received)
  const who = version?.memberOf(r.recipientKey)
  if (version === undefined || who === undefined || who.member.org !== r.recipient) throw new UnknownKeyError('recipient', r.recipient, r.received)
  if (!who.member.roles.includes('law-enforcement')) throw new ReceiptRecipientError(r.recipient, 'not a law-enforcement member when it signed')
  if (!verifySignature(r.recipientKey, receiptSignatureMessage(signed.receipt), signed.signature)) throw new ReceiptSignatureError(r.recipient)
  return r
}
