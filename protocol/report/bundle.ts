/**
 * The evidence bundle: one file a recipient (or the author) exports and
 * anyone verifies offline, years later, with no node and no network.
 * Format (protocol/report/FORMAT.md has the full description and the
 * reasons):
 *
 *   magic  "alliance-evidence-bundle/v1\n"
 *   ROSTER   (0x11) × k   encoded SignedRoster, genesis first, each version extending the last
 *   REPORT   (0x12)       encoded SignedReport: report + author signature
 *   EVIDENCE (0x14) × n   the raw bytes of evidence file i, in report order; length = its size
 *   RECEIPT  (0x17) × r   encoded SignedReceipt
 *   EXPORT   (0x18)       encoded SignedExportStatement, whose bundle digest covers
 *                         every byte before this record
 *   end of input
 *
 * records: type (1 byte) || length (u64 big-endian) || payload (framing.ts).
 * Every byte is covered: structure by the parser (one valid layout), the
 * roster by its signatures, the report by the author's signature, evidence
 * by the digests in the report, receipts by their signatures, everything
 * before the export statement by its digest and the exporter's signature.
 */
import { createHash, type Hash } from 'node:crypto'
import { bytesEqual, toHex, utf8 } from '../bytes.js'
import { decodeSignedRoster, encodeSignedRoster } from '../codec/index.js'
import { ProtocolError } from '../errors.js'
import { verifySignature, type Signer } from '../ed25519.js'
import { RosterChain, type RosterVersion } from '../roster/index.js'
import type { SignedRoster } from '../types.js'
import {
  decodeExportStatement, decodeReport, decodeSignedExportStatement, decodeSignedReport, encodeExportStatement,
  encodeSignedExportStatement
} from './codec.js'
import type { EvidenceSource } from './envelope.js'
import {
  ExportNotAllowedError, FormatError, OversizeError, ReceiptMismatchError, ReceiptRecipientError, ReceiptSignatureError,
  TruncatedError, UnknownKeyError
} from './errors.js'
import { checkedEvidence } from './evidence.js'
import { ByteReader, expectMagic, record, recordHeader } from './framing.js'
import * as L from './limits.js'
import { receiptOrg, verifyReceipt } from './receipt.js'
import { reportSignatureMessage, signedReportDigest, verifySignedReport } from './report.js'
import { REPORT_TAGS, reportTaggedHash, signedMessage, taggedHasher } from './tags.js'
import type { Report } from './types.js'

export const BUNDLE_MAGIC = utf8('alliance-evidence-bundle/v1\n')
/** Record types. Each has an even number of 1 bits, so a single flipped bit never turns one type into another. */
export const BUNDLE_RECORD = { roster: 0x11, report: 0x12, evidence: 0x14, receipt: 0x17, export: 0x18 } as const

export function exportSignatureMessage (statementBytes: Uint8Array): Uint8Array {
  return signedMessage(REPORT_TAGS.exportSignature, reportTaggedHash(REPORT_TAGS.exportDigest, statementBytes))
}

// ------------------------------------------------------------------ writing

export interface WriteBundleArgs {
  /** the exporting node's verified roster chain */
  rosters: RosterChain
  /** encoded SignedReport */
  signedReport: Uint8Array
  /** the evidence files, read by the caller, in report order */
  evidence: EvidenceSource
  /** encoded SignedReceipts held for the report */
  receipts: Uint8Array[]
  /** the exporting node's signing key; its org must be the author or a recipient */
  exporter: Signer
  /** ms since the Unix epoch */
  exported: number
}

/**
 * Writes a bundle as a stream. Verifies before it writes, throwing at once:
 * the report (UnknownKeyError, ReportSignatureError), every receipt
 * (receipt errors), the exporter (UnknownKeyError, ExportNotAllowedError);
 * and every evidence file against its size and SHA-256 as it streams
 * (EvidenceMismatchError: discard what was written). Includes the roster
 * chain from genesis to the version in force at the latest time the bundle
 * relies on.
 */
