/**
 * The encrypted envelope: what the author's outbox stores and delivers to
 * every recipient node, byte for byte the same for all of them. Format
 * (protocol/report/FORMAT.md has the full description):
 *
 *   magic  "alliance-report-envelope/v1\n"
 *   record HEADER (0x03)       EnvelopeHeader: alliance, report id, content-key
 *                              commitment, stream count, the content key sealed
 *                              to every recipient node (HPKE, hpke.ts)
 *   stream 0: the SignedReport, then stream 1..n: evidence files in report order,
 *   each as records CHUNK (0x05) ... FINAL_CHUNK (0x06)
 *                              STREAM chunks (stream.ts); the record type repeats
 *                              the last-chunk flag, which the nonce authenticates
 *   end of input
 *
 * The report is signed then encrypted: the signature is inside, visible only
 * to recipients, and binds the author to the content whoever relays it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { bytesEqual, utf8 } from '../bytes.js'
import { verifySignature } from '../ed25519.js'
import type { RosterVersion } from '../roster/index.js'
import { decodeEnvelopeHeader, decodeReport, decodeSignedReport, encodeEnvelopeHeader } from './codec.js'
import {
  DecryptionError, EnvelopeMismatchError, EvidenceMismatchError, FormatError, InvalidReportError, NotAddressedError,
  OversizeError, ReportSignatureError, TruncatedError, UnknownKeyError
} from './errors.js'
import { checkedEvidence } from './evidence.js'
import { ByteReader, expectMagic, RECORD_HEADER_BYTES, record, recordHeader } from './framing.js'
import { contentKeyCommitment, openContentKey, reportSealInfo, sealContentKey } from './hpke.js'
import * as L from './limits.js'
import {
  recipientNodes, reportSignatureMessage, verifySignedReport, type RecipientNode, type RosterHistory, type VerifiedReport
} from './report.js'
import { chunked, StreamOpener, StreamSealer, streamAad, streamKey } from './stream.js'
import type { EnvelopeHeader, EvidenceFile, Report, SealedContentKey } from './types.js'

export const ENVELOPE_MAGIC = utf8('alliance-report-envelope/v1\n')
/** Record types, each with an even number of 1 bits (a single flipped bit never turns one into another). */
export const ENVELOPE_RECORD = { header: 0x03, chunk: 0x05, finalChunk: 0x06 } as const

/** Opens evidence file `index` (report order) as a stream of pieces. Called lazily, one file at a time. */
export type EvidenceSource = (file: EvidenceFile, index: number) => AsyncIterable<Uint8Array>

export interface EncryptReportArgs {
  /** encoded SignedReport (signReport().bytes) */
  signedReport: Uint8Array
  /** the roster version the sender addresses with (its current one): recipients' nodes and box keys come from it */
  roster: RosterVersion
  /** the evidence files the report names, read by the caller */
  evidence: EvidenceSource
}

/**
 * Encrypts a signed report and its evidence to every node of every
 * recipient org, as a stream of envelope bytes. Throws at once, before any
 * stream exists, if the report's author key (UnknownKeyError) or signature
 * (ReportSignatureError) do not check against `roster`, or a recipient is
 * not a law-enforcement member (UnknownRecipientError,
 * NotLawEnforcementError): nothing gets queued for a refused report.
 * Evidence streams through in 64 KiB chunks; if a file's bytes differ from
 * its size or SHA-256 in the report, the stream fails with
 * EvidenceMismatchError (discard what was written).
 */
export function encryptReport (args: EncryptReportArgs): AsyncGenerator<Uint8Array> {
  const signed = decodeSignedReport(args.signedReport)
  const report = decodeReport(signed.report)
  const who = args.roster.memberOf(report.authorKey)
  if (who === undefined || who.member.org !== report.author) throw new UnknownKeyError('author', report.author, report.created)
  if (report.alliance !== args.roster.roster.alliance) throw new InvalidReportError('alliance', `is not this roster's alliance ${args.roster.roster.alliance}`)
  if (!verifySignature(report.authorKey, reportSignatureMessage(signed.report), signed.signature)) throw new ReportSignatureError()
  const nodes = recipientNodes(report, args.roster)
  return sealEnvelope(args.signedReport, report, nodes, args.evidence)
}

