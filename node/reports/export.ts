/**
 * A report out of the node: `show` (the whole report, its deliveries or
 * reception, receipts and chain of custody; on a recipient, logged as
 * `opened` first) and `export` (the evidence bundle of protocol/report,
 * logged as `exported`). Both read the report from the outbox (the author)
 * or the inbox (a recipient).
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import type { Signer } from '../../protocol/ed25519.js'
import { decodeReport, decodeSignedReport, writeBundle, type EvidenceFile } from '../../protocol/report/index.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import { FileNotAllowedError } from '../errors.js'
import type { FileAccess } from '../file-access.js'
import type { ComponentLogger } from '../logger.js'
import type { ReportCustodyLog, ReportCustodyView, ReportDetail, ReportExportResult } from '../service.js'
import type { WriteQueue } from '../store/queue.js'
import type { CustodyLog } from './custody.js'
import { AmbiguousReportIdError, EvidenceUnavailableError, ExportTargetExistsError, InvalidReportRequestError, ReportNotFoundError } from './errors.js'
import { inboxDir, publishNoReplace, writeStreamToFile, type ReportPaths } from './files.js'
import { checkReportId, unb64, type CustodyAction, type DeliveryRecord, type InboxReport, type OutboxReport, type ReceiptRecord } from './records.js'
import type { ReportStore } from './store/index.js'
import { custodyView, documentView, inboxItem, outboxItem } from './views.js'

export interface ExportComponents {
  store: ReportStore
  /** The service's one write queue: custody records are appended in order. */
  queue: WriteQueue
  custody: CustodyLog
  paths: ReportPaths
  org: string
  chain: () => RosterChain
  /** Signs the bundle's export statement and custody records. */
  signer: Signer
  /** The live deliveries of a sent report (Outbox.deliveriesOf). */
  deliveriesOf: (id: string) => Promise<DeliveryRecord[]>
  logger: ComponentLogger
  clock: () => number
  /** Where bundles may be written and the author's evidence read (node/file-access.ts). */
  files: FileAccess
}

type Held = { sent: OutboxReport, got?: undefined } | { sent?: undefined, got: InboxReport }

export class ReportExport {
  readonly #c: ExportComponents

  constructor (components: ExportComponents) {
    this.#c = components
  }

  /**
   * The report with this id in the outbox, else in the inbox: from `author`
   * if given; AmbiguousReportIdError if several members used the id and no
   * author is named (ReportNotFoundError if none).
   */
  async #held (id: string, author?: string): Promise<Held> {
    const sent = author === undefined || author === this.#c.org ? await this.#c.store.sent(id) : undefined
    if (sent !== undefined) return { sent }
    const got = (await this.#c.store.receivedById(id)).filter(r => author === undefined || r.author === author)
    if (got.length === 0) throw new ReportNotFoundError(id)
    if (got.length > 1) throw new AmbiguousReportIdError(id, got.map(r => r.author))
    return { got: got[0] }
  }

