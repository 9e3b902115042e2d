/**
 * The report service: infringement reports from a member's node to
 * law-enforcement nodes (DESIGN.md §7), on top of the pure protocol layer in
 * protocol/report. A thin composition of its parts, started and stopped
 * together:
 *
 *   outbox.ts   author: send (compose.ts), the delivery loop (schedule.ts decides what is due)
 *   inbox.ts    recipient: the report-protocol handler
 *   export.ts   show and export (evidence bundles)
 *   custody.ts  the chain-of-custody log the inbox and export append to
 *   store/      records on LevelDB (`<dir>/reports/db`) or in memory
 *
 * All writes go through one queue; the parts share the store and the
 * custody log. Public methods refuse with ReportServiceNotStartedError
 * before start() and once stop() has begun.
 */
import { FileAccess } from '../file-access.js'
import type { ComponentLogger } from '../logger.js'
import type {
  ReportCustodyLog, ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult
} from '../service.js'
import { WriteQueue } from '../store/queue.js'
import { CustodyLog } from './custody.js'
import { ReportServiceNotStartedError } from './errors.js'
import { ReportExport } from './export.js'
import { prepareLayout, reportPaths, type ReportPaths } from './files.js'
import { Inbox } from './inbox.js'
import { reportServiceOptions, type ReportServiceComponents, type ReportServiceInit } from './options.js'
import { Outbox } from './outbox.js'
import { createReportStore, type ReportStore } from './store/index.js'
import { reportProtocol } from './wire.js'

export { reportServiceOptions, REPORT_SERVICE_DEFAULTS, type ReportHost, type ReportMetrics, type ReportServiceComponents, type ReportServiceInit } from './options.js'

export class ReportService {
  readonly protocol: string
  readonly #c: ReportServiceComponents
  readonly #maxInboundStreams: number
  readonly #log: ComponentLogger
  readonly #paths: ReportPaths
  readonly #store: ReportStore
  readonly #queue = new WriteQueue()
  readonly #custody: CustodyLog
  readonly #outbox: Outbox
  readonly #inbox: Inbox
  readonly #export: ReportExport
  #started = false
  #stopping = false

  constructor (init: ReportServiceInit, components: ReportServiceComponents) {
    const opts = reportServiceOptions(init)
    this.#maxInboundStreams = opts.maxInboundStreams
    this.#c = components
    this.#log = components.logger
    this.#paths = reportPaths(components.dir)
    this.#store = components.store ?? createReportStore({ path: this.#paths.db })
    this.#custody = new CustodyLog(components.keys.sign)
    this.protocol = reportProtocol(components.chain().alliance)
    const clock = components.clock ?? Date.now
    const files = components.files ?? new FileAccess({ nodeDir: components.dir })
    const shared = { store: this.#store, queue: this.#queue, paths: this.#paths, org: components.org, chain: components.chain, logger: components.logger, clock, files }
    this.#outbox = new Outbox(opts, {
      ...shared,
      signer: components.keys.sign,
      dial: async (peerId, signal) => await components.host.dialProtocol(peerId, this.protocol, { signal }),
      metrics: components.metrics,
      random: components.random ?? Math.random
    })
    this.#inbox = new Inbox(opts, { ...shared, custody: this.#custody, keys: components.keys, metrics: components.metrics })
    this.#export = new ReportExport({ ...shared, custody: this.#custody, signer: components.keys.sign, deliveriesOf: async id => await this.#outbox.deliveriesOf(id) })
  }

  get isStarted (): boolean { return this.#started }

  /** Prepares `<dir>/reports/`, opens the store, checks the custody log, registers the protocol handler, starts the outbox loop. */
  async start (): Promise<void> {
    if (this.#started) return
    this.#stopping = false
    const leftovers = await prepareLayout(this.#paths)
    if (leftovers > 0) this.#log.info('removed partial report files left by an interrupted run', { files: leftovers })
    await this.#store.open()
    try {
      await this.#custody.load(this.#store.custody())
      if (this.#custody.damage !== undefined) this.#log.error('chain-of-custody log is damaged on disk; it is kept as found', { damage: this.#custody.damage })
      this.#inbox.start()
      await this.#c.host.handle(this.protocol, (stream, connection) => { this.#inbox.handle(stream, connection.remotePeer.toString()) }, { maxInboundStreams: this.#maxInboundStreams })
      await this.#outbox.start()
    } catch (err) {
      await this.#inbox.stop()
      await this.#outbox.stop()
      await this.#c.host.unhandle(this.protocol).catch(() => {})
      await this.#store.close().catch(() => {})
      throw err
    }
    this.#started = true
    this.#c.host.addEventListener('peer:connect', this.#onPeerConnect)
    this.#log.info('report service started', { protocol: this.protocol, pending: this.#outbox.pending, custodyRecords: this.#custody.length })
  }

  /** Stops the loop, aborts transfers in flight (they resume after a restart), removes the handler, closes the store. */
  async stop (): Promise<void> {
    if (!this.#started) return
    this.#stopping = true
    this.#c.host.removeEventListener('peer:connect', this.#onPeerConnect)
    await this.#c.host.unhandle(this.protocol).catch(() => {})
    await Promise.all([this.#outbox.stop(), this.#inbox.stop()])
    await this.#queue.idle()
    this.#started = false
    await this.#store.close()
    this.#log.info('report service stopped')
  }

  readonly #onPeerConnect = (evt: CustomEvent<string>): void => { this.#outbox.peerConnected(evt.detail) }

  #running (): void {
    if (!this.#started || this.#stopping) throw new ReportServiceNotStartedError()
  }

  /** Signs, encrypts and queues a report (idempotent by the caller's report id); refusals are named errors and queue nothing. */
  async send (req: ReportSendRequest): Promise<ReportSendResult> {
    this.#running()
    return await this.#outbox.send(req)
  }

  async outbox (): Promise<ReportOutboxItem[]> {
    this.#running()
    return await this.#outbox.list()
  }

  async inbox (): Promise<ReportInboxItem[]> {
    this.#running()
    return await this.#inbox.list()
  }

  /** The report in full. On a recipient, logs `opened` in the chain of custody first. */
  async show (id: string, by: string | Record<string, string> = 'local API', author?: string): Promise<ReportDetail> {
    this.#running()
    return await this.#export.show(id, by, author)
  }

  /** The report's custody records on this node, without logging anything. */
  async custodyOf (id: string, author?: string): Promise<ReportCustodyLog> {
    this.#running()
    return await this.#export.custody(id, author)
  }

  /** Writes the evidence bundle of a report to `outPath` (absolute, never overwritten); logged as `exported`. */
  async export (id: string, outPath: string, author?: string, by: Record<string, string> = { by: 'local API' }): Promise<ReportExportResult> {
    this.#running()
    return await this.#export.export(id, outPath, author, by)
  }

  /** Where evidence file `index` of a report is, with its signed SHA-256; logged as `exported` (the console's download). */
  async evidenceFile (id: string, index: number, by: string): Promise<{ path: string, name: string, size: number, mediaType: string, sha256: string }> {
    this.#running()
    return await this.#export.evidenceFile(id, index, by)
  }

  /** Files in the inbox folder of a report (tests and tools). */
  async inboxFiles (id: string): Promise<string[]> {
    return await this.#inbox.files(id)
  }
}

/** Builds (does not start) the report service; options are validated here (ReportServiceConfigError). */
export function createReportService (init: ReportServiceInit, components: ReportServiceComponents): ReportService {
  return new ReportService(init, components)
}
