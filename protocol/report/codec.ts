/**
 * The report codec: the only place report bytes become objects and back,
 * following protocol/codec exactly. Decoding (1) refuses input over the
 * message's size limit before parsing, (2) parses with protobufjs, (3)
 * converts while checking every field (lengths, enum values, counts and
 * text against protocol/report/limits.ts, safe integers), and (4) re-encodes
 * and requires the exact received bytes, so one logical message has one
 * byte string and digests and signatures can never be split across
 * re-encodings. Encoding omits every proto3 default.
 *
 * Reports are also checked against the rules of `checkReport` (org ids,
 * unique recipients, safe unique file names…) on both encode and decode, so
 * a report that decodes is one this node could have written.
 */
import protobuf from 'protobufjs'
import { InvalidFieldError, OversizeError } from '../codec/errors.js'
import {
  bytes, count, decodeStrict, encodeLimited, exactLength, limitText, num, put, safeInt, str, u64, type Wire
} from '../codec/wire.js'
import { KINDS } from '../kinds.js'
import { ORG_ID_RE } from '../roster/index.js'
import { descriptor } from './descriptor.js'
import { InvalidReportError } from './errors.js'
import * as L from './limits.js'
import {
  RIGHT_TYPES, type EnvelopeHeader, type EvidenceFile, type ExportStatement, type Identifier, type Listing, type Receipt,
  type Report, type Right, type SealedContentKey, type Seller, type SignedExportStatement, type SignedReceipt, type SignedReport
} from './types.js'

const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace)
const type = (name: string): protobuf.Type => root.lookupType(`alliance.report.v1.${name}`)
const T = {
  Report: type('Report'),
  SignedReport: type('SignedReport'),
  EnvelopeHeader: type('EnvelopeHeader'),
  Receipt: type('Receipt'),
  SignedReceipt: type('SignedReceipt'),
  ExportStatement: type('ExportStatement'),
  SignedExportStatement: type('SignedExportStatement')
}

// ------------------------------------------------------------------ helpers (shared with protocol/codec)

function text (v: unknown, max: number, field: string): string {
  return limitText(str(v), max, field)
}

// ------------------------------------------------------------------ report rules

/** Evidence file names: one path component, printable, not `.` or `..` (bundles may be extracted to disk). */
export const FILE_NAME_RE = /^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]{1,255}$/
/** RFC 6838 §4.2 restricted names, `type/subtype`, no parameters. */
export const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

function orgId (s: string, field: string): void {
  if (!ORG_ID_RE.test(s)) throw new InvalidReportError(field, `must be an org id matching ${ORG_ID_RE.source}`)
}

/**
 * The rules every report obeys beyond its wire shape. Values of listings,
 * sellers and the narrative never appear in the errors.
 */
export function checkReport (r: Report): void {
  orgId(r.alliance, 'alliance')
  orgId(r.author, 'author')
  exactLength(r.id, L.REPORT_ID_BYTES, 'id')
  exactLength(r.authorKey, L.KEY_BYTES, 'authorKey')
  safeInt(r.created, 'created')
  if (r.recipients.length === 0) throw new InvalidReportError('recipients', 'name at least one law-enforcement org')
  const seen = new Set<string>()
  r.recipients.forEach((o, i) => {
    orgId(o, `recipients[${i}]`)
    if (seen.has(o)) throw new InvalidReportError(`recipients[${i}]`, `${o} is named twice`)
    seen.add(o)
  })
  if (r.listings.length + r.sellers.length === 0) throw new InvalidReportError('listings', 'name at least one listing or seller')
  if (r.rights.length === 0) throw new InvalidReportError('rights', 'name at least one right infringed')
  r.listings.forEach((l, i) => {
    if (l.url === '' && l.listingId === '') throw new InvalidReportError(`listings[${i}]`, 'needs a url or a listing id')
    safeInt(l.observed, `listings[${i}].observed`)
  })
  r.sellers.forEach((s, i) => {
    if (s.name === '' && s.identifiers.length === 0) throw new InvalidReportError(`sellers[${i}]`, 'needs a name or an identifier')
    s.identifiers.forEach((id, j) => {
      if (!(KINDS as readonly string[]).includes(id.kind)) throw new InvalidReportError(`sellers[${i}].identifiers[${j}].kind`, `must be one of ${KINDS.join(', ')}`)
      if (id.value === '') throw new InvalidReportError(`sellers[${i}].identifiers[${j}].value`, 'is empty')
    })
  })
  r.rights.forEach((x, i) => {
    if (x.mark === '') throw new InvalidReportError(`rights[${i}].mark`, 'is required')
    if (x.registrations.some(reg => reg === '')) throw new InvalidReportError(`rights[${i}].registrations`, 'holds an empty registration number')
  })
  const names = new Set<string>()
  r.evidence.forEach((e, i) => {
    if (!FILE_NAME_RE.test(e.name)) throw new InvalidReportError(`evidence[${i}].name`, 'must be a plain file name (no directory, no control characters, not . or ..)')
    // Names are unique regardless of case: bundles may be extracted onto case-insensitive file systems.
    const key = e.name.toLowerCase()
    if (names.has(key)) throw new InvalidReportError(`evidence[${i}].name`, 'two evidence files share this name')
    names.add(key)
    if (!MEDIA_TYPE_RE.test(e.mediaType)) throw new InvalidReportError(`evidence[${i}].mediaType`, 'must be an RFC 6838 type/subtype')
    exactLength(e.sha256, L.DIGEST_BYTES, `evidence[${i}].sha256`)
    safeInt(e.size, `evidence[${i}].size`)
    if (e.size > L.MAX_EVIDENCE_FILE_BYTES) throw new InvalidReportError(`evidence[${i}].size`, `over the limit of ${L.MAX_EVIDENCE_FILE_BYTES} bytes`)
  })
}

