/**
 * The author's outbox: `send` queues a report (one envelope file for every
 * recipient node, written once and resent byte for byte, and one delivery
 * record per recipient node, in one batch), and the delivery loop sends the
 * envelope over the report protocol (wire.ts) until a receipt that verifies
 * comes back, with exponential backoff per (report, node) and at once when
 * that node connects. What to attempt and when is decided by schedule.ts;
 * every state change is stored before it is acted on, so restarts lose
 * nothing.
 */
import { createReadStream } from 'node:fs'
import { readdir, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stream } from '@libp2p/interface'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { bytesEqual, fromHex, toHex } from '../../protocol/bytes.js'
import type { Signer } from '../../protocol/ed25519.js'
import {
  decodeReport, decodeSignedReport, encryptReport, ReceiptMismatchError, recipientNodes, verifyReceipt, type Report
} from '../../protocol/report/index.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { FileAccess } from '../file-access.js'
import type { ComponentLogger } from '../logger.js'
import type { ReportOutboxItem, ReportSendRequest, ReportSendResult } from '../service.js'
import type { WriteQueue } from '../store/queue.js'
import { composeReport, planSend, readEvidenceFile } from './compose.js'
import { DeliveryRefusedError, ReportNotFoundError } from './errors.js'
import { tmpName, writeStreamToFile, type ReportPaths } from './files.js'
import type { ReportMetrics, ReportServiceInit } from './options.js'
import { isFinalRefusal } from './policy.js'
import { b64, deliverySlot, unb64, type DeliveryRecord, type OutboxReport, type ReceiptRecord } from './records.js'
import { dueDeliveries, dueOnConnect, retryAt } from './schedule.js'
import type { ReportStore } from './store/index.js'
import { outboxItem } from './views.js'
import { FRAME_DATA_BYTES, sendEnvelope, type Reply } from './wire.js'

export type OutboxOptions = Pick<Required<ReportServiceInit>,
'maxReportBytes' | 'retryMinDelayMs' | 'retryMaxDelayMs' | 'maxConcurrentDeliveries' | 'maxDeliveriesPerPeer' | 'idleTimeoutMs' | 'dialTimeoutMs' | 'tickMs'>

export interface OutboxComponents {
  store: ReportStore
  /** The service's one write queue: a caller's report id is checked and queued in one step. */
  queue: WriteQueue
  paths: ReportPaths
  org: string
  signer: Signer
  chain: () => RosterChain
  /** Opens a report-protocol stream to a peer (the host's dialProtocol). */
  dial: (peerId: string, signal: AbortSignal) => Promise<Stream>
  logger: ComponentLogger
  metrics?: ReportMetrics
  clock: () => number
  random: () => number
  /** Where evidence may be read from (node/file-access.ts). */
  files: FileAccess
}

/** A sent report as the delivery loop needs it, decoded once. */
interface Outgoing {
  record: OutboxReport
  report: Report
  signedReport: Uint8Array
  digest: Uint8Array
}

type Finished = 'refused' | 'dropped'

/** An envelope's file name in reports/outbox/. */
const envelopeName = (id: string): string => `${id}.envelope`
const ENVELOPE_NAME = /^[0-9a-f]{32}\.envelope$/

export function peerIdOf (multihash: Uint8Array): string {
  return peerIdFromMultihash(Digest.decode(multihash)).toString()
}

/** The reason code and message of a failed attempt, for the delivery record (never report content). */
export function errorInfo (err: unknown): { reason: string, message: string } {
  // a dial to every address failed: name the causes, not "AggregateError: All promises were rejected"
  if (err instanceof AggregateError && err.errors.length > 0) {
    const inner = err.errors.map(errorInfo)
    return { reason: inner[0].reason, message: [...new Set(inner.map(i => i.message))].join('; ').slice(0, 500) }
  }
  const e = err as { reason?: unknown, message?: unknown, name?: unknown } | undefined
  const reason = typeof e?.reason === 'string' ? e.reason : typeof e?.name === 'string' && e.name !== 'Error' ? e.name : 'error'
  return { reason, message: typeof e?.message === 'string' ? e.message.slice(0, 500) : String(err) }
}

