/**
 * The report store on LevelDB (`<node dir>/reports/db`): four sublevels with
 * UTF-8 keys and JSON text values, exactly the layout the service has
 * written since its first release (records.ts lists the keys), so a node's
 * existing outbox, inbox, receipts and custody log read back unchanged.
 * Writes go through one queue; each event is one atomic batch.
 */
import { Level } from 'level'
import { guardTables } from '../../store/table-check.js'
import { WriteQueue } from '../../store/queue.js'
import type { UnreadableCustodyRecord } from '../custody.js'
import { ReportStoreNotOpenError } from '../errors.js'
import {
  custodyKey, deliveryKey, deliveryRecordSchema, inboxKey, inboxReceiptKey, inboxReportSchema, outboxReportKey, outboxReportSchema, receiptKey, receiptRecordSchema,
  type CustodyRecord, type DeliveryRecord, type InboxReport, type OutboxReport, type ReceiptRecord
} from '../records.js'
import { decode, decodeCustody, encode } from './codec.js'
import type { ReportStore } from './types.js'

export interface LevelReportStoreInit {
  /** Directory of the LevelDB database; created if missing. */
  path: string
}

type DB = Level<string, string>

function textSublevel (db: DB, name: string) { // return type inferred: level's sublevel generics are long
  return db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
}
type Sub = ReturnType<typeof textSublevel>

interface Open {
  db: DB
  outbox: Sub
  inbox: Sub
  receipts: Sub
  custody: Sub
}

/** Keys from `prefix` up to (not including) the next prefix: `<prefix>/…` for prefixes ending in '/'. */
const under = (prefix: string): { gte: string, lt: string } => ({ gte: prefix, lt: `${prefix.slice(0, -1)}0` })

export class LevelReportStore implements ReportStore {
  readonly #path: string
  readonly #queue = new WriteQueue()
  #s: Open | undefined

  constructor (init: LevelReportStoreInit) {
    this.#path = init.path
  }

  async open (): Promise<void> {
    if (this.#s !== undefined) return
    await guardTables(this.#path, 'refuse', 'report store')
    const db: DB = new Level<string, string>(this.#path, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    await db.open()
    this.#s = { db, outbox: textSublevel(db, 'outbox'), inbox: textSublevel(db, 'inbox'), receipts: textSublevel(db, 'receipts'), custody: textSublevel(db, 'custody') }
  }

  async close (): Promise<void> {
    const s = this.#s
    if (s === undefined) return
    this.#s = undefined
    await this.#queue.idle()
    await s.db.close()
  }

  #open (operation: string): Open {
    if (this.#s === undefined) throw new ReportStoreNotOpenError(operation)
    return this.#s
  }

  async #batch (operation: string, ops: (s: Open) => Array<{ sublevel: Sub, key: string, value: object }>): Promise<void> {
    this.#open(operation)
    await this.#queue.run(async () => {
      const s = this.#open(operation)
      await s.db.batch(ops(s).map(o => ({ type: 'put' as const, sublevel: o.sublevel, key: o.key, value: encode(o.value) })))
    })
  }

  async #values (sub: Sub, range: { gte?: string, lt?: string }): Promise<Array<[string, string]>> {
    const out: Array<[string, string]> = []
    for await (const kv of sub.iterator(range)) out.push(kv)
    return out
  }

  async sent (id: string): Promise<OutboxReport | undefined> {
    const key = outboxReportKey(id)
    const text = await this.#open('read the outbox').outbox.get(key)
    return text === undefined ? undefined : decode(outboxReportSchema, `outbox/${key}`, text)
  }

  async allSent (): Promise<OutboxReport[]> {
    const rows = await this.#values(this.#open('read the outbox').outbox, under('r/'))
    return rows.map(([k, v]) => decode(outboxReportSchema, `outbox/${k}`, v))
  }

  async deliveries (id?: string): Promise<DeliveryRecord[]> {
    const rows = await this.#values(this.#open('read deliveries').outbox, under(id === undefined ? 'd/' : `d/${id}/`))
    return rows.map(([k, v]) => decode(deliveryRecordSchema, `outbox/${k}`, v))
  }

  async queue (report: OutboxReport, deliveries: DeliveryRecord[]): Promise<void> {
    await this.#batch('queue a report', s => [
      { sublevel: s.outbox, key: outboxReportKey(report.id), value: report },
      ...deliveries.map(d => ({ sublevel: s.outbox, key: deliveryKey(d.id, d.node), value: d }))
    ])
  }

  async putDelivery (d: DeliveryRecord): Promise<void> {
    await this.#batch('save a delivery', s => [{ sublevel: s.outbox, key: deliveryKey(d.id, d.node), value: d }])
  }

  async delivered (d: DeliveryRecord, receipt: ReceiptRecord): Promise<void> {
    await this.#batch('save a receipt', s => [
      { sublevel: s.outbox, key: deliveryKey(d.id, d.node), value: d },
      { sublevel: s.receipts, key: receiptKey(receipt.id, receipt.node), value: receipt }
    ])
  }

  async received (author: string, id: string): Promise<InboxReport | undefined> {
    const inbox = this.#open('read the inbox').inbox
    for (const key of [inboxKey({ v: 2, author, id }), id]) {
      const text = await inbox.get(key)
      const r = text === undefined ? undefined : decode(inboxReportSchema, `inbox/${key}`, text)
      if (r !== undefined && r.author === author) return r
    }
    return undefined
  }

  async receivedById (id: string): Promise<InboxReport[]> {
    return (await this.allReceived()).filter(r => r.id === id)
  }

  async inboxReceipts (report: InboxReport): Promise<ReceiptRecord[]> {
    const prefix = report.v === 2 ? `in/${report.author}/${report.id}/` : `${report.id}/`
    const rows = await this.#values(this.#open('read receipts').receipts, under(prefix))
    return rows.map(([k, v]) => decode(receiptRecordSchema, `receipts/${k}`, v))
  }

  async allReceived (): Promise<InboxReport[]> {
    const rows = await this.#values(this.#open('read the inbox').inbox, {})
    return rows.map(([k, v]) => decode(inboxReportSchema, `inbox/${k}`, v))
  }

  async receive (report: InboxReport, receipt: ReceiptRecord, custody: CustodyRecord): Promise<void> {
    await this.#batch('store a received report', s => [
      { sublevel: s.inbox, key: inboxKey(report), value: report },
      { sublevel: s.receipts, key: inboxReceiptKey(report, receipt.node), value: receipt },
      { sublevel: s.custody, key: custodyKey(custody.seq), value: custody }
    ])
  }

  async receipt (id: string, node: string): Promise<ReceiptRecord | undefined> {
    const key = receiptKey(id, node)
    const text = await this.#open('read a receipt').receipts.get(key)
    return text === undefined ? undefined : decode(receiptRecordSchema, `receipts/${key}`, text)
  }

  async receipts (id: string): Promise<ReceiptRecord[]> {
    const rows = await this.#values(this.#open('read receipts').receipts, under(`${id}/`))
    return rows.map(([k, v]) => decode(receiptRecordSchema, `receipts/${k}`, v))
  }

  async * custody (): AsyncIterable<CustodyRecord | UnreadableCustodyRecord> {
    for await (const [k, v] of this.#open('read the custody log').custody.iterator()) yield decodeCustody(k, v)
  }

  async appendCustody (record: CustodyRecord): Promise<void> {
    await this.#batch('append to the custody log', s => [{ sublevel: s.custody, key: custodyKey(record.seq), value: record }])
  }
}