// ------------------------------------------------------------------ report

function listingFrom (w: Wire, i: number): Listing {
  const f = `report.listings[${i}]`
  return {
    url: text(w.url, L.MAX_URL_CHARS, `${f}.url`),
    platform: text(w.platform, L.MAX_TEXT_CHARS, `${f}.platform`),
    listingId: text(w.listingId, L.MAX_TEXT_CHARS, `${f}.listingId`),
    title: text(w.title, L.MAX_TEXT_CHARS, `${f}.title`),
    observed: u64(w.observed, `${f}.observed`)
  }
}

function listingTo (l: Listing): Wire {
  const w: Wire = {}
  put(w, 'url', l.url)
  put(w, 'platform', l.platform)
  put(w, 'listingId', l.listingId)
  put(w, 'title', l.title)
  put(w, 'observed', l.observed)
  return w
}

function sellerFrom (w: Wire, i: number): Seller {
  const f = `report.sellers[${i}]`
  return {
    name: text(w.name, L.MAX_TEXT_CHARS, `${f}.name`),
    platform: text(w.platform, L.MAX_TEXT_CHARS, `${f}.platform`),
    identifiers: count(w.identifiers as Wire[], L.MAX_IDENTIFIERS_PER_SELLER, `${f}.identifiers`).map((x, j): Identifier => {
      const kind = text(x.kind, L.MAX_ID_CHARS, `${f}.identifiers[${j}].kind`)
      if (!(KINDS as readonly string[]).includes(kind)) throw new InvalidFieldError(`${f}.identifiers[${j}].kind`, 'unknown kind')
      return { kind: kind as Identifier['kind'], value: text(x.value, L.MAX_TEXT_CHARS, `${f}.identifiers[${j}].value`) }
    })
  }
}

function sellerTo (s: Seller): Wire {
  const w: Wire = {}
  put(w, 'name', s.name)
  put(w, 'platform', s.platform)
  put(w, 'identifiers', s.identifiers.map(x => {
    const o: Wire = {}
    put(o, 'kind', x.kind)
    put(o, 'value', x.value)
    return o
  }))
  return w
}

function rightFrom (w: Wire, i: number): Right {
  const f = `report.rights[${i}]`
  const t = num(w.type)
  if (t < 1 || t > RIGHT_TYPES.length) throw new InvalidFieldError(`${f}.type`, `unknown or unspecified value ${t}`)
  return {
    type: RIGHT_TYPES[t - 1],
    mark: text(w.mark, L.MAX_TEXT_CHARS, `${f}.mark`),
    registrations: count(w.registrations as string[], L.MAX_REGISTRATIONS_PER_RIGHT, `${f}.registrations`).map((s, j) => text(s, L.MAX_TEXT_CHARS, `${f}.registrations[${j}]`)),
    jurisdiction: text(w.jurisdiction, L.MAX_TEXT_CHARS, `${f}.jurisdiction`)
  }
}

function rightTo (r: Right): Wire {
  const w: Wire = {}
  const t = RIGHT_TYPES.indexOf(r.type)
  if (t < 0) throw new InvalidFieldError('right.type', 'unknown right type')
  put(w, 'type', t + 1)
  put(w, 'mark', r.mark)
  put(w, 'registrations', r.registrations)
  put(w, 'jurisdiction', r.jurisdiction)
  return w
}