export class Outbox {
  readonly #o: OutboxOptions
  readonly #c: OutboxComponents
  readonly #log: ComponentLogger
  /** Deliveries still being tried, by slot: the live state (the stored record plus a refreshed peer id or a connect-time retry). */
  readonly #pending = new Map<string, DeliveryRecord>()
  /** Attempts in flight, by slot: the recipient node and the attempt. */
  readonly #running = new Map<string, { node: string, run: Promise<void> }>()
  readonly #outgoing = new Map<string, Outgoing>()
  #abort = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #active = false
  /** Set when an attempt found the host not started yet: pump() waits for the next tick (or a peer connecting). */
  #hostWait = false

  constructor (opts: OutboxOptions, components: OutboxComponents) {
    this.#o = opts
    this.#c = components
    this.#log = components.logger
  }

  /** Deliveries still being tried. */
  get pending (): number { return this.#pending.size }

  /**
   * Reloads the pending deliveries, removes envelopes none of them needs
   * (a stop between a report's last final delivery and its clean-up left
   * them), and starts the loop (a tick every `tickMs`, and one now).
   */
  async start (): Promise<void> {
    this.#abort = new AbortController()
    this.#pending.clear()
    for (const d of await this.#c.store.deliveries()) if (d.state === 'pending') this.#pending.set(deliverySlot(d), d)
    const needed = new Set([...this.#pending.values()].map(d => envelopeName(d.id)))
    const left = (await readdir(this.#c.paths.outbox)).filter(f => ENVELOPE_NAME.test(f) && !needed.has(f))
    for (const f of left) await unlink(join(this.#c.paths.outbox, f)).catch(() => {})
    if (left.length > 0) this.#log.info('removed envelopes no pending delivery needs', { files: left.length })
    this.#active = true
    this.#timer = setInterval(() => { this.#hostWait = false; this.pump() }, this.#o.tickMs)
    this.#timer.unref()
    this.#gauge()
    this.pump()
  }

  /** Stops the loop and aborts the attempts in flight (not counted: they resume after a restart), once they have settled. */
  async stop (): Promise<void> {
    this.#active = false
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#abort.abort()
    await this.idle()
    this.#pending.clear()
    this.#outgoing.clear()
  }

  /** Resolves once no attempt is in flight (attempts started meanwhile included). */
  async idle (): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()].map(r => r.run))
  }

  // ---------------------------------------------------------------- send

  async send (req: ReportSendRequest): Promise<ReportSendResult> {
    const chain = this.#c.chain()
    const plan = planSend(req, chain)
    if (plan.input.id !== undefined) {
      const existing = await this.#c.store.sent(plan.input.id)
      if (existing !== undefined) return { ...outboxItem(existing, await this.deliveriesOf(existing.id)), duplicate: true }
    }
    const roster = chain.current
    const { report, signed, entries, files, total } = await composeReport(plan, { chain, org: this.#c.org, signer: this.#c.signer, created: this.#c.clock(), maxReportBytes: this.#o.maxReportBytes, files: this.#c.files })
    const id = toHex(report.id)
    const nodes = recipientNodes(report, roster).filter(n => !bytesEqual(n.signKey, this.#c.signer.publicKey))

    // one envelope for every recipient node, written once, resent byte for byte
    const envelope = envelopeName(id)
    const tmp = tmpName(this.#c.paths, envelope)
    const { bytes } = await writeStreamToFile(tmp, encryptReport({ signedReport: signed.bytes, roster, evidence: (_file, i) => readEvidenceFile(this.#c.files, entries[i].path) }))

    const record: OutboxReport = {
      v: 1,
      id,
      created: report.created,
      queuedAt: this.#c.clock(),
      title: report.title,
      reference: report.reference,
      recipients: report.recipients,
      digest: toHex(signed.digest),
      signedReport: b64(signed.bytes),
      envelope,
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
    const result = await this.#c.queue.run(async () => {
      // an id given by the caller may have been queued meanwhile
      const again = await this.#c.store.sent(id)
      if (again !== undefined) return { ...outboxItem(again, await this.deliveriesOf(id)), duplicate: true }
      await rename(tmp, join(this.#c.paths.outbox, envelope))
      await this.#c.store.queue(record, deliveries)
      return { ...outboxItem(record, deliveries), duplicate: false }
    }).finally(async () => { await rm(tmp, { force: true }) })
    if (result.duplicate) return result
    for (const d of deliveries) this.#pending.set(deliverySlot(d), d)
    this.#outgoing.set(id, { record, report, signedReport: signed.bytes, digest: signed.digest })
    this.#gauge()
    this.#log.info('report queued', { id, recipients: report.recipients, nodes: deliveries.length, evidence: files.length, bytes: total })
    this.pump()
    return result
  }

  // ---------------------------------------------------------------- queries

  /** The deliveries of a report as they stand now (the stored records, with the live state of those still pending). */
  async deliveriesOf (id: string): Promise<DeliveryRecord[]> {
    return (await this.#c.store.deliveries(id)).map(d => this.#pending.get(deliverySlot(d)) ?? d)
  }

  /** Every report this node sent, oldest first, with its deliveries. */
  async list (): Promise<ReportOutboxItem[]> {
    const reports = await this.#c.store.allSent()
    const deliveries = new Map<string, DeliveryRecord[]>()
    for (const stored of await this.#c.store.deliveries()) {
      const d = this.#pending.get(deliverySlot(stored)) ?? stored
      deliveries.set(d.id, [...(deliveries.get(d.id) ?? []), d])
    }
    return reports.sort((a, b) => a.queuedAt - b.queuedAt).map(r => outboxItem(r, deliveries.get(r.id) ?? []))
  }

  // ---------------------------------------------------------------- the delivery loop

  /** A peer connected: its deliveries waiting for a retry are due now. */
  peerConnected (peerId: string): void {
    if (!this.#active) return
    const now = this.#c.clock()
    const due = dueOnConnect(this.#pending.values(), peerId, now)
    for (const d of due) this.#pending.set(deliverySlot(d), { ...d, nextAttemptAt: now })
    const waited = this.#hostWait
    this.#hostWait = false // a peer connected: the host is running
    if (due.length > 0 || waited) this.pump()
  }

  /** Starts every due delivery the concurrency limits allow (schedule.ts). */
  pump (): void {
    if (!this.#active || this.#hostWait) return
    const inFlight = new Map([...this.#running].map(([slot, r]) => [slot, r.node]))
    for (const d of dueDeliveries(this.#pending.values(), inFlight, this.#o, this.#c.clock())) {
      const slot = deliverySlot(d)
      const run = this.#attempt(d).catch(err => {
        this.#log.error('delivery bookkeeping failed', { id: d.id, org: d.org, err })
      }).finally(() => {
        this.#running.delete(slot)
        this.pump()
      })
      this.#running.set(slot, { node: d.node, run })
    }
  }

  async #outgoingOf (id: string): Promise<Outgoing> {
    let o = this.#outgoing.get(id)
    if (o === undefined) {
      const record = await this.#c.store.sent(id)
      if (record === undefined) throw new ReportNotFoundError(id)
      const signedReport = unb64(record.signedReport)
      o = { record, report: decodeReport(decodeSignedReport(signedReport).report), signedReport, digest: fromHex(record.digest) }
      this.#outgoing.set(id, o)
    }
    return o
  }

  async #attempt (queued: DeliveryRecord): Promise<void> {
    const o = await this.#outgoingOf(queued.id)
    const chain = this.#c.chain()
    const nodeKey = fromHex(queued.node)
    const who = chain.current.memberOf(nodeKey)
    if (who === undefined || who.member.org !== queued.org) {
      await this.#finish(queued, 'dropped', { reason: 'not_in_roster', message: `node ${queued.node.slice(0, 16)}… of ${queued.org} is no longer in the roster` })
      return
    }
    // the roster may have given the node another peer id since the report was queued
    const d: DeliveryRecord = { ...queued, peerId: peerIdOf(who.node.peerId) }
    this.#pending.set(deliverySlot(d), d)
    const signal = this.#abort.signal
    try {
      const stream = await this.#c.dial(d.peerId, AbortSignal.any([signal, AbortSignal.timeout(this.#o.dialTimeoutMs)]))
      const source = createReadStream(join(this.#c.paths.outbox, o.record.envelope), { highWaterMark: FRAME_DATA_BYTES })
      let reply: Reply
      try {
        reply = await sendEnvelope(stream, o.record.envelopeBytes, source, { idleTimeoutMs: this.#o.idleTimeoutMs, signal })
      } finally {
        source.destroy()
      }
      if (reply.type === 'refused') throw new DeliveryRefusedError(reply.reason, reply.message, isFinalRefusal(reply.reason))
      const receipt = verifyReceipt(reply.receipt, { report: o.report, signedReportDigest: o.digest, rosters: chain })
      if (!bytesEqual(receipt.recipientKey, nodeKey)) throw new ReceiptMismatchError('it is signed by another node than the one it was delivered to')
      const { lastError: _, ...rest } = d
      const done: DeliveryRecord = { ...rest, state: 'delivered', attempts: d.attempts + 1, deliveredAt: this.#c.clock(), received: receipt.received }
      const rec: ReceiptRecord = { id: d.id, org: d.org, node: d.node, receipt: b64(reply.receipt), received: receipt.received }
      await this.#c.queue.run(async () => { await this.#c.store.delivered(done, rec) })
      this.#pending.delete(deliverySlot(d))
      this.#c.metrics?.reportDeliveries.inc({ result: 'delivered' })
      this.#log.info('report delivered; receipt verified', { id: d.id, org: d.org, peer: d.peerId, attempts: done.attempts })
      await this.#retire(d.id)
    } catch (err) {
      if (!this.#active && signal.aborted) return // interrupted by stop(): resumes after a restart, no attempt counted
      if ((err as Error).name === 'HostNotStartedError') {
        // the node is still starting: the next tick tries again, no attempt counted. Not at once: the
        // attempt's own pump() would retry in a loop of microtasks that never lets the host start
        this.#hostWait = true
        return
      }
      const info = errorInfo(err)
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.#finish(d, 'dropped', { reason: 'envelope_missing', message: `the envelope file ${o.record.envelope} is gone from the outbox` })
      } else if (err instanceof DeliveryRefusedError && err.permanent) {
        await this.#finish(d, 'refused', info)
      } else {
        const now = this.#c.clock()
        const attempts = d.attempts + 1
        const retry: DeliveryRecord = { ...d, attempts, nextAttemptAt: retryAt(attempts, now, this.#o, this.#c.random()), lastError: { ...info, at: now } }
        await this.#save(retry)
        this.#pending.set(deliverySlot(retry), retry)
        this.#c.metrics?.reportDeliveries.inc({ result: 'retry' })
        this.#log.debug('delivery failed; will retry', { id: d.id, org: d.org, peer: d.peerId, attempts, reason: info.reason, error: info.message, retryInMs: retry.nextAttemptAt - now })
      }
    }
  }

  async #save (d: DeliveryRecord): Promise<void> {
    await this.#c.queue.run(async () => { await this.#c.store.putDelivery(d) })
  }

  async #finish (d: DeliveryRecord, state: Finished, info: { reason: string, message: string }): Promise<void> {
    await this.#save({ ...d, state, attempts: d.attempts + 1, lastError: { ...info, at: this.#c.clock() } })
    this.#pending.delete(deliverySlot(d))
    this.#gauge()
    this.#c.metrics?.reportDeliveries.inc({ result: state })
    this.#log.warn(`delivery ${state}; not retried`, { id: d.id, org: d.org, peer: d.peerId, reason: info.reason, error: info.message })
    await this.#retire(d.id)
  }

  /** Once no delivery of a report is pending, its envelope is no longer needed. */
  async #retire (id: string): Promise<void> {
    this.#gauge()
    for (const d of this.#pending.values()) if (d.id === id) return
    const o = this.#outgoing.get(id)
    this.#outgoing.delete(id)
    if (o !== undefined) await unlink(join(this.#c.paths.outbox, o.record.envelope)).catch(() => {})
  }

  #gauge (): void {
    this.#c.metrics?.reportOutboxPending.set(this.#pending.size)
  }
}