export function writeBundle (args: WriteBundleArgs): AsyncGenerator<Uint8Array> {
  const verified = verifySignedReport(args.signedReport, args.rosters)
  const report = verified.report
  const receipts = args.receipts.map(b => ({ bytes: b, receipt: verifyReceipt(b, { report, signedReportDigest: verified.digest, rosters: args.rosters }) }))
  const exporterVersion = args.rosters.versionAt(args.exported)
  const who = exporterVersion?.memberOf(args.exporter.publicKey)
  if (who === undefined) throw new UnknownKeyError('exporter', '(unknown)', args.exported)
  const exporter = who.member.org
  if (exporter !== report.author && !report.recipients.includes(exporter)) throw new ExportNotAllowedError(exporter)

  const latest = Math.max(report.created, args.exported, ...receipts.map(r => r.receipt.received))
  const last = args.rosters.versionAt(latest) as RosterVersion
  const versions = args.rosters.versions.slice(0, args.rosters.versions.indexOf(last) + 1)
  return bundleBytes(args, report, versions, receipts.map(r => r.bytes), exporter)
}

async function * bundleBytes (args: WriteBundleArgs, report: Report, versions: readonly RosterVersion[], receipts: Uint8Array[], exporter: string): AsyncGenerator<Uint8Array> {
  const digest = taggedHasher(REPORT_TAGS.bundleDigest)
  const out = function (b: Uint8Array): Uint8Array { digest.update(b); return b }
  yield out(BUNDLE_MAGIC.slice())
  for (const v of versions) yield out(record(BUNDLE_RECORD.roster, encodeSignedRoster(v.signed)))
  yield out(record(BUNDLE_RECORD.report, args.signedReport))
  for (const [i, file] of report.evidence.entries()) {
    yield out(recordHeader(BUNDLE_RECORD.evidence, file.size))
    for await (const piece of checkedEvidence(file, args.evidence(file, i))) yield out(piece)
  }
  for (const r of receipts) yield out(record(BUNDLE_RECORD.receipt, r))
  const statement = encodeExportStatement({
    alliance: report.alliance,
    reportId: report.id,
    bundleDigest: new Uint8Array(digest.digest()),
    exporter,
    exporterKey: args.exporter.publicKey,
    exported: args.exported
  })
  yield record(BUNDLE_RECORD.export, encodeSignedExportStatement({ statement, signature: args.exporter.sign(exportSignatureMessage(statement)) }))
}

// ------------------------------------------------------------------ verifying

/**
 * Why a part failed. Parts: `format`, `truncated`, `roster_chain`, `report`
 * (malformed), `unknown_key` (author key not in the roster in force),
 * `report_signature`, `evidence:<name>`, `receipt:<org>` (or `receipt:#<i>`
 * when it does not even decode), `export`.
 */
export type BundleReason =
  | 'bad_magic' | 'bad_record' | 'out_of_order' | 'trailing_data' | 'truncated' | 'oversize' | 'malformed' | 'missing'
  | 'chain' | 'genesis_mismatch' | 'alliance_mismatch' | 'unknown_key' | 'bad_signature' | 'size_mismatch'
  | 'digest_mismatch' | 'mismatch' | 'not_recipient' | 'not_entitled' | 'duplicate'

export interface BundleFailure {
  part: string
  reason: BundleReason
  detail: string
}

export interface BundleVerdict {
  /** true only if every part checked and nothing failed */
  ok: boolean
  /** in bundle order: the first names the first part that fails */
  failures: BundleFailure[]
  /** parts that verified, in bundle order */
  verified: string[]
  /** roster id (hex) of the bundle's genesis: compare it with the alliance's published one, or pin it with `genesisId` */
  genesisId?: string
  alliance?: string
  rosterVersions?: number
  report?: Report
  /** hex signedReportDigest: what receipts acknowledge */
  signedReportDigest?: string
  author?: { org: string, key: string }
  receipts: Array<{ org: string, key: string, received: number }>
  exporter?: { org: string, key: string, exported: number }
}