function evidenceFrom (w: Wire, i: number): EvidenceFile {
  const f = `report.evidence[${i}]`
  return {
    name: text(w.name, L.MAX_FILE_NAME_CHARS, `${f}.name`),
    size: u64(w.size, `${f}.size`),
    mediaType: text(w.mediaType, L.MAX_TEXT_CHARS, `${f}.mediaType`),
    sha256: exactLength(bytes(w.sha256), L.DIGEST_BYTES, `${f}.sha256`),
    description: text(w.description, L.MAX_TEXT_CHARS, `${f}.description`)
  }
}

function evidenceTo (e: EvidenceFile): Wire {
  const w: Wire = {}
  put(w, 'name', e.name)
  put(w, 'size', e.size)
  put(w, 'mediaType', e.mediaType)
  put(w, 'sha256', e.sha256)
  put(w, 'description', e.description)
  return w
}

function reportFrom (w: Wire): Report {
  const r: Report = {
    alliance: text(w.alliance, L.MAX_ID_CHARS, 'report.alliance'),
    id: exactLength(bytes(w.id), L.REPORT_ID_BYTES, 'report.id'),
    author: text(w.author, L.MAX_ID_CHARS, 'report.author'),
    authorKey: exactLength(bytes(w.authorKey), L.KEY_BYTES, 'report.authorKey'),
    created: u64(w.created, 'report.created'),
    recipients: count(w.recipients as string[], L.MAX_RECIPIENTS, 'report.recipients').map((s, i) => text(s, L.MAX_ID_CHARS, `report.recipients[${i}]`)),
    title: text(w.title, L.MAX_TEXT_CHARS, 'report.title'),
    reference: text(w.reference, L.MAX_TEXT_CHARS, 'report.reference'),
    listings: count(w.listings as Wire[], L.MAX_LISTINGS, 'report.listings').map(listingFrom),
    sellers: count(w.sellers as Wire[], L.MAX_SELLERS, 'report.sellers').map(sellerFrom),
    rights: count(w.rights as Wire[], L.MAX_RIGHTS, 'report.rights').map(rightFrom),
    evidence: count(w.evidence as Wire[], L.MAX_EVIDENCE_FILES, 'report.evidence').map(evidenceFrom),
    narrative: text(w.narrative, L.MAX_NARRATIVE_CHARS, 'report.narrative')
  }
  checkReport(r)
  return r
}

function reportTo (r: Report): Wire {
  const w: Wire = {}
  put(w, 'alliance', r.alliance)
  put(w, 'id', r.id)
  put(w, 'author', r.author)
  put(w, 'authorKey', r.authorKey)
  put(w, 'created', r.created)
  put(w, 'recipients', r.recipients)
  put(w, 'title', r.title)
  put(w, 'reference', r.reference)
  put(w, 'listings', r.listings.map(listingTo))
  put(w, 'sellers', r.sellers.map(sellerTo))
  put(w, 'rights', r.rights.map(rightTo))
  put(w, 'evidence', r.evidence.map(evidenceTo))
  put(w, 'narrative', r.narrative)
  return w
}

/**
 * Encodes a report. The encoder holds the report to the same limits and
 * rules as the decoder (a report this node writes is one every recipient
 * accepts): OversizeError past MAX_REPORT_BYTES, TooManyError past a count,
 * InvalidFieldError / InvalidReportError for a bad field.
 */
export function encodeReport (r: Report): Uint8Array {
  // The decoder's field checks (text lengths, counts) and checkReport, on the object.
  reportFrom(reportTo(r))
  return encodeLimited(T.Report, 'report', reportTo(r), L.MAX_REPORT_BYTES)
}

export function decodeReport (buf: Uint8Array): Report {
  return decodeStrict(T.Report, 'report', buf, L.MAX_REPORT_BYTES, reportFrom, reportTo)
}

// ------------------------------------------------------------------ signed report, receipt, export statement

interface Signed { payload: Uint8Array, signature: Uint8Array }

function signedFrom (what: string, field: string, limit: number) {
  return (w: Wire): Signed => {
    const payload = bytes(w[field])
    if (payload.length === 0) throw new InvalidFieldError(`${what}.${field}`, 'is required')
    if (payload.length > limit) throw new OversizeError(`${what}.${field}`, payload.length, limit)
    return { payload, signature: exactLength(bytes(w.signature), L.SIGNATURE_BYTES, `${what}.signature`) }
  }
}

