/**
 * Errors of reports, envelopes, receipts and bundles. Each sets `name`
 * (tests assert on it) and a stable `reason` (a metric label). Messages name
 * orgs, fields, file names and sizes, never key material, plaintext bytes
 * or raw identifiers from a report: a report's content is confidential and
 * errors end up in logs.
 *
 * Decoding errors are the codec's (OversizeError, MalformedMessageError,
 * NonCanonicalEncodingError, InvalidFieldError, TooManyError), re-exported
 * here so callers import one module.
 */
import { ProtocolError } from '../errors.js'

export {
  InvalidFieldError, MalformedMessageError, NonCanonicalEncodingError, OversizeError, TooManyError
} from '../codec/errors.js'
export { InvalidBoxKeyError } from '../fingerprint/errors.js'

/** One problem in the user's JSON report input: where, and what is wrong (never the value). */
export interface InputIssue {
  path: string
  message: string
}

/** The JSON report input does not match the documented schema. */
export class InvalidReportInputError extends ProtocolError {
  readonly issues: InputIssue[]
  constructor (issues: InputIssue[]) {
    super('invalid_report_input', `report input rejected: ${issues.slice(0, 5).map(i => `${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`)
    this.name = 'InvalidReportInputError'
    this.issues = issues
  }
}

/** A report that decodes but breaks a rule: no recipient, a repeated recipient, an unsafe file name… */
export class InvalidReportError extends ProtocolError {
  readonly field: string
  constructor (field: string, why: string) {
    super('invalid_report', `report field ${field}: ${why}`)
    this.name = 'InvalidReportError'
    this.field = field
  }
}

/** A recipient org is not in the roster version in force. */
export class UnknownRecipientError extends ProtocolError {
  readonly org: string
  constructor (org: string, rosterVersion: number) {
    super('unknown_recipient', `recipient ${JSON.stringify(org)} is not a member of roster version ${rosterVersion}; check the org id (\`alliance status\` lists members)`)
    this.name = 'UnknownRecipientError'
    this.org = org
  }
}

/** A recipient org is a member but not a law-enforcement one: reports go to law enforcement only. */
export class NotLawEnforcementError extends ProtocolError {
  readonly org: string
  constructor (org: string) {
    super('not_law_enforcement', `recipient ${JSON.stringify(org)} is not a law-enforcement member; reports may only be sent to law-enforcement orgs`)
    this.name = 'NotLawEnforcementError'
    this.org = org
  }
}

/** A signing key (author, recipient or exporter) is not a node of the org it claims in the roster in force at the time it claims. */
export class UnknownKeyError extends ProtocolError {
  readonly role: 'author' | 'recipient' | 'exporter'
  readonly org: string
  constructor (role: 'author' | 'recipient' | 'exporter', org: string, time: number) {
    super('unknown_key', `the ${role} key is not a node of org ${JSON.stringify(org)} in the roster in force at ${new Date(time).toISOString()}`)
    this.name = 'UnknownKeyError'
    this.role = role
    this.org = org
  }
}

/** The author's signature over the report does not verify. */
export class ReportSignatureError extends ProtocolError {
  constructor () {
    super('bad_report_signature', 'the author\'s signature over the report does not verify: the report was altered or not signed by the key it names')
    this.name = 'ReportSignatureError'
  }
}

/** The report is dated further in the future than the roster's clock tolerance. */
export class ReportClockError extends ProtocolError {
  constructor (created: number, now: number) {
    super('report_from_future', `report is dated ${new Date(created).toISOString()}, ahead of this node's clock (${new Date(now).toISOString()}) by more than the roster allows`)
    this.name = 'ReportClockError'
  }
}

/** Evidence bytes do not match the size or SHA-256 the signed report gives for them. */
export class EvidenceMismatchError extends ProtocolError {
  readonly file: string
  readonly what: 'digest' | 'size'
  constructor (file: string, what: 'digest' | 'size', detail = '') {
    super(what === 'digest' ? 'evidence_digest_mismatch' : 'evidence_size_mismatch',
      `evidence ${JSON.stringify(file)}: ${what} does not match the report${detail === '' ? '' : ` (${detail})`}; the file changed since the report was made, or was altered`)
    this.name = 'EvidenceMismatchError'
    this.file = file
    this.what = what
  }
}

/** An envelope or bundle is not in the documented format (magic, record type, record order, record size). */
export class FormatError extends ProtocolError {
  readonly offset: number
  constructor (what: string, why: string, offset: number) {
    super('bad_format', `${what}: ${why} (at byte ${offset})`)
    this.name = 'FormatError'
    this.offset = offset
  }
}

/** The input ended before the format says it does. */
export class TruncatedError extends ProtocolError {
  readonly offset: number
  constructor (what: string, offset: number) {
    super('truncated', `${what} is truncated: input ended at byte ${offset}`)
    this.name = 'TruncatedError'
    this.offset = offset
  }
}

/** The envelope holds no content key sealed to this node's box key, or this node's org is not a recipient of the report. */
export class NotAddressedError extends ProtocolError {
  constructor (why: string) {
    super('not_addressed', `this report is not addressed to this node: ${why}`)
    this.name = 'NotAddressedError'
  }
}

/**
 * The sealed content key does not open with this node's key (tampered, or
 * sealed for another alliance or report id), or it opens to a key other
 * than the one the header commits to.
 */
export class ContentKeyError extends ProtocolError {
  constructor (why: string, options?: ErrorOptions) {
    super('content_key', `the report's content key cannot be used: ${why}`, options)
    this.name = 'ContentKeyError'
  }
}

/** A chunk of an encrypted stream does not authenticate: the ciphertext was altered, reordered, cut or spliced. */
export class DecryptionError extends ProtocolError {
  /** `report` or `evidence:<name>` (or `stream:<index>` before the report is known). */
  readonly part: string
  readonly chunk: number
  constructor (part: string, chunk: number) {
    super('decryption_failed', `${part}: chunk ${chunk} does not authenticate (altered, reordered or truncated ciphertext)`)
    this.name = 'DecryptionError'
    this.part = part
    this.chunk = chunk
  }
}

/** The envelope's clear header disagrees with the signed report inside it (id, alliance, number of streams). */
export class EnvelopeMismatchError extends ProtocolError {
  constructor (why: string) {
    super('envelope_mismatch', `envelope header and signed report disagree: ${why}`)
    this.name = 'EnvelopeMismatchError'
  }
}

/** A receipt is for another report, another alliance, or another version of the report. */
export class ReceiptMismatchError extends ProtocolError {
  constructor (why: string) {
    super('receipt_mismatch', `receipt does not acknowledge this report: ${why}`)
    this.name = 'ReceiptMismatchError'
  }
}

/** A receipt's org is not a recipient of the report, or not law enforcement when it signed. */
export class ReceiptRecipientError extends ProtocolError {
  readonly org: string
  constructor (org: string, why: string) {
    super('receipt_recipient', `receipt by ${JSON.stringify(org)}: ${why}`)
    this.name = 'ReceiptRecipientError'
    this.org = org
  }
}

/** A receipt's signature does not verify. */
export class ReceiptSignatureError extends ProtocolError {
  readonly org: string
  constructor (org: string) {
    super('bad_receipt_signature', `receipt by ${JSON.stringify(org)}: signature does not verify`)
    this.name = 'ReceiptSignatureError'
    this.org = org
  }
}

/** The exporting node's org may not export this report: only its author and its recipients hold it. */
export class ExportNotAllowedError extends ProtocolError {
  readonly org: string
  constructor (org: string) {
    super('export_not_allowed', `org ${JSON.stringify(org)} is neither the author nor a recipient of the report and cannot export it`)
    this.name = 'ExportNotAllowedError'
    this.org = org
  }
}

export const REPORT_ERRORS = [
  InvalidReportInputError, InvalidReportError, UnknownRecipientError, NotLawEnforcementError, UnknownKeyError,
  ReportSignatureError, ReportClockError, EvidenceMismatchError, FormatError, TruncatedError, NotAddressedError,
  ContentKeyError, DecryptionError, EnvelopeMismatchError, ReceiptMismatchError, ReceiptRecipientError, ReceiptSignatureError, ExportNotAllowedError
] as const