async function * sealEnvelope (signedReport: Uint8Array, report: Report, nodes: RecipientNode[], evidence: EvidenceSource): AsyncGenerator<Uint8Array> {
  const contentKey = new Uint8Array(randomBytes(32))
  try {
    const info = reportSealInfo(report.alliance, report.id)
    const keys: SealedContentKey[] = []
    for (const n of nodes) {
      const { enc, ciphertext } = await sealContentKey(n.boxKey, info, contentKey)
      keys.push({ recipient: Uint8Array.from(n.boxKey), enc, ciphertext })
    }
    const header: EnvelopeHeader = {
      alliance: report.alliance,
      reportId: report.id,
      keyCommitment: contentKeyCommitment(contentKey, report.id),
      streams: 1 + report.evidence.length,
      keys
    }
    yield ENVELOPE_MAGIC.slice()
    yield record(ENVELOPE_RECORD.header, encodeEnvelopeHeader(header))
    yield * encryptStream(contentKey, report.id, 0, oneShot(signedReport))
    for (const [i, file] of report.evidence.entries()) {
      yield * encryptStream(contentKey, report.id, i + 1, checkedEvidence(file, evidence(file, i)))
    }
  } finally {
    contentKey.fill(0)
  }
}

async function * oneShot (b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b
}

async function * encryptStream (contentKey: Uint8Array, reportId: Uint8Array, index: number, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const key = streamKey(contentKey, reportId, index)
  const sealer = new StreamSealer(key, streamAad(reportId, index))
  key.fill(0)
  for await (const { data, last } of chunked(source)) {
    const out = sealer.seal(data, last, RECORD_HEADER_BYTES)
    out.set(recordHeader(last ? ENVELOPE_RECORD.finalChunk : ENVELOPE_RECORD.chunk, out.length - RECORD_HEADER_BYTES))
    yield out
  }
}

// ------------------------------------------------------------------ opening

export interface OpenReportArgs {
  /** the envelope's bytes, e.g. a libp2p stream or a stored file */
  source: AsyncIterable<Uint8Array>
  /** this node's alliance */
  alliance: string
  /** this node's org: it must be one of the report's recipients */
  org: string
  /** this node's X25519 box key pair */
  box: { publicKey: Uint8Array, privateKey: Uint8Array }
  /** roster versions, to check the author's key at the report's time (a RosterChain) */
  rosters: RosterHistory
  /** this node's clock, ms: reports dated beyond the roster's clock tolerance are refused */
  now: number
}

export interface OpenedEvidence {
  index: number
  file: EvidenceFile
  /**
   * The decrypted file, chunk by chunk, each chunk authenticated. The whole
   * file is known good only when this iteration ends without an error
   * (size and SHA-256 checked at the end): write it to a temporary file and
   * keep it only then.
   */
  data: AsyncIterable<Uint8Array>
}

export interface OpenedReport extends VerifiedReport {
  header: EnvelopeHeader
  /**
   * The evidence files, in report order. Consume each file's `data` before
   * asking for the next (what is left unread is decrypted and checked, then
   * dropped). The iteration ends with a check that the envelope ends there.
   * Errors: DecryptionError, EvidenceMismatchError, TruncatedError, FormatError.
   */
  evidence (): AsyncGenerator<OpenedEvidence>
}

/**
 * Opens an envelope addressed to this node: finds the content key sealed to
 * `box.publicKey` (NotAddressedError), opens it and checks the header's
 * commitment (ContentKeyError), decrypts and verifies the signed report
 * (DecryptionError, codec errors, UnknownKeyError, ReportSignatureError,
 * ReportClockError), and checks the clear header agrees with it
 * (EnvelopeMismatchError) and that `org` is a recipient (NotAddressedError).
 * Evidence is then streamed by `evidence()`.
 */