export interface VerifyBundleOptions {
  /**
   * The alliance's genesis roster id, from a trusted source (the node's own
   * roster, the alliance's published fingerprint). Without it the bundle is
   * checked for internal consistency only: anyone can forge a whole alliance.
   */
  genesisId?: Uint8Array
  /**
   * Receives each evidence file's bytes as they stream past, in order (to
   * extract the files while verifying). Trust them only if the verdict is ok.
   */
  onEvidence?: (file: { index: number, name: string }, piece: Uint8Array) => void | Promise<void>
}

/** `evidence:a.jpg digest mismatch: …`: a failure as one line. */
export function describeFailure (f: BundleFailure): string {
  return `${f.part} ${f.reason.replace(/_/g, ' ')}: ${f.detail}`
}

/** Thrown inside verifyBundle after a failure that leaves nothing further checkable. */
class Stop extends Error {}

function reasonOf (err: unknown): BundleReason {
  if (err instanceof OversizeError) return 'oversize'
  if (err instanceof UnknownKeyError) return 'unknown_key'
  if (err instanceof ReceiptSignatureError) return 'bad_signature'
  if (err instanceof ReceiptMismatchError) return 'mismatch'
  if (err instanceof ReceiptRecipientError) return 'not_recipient'
  return 'malformed'
}

function message (err: unknown): string {
  return err instanceof ProtocolError ? err.message : 'unexpected error'
}

/**
 * Verifies a bundle streamed from `source`, holding only one record (never
 * an evidence file) in memory. Never throws for bad bundle bytes: the
 * verdict lists each failing part (the first failure names the part the
 * damage is in; later ones may be its consequences). Errors of the source
 * itself (I/O) propagate.
 */
export async function verifyBundle (source: AsyncIterable<Uint8Array>, opts: VerifyBundleOptions = {}): Promise<BundleVerdict> {
  const v: BundleVerdict = { ok: false, failures: [], verified: [], receipts: [] }
  const reader = new ByteReader(source)
  const digest = taggedHasher(REPORT_TAGS.bundleDigest)
  reader.tap = digest
  try {
    await check(reader, digest, v, opts)
  } catch (err) {
    if (err instanceof TruncatedError) v.failures.push({ part: 'truncated', reason: 'truncated', detail: err.message })
    else if (err instanceof FormatError) v.failures.push({ part: 'format', reason: 'bad_record', detail: err.message })
    else if (!(err instanceof Stop)) throw err
  }
  v.ok = v.failures.length === 0
  return v
}

