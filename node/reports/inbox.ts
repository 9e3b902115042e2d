/**
 * The recipient's inbox: the report-protocol handler. It opens an envelope
 * (this node's box key, the author's key checked against the roster),
 * answers a report it already holds with its stored receipt without reading
 * the evidence (idempotent by report id; the same id with other content is
 * refused), streams each evidence file to a temporary file kept only once
 * its size and SHA-256 checked out, signs the receipt only after all of them
 * did, and stores the report, the receipt and a `received` custody record in
 * one batch. Every refusal goes back on the wire with its reason (wire.ts).
 */
import { readdir, rename, rm, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { toHex } from '../../protocol/bytes.js'
import type { Signer } from '../../protocol/ed25519.js'
import { createReceipt, openReport } from '../../protocol/report/index.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { ComponentLogger } from '../logger.js'
import type { ReportInboxItem } from '../service.js'
import type { WriteQueue } from '../store/queue.js'
import type { CustodyLog } from './custody.js'
import { EnvelopeTooLargeError, ReportBusyError, ReportIdConflictError, ReportServiceNotStartedError } from './errors.js'
import { inboxDir, privateDir, tmpName, writeStreamToFile, type ReportPaths } from './files.js'
import type { ReportMetrics, ReportServiceInit } from './options.js'
import { b64, checkReportId, unb64, type InboxReport, type ReceiptRecord } from './records.js'
import type { ReportStore } from './store/index.js'
import { inboxItem } from './views.js'
import { receiveEnvelope, type Reply } from './wire.js'

export type InboxOptions = Pick<Required<ReportServiceInit>, 'maxInboundBytes' | 'idleTimeoutMs'>

export interface InboxComponents {
  store: ReportStore
  /** The service's one write queue: custody records are appended in order. */
  queue: WriteQueue
  custody: CustodyLog
  paths: ReportPaths
  org: string
  chain: () => RosterChain
  keys: {
    /** Signs receipts. */
    sign: Signer
    /** Opens envelopes; `privateKey` is read once per envelope and the copy wiped. */
    box: { publicKey: Uint8Array, readonly privateKey: Uint8Array }
  }
  logger: ComponentLogger
  metrics?: ReportMetrics
  clock: () => number
}

export class Inbox {
  readonly #o: InboxOptions
  readonly #c: InboxComponents
  readonly #log: ComponentLogger
  /** Reports (author/id) being received right now: a second stream for one of them is told to retry later. */
  readonly #receiving = new Set<string>()
  readonly #inbound = new Set<Promise<void>>()
  #abort = new AbortController()
  #active = false

  constructor (opts: InboxOptions, components: InboxComponents) {
    this.#o = opts
    this.#c = components
    this.#log = components.logger
  }

  start (): void {
    this.#abort = new AbortController()
    this.#active = true
  }

  /** Refuses new transfers, aborts those in progress and waits for them to end. */
  async stop (): Promise<void> {
    this.#active = false
    this.#abort.abort()
    while (this.#inbound.size > 0) await Promise.allSettled([...this.#inbound])
  }

  /** The protocol handler: serves one inbound stream from `peer`, tracked until it ends (stop waits for it). */
  handle (stream: Stream, peer: string): void {
    const tracked = this.serve(stream, peer).catch(err => { this.#log.error('report stream handler failed', { err }) })
    this.#inbound.add(tracked)
    void tracked.finally(() => this.#inbound.delete(tracked))
  }

  /** Receives one envelope on `stream` and answers it with a receipt or a refusal (`not_started` while stopped). */
  async serve (stream: Stream, peer: string): Promise<void> {
    // stop() aborts the transfers in progress; one that starts after it is refused, not cut
    const signal = this.#active ? this.#abort.signal : undefined
    const reply = await receiveEnvelope(stream, {
      idleTimeoutMs: this.#o.idleTimeoutMs,
      signal,
      maxBytes: this.#o.maxInboundBytes,
      tooLarge: (size) => new EnvelopeTooLargeError(size, this.#o.maxInboundBytes),
      onInternalError: (err) => { this.#log.error('receiving a report failed unexpectedly', { peer, err }) }
    }, async (source) => await this.#accept(source, peer))
    if (reply.type === 'refused') {
      this.#c.metrics?.reportsReceived.inc({ result: reply.reason })
      this.#log.info('report refused', { peer, reason: reply.reason, error: reply.message })
    }
  }

  async #accept (source: AsyncIterable<Uint8Array>, peer: string): Promise<Reply> {
    if (!this.#active) throw new ReportServiceNotStartedError()
    const { store, keys } = this.#c
    const chain = this.#c.chain()
    const box = { publicKey: keys.box.publicKey, privateKey: keys.box.privateKey }
    let opened
    try {
      opened = await openReport({ source, alliance: chain.alliance, org: this.#c.org, box, rosters: chain, now: this.#c.clock() })
    } finally {
      box.privateKey.fill(0)
    }
    const id = toHex(opened.report.id)
    const digest = toHex(opened.digest)
    const self = toHex(keys.sign.publicKey)

    // keyed by author and id: another member that learnt this id cannot pre-empt the author's report
    const author = opened.report.author
    const held = await store.received(author, id)
    if (held !== undefined) {
      if (held.digest !== digest) throw new ReportIdConflictError(id)
      const r = (await store.inboxReceipts(held)).find(x => x.node === self)
      if (r === undefined) throw new ReportBusyError(id)
      this.#c.metrics?.reportsReceived.inc({ result: 'duplicate' })
      this.#log.info('report already held; answered with the stored receipt', { id, author: opened.report.author, peer })
      return { type: 'receipt', receipt: unb64(r.receipt) }
    }
    const slot = `${author}/${id}`
    if (this.#receiving.has(slot)) throw new ReportBusyError(id)
    this.#receiving.add(slot)
    const dir = inboxDir(this.#c.paths, { v: 2, author, id })
    let stored = false
    try {
      await privateDir(join(this.#c.paths.inbox, author))
      await privateDir(dir)
      const files: InboxReport['evidence'] = []
      let bytes = 0
      for await (const ev of opened.evidence()) {
        const tmp = tmpName(this.#c.paths, `${id}.${ev.index}`)
        const w = await writeStreamToFile(tmp, ev.data)
        const name = `evidence-${ev.index}`
        await rename(tmp, join(dir, name))
        files.push({ name: ev.file.name, size: ev.file.size, file: name })
        bytes += w.bytes
      }
      // every evidence file matched the signed report and the envelope ended where it should: now sign
      const received = this.#c.clock()
      const receipt = createReceipt({ signer: keys.sign, alliance: chain.alliance, recipient: this.#c.org, reportId: opened.report.id, signedReportDigest: opened.digest, received })
      const record: InboxReport = {
        v: 2,
        id,
        digest,
        signedReport: b64(opened.bytes),
        author: opened.report.author,
        created: opened.report.created,
        title: opened.report.title,
        reference: opened.report.reference,
        received,
        from: peer,
        evidence: files
      }
      const receiptRecord: ReceiptRecord = { id, org: this.#c.org, node: self, receipt: b64(receipt), received }
      await this.#c.queue.run(async () => {
        const c = this.#c.custody.prepare('received', id, { from: peer, author: opened.report.author, digest, evidence: files.length, bytes }, received)
        await store.receive(record, receiptRecord, c.record)
        c.commit()
      })
      stored = true
      this.#c.metrics?.reportsReceived.inc({ result: 'stored' })
      this.#log.info('report received, checked and receipted', { id, author: opened.report.author, peer, evidence: files.length, bytes })
      return { type: 'receipt', receipt }
    } finally {
      // the id is released only once a failed attempt's files are gone: a retry of the same report
      // that started earlier would have its directory removed under it (found by fuzz-report)
      if (!stored) {
        await rm(dir, { recursive: true, force: true }).catch(() => {})
        await rmdir(join(this.#c.paths.inbox, author)).catch(() => {}) // only if empty: the author's other reports stay
      }
      this.#receiving.delete(slot)
    }
  }

  /** Every report this node received, oldest first. */
  async list (): Promise<ReportInboxItem[]> {
    return (await this.#c.store.allReceived()).sort((a, b) => a.received - b.received).map(inboxItem)
  }

  /** The files in the inbox folder of a report, by id (and author, if several authors used the id) (tests and tools). */
  async files (id: string, author?: string): Promise<string[]> {
    const held = (await this.#c.store.receivedById(checkReportId(id))).filter(r => author === undefined || r.author === author)
    return held.length === 0 ? [] : await readdir(inboxDir(this.#c.paths, held[0])).catch(() => [])
  }
}