export async function openReport (args: OpenReportArgs): Promise<OpenedReport> {
  const reader = new ByteReader(args.source)
  await expectMagic(reader, ENVELOPE_MAGIC, 'envelope')
  const h = await reader.recordHeader('envelope header')
  if (h === undefined) throw new FormatError('envelope', 'no header record', reader.offset)
  if (h.type !== ENVELOPE_RECORD.header) throw new FormatError('envelope', `expected the header record, found type ${h.type}`, h.offset)
  if (h.length > L.MAX_ENVELOPE_HEADER_BYTES) throw new OversizeError('envelope header', h.length, L.MAX_ENVELOPE_HEADER_BYTES)
  const header = decodeEnvelopeHeader(await reader.read(h.length, 'envelope header'))
  if (header.alliance !== args.alliance) throw new EnvelopeMismatchError(`envelope is for alliance ${header.alliance}, this node is in ${args.alliance}`)

  const mine = header.keys.find(k => bytesEqual(k.recipient, args.box.publicKey))
  if (mine === undefined) throw new NotAddressedError('no content key is sealed to this node\'s box key')
  const contentKey = await openContentKey(args.box.privateKey, mine.enc, mine.ciphertext, reportSealInfo(args.alliance, header.reportId), header.reportId, header.keyCommitment)

  const keys: Uint8Array[] = []
  let verified: VerifiedReport
  try {
    for (let s = 0; s < header.streams; s++) keys.push(streamKey(contentKey, header.reportId, s))
  } finally {
    contentKey.fill(0)
  }
  try {
    const body = new StreamReader(reader, keys[0], streamAad(header.reportId, 0), 'report', undefined)
    const parts: Uint8Array[] = []
    for (let c = await body.next(); c !== null; c = await body.next()) parts.push(c)
    const signedBytes = new Uint8Array(body.total)
    let o = 0
    for (const p of parts) { signedBytes.set(p, o); o += p.length }

    verified = verifySignedReport(signedBytes, args.rosters, args.now)
    const report = verified.report
    if (report.alliance !== args.alliance) throw new EnvelopeMismatchError('the report is for another alliance')
    if (!bytesEqual(report.id, header.reportId)) throw new EnvelopeMismatchError('the header names another report id')
    if (header.streams !== 1 + report.evidence.length) throw new EnvelopeMismatchError(`the header announces ${header.streams - 1} evidence files, the report names ${report.evidence.length}`)
    if (!report.recipients.includes(args.org)) throw new NotAddressedError(`org ${args.org} is not among the report's recipients`)
  } catch (err) {
    for (const k of keys) k.fill(0)
    throw err
  }

  let started = false
  const report = verified.report
  return {
    ...verified,
    header,
    evidence: async function * () {
      if (started) throw new Error('evidence() can be iterated once')
      started = true
      try {
        for (const [i, file] of report.evidence.entries()) {
          const r = new StreamReader(reader, keys[i + 1], streamAad(header.reportId, i + 1), `evidence:${file.name}`, file)
          const data = async function * (): AsyncGenerator<Uint8Array> {
            for (let c = await r.next(); c !== null; c = await r.next()) yield c
          }
          yield { index: i, file, data: data() }
          // Whatever the consumer left unread is decrypted and checked all the same.
          while ((await r.next()) !== null) { /* drain */ }
        }
        if (!(await reader.atEnd())) throw new FormatError('envelope', 'bytes after the last evidence file', reader.offset)
      } finally {
        for (const k of keys) k.fill(0)
      }
    }
  }
}

/**
 * Reads one stream's chunk records and opens them in order. `next()` returns
 * the next authenticated plaintext chunk, or null after the final chunk.
 * Enforced: full chunks except the last, an empty last chunk only for an
 * empty stream (one valid layout per plaintext); the signed report stays
 * within MAX_SIGNED_REPORT_BYTES; an evidence file never exceeds its size
 * and its size and SHA-256 are checked before its final chunk is released.
 */
class StreamReader {
  readonly #reader: ByteReader
  readonly #opener: StreamOpener
  readonly #part: string
  readonly #file: EvidenceFile | undefined
  readonly #hash = createHash('sha256')
  #done = false
  total = 0

  constructor (reader: ByteReader, key: Uint8Array, aad: Uint8Array, part: string, file: EvidenceFile | undefined) {
    this.#reader = reader
    this.#opener = new StreamOpener(key, aad)
    key.fill(0)
    this.#part = part
    this.#file = file
  }

  async next (): Promise<Uint8Array | null> {
    if (this.#done) return null
    const h = await this.#reader.recordHeader(this.#part)
    if (h === undefined) throw new TruncatedError(this.#part, this.#reader.offset)
    const last = h.type === ENVELOPE_RECORD.finalChunk
    if (!last && h.type !== ENVELOPE_RECORD.chunk) throw new FormatError(this.#part, `expected an encrypted chunk, found record type ${h.type}`, h.offset)
    const full = L.STREAM_CHUNK_BYTES + L.TAG_BYTES
    if (last ? h.length > full : h.length !== full) throw new FormatError(this.#part, `a chunk of ${h.length} bytes breaks the STREAM chunking rule`, h.offset)
    if (last && h.length === L.TAG_BYTES && this.#opener.counter > 0) throw new FormatError(this.#part, 'an empty final chunk is only allowed for an empty stream', h.offset)
    const chunk = this.#opener.counter
    const pt = this.#opener.open(await this.#reader.read(h.length, this.#part), last)
    if (pt === undefined) throw new DecryptionError(this.#part, chunk)
    this.total += pt.length
    const f = this.#file
    if (f === undefined) {
      if (this.total > L.MAX_SIGNED_REPORT_BYTES) throw new OversizeError('signed report', this.total, L.MAX_SIGNED_REPORT_BYTES)
    } else {
      if (this.total > f.size) throw new EvidenceMismatchError(f.name, 'size', `more than the ${f.size} bytes the report gives`)
      this.#hash.update(pt)
      if (last) {
        if (this.total !== f.size) throw new EvidenceMismatchError(f.name, 'size', `${this.total} bytes, the report gives ${f.size}`)
        if (!this.#hash.digest().equals(f.sha256)) throw new EvidenceMismatchError(f.name, 'digest')
      }
    }
    if (last) this.#done = true
    return pt
  }
}
