/**
 * The report service: infringement reports from a member's node to
 * law-enforcement nodes (DESIGN.md §7), on top of the pure protocol layer in
 * protocol/report.
 *
 * Author side. `send` refuses before anything is written (recipients not
 * law enforcement, evidence missing or over the limit, invalid or oversize
 * report), hashes the evidence, signs, encrypts once into an envelope file,
 * and queues one delivery per recipient node in one LevelDB batch. The
 * outbox loop delivers the same envelope bytes over the report protocol
 * (wire.ts) with exponential backoff per (report, node), immediately again
 * when that node connects, until a receipt that verifies comes back; state
 * lives in LevelDB, so restarts lose nothing.
 *
 * Recipient side. The handler opens the envelope (this node's box key, the
 * author's key checked against the roster), answers a report it already
 * holds with its stored receipt without reading the evidence (idempotent by
 * report id; the same id with other content is refused), streams each
 * evidence file to a temporary file kept only once its size and SHA-256
 * checked out, signs the receipt only after all of them did, and stores the
 * report, the receipt and a `received` custody record in one batch.
 */
import { createReadStream } from 'node:fs'
import { readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { Level } from 'level'
import * as Digest from 'multiformats/hashes/digest'
import { bytesEqual, fromHex, toHex } from '../../protocol/bytes.js'
import type { Signer } from '../../protocol/ed25519.js'
import {
  buildReport, createReceipt, decodeReport, decodeSignedReport, digestEvidence, encryptReport, evidenceEntry, openReport,
  parseReportInput, ReceiptMismatchError, recipientNodes, signReport, validateRecipients, verifyReceipt, writeBundle,
  type EvidenceInput, type EvidenceFile, type Report
} from '../../protocol/report/index.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { ComponentLogger } from '../logger.js'
import type { Host } from '../net/host.js'
import type {
  ReportCustodyView, ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult
} from '../service.js'
import { WriteQueue } from '../store/queue.js'
import { CustodyLog, type CustodyAction, type CustodyRecord } from './custody.js'
import {
  DeliveryRefusedError, EnvelopeTooLargeError, EvidenceFileError, EvidenceUnavailableError, ExportTargetExistsError,
  InvalidReportRequestError, ReportBusyError, ReportIdConflictError, ReportNotFoundError, ReportServiceConfigError,
  ReportServiceNotStartedError, ReportTooLargeError
} from './errors.js'
import { prepareLayout, privateDir, publishNoReplace, reportPaths, tmpName, writeStreamToFile, type ReportPaths } from './files.js'
import { backoffDelay, isFinalRefusal } from './policy.js'
import {
  b64, deliveryKey, documentView, inboxItem, outboxItem, outboxReportKey, receiptKey, unb64, type DeliveryRecord,
  type InboxReport, type OutboxReport, type ReceiptRecord
} from './records.js'
import { FRAME_DATA_BYTES, receiveEnvelope, reportProtocol, sendEnvelope, type Reply } from './wire.js'

export interface ReportServiceInit {
  /**
   * Largest total evidence of one report this node sends, in bytes. A larger
   * report is refused by `send` before anything is read or queued.
   *
   * @default 4294967296 (4 GiB)
   */
  maxReportBytes?: number
  /**
   * Largest envelope this node accepts from a sender, in bytes; a larger
   * offer is refused before any data is read. Envelopes carry the report
   * (≤ 4 MiB) and 0.04 % of framing on top of the evidence.
   *
   * @default 4362076160 (4 GiB + 64 MiB)
   */
  maxInboundBytes?: number
  /**
   * First retry delay of a delivery; doubles per failure up to `retryMaxDelayMs`.
   *
   * @default 1000
   */
  retryMinDelayMs?: number
  /**
   * Retry delay cap. Retries never stop while the recipient node is in the
   * roster; a recipient that connects is retried at once whatever the delay.
   *
   * @default 300000
   */
  retryMaxDelayMs?: number
  /**
   * Deliveries in flight at once, over all recipients.
   *
   * @default 4
   */
  maxConcurrentDeliveries?: number
  /**
   * Deliveries in flight at once to one recipient node (it accepts `maxInboundStreams`).
   *
   * @default 2
   */
  maxDeliveriesPerPeer?: number
  /**
   * Inbound report streams at once per connection.
   *
   * @default 4
   */
  maxInboundStreams?: number
  /**
   * A transfer with no progress for this long is aborted (and retried).
   *
   * @default 60000
   */
  idleTimeoutMs?: number
  /**
   * Time limit of dialling a recipient and opening a stream.
   *
   * @default 10000
   */
  dialTimeoutMs?: number
  /**
   * How often the outbox looks for deliveries whose retry time has come.
   *
   * @default 1000
   */
  tickMs?: number
}

const defaults: Required<ReportServiceInit> = {
  maxReportBytes: 4 * 1024 ** 3,
  maxInboundBytes: 4 * 1024 ** 3 + 64 * 1024 ** 2,
  retryMinDelayMs: 1000,
  retryMaxDelayMs: 300_000,
  maxConcurrentDeliveries: 4,
  maxDeliveriesPerPeer: 2,
  maxInboundStreams: 4,
  idleTimeoutMs: 60_000,
  dialTimeoutMs: 10_000,
  tickMs: 1000
}

/** The host methods the service uses (node/net/host.ts). */
export type ReportHost = Pick<Host, 'handle' | 'unhandle' | 'dialProtocol' | 'addEventListener' | 'removeEventListener'>

/** Counters the service updates (node/api/metrics.ts); labels are closed sets of results and reason codes. */
export interface ReportMetrics {
  reportDeliveries: { inc: (labels: { result: string }) => void }
  reportsReceived: { inc: (labels: { result: string }) => void }
  reportOutboxPending: { set: (value: number) => void }
}

/** What the service needs injected (STYLE.md §5). */
export interface ReportServiceComponents {
  /** The node directory: the service owns `<dir>/reports/`. */
  dir: string
  /** This node's org. */
  org: string
  /** The node's verified roster chain, read at each use (it grows with roster updates). */
  chain: () => RosterChain
  keys: {
    /** The node's Ed25519 signing key: signs reports, receipts, bundles and custody records. */
    sign: Signer
    /** The node's X25519 key pair: opens envelopes (`privateKey` is read once per envelope and wiped). */
    box: { publicKey: Uint8Array, readonly privateKey: Uint8Array }
  }
  host: ReportHost
  logger: ComponentLogger
  metrics?: ReportMetrics
  /** @default Date.now */
  clock?: () => number
}

/** Merges the defaults once and validates (ReportServiceConfigError). */
export function reportServiceOptions (init: ReportServiceInit = {}): Required<ReportServiceInit> {
  const o = { ...defaults }
  for (const [k, v] of Object.entries(init) as Array<[keyof ReportServiceInit, unknown]>) {
    if (v !== undefined) (o as Record<string, unknown>)[k] = v
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new ReportServiceConfigError(k, `must be a positive whole number, got ${String(v)}`)
  }
  if (o.retryMaxDelayMs < o.retryMinDelayMs) throw new ReportServiceConfigError('retryMaxDelayMs', `must be ≥ retryMinDelayMs (${o.retryMinDelayMs})`)
  if (o.maxDeliveriesPerPeer > o.maxConcurrentDeliveries) throw new ReportServiceConfigError('maxDeliveriesPerPeer', `must be ≤ maxConcurrentDeliveries (${o.maxConcurrentDeliveries})`)
  return o
}

/** Evidence files are read in pieces of this size: few system calls; larger pieces measurably grow the RSS of a node sending many reports. */
const READ_CHUNK_BYTES = 256 * 1024

/** Values are JSON records (records.ts); their shape is asserted where they are read. */
type Json = any
type DB = Level<string, Json>
function jsonSublevel (db: DB, name: string) { // return type inferred: level's sublevel generics are long
  return db.sublevel<string, Json>(name, { keyEncoding: 'utf8', valueEncoding: 'json' })
}
type Sub = ReturnType<typeof jsonSublevel>

interface Open {
  db: DB
  outbox: Sub
  inbox: Sub
  receipts: Sub
  custody: Sub
}

/** A sent report as the outbox loop needs it, decoded once. */
interface Outgoing {
  record: OutboxReport
  report: Report
  signedReport: Uint8Array
  digest: Uint8Array
}

function peerIdOf (multihash: Uint8Array): string {
  return peerIdFromMultihash(Digest.decode(multihash)).toString()
}

function errorInfo (err: unknown): { reason: string, message: string } {
  const e = err as { reason?: unknown, message?: unknown, name?: unknown, code?: unknown }
  const reason = typeof e?.reason === 'string' ? e.reason : typeof e?.name === 'string' && e.name !== 'Error' ? String(e.name) : 'error'
  return { reason, message: typeof e?.message === 'string' ? e.message.slice(0, 500) : String(err) }
}

export class ReportService {
  readonly protocol: string
  readonly #o: Required<ReportServiceInit>
  readonly #c: ReportServiceComponents
  readonly #log: ComponentLogger
  readonly #clock: () => number
  readonly #paths: ReportPaths
  readonly #queue = new WriteQueue()
  readonly #custody: CustodyLog
  readonly #pending = new Map<string, DeliveryRecord>()
  readonly #running = new Map<string, Promise<void>>()
  readonly #perPeer = new Map<string, number>()
  readonly #outgoing = new Map<string, Outgoing>()
  readonly #receiving = new Set<string>()
  readonly #inbound = new Set<Promise<unknown>>()
  #s: Open | undefined
  #abort = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #stopping = false

  constructor (init: ReportServiceInit, components: ReportServiceComponents) {
    this.#o = reportServiceOptions(init)
    this.#c = components
    this.#log = components.logger
    this.#clock = components.clock ?? Date.now
    this.#paths = reportPaths(components.dir)
    this.#custody = new CustodyLog(components.keys.sign)
    this.protocol = reportProtocol(components.chain().alliance)
  }

  get isStarted (): boolean { return this.#s !== undefined }

  // ---------------------------------------------------------------- lifecycle

  /** Opens the database, reloads pending deliveries, checks the custody log, registers the protocol handler, starts the outbox loop. */
  async start (): Promise<void> {
    if (this.#s !== undefined) return
    this.#stopping = false
    this.#abort = new AbortController()
    const leftovers = await prepareLayout(this.#paths)
    if (leftovers > 0) this.#log.info('removed partial report files left by an interrupted run', { files: leftovers })
    const db: DB = new Level<string, Json>(this.#paths.db, { keyEncoding: 'utf8', valueEncoding: 'json' })
    await db.open()
    const sub = (name: string): Sub => jsonSublevel(db, name)
    const s: Open = { db, outbox: sub('outbox'), inbox: sub('inbox'), receipts: sub('receipts'), custody: sub('custody') }
    try {
      await this.#custody.load({ iterator: () => s.custody.iterator() as AsyncIterable<[string, CustodyRecord]> })
      if (this.#custody.damage !== undefined) this.#log.error('chain-of-custody log is damaged on disk; it is kept as found', { damage: this.#custody.damage })
      for await (const [, d] of s.outbox.iterator({ gte: 'd/', lt: 'd0' }) as AsyncIterable<[string, DeliveryRecord]>) {
        if (d.state === 'pending') this.#pending.set(`${d.id}/${d.node}`, d)
      }
      this.#s = s
      await this.#c.host.handle(this.protocol, (stream, connection) => {
        this.#track(this.#serve(stream, connection.remotePeer.toString()))
      }, { maxInboundStreams: this.#o.maxInboundStreams })
    } catch (err) {
      this.#s = undefined
      await db.close().catch(() => {})
      throw err
    }
    this.#c.host.addEventListener('peer:connect', this.#onPeerConnect)
    this.#timer = setInterval(() => { this.#pump() }, this.#o.tickMs)
    this.#timer.unref()
    this.#gauge()
    this.#log.info('report service started', { protocol: this.protocol, pending: this.#pending.size, custodyRecords: this.#custody.length })
    this.#pump()
  }

  /** Stops the loop, aborts transfers in flight (they resume after a restart), removes the handler, closes the database. */
  async stop (): Promise<void> {
    const s = this.#s
    if (s === undefined) return
    this.#stopping = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#c.host.removeEventListener('peer:connect', this.#onPeerConnect)
    await this.#c.host.unhandle(this.protocol).catch(() => {})
    this.#abort.abort()
    await Promise.allSettled([...this.#running.values(), ...this.#inbound])
    await this.#queue.idle()
    this.#s = undefined
    this.#pending.clear()
    this.#outgoing.clear()
    await s.db.close()
    this.#log.info('report service stopped')
  }

  #open (): Open {
    if (this.#s === undefined || this.#stopping) throw new ReportServiceNotStartedError()
    return this.#s
  }

  #track (p: Promise<unknown>): void {
    const tracked = p.catch(err => { this.#log.error('report stream handler failed', { err }) })
    this.#inbound.add(tracked)
    void tracked.finally(() => this.#inbound.delete(tracked))
  }

  #gauge (): void {
    this.#c.metrics?.reportOutboxPending.set(this.#pending.size)
  }

  // ---------------------------------------------------------------- author: send

  async send (req: ReportSendRequest): Promise<ReportSendResult> {
    const s = this.#open()
    const input = parseReportInput(req.report)
    const chain = this.#c.chain()
    const roster = chain.current
    const to = req.to ?? []
    const recipients = [...new Set([...input.recipients, ...to])]
    if (recipients.length === 0) throw new InvalidReportRequestError('name at least one law-enforcement recipient (--to <org>)')
    validateRecipients({ recipients }, roster)

    if (input.id !== undefined) {
      const existing = await s.outbox.get(outboxReportKey(input.id)) as OutboxReport | undefined
      if (existing !== undefined) return { ...outboxItem(existing, await this.#deliveries(input.id)), duplicate: true }
    }

    const entries: EvidenceInput[] = [...input.evidence, ...(req.evidence ?? []).map(path => ({ path }))]
    for (const e of entries) {
      if (!isAbsolute(e.path)) throw new InvalidReportRequestError(`evidence path ${JSON.stringify(e.path)} is not absolute; give paths on the node's machine (the CLI resolves them for you)`)
    }
    const created = this.#clock()
    const base = { input, alliance: chain.alliance, author: this.#c.org, authorKey: this.#c.keys.sign.publicKey, created, recipients: to }
    // every rule but the evidence digests, before any file is read
    buildReport({ ...base, evidence: entries.map(e => evidenceEntry(e, { sha256: new Uint8Array(32), size: 0 })) })

    let total = 0
    for (const e of entries) {
      let st
      try {
        st = await stat(e.path)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        throw new EvidenceFileError(e.path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`, { cause: err })
      }
      if (!st.isFile()) throw new EvidenceFileError(e.path, 'is not a regular file')
      total += st.size
    }
    if (total > this.#o.maxReportBytes) throw new ReportTooLargeError(total, this.#o.maxReportBytes)

    const files: EvidenceFile[] = []
    for (const e of entries) {
      try {
        files.push(evidenceEntry(e, await digestEvidence(createReadStream(e.path, { highWaterMark: READ_CHUNK_BYTES }))))
      } catch (err) {
        throw new EvidenceFileError(e.path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
      }
    }
    if (files.reduce((a, f) => a + f.size, 0) > this.#o.maxReportBytes) throw new ReportTooLargeError(files.reduce((a, f) => a + f.size, 0), this.#o.maxReportBytes)
    const report = buildReport({ ...base, evidence: files })
    const signed = signReport(this.#c.keys.sign, report)
    const id = toHex(report.id)
    const nodes = recipientNodes(report, roster).filter(n => !bytesEqual(n.signKey, this.#c.keys.sign.publicKey))

    // one envelope for every recipient node, written once, resent byte for byte
    const envelopeName = `${id}.envelope`
    const tmp = tmpName(this.#paths, envelopeName)
    const envelope = encryptReport({ signedReport: signed.bytes, roster, evidence: (_file, i) => createReadStream(entries[i].path, { highWaterMark: READ_CHUNK_BYTES }) })
    const { bytes } = await writeStreamToFile(tmp, envelope)

    const record: OutboxReport = {
      v: 1,
      id,
      created,
      queuedAt: this.#clock(),
      title: report.title,
      reference: report.reference,
      recipients: report.recipients,
      digest: toHex(signed.digest),
      signedReport: b64(signed.bytes),
      envelope: envelopeName,
      envelopeBytes: bytes,
      evidence: files.map((f, i) => ({ name: f.name, size: f.size, path: entries[i].path }))
    }
    const deliveries: DeliveryRecord[] = nodes.map(n => ({
      id,
      org: n.org,
      node: toHex(n.signKey),
      peerId: peerIdOf((roster.memberOf(n.signKey)?.node.peerId) as Uint8Array),
      state: 'pending',
      attempts: 0,
      nextAttemptAt: record.queuedAt
    }))
    const result = await this.#queue.run(async () => {
      // an id given by the caller may have been queued meanwhile
      const again = await s.outbox.get(outboxReportKey(id)) as OutboxReport | undefined
      if (again !== undefined) return { ...outboxItem(again, await this.#deliveries(id)), duplicate: true }
      await rename(tmp, join(this.#paths.outbox, envelopeName))
      await s.db.batch([
        { type: 'put', sublevel: s.outbox, key: outboxReportKey(id), value: record },
        ...deliveries.map(d => ({ type: 'put' as const, sublevel: s.outbox, key: deliveryKey(id, d.node), value: d }))
      ])
      return { ...outboxItem(record, deliveries), duplicate: false }
    }).finally(async () => { await rm(tmp, { force: true }) })
    if (result.duplicate) return result
    for (const d of deliveries) this.#pending.set(`${id}/${d.node}`, d)
    this.#outgoing.set(id, { record, report, signedReport: signed.bytes, digest: signed.digest })
    this.#gauge()
    this.#log.info('report queued', { id, recipients: report.recipients, nodes: deliveries.length, evidence: files.length, bytes: total })
    this.#pump()
    return result
  }

  async #deliveries (id: string): Promise<DeliveryRecord[]> {
    const s = this.#open()
    const out: DeliveryRecord[] = []
    for await (const [, d] of s.outbox.iterator({ gte: `d/${id}/`, lt: `d/${id}0` }) as AsyncIterable<[string, DeliveryRecord]>) out.push(d)
    return out
  }

  // ---------------------------------------------------------------- author: the outbox loop

  readonly #onPeerConnect = (evt: CustomEvent<string>): void => {
    const now = this.#clock()
    let due = false
    for (const d of this.#pending.values()) {
      if (d.peerId === evt.detail && d.nextAttemptAt > now) { d.nextAttemptAt = now; due = true }
    }
    if (due) this.#pump()
  }

  /** Starts every due delivery the concurrency limits allow. */
  #pump (): void {
    if (this.#stopping || this.#s === undefined) return
    const now = this.#clock()
    const due = [...this.#pending.entries()]
      .filter(([k, d]) => !this.#running.has(k) && d.nextAttemptAt <= now)
      .sort((a, b) => a[1].nextAttemptAt - b[1].nextAttemptAt)
    for (const [key, d] of due) {
      if (this.#running.size >= this.#o.maxConcurrentDeliveries) break
      if ((this.#perPeer.get(d.peerId) ?? 0) >= this.#o.maxDeliveriesPerPeer) continue
      this.#perPeer.set(d.peerId, (this.#perPeer.get(d.peerId) ?? 0) + 1)
      const run = this.#attempt(d).catch(err => {
        this.#log.error('delivery bookkeeping failed', { id: d.id, org: d.org, err })
      }).finally(() => {
        this.#running.delete(key)
        this.#perPeer.set(d.peerId, (this.#perPeer.get(d.peerId) ?? 1) - 1)
        this.#pump()
      })
      this.#running.set(key, run)
    }
  }

  async #outgoingOf (id: string): Promise<Outgoing> {
    let o = this.#outgoing.get(id)
    if (o === undefined) {
      const record = await this.#open().outbox.get(outboxReportKey(id)) as OutboxReport | undefined
      if (record === undefined) throw new ReportNotFoundError(id)
      const signedReport = unb64(record.signedReport)
      o = { record, report: decodeReport(decodeSignedReport(signedReport).report), signedReport, digest: fromHex(record.digest) }
      this.#outgoing.set(id, o)
    }
    return o
  }

  async #attempt (d: DeliveryRecord): Promise<void> {
    const o = await this.#outgoingOf(d.id)
    const chain = this.#c.chain()
    const nodeKey = fromHex(d.node)
    const who = chain.current.memberOf(nodeKey)
    if (who === undefined || who.member.org !== d.org) {
      await this.#finish(d, 'dropped', { reason: 'not_in_roster', message: `node ${d.node.slice(0, 16)}… of ${d.org} is no longer in the roster` })
      return
    }
    d.peerId = peerIdOf(who.node.peerId)
    const signal = this.#abort.signal
    try {
      const stream = await this.#c.host.dialProtocol(d.peerId, this.protocol, { signal: AbortSignal.any([signal, AbortSignal.timeout(this.#o.dialTimeoutMs)]) })
      const source = createReadStream(join(this.#paths.outbox, o.record.envelope), { highWaterMark: FRAME_DATA_BYTES })
      let reply: Reply
      try {
        reply = await sendEnvelope(stream, o.record.envelopeBytes, source, { idleTimeoutMs: this.#o.idleTimeoutMs, signal })
      } finally {
        source.destroy()
      }
      if (reply.type === 'refused') throw new DeliveryRefusedError(reply.reason, reply.message, isFinalRefusal(reply.reason))
      const receipt = verifyReceipt(reply.receipt, { report: o.report, signedReportDigest: o.digest, rosters: chain })
      if (!bytesEqual(receipt.recipientKey, nodeKey)) throw new ReceiptMismatchError('it is signed by another node than the one it was delivered to')
      const s = this.#open()
      d.state = 'delivered'
      d.attempts++
      d.deliveredAt = this.#clock()
      d.received = receipt.received
      delete d.lastError
      const rec: ReceiptRecord = { id: d.id, org: d.org, node: d.node, receipt: b64(reply.receipt), received: receipt.received }
      await this.#queue.run(async () => {
        await s.db.batch([
          { type: 'put', sublevel: s.outbox, key: deliveryKey(d.id, d.node), value: d },
          { type: 'put', sublevel: s.receipts, key: receiptKey(d.id, d.node), value: rec }
        ])
      })
      this.#pending.delete(`${d.id}/${d.node}`)
      this.#c.metrics?.reportDeliveries.inc({ result: 'delivered' })
      this.#log.info('report delivered; receipt verified', { id: d.id, org: d.org, peer: d.peerId, attempts: d.attempts })
      await this.#maybeRetire(d.id)
    } catch (err) {
      if (this.#stopping && signal.aborted) return // interrupted by stop(): resumes after a restart, no attempt counted
      if ((err as Error).name === 'HostNotStartedError') return // the node is still starting: the next tick tries again, no attempt counted
      const info = errorInfo(err)
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.#finish(d, 'dropped', { reason: 'envelope_missing', message: `the envelope file ${o.record.envelope} is gone from the outbox` })
      } else if (err instanceof DeliveryRefusedError && err.permanent) {
        await this.#finish(d, 'refused', info)
      } else {
        d.attempts++
        d.nextAttemptAt = this.#clock() + backoffDelay(d.attempts, this.#o.retryMinDelayMs, this.#o.retryMaxDelayMs, Math.random())
        d.lastError = { ...info, at: this.#clock() }
        await this.#saveDelivery(d)
        this.#c.metrics?.reportDeliveries.inc({ result: 'retry' })
        this.#log.debug('delivery failed; will retry', { id: d.id, org: d.org, peer: d.peerId, attempts: d.attempts, reason: info.reason, error: info.message, retryInMs: d.nextAttemptAt - this.#clock() })
      }
    }
  }

  async #saveDelivery (d: DeliveryRecord): Promise<void> {
    const s = this.#open()
    await this.#queue.run(async () => { await s.outbox.put(deliveryKey(d.id, d.node), d) })
  }

  async #finish (d: DeliveryRecord, state: 'refused' | 'dropped', info: { reason: string, message: string }): Promise<void> {
    d.state = state
    d.attempts++
    d.lastError = { ...info, at: this.#clock() }
    await this.#saveDelivery(d)
    this.#pending.delete(`${d.id}/${d.node}`)
    this.#gauge()
    this.#c.metrics?.reportDeliveries.inc({ result: state })
    this.#log.warn(`delivery ${state}; not retried`, { id: d.id, org: d.org, peer: d.peerId, reason: info.reason, error: info.message })
    await this.#maybeRetire(d.id)
  }

  /** Once no delivery of a report is pending, its envelope is no longer needed. */
  async #maybeRetire (id: string): Promise<void> {
    this.#gauge()
    for (const d of this.#pending.values()) if (d.id === id) return
    const o = this.#outgoing.get(id)
    this.#outgoing.delete(id)
    if (o !== undefined) await unlink(join(this.#paths.outbox, o.record.envelope)).catch(() => {})
  }

  // ---------------------------------------------------------------- recipient: the protocol handler

  async #serve (stream: Stream, peer: string): Promise<void> {
    const signal = this.#abort.signal
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
    const s = this.#open()
    const chain = this.#c.chain()
    const box = { publicKey: this.#c.keys.box.publicKey, privateKey: this.#c.keys.box.privateKey }
    let opened
    try {
      opened = await openReport({ source, alliance: chain.alliance, org: this.#c.org, box, rosters: chain, now: this.#clock() })
    } finally {
      box.privateKey.fill(0)
    }
    const id = toHex(opened.report.id)
    const digest = toHex(opened.digest)
    const self = toHex(this.#c.keys.sign.publicKey)

    const held = await s.inbox.get(id) as InboxReport | undefined
    if (held !== undefined) {
      if (held.digest !== digest) throw new ReportIdConflictError(id)
      const r = await s.receipts.get(receiptKey(id, self)) as ReceiptRecord | undefined
      if (r === undefined) throw new ReportBusyError(id)
      this.#c.metrics?.reportsReceived.inc({ result: 'duplicate' })
      this.#log.info('report already held; answered with the stored receipt', { id, author: opened.report.author, peer })
      return { type: 'receipt', receipt: unb64(r.receipt) }
    }
    if (this.#receiving.has(id)) throw new ReportBusyError(id)
    this.#receiving.add(id)
    const dir = join(this.#paths.inbox, id)
    let stored = false
    try {
      await privateDir(dir)
      const files: InboxReport['evidence'] = []
      let bytes = 0
      for await (const ev of opened.evidence()) {
        const tmp = tmpName(this.#paths, `${id}.${ev.index}`)
        const w = await writeStreamToFile(tmp, ev.data)
        const name = `evidence-${ev.index}`
        await rename(tmp, join(dir, name))
        files.push({ name: ev.file.name, size: ev.file.size, file: name })
        bytes += w.bytes
      }
      // every evidence file matched the signed report and the envelope ended where it should: now sign
      const received = this.#clock()
      const receipt = createReceipt({ signer: this.#c.keys.sign, alliance: chain.alliance, recipient: this.#c.org, reportId: opened.report.id, signedReportDigest: opened.digest, received })
      const record: InboxReport = {
        v: 1,
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
      await this.#queue.run(async () => {
        const c = this.#custody.prepare('received', id, { from: peer, author: opened.report.author, digest, evidence: files.length, bytes }, received)
        await s.db.batch([
          { type: 'put', sublevel: s.inbox, key: id, value: record },
          { type: 'put', sublevel: s.receipts, key: receiptKey(id, self), value: { id, org: this.#c.org, node: self, receipt: b64(receipt), received } satisfies ReceiptRecord },
          { type: 'put', sublevel: s.custody, key: c.key, value: c.record }
        ])
        c.commit()
      })
      stored = true
      this.#c.metrics?.reportsReceived.inc({ result: 'stored' })
      this.#log.info('report received, checked and receipted', { id, author: opened.report.author, peer, evidence: files.length, bytes })
      return { type: 'receipt', receipt }
    } finally {
      // the id is released only once a failed attempt's files are gone: a retry of the same report
      // that started earlier would have its directory removed under it (found by fuzz-report)
      if (!stored) await rm(dir, { recursive: true, force: true }).catch(() => {})
      this.#receiving.delete(id)
    }
  }

  // ---------------------------------------------------------------- queries

  async outbox (): Promise<ReportOutboxItem[]> {
    const s = this.#open()
    const reports: OutboxReport[] = []
    const deliveries = new Map<string, DeliveryRecord[]>()
    for await (const [k, v] of s.outbox.iterator() as AsyncIterable<[string, Json]>) {
      if (k.startsWith('r/')) reports.push(v as OutboxReport)
      else {
        const d = v as DeliveryRecord
        const live = this.#pending.get(`${d.id}/${d.node}`) ?? d
        deliveries.set(d.id, [...(deliveries.get(d.id) ?? []), live])
      }
    }
    return reports.sort((a, b) => a.queuedAt - b.queuedAt).map(r => outboxItem(r, deliveries.get(r.id) ?? []))
  }

  async inbox (): Promise<ReportInboxItem[]> {
    const s = this.#open()
    const out: InboxReport[] = []
    for await (const [, v] of s.inbox.iterator() as AsyncIterable<[string, InboxReport]>) out.push(v)
    return out.sort((a, b) => a.received - b.received).map(inboxItem)
  }

  #checkId (id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new InvalidReportRequestError(`${JSON.stringify(id.slice(0, 40))} is not a report id (32 hex digits)`)
    return id
  }

  async #custodyOf (id: string): Promise<ReportCustodyView[]> {
    const s = this.#open()
    const out: ReportCustodyView[] = []
    for await (const [, r] of s.custody.iterator() as AsyncIterable<[string, CustodyRecord]>) {
      if (r.report === id) out.push({ seq: r.seq, time: r.time, action: r.action, detail: r.detail, hash: r.hash })
    }
    return out
  }

  async #receiptsOf (id: string): Promise<ReceiptRecord[]> {
    const s = this.#open()
    const out: ReceiptRecord[] = []
    for await (const [, r] of s.receipts.iterator({ gte: `${id}/`, lt: `${id}0` }) as AsyncIterable<[string, ReceiptRecord]>) out.push(r)
    return out
  }

  async #appendCustody (action: CustodyAction, id: string, detail: Record<string, string | number>): Promise<void> {
    const s = this.#open()
    await this.#queue.run(async () => {
      const c = this.#custody.prepare(action, id, detail, this.#clock())
      await s.custody.put(c.key, c.record)
      c.commit()
    })
  }

  /** The report in full. On a recipient, logs `opened` in the chain of custody first. */
  async show (id: string, by = 'local API'): Promise<ReportDetail> {
    const s = this.#open()
    this.#checkId(id)
    const sent = await s.outbox.get(outboxReportKey(id)) as OutboxReport | undefined
    const got = sent === undefined ? await s.inbox.get(id) as InboxReport | undefined : undefined
    if (sent === undefined && got === undefined) throw new ReportNotFoundError(id)
    if (got !== undefined) await this.#appendCustody('opened', id, { by })
    const signed = unb64((sent ?? got as InboxReport).signedReport)
    const report = decodeReport(decodeSignedReport(signed).report)
    const receipts = await this.#receiptsOf(id)
    return {
      direction: sent !== undefined ? 'sent' : 'received',
      id,
      digest: (sent ?? got as InboxReport).digest,
      report: documentView(report),
      outbox: sent !== undefined ? outboxItem(sent, (await this.#deliveries(id)).map(d => this.#pending.get(`${d.id}/${d.node}`) ?? d)) : null,
      inbox: got !== undefined ? inboxItem(got) : null,
      receipts: receipts.map(r => ({ org: r.org, node: r.node, received: new Date(r.received).toISOString() })),
      custody: await this.#custodyOf(id),
      custodyIntact: this.#custody.damage === undefined
    }
  }

  /**
   * Writes the evidence bundle (protocol/report/bundle.ts) to `outPath`:
   * streamed to a temporary file beside it, then linked into place, never
   * replacing an existing file. A recipient bundles the evidence it
   * received; the author re-reads its original files, which must still
   * match the digests it signed. Logged as `exported` in the chain of custody.
   */
  async export (id: string, outPath: string): Promise<ReportExportResult> {
    const s = this.#open()
    this.#checkId(id)
    if (!isAbsolute(outPath)) throw new InvalidReportRequestError(`the bundle path ${JSON.stringify(outPath)} is not absolute`)
    const sent = await s.outbox.get(outboxReportKey(id)) as OutboxReport | undefined
    const got = sent === undefined ? await s.inbox.get(id) as InboxReport | undefined : undefined
    if (sent === undefined && got === undefined) throw new ReportNotFoundError(id)
    if (await stat(outPath).then(() => true, () => false)) throw new ExportTargetExistsError(outPath)
    const signedReport = unb64((sent ?? got as InboxReport).signedReport)
    const receipts = (await this.#receiptsOf(id)).map(r => unb64(r.receipt))
    const paths = sent !== undefined ? sent.evidence.map(e => e.path) : (got as InboxReport).evidence.map(e => join(this.#paths.inbox, id, e.file))
    const chain = this.#c.chain()
    const exported = this.#clock()
    const bundle = writeBundle({
      rosters: chain,
      signedReport,
      receipts,
      exporter: this.#c.keys.sign,
      exported,
      evidence: (file, i) => this.#readEvidence(paths[i], file)
    })
    const tmp = `${outPath}.${process.pid}.${Date.now()}.part`
    const written = await writeStreamToFile(tmp, bundle, { hash: true }) as { bytes: number, sha256: string }
    try {
      await publishNoReplace(tmp, outPath)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ExportTargetExistsError(outPath)
      throw err
    }
    const org = this.#c.org
    await this.#appendCustody('exported', id, { by: 'local API', out: outPath, bytes: written.bytes, sha256: written.sha256, receipts: receipts.length })
    this.#log.info('evidence bundle exported', { id, bytes: written.bytes, receipts: receipts.length })
    return { id, out: outPath, bytes: written.bytes, sha256: written.sha256, receipts: receipts.length, exporter: org }
  }

  async * #readEvidence (path: string, file: EvidenceFile): AsyncGenerator<Uint8Array> {
    try {
      yield * createReadStream(path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== undefined) throw new EvidenceUnavailableError(file.name, `cannot be read from ${path} (${code}); the author's original file must stay where it was when the report was sent`, { cause: err })
      throw err
    }
  }

  /** Files in the inbox folder of a report (tests and tools). */
  async inboxFiles (id: string): Promise<string[]> {
    return await readdir(join(this.#paths.inbox, this.#checkId(id))).catch(() => [])
  }
}

/** Builds (does not start) the report service; options are validated here (ReportServiceConfigError). */
export function createReportService (init: ReportServiceInit, components: ReportServiceComponents): ReportService {
  return new ReportService(init, components)
}