function signedTo (field: string) {
  return (s: Signed): Wire => {
    const w: Wire = {}
    put(w, field, s.payload)
    put(w, 'signature', s.signature)
    return w
  }
}

export function encodeSignedReport (s: SignedReport): Uint8Array {
  return encodeLimited(T.SignedReport, 'signed report', signedTo('report')({ payload: s.report, signature: s.signature }), L.MAX_SIGNED_REPORT_BYTES)
}

/** Decodes the frame only; the report inside stays bytes until decodeReport (the signature covers exact bytes). */
export function decodeSignedReport (buf: Uint8Array): SignedReport {
  const s = decodeStrict(T.SignedReport, 'signed report', buf, L.MAX_SIGNED_REPORT_BYTES, signedFrom('signedReport', 'report', L.MAX_REPORT_BYTES), signedTo('report'))
  return { report: s.payload, signature: s.signature }
}

function receiptFrom (w: Wire): Receipt {
  const r: Receipt = {
    alliance: text(w.alliance, L.MAX_ID_CHARS, 'receipt.alliance'),
    reportId: exactLength(bytes(w.reportId), L.REPORT_ID_BYTES, 'receipt.reportId'),
    signedReportDigest: exactLength(bytes(w.signedReportDigest), L.DIGEST_BYTES, 'receipt.signedReportDigest'),
    recipient: text(w.recipient, L.MAX_ID_CHARS, 'receipt.recipient'),
    recipientKey: exactLength(bytes(w.recipientKey), L.KEY_BYTES, 'receipt.recipientKey'),
    received: u64(w.received, 'receipt.received')
  }
  if (!ORG_ID_RE.test(r.alliance)) throw new InvalidFieldError('receipt.alliance', 'is not an alliance id')
  if (!ORG_ID_RE.test(r.recipient)) throw new InvalidFieldError('receipt.recipient', 'is not an org id')
  return r
}

function receiptTo (r: Receipt): Wire {
  const w: Wire = {}
  put(w, 'alliance', r.alliance)
  put(w, 'reportId', r.reportId)
  put(w, 'signedReportDigest', r.signedReportDigest)
  put(w, 'recipient', r.recipient)
  put(w, 'recipientKey', r.recipientKey)
  put(w, 'received', r.received)
  return w
}

export function encodeReceipt (r: Receipt): Uint8Array {
  safeInt(r.received, 'receipt.received')
  receiptFrom(receiptTo(r))
  return encodeLimited(T.Receipt, 'receipt', receiptTo(r), L.MAX_RECEIPT_BYTES)
}

export function decodeReceipt (buf: Uint8Array): Receipt {
  return decodeStrict(T.Receipt, 'receipt', buf, L.MAX_RECEIPT_BYTES, receiptFrom, receiptTo)
}

export function encodeSignedReceipt (s: SignedReceipt): Uint8Array {
  return encodeLimited(T.SignedReceipt, 'signed receipt', signedTo('receipt')({ payload: s.receipt, signature: s.signature }), L.MAX_RECEIPT_BYTES + 128)
}

export function decodeSignedReceipt (buf: Uint8Array): SignedReceipt {
  const s = decodeStrict(T.SignedReceipt, 'signed receipt', buf, L.MAX_RECEIPT_BYTES + 128, signedFrom('signedReceipt', 'receipt', L.MAX_RECEIPT_BYTES), signedTo('receipt'))
  return { receipt: s.payload, signature: s.signature }
}

function exportFrom (w: Wire): ExportStatement {
  const s: ExportStatement = {
    alliance: text(w.alliance, L.MAX_ID_CHARS, 'export.alliance'),
    reportId: exactLength(bytes(w.reportId), L.REPORT_ID_BYTES, 'export.reportId'),
    bundleDigest: exactLength(bytes(w.bundleDigest), L.DIGEST_BYTES, 'export.bundleDigest'),
    exporter: text(w.exporter, L.MAX_ID_CHARS, 'export.exporter'),
    exporterKey: exactLength(bytes(w.exporterKey), L.KEY_BYTES, 'export.exporterKey'),
    exported: u64(w.exported, 'export.exported')
  }
  if (!ORG_ID_RE.test(s.exporter)) throw new InvalidFieldError('export.exporter', 'is not an org id')
  return s
}

function exportTo (s: ExportStatement): Wire {
  const w: Wire = {}
  put(w, 'alliance', s.alliance)
  put(w, 'reportId', s.reportId)
  put(w, 'bundleDigest', s.bundleDigest)
  put(w, 'exporter', s.exporter)
  put(w, 'exporterKey', s.exporterKey)
  put(w, 'exported', s.exported)
  return w
}