  async #receipts (h: Held): Promise<ReceiptRecord[]> {
    return h.sent !== undefined ? await this.#c.store.receipts(h.sent.id) : await this.#c.store.inboxReceipts(h.got)
  }

  async #appendCustody (action: CustodyAction, id: string, detail: Record<string, string | number>): Promise<void> {
    await this.#c.queue.run(async () => {
      const c = this.#c.custody.prepare(action, id, detail, this.#c.clock())
      await this.#c.store.appendCustody(c.record)
      c.commit()
    })
  }

  async #custodyOf (id: string): Promise<ReportCustodyView[]> {
    const out: ReportCustodyView[] = []
    for await (const r of this.#c.store.custody()) if (!('damaged' in r) && r.report === id) out.push(custodyView(r))
    return out
  }

  /** The report in full. On a recipient, logs `opened` in the chain of custody first. */
  async show (id: string, by: string | Record<string, string> = 'local API', author?: string): Promise<ReportDetail> {
    checkReportId(id)
    const h = await this.#held(id, author)
    const { sent, got } = h
    if (got !== undefined) await this.#appendCustody('opened', id, typeof by === 'string' ? { by } : by)
    const held = sent ?? got
    const report = decodeReport(decodeSignedReport(unb64(held.signedReport)).report)
    const receipts = await this.#receipts(h)
    return {
      direction: sent !== undefined ? 'sent' : 'received',
      id,
      digest: held.digest,
      report: documentView(report),
      outbox: sent !== undefined ? outboxItem(sent, await this.#c.deliveriesOf(id)) : null,
      inbox: got !== undefined ? inboxItem(got) : null,
      receipts: receipts.map(r => ({ org: r.org, node: r.node, received: new Date(r.received).toISOString() })),
      custody: await this.#custodyOf(id),
      custodyIntact: this.#c.custody.damage === undefined
    }
  }

  /** The report's custody records (the report must be held here); nothing is logged. */
  async custody (id: string, author?: string): Promise<ReportCustodyLog> {
    checkReportId(id)
    await this.#held(id, author)
    return { id, custody: await this.#custodyOf(id), custodyIntact: this.#c.custody.damage === undefined }
  }

  /**
   * Where evidence file `index` of a report is on this node (a recipient's
   * checked copy, or the author's original), with the SHA-256 its author
   * signed. Logged as `exported` in the chain of custody (the console's
   * evidence download): the file is about to leave the node.
   */
  async evidenceFile (id: string, index: number, by: string, author?: string): Promise<{ path: string, name: string, size: number, mediaType: string, sha256: string }> {
    checkReportId(id)
    const h = await this.#held(id, author)
    const { sent, got } = h
    const report = decodeReport(decodeSignedReport(unb64((sent ?? got).signedReport)).report)
    const ev = documentView(report).evidence[index]
    if (ev === undefined || !Number.isSafeInteger(index)) throw new InvalidReportRequestError(`report ${id} has no evidence file #${index} (it has ${report.evidence.length})`)
    const path = sent !== undefined ? sent.evidence[index].path : join(inboxDir(this.#c.paths, got), got.evidence[index].file)
    await this.#appendCustody('exported', id, { by, evidence: ev.name, sha256: ev.sha256 })
    return { path, name: ev.name, size: ev.size, mediaType: ev.mediaType, sha256: ev.sha256 }
  }

  /**
   * Writes the evidence bundle (protocol/report/bundle.ts) to `outPath`:
   * streamed to a temporary file beside it, then linked into place, never
   * replacing an existing file. A recipient bundles the evidence it
   * received; the author re-reads its original files, which must still
   * match the digests it signed. Logged as `exported` in the chain of custody.
   */
  async export (id: string, outPath: string, author?: string, by: Record<string, string> = { by: 'local API' }): Promise<ReportExportResult> {
    checkReportId(id)
    if (!isAbsolute(outPath)) throw new InvalidReportRequestError(`the bundle path ${JSON.stringify(outPath)} is not absolute`)
    await this.#c.files.check(outPath, 'write', 'bundle')
    const h = await this.#held(id, author)
    const { sent, got } = h
    if (await stat(outPath).then(() => true, () => false)) throw new ExportTargetExistsError(outPath)
    const signedReport = unb64((sent ?? got).signedReport)
    const receipts = (await this.#receipts(h)).map(r => unb64(r.receipt))
    const paths = sent !== undefined ? sent.evidence.map(e => e.path) : got.evidence.map(e => join(inboxDir(this.#c.paths, got), e.file))
    const bundle = writeBundle({
      rosters: this.#c.chain(),
      signedReport,
      receipts,
      exporter: this.#c.signer,
      exported: this.#c.clock(),
      evidence: (file, i) => readEvidence(paths[i], file, sent !== undefined ? this.#c.files : undefined)
    })
    const tmp = `${outPath}.${process.pid}.${Date.now()}.part`
    const written = await writeStreamToFile(tmp, bundle, { hash: true }) as { bytes: number, sha256: string }
    try {
      await publishNoReplace(tmp, outPath)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ExportTargetExistsError(outPath)
      throw err
    }
    await this.#appendCustody('exported', id, { ...by, out: outPath, bytes: written.bytes, sha256: written.sha256, receipts: receipts.length })
    this.#c.logger.info('evidence bundle exported', { id, bytes: written.bytes, receipts: receipts.length })
    return { id, out: outPath, bytes: written.bytes, sha256: written.sha256, receipts: receipts.length, exporter: this.#c.org }
  }
}

/** An evidence file's bytes: the author's original through the node's file policy (`files`), a recipient's own copy directly. */
async function * readEvidence (path: string, file: EvidenceFile, files?: FileAccess): AsyncGenerator<Uint8Array> {
  try {
    if (files === undefined) {
      yield * createReadStream(path)
      return
    }
    const fh = await files.openRead(path, 'evidence file')
    try {
      yield * fh.createReadStream({ autoClose: false })
    } finally {
      await fh.close().catch(() => {})
    }
  } catch (err) {
    if (err instanceof FileNotAllowedError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code !== undefined) throw new EvidenceUnavailableError(file.name, `cannot be read from ${path} (${code}); the author's original file must stay where it was when the report was sent`, { cause: err })
    throw err
  }
}
