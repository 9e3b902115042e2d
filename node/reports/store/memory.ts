/**
 * The report store in memory, for unit tests: same contract as the LevelDB
 * store (the shared suite runs against both). Values are kept as the JSON
 * text LevelDB would hold and parsed on every read, so callers always get
 * fresh copies and both stores accept the same records. Data survives
 * close() and open() of one instance, not the process.
 */
import { WriteQueue } from '../../store/queue.js'
import type { UnreadableCustodyRecord } from '../custody.js'
import { ReportStoreNotOpenError } from '../errors.js'
import {
  custodyKey, deliveryKey, deliveryRecordSchema, inboxKey, inboxReceiptKey, inboxReportSchema, outboxReportKey, outboxReportSchema, receiptKey, receiptRecordSchema,
  type CustodyRecord, type DeliveryRecord, type InboxReport, type OutboxReport, type ReceiptRecord
} from '../records.js'
import { decode, decodeCustody, encode } from './codec.js'
import type { ReportStore } from './types.js'

type Sublevel = 'outbox' | 'inbox' | 'receipts' | 'custody'

export class MemoryReportStore implements ReportStore {
  readonly #data: Record<Sublevel, Map<string, string>> = { outbox: new Map(), inbox: new Map(), receipts: new Map(), custody: new Map() }
  readonly #queue = new WriteQueue()
  #open = false

  async open (): Promise<void> {
    this.#open = true
  }

  async close (): Promise<void> {
    if (!this.#open) return
    this.#open = false
    await this.#queue.idle()
  }

  #check (operation: string): void {
    if (!this.#open) throw new ReportStoreNotOpenError(operation)
  }

  /** Values under `prefix` in key order. */
  #range (sub: Sublevel, prefix: string): Array<[string, string]> {
    return [...this.#data[sub]].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
  }

  async #write (operation: string, puts: Array<[Sublevel, string, object]>): Promise<void> {
    this.#check(operation)
    await this.#queue.run(async () => {
      this.#check(operation)
      const encoded = puts.map(([sub, key, value]) => [sub, key, encode(value)] as const)
      for (const [sub, key, text] of encoded) this.#data[sub].set(key, text)
    })
  }

  async sent (id: string): Promise<OutboxReport | undefined> {
    this.#check('read the outbox')
    const text = this.#data.outbox.get(outboxReportKey(id))
    return text === undefined ? undefined : decode(outboxReportSchema, `outbox/${outboxReportKey(id)}`, text)
  }

  async allSent (): Promise<OutboxReport[]> {
    this.#check('read the outbox')
    return this.#range('outbox', 'r/').map(([k, v]) => decode(outboxReportSchema, `outbox/${k}`, v))
  }

  async deliveries (id?: string): Promise<DeliveryRecord[]> {
    this.#check('read deliveries')
    return this.#range('outbox', id === undefined ? 'd/' : `d/${id}/`).map(([k, v]) => decode(deliveryRecordSchema, `outbox/${k}`, v))
  }

  async queue (report: OutboxReport, deliveries: DeliveryRecord[]): Promise<void> {
    await this.#write('queue a report', [['outbox', outboxReportKey(report.id), report], ...deliveries.map(d => ['outbox', deliveryKey(d.id, d.node), d] as [Sublevel, string, object])])
  }

  async putDelivery (d: DeliveryRecord): Promise<void> {
    await this.#write('save a delivery', [['outbox', deliveryKey(d.id, d.node), d]])
  }

  async delivered (d: DeliveryRecord, receipt: ReceiptRecord): Promise<void> {
    await this.#write('save a receipt', [['outbox', deliveryKey(d.id, d.node), d], ['receipts', receiptKey(receipt.id, receipt.node), receipt]])
  }

  async received (author: string, id: string): Promise<InboxReport | undefined> {
    this.#check('read the inbox')
    for (const key of [inboxKey({ v: 2, author, id }), id]) {
      const text = this.#data.inbox.get(key)
      const r = text === undefined ? undefined : decode(inboxReportSchema, `inbox/${key}`, text)
      if (r !== undefined && r.author === author) return r
    }
    return undefined
  }

  async receivedById (id: string): Promise<InboxReport[]> {
    return (await this.allReceived()).filter(r => r.id === id)
  }

  async inboxReceipts (report: InboxReport): Promise<ReceiptRecord[]> {
    this.#check('read receipts')
    const prefix = report.v === 2 ? `in/${report.author}/${report.id}/` : `${report.id}/`
    return this.#range('receipts', prefix).map(([k, v]) => decode(receiptRecordSchema, `receipts/${k}`, v))
  }

  async allReceived (): Promise<InboxReport[]> {
    this.#check('read the inbox')
    return this.#range('inbox', '').map(([k, v]) => decode(inboxReportSchema, `inbox/${k}`, v))
  }

  async receive (report: InboxReport, receipt: ReceiptRecord, custody: CustodyRecord): Promise<void> {
    await this.#write('store a received report', [['inbox', inboxKey(report), report], ['receipts', inboxReceiptKey(report, receipt.node), receipt], ['custody', custodyKey(custody.seq), custody]])
  }

  async receipt (id: string, node: string): Promise<ReceiptRecord | undefined> {
    this.#check('read a receipt')
    const text = this.#data.receipts.get(receiptKey(id, node))
    return text === undefined ? undefined : decode(receiptRecordSchema, `receipts/${receiptKey(id, node)}`, text)
  }

  async receipts (id: string): Promise<ReceiptRecord[]> {
    this.#check('read receipts')
    return this.#range('receipts', `${id}/`).map(([k, v]) => decode(receiptRecordSchema, `receipts/${k}`, v))
  }

  async * custody (): AsyncIterable<CustodyRecord | UnreadableCustodyRecord> {
    this.#check('read the custody log')
    for (const [k, v] of this.#range('custody', '')) yield decodeCustody(k, v)
  }

  async appendCustody (record: CustodyRecord): Promise<void> {
    await this.#write('append to the custody log', [['custody', custodyKey(record.seq), record]])
  }

  /** Tests: the stored text at sublevel/key, as LevelDB would hold it, to damage it. */
  setRaw (sub: Sublevel, key: string, text: string): void {
    this.#data[sub].set(key, text)
  }
}