async function check (reader: ByteReader, digest: Hash, v: BundleVerdict, opts: VerifyBundleOptions): Promise<void> {
  const fail = (part: string, reason: BundleReason, detail: string): void => { v.failures.push({ part, reason, detail }) }
  const stop = (part: string, reason: BundleReason, detail: string): never => { fail(part, reason, detail); throw new Stop() }

  try {
    await expectMagic(reader, BUNDLE_MAGIC, 'bundle')
  } catch (err) {
    if (err instanceof FormatError) stop('format', 'bad_magic', 'not an evidence bundle (wrong magic bytes)')
    throw err
  }

  // ---- roster versions, then the report record
  const rosters: SignedRoster[] = []
  let rosterError: string | undefined
  let h
  for (;;) {
    h = await reader.recordHeader('bundle (before the report)')
    if (h === undefined) throw new TruncatedError('bundle (no report)', reader.offset)
    if (h.type === BUNDLE_RECORD.report) break
    if (h.type !== BUNDLE_RECORD.roster) stop('format', 'out_of_order', `expected a roster or report record at byte ${h.offset}, found type ${h.type}`)
    if (rosters.length >= L.MAX_BUNDLE_ROSTER_VERSIONS) stop('roster_chain', 'oversize', `more than ${L.MAX_BUNDLE_ROSTER_VERSIONS} roster versions`)
    if (h.length > L.MAX_BUNDLE_ROSTER_BYTES) stop('roster_chain', 'oversize', `roster version ${rosters.length + 1} is ${h.length} bytes, over ${L.MAX_BUNDLE_ROSTER_BYTES}`)
    const bytes = await reader.read(h.length, `roster version ${rosters.length + 1}`)
    try {
      rosters.push(decodeSignedRoster(bytes))
    } catch (err) {
      rosterError ??= `roster version ${rosters.length + 1}: ${message(err)}`
      rosters.push({ roster: new Uint8Array(0), signatures: [] })
    }
  }
  let chain: RosterChain | undefined
  if (rosterError !== undefined) fail('roster_chain', 'malformed', rosterError)
  else if (rosters.length === 0) fail('roster_chain', 'missing', 'the bundle holds no roster version')
  else {
    try {
      chain = RosterChain.fromVersions(rosters)
    } catch (err) {
      fail('roster_chain', 'chain', message(err))
    }
  }
  if (chain !== undefined) {
    v.genesisId = toHex(chain.versions[0].id)
    v.alliance = chain.alliance
    v.rosterVersions = chain.versions.length
    if (opts.genesisId !== undefined && !bytesEqual(opts.genesisId, chain.versions[0].id)) {
      fail('roster_chain', 'genesis_mismatch', `the bundle's genesis roster is ${v.genesisId}, not the expected ${toHex(opts.genesisId)}`)
    } else {
      v.verified.push('roster_chain')
    }
  }

  // ---- the signed report
  if (h.length > L.MAX_SIGNED_REPORT_BYTES) stop('report', 'oversize', `${h.length} bytes, over ${L.MAX_SIGNED_REPORT_BYTES}`)
  const signedBytes = await reader.read(h.length, 'report')
  let report: Report
  let reportSignature: Uint8Array
  let reportBytes: Uint8Array
  try {
    const s = decodeSignedReport(signedBytes)
    reportBytes = s.report
    reportSignature = s.signature
    report = decodeReport(s.report)
  } catch (err) {
    return stop('report', 'malformed', message(err))
  }
  const reportDigest = signedReportDigest(signedBytes)
  v.report = report
  v.signedReportDigest = toHex(reportDigest)
  v.author = { org: report.author, key: toHex(report.authorKey) }
  if (chain !== undefined) {
    if (chain.alliance !== report.alliance) fail('report', 'alliance_mismatch', `the report is for alliance ${report.alliance}, the rosters for ${chain.alliance}`)
    else {
      const who = chain.versionAt(report.created)?.memberOf(report.authorKey)
      if (who === undefined || who.member.org !== report.author) fail('unknown_key', 'unknown_key', `the author key is not a node of org ${report.author} in the roster in force at ${new Date(report.created).toISOString()}`)
      else v.verified.push('author_key')
    }
  }
  if (verifySignature(report.authorKey, reportSignatureMessage(reportBytes), reportSignature)) v.verified.push('report_signature')
  else fail('report_signature', 'bad_signature', 'the author\'s signature does not verify over the report')

  // ---- evidence files, streamed
  for (const [index, file] of report.evidence.entries()) {
    const part = `evidence:${file.name}`
    const e = await reader.recordHeader(part)
    if (e === undefined) throw new TruncatedError(part, reader.offset)
    if (e.type !== BUNDLE_RECORD.evidence) stop(part, 'missing', `expected its evidence record at byte ${e.offset}, found record type ${e.type}`)
    if (e.length > L.MAX_EVIDENCE_FILE_BYTES) stop(part, 'size_mismatch', `record of ${e.length} bytes, the report gives ${file.size}`)
    const hash = createHash('sha256')
    for await (const piece of reader.stream(e.length, part)) {
      hash.update(piece)
      if (opts.onEvidence !== undefined) await opts.onEvidence({ index, name: file.name }, piece)
    }
    if (e.length !== file.size) fail(part, 'size_mismatch', `${e.length} bytes, the report gives ${file.size}`)
    else if (!hash.digest().equals(file.sha256)) fail(part, 'digest_mismatch', 'its SHA-256 is not the one in the signed report')
    else v.verified.push(part)
  }

  // ---- receipts, then the export statement
  const seenKeys = new Set<string>()
  let before: Hash
  for (let i = 0; ; i++) {
    before = digest.copy()
    h = await reader.recordHeader('bundle (no export statement)')
    if (h === undefined) throw new TruncatedError('bundle (no export statement)', reader.offset)
    if (h.type === BUNDLE_RECORD.export) break
    if (h.type !== BUNDLE_RECORD.receipt) stop('format', 'out_of_order', `expected a receipt or the export record at byte ${h.offset}, found type ${h.type}`)
    if (i >= L.MAX_BUNDLE_RECEIPTS) stop('format', 'oversize', `more than ${L.MAX_BUNDLE_RECEIPTS} receipts`)
    if (h.length > L.MAX_RECEIPT_BYTES + 128) stop(`receipt:#${i + 1}`, 'oversize', `${h.length} bytes`)
    const bytes = await reader.read(h.length, `receipt #${i + 1}`)
    const part = `receipt:${receiptOrg(bytes, chain) ?? `#${i + 1}`}`
    try {
      const r = verifyReceipt(bytes, { report, signedReportDigest: reportDigest, rosters: chain ?? { versionAt: () => undefined } })
      const k = toHex(r.recipientKey)
      if (seenKeys.has(k)) fail(part, 'duplicate', 'a second receipt by the same node')
      else {
        seenKeys.add(k)
        v.receipts.push({ org: r.recipient, key: k, received: r.received })
        v.verified.push(part)
      }
    } catch (err) {
      // Without a verified roster chain, key membership cannot be judged: roster_chain already failed.
      if (!(chain === undefined && err instanceof UnknownKeyError)) fail(part, reasonOf(err), message(err))
    }
  }

  const bundleDigest = new Uint8Array(before.digest())
  reader.tap = undefined
  if (h.length > L.MAX_EXPORT_STATEMENT_BYTES + 128) stop('export', 'oversize', `${h.length} bytes`)
  const exportBytes = await reader.read(h.length, 'export statement')
  try {
    const signed = decodeSignedExportStatement(exportBytes)
    const s = decodeExportStatement(signed.statement)
    v.exporter = { org: s.exporter, key: toHex(s.exporterKey), exported: s.exported }
    const who = chain?.versionAt(s.exported)?.memberOf(s.exporterKey)
    if (s.alliance !== report.alliance || !bytesEqual(s.reportId, report.id)) fail('export', 'mismatch', 'the export statement is for another report')
    else if (!bytesEqual(s.bundleDigest, bundleDigest)) fail('export', 'digest_mismatch', 'the bytes before the export statement are not the ones exported')
    else if (chain !== undefined && (who === undefined || who.member.org !== s.exporter)) fail('export', 'unknown_key', `the exporter key is not a node of org ${s.exporter} in the roster in force at ${new Date(s.exported).toISOString()}`)
    else if (s.exporter !== report.author && !report.recipients.includes(s.exporter)) fail('export', 'not_entitled', `org ${s.exporter} is neither the author nor a recipient`)
    else if (!verifySignature(s.exporterKey, exportSignatureMessage(signed.statement), signed.signature)) fail('export', 'bad_signature', 'the exporter\'s signature does not verify')
    else v.verified.push('export')
  } catch (err) {
    fail('export', 'malformed', message(err))
  }
  if (!(await reader.atEnd())) fail('format', 'trailing_data', `bytes after the export statement, from byte ${reader.offset}`)
}