export function encodeExportStatement (s: ExportStatement): Uint8Array {
  safeInt(s.exported, 'export.exported')
  exportFrom(exportTo(s))
  return encodeLimited(T.ExportStatement, 'export statement', exportTo(s), L.MAX_EXPORT_STATEMENT_BYTES)
}

export function decodeExportStatement (buf: Uint8Array): ExportStatement {
  return decodeStrict(T.ExportStatement, 'export statement', buf, L.MAX_EXPORT_STATEMENT_BYTES, exportFrom, exportTo)
}

export function encodeSignedExportStatement (s: SignedExportStatement): Uint8Array {
  return encodeLimited(T.SignedExportStatement, 'signed export statement', signedTo('statement')({ payload: s.statement, signature: s.signature }), L.MAX_EXPORT_STATEMENT_BYTES + 128)
}

export function decodeSignedExportStatement (buf: Uint8Array): SignedExportStatement {
  const s = decodeStrict(T.SignedExportStatement, 'signed export statement', buf, L.MAX_EXPORT_STATEMENT_BYTES + 128,
    signedFrom('signedExport', 'statement', L.MAX_EXPORT_STATEMENT_BYTES), signedTo('statement'))
  return { statement: s.payload, signature: s.signature }
}

// ------------------------------------------------------------------ envelope header

function sealedFrom (w: Wire, i: number): SealedContentKey {
  const f = `envelope.keys[${i}]`
  return {
    recipient: exactLength(bytes(w.recipient), L.KEY_BYTES, `${f}.recipient`),
    enc: exactLength(bytes(w.enc), L.ENC_BYTES, `${f}.enc`),
    ciphertext: exactLength(bytes(w.ciphertext), L.SEALED_CONTENT_KEY_BYTES, `${f}.ciphertext`)
  }
}

function headerFrom (w: Wire): EnvelopeHeader {
  const h: EnvelopeHeader = {
    alliance: text(w.alliance, L.MAX_ID_CHARS, 'envelope.alliance'),
    reportId: exactLength(bytes(w.reportId), L.REPORT_ID_BYTES, 'envelope.reportId'),
    keyCommitment: exactLength(bytes(w.keyCommitment), L.DIGEST_BYTES, 'envelope.keyCommitment'),
    streams: num(w.streams),
    keys: count(w.keys as Wire[], L.MAX_SEALED_KEYS, 'envelope.keys').map(sealedFrom)
  }
  if (!ORG_ID_RE.test(h.alliance)) throw new InvalidFieldError('envelope.alliance', 'is not an alliance id')
  if (h.streams < 1 || h.streams > L.MAX_EVIDENCE_FILES + 1) throw new InvalidFieldError('envelope.streams', `must be 1..${L.MAX_EVIDENCE_FILES + 1}`)
  if (h.keys.length === 0) throw new InvalidFieldError('envelope.keys', 'must hold at least one sealed key')
  return h
}

function headerTo (h: EnvelopeHeader): Wire {
  const w: Wire = {}
  put(w, 'alliance', h.alliance)
  put(w, 'reportId', h.reportId)
  put(w, 'keyCommitment', h.keyCommitment)
  put(w, 'streams', h.streams)
  put(w, 'keys', h.keys.map(k => {
    const o: Wire = {}
    put(o, 'recipient', k.recipient)
    put(o, 'enc', k.enc)
    put(o, 'ciphertext', k.ciphertext)
    return o
  }))
  return w
}

export function encodeEnvelopeHeader (h: EnvelopeHeader): Uint8Array {
  headerFrom(headerTo(h))
  return encodeLimited(T.EnvelopeHeader, 'envelope header', headerTo(h), L.MAX_ENVELOPE_HEADER_BYTES)
}

export function decodeEnvelopeHeader (buf: Uint8Array): EnvelopeHeader {
  return decodeStrict(T.EnvelopeHeader, 'envelope header', buf, L.MAX_ENVELOPE_HEADER_BYTES, headerFrom, headerTo)
}

/** Every decoder, by name: the fuzz tests iterate over this. */
export const REPORT_DECODERS = {
  report: decodeReport,
  signedReport: decodeSignedReport,
  envelopeHeader: decodeEnvelopeHeader,
  receipt: decodeReceipt,
  signedReceipt: decodeSignedReceipt,
  exportStatement: decodeExportStatement,
  signedExportStatement: decodeSignedExportStatement
} as const
