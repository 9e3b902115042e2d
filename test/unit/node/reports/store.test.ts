/**
 * The report store: one suite run against the LevelDB and the memory
 * implementations (STYLE.md §11), plus what only LevelDB has: data that
 * survives a new instance, and the on-disk layout of the first release
 * (JSON-encoded sublevels) read and written unchanged.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { generateSeed, signerFromSeed } from '../../../../protocol/ed25519.js'
import { CustodyLog, type UnreadableCustodyRecord } from '../../../../node/reports/custody.js'
import type { CustodyRecord } from '../../../../node/reports/records.js'
import { createReportStore, LevelReportStore, MemoryReportStore, type ReportStore } from '../../../../node/reports/store/index.js'
import { collect } from '../../../helpers/iter.js'
import { deliveryRecord, ID, inboxRecord, NODE, outboxRecord, receiptRecord } from './helpers.js'

/** `n` custody records of one signer, chained. */
function custodyRecords (n: number): CustodyRecord[] {
  const log = new CustodyLog(signerFromSeed(generateSeed()))
  return Array.from({ length: n }, (_, i) => {
    const c = log.prepare('opened', ID(i % 3), { by: 'test' }, 1_750_000_000_000 + i)
    c.commit()
    return c.record
  })
}

interface Impl {
  make: (dir: string) => ReportStore
  /** Writes `text` as the stored value at sublevel/key, bypassing the schema (the store is closed around it). */
  damage: (store: ReportStore, dir: string, sub: string, key: string, text: string) => Promise<void>
}

async function rawPut (dir: string, sub: string, key: string, text: string): Promise<void> {
  const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await db.sublevel<string, string>(sub, { keyEncoding: 'utf8', valueEncoding: 'utf8' }).put(key, text)
  await db.close()
}

const impls: Array<[string, Impl]> = [
  ['memory', {
    make: () => new MemoryReportStore(),
    damage: async (store, _dir, sub, key, text) => { (store as MemoryReportStore).setRaw(sub as 'outbox', key, text) }
  }],
  ['level', {
    make: dir => new LevelReportStore({ path: dir }),
    damage: async (store, dir, sub, key, text) => { await store.close(); await rawPut(dir, sub, key, text); await store.open() }
  }]
]

for (const [name, impl] of impls) {
  describe(`node/reports store (${name})`, () => {
    let dir: string
    let store: ReportStore

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'alliance-report-store-'))
      store = impl.make(dir)
      await store.open()
    })

    afterEach(async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('queues a report with its deliveries and reads them back by report and in (id, node) order', async () => {
      await store.queue(outboxRecord(ID(2)), [deliveryRecord(ID(2), NODE(9)), deliveryRecord(ID(2), NODE(3))])
      await store.queue(outboxRecord(ID(1)), [deliveryRecord(ID(1), NODE(5))])
      assert.deepEqual(await store.sent(ID(2)), outboxRecord(ID(2)))
      assert.equal(await store.sent(ID(7)), undefined)
      assert.deepEqual((await store.allSent()).map(r => r.id), [ID(1), ID(2)])
      assert.deepEqual((await store.deliveries(ID(2))).map(d => d.node), [NODE(3), NODE(9)])
      assert.deepEqual((await store.deliveries()).map(d => [d.id, d.node]), [[ID(1), NODE(5)], [ID(2), NODE(3)], [ID(2), NODE(9)]])
      assert.deepEqual(await store.deliveries(ID(7)), [])
    })

    it('hands out copies: changing a record read back changes nothing stored', async () => {
      await store.queue(outboxRecord(ID(1)), [deliveryRecord(ID(1), NODE(1))])
      const [d] = await store.deliveries(ID(1))
      d.state = 'delivered'
      d.attempts = 99
      const r = await store.sent(ID(1))
      r?.evidence.push({ name: 'x', size: 1, path: '/x' })
      assert.deepEqual(await store.deliveries(ID(1)), [deliveryRecord(ID(1), NODE(1))])
      assert.deepEqual(await store.sent(ID(1)), outboxRecord(ID(1)))
    })

    it('saves a delivery, and a delivery with its receipt; receipts are read by report and by node', async () => {
      await store.queue(outboxRecord(ID(1)), [deliveryRecord(ID(1), NODE(1)), deliveryRecord(ID(1), NODE(2))])
      const retry = deliveryRecord(ID(1), NODE(1), { attempts: 1, nextAttemptAt: 5000, lastError: { reason: 'busy', message: 'later', at: 4000 } })
      await store.putDelivery(retry)
      const done = deliveryRecord(ID(1), NODE(2), { state: 'delivered', attempts: 1, deliveredAt: 6000, received: 5990 })
      await store.delivered(done, receiptRecord(ID(1), NODE(2)))
      await store.delivered(deliveryRecord(ID(11), NODE(1), { state: 'delivered' }), receiptRecord(ID(11), NODE(1)))
      assert.deepEqual(await store.deliveries(ID(1)), [retry, done])
      assert.deepEqual(await store.receipt(ID(1), NODE(2)), receiptRecord(ID(1), NODE(2)))
      assert.equal(await store.receipt(ID(1), NODE(1)), undefined)
      assert.deepEqual(await store.receipts(ID(1)), [receiptRecord(ID(1), NODE(2))], 'only the receipts of that report')
    })

    it('stores a received report with its receipt and custody record in one call; custody comes back in seq order', async () => {
      const records = custodyRecords(12)
      await store.receive(inboxRecord(ID(4)), receiptRecord(ID(4), NODE(8)), records[0])
      for (const r of records.slice(1)) await store.appendCustody(r)
      await store.receive(inboxRecord(ID(3)), receiptRecord(ID(3), NODE(8)), custodyRecords(1)[0])
      assert.deepEqual(await store.received('brand-a', ID(4)), inboxRecord(ID(4)))
      assert.equal(await store.received('brand-a', ID(5)), undefined)
      assert.deepEqual((await store.allReceived()).map(r => r.id), [ID(3), ID(4)])
      assert.deepEqual(await store.receipts(ID(4)), [receiptRecord(ID(4), NODE(8))])
      const custody = await collect(store.custody())
      assert.deepEqual(custody.map(r => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'seq 10 after 9, not after 1')
    })

    it('refuses every call while closed with ReportStoreNotOpenError, and keeps its data across close and open', async () => {
      await store.queue(outboxRecord(ID(1)), [deliveryRecord(ID(1), NODE(1))])
      await store.close()
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['sent', async () => await store.sent(ID(1))],
        ['allSent', async () => await store.allSent()],
        ['deliveries', async () => await store.deliveries()],
        ['queue', async () => { await store.queue(outboxRecord(ID(2)), []) }],
        ['putDelivery', async () => { await store.putDelivery(deliveryRecord(ID(1), NODE(1))) }],
        ['delivered', async () => { await store.delivered(deliveryRecord(ID(1), NODE(1)), receiptRecord(ID(1), NODE(1))) }],
        ['received', async () => await store.received('brand-a', ID(1))],
        ['allReceived', async () => await store.allReceived()],
        ['receive', async () => { await store.receive(inboxRecord(ID(1)), receiptRecord(ID(1), NODE(1)), custodyRecords(1)[0]) }],
        ['receipt', async () => await store.receipt(ID(1), NODE(1))],
        ['receipts', async () => await store.receipts(ID(1))],
        ['custody', async () => await collect(store.custody())],
        ['appendCustody', async () => { await store.appendCustody(custodyRecords(1)[0]) }]
      ]
      for (const [what, call] of calls) await assert.rejects(call(), { name: 'ReportStoreNotOpenError' }, what)
      await store.open()
      assert.deepEqual(await store.deliveries(), [deliveryRecord(ID(1), NODE(1))])
      assert.equal((await store.allSent()).length, 1, 'nothing was written while closed')
    })

    it('names a record that is not JSON or not of its shape (ReportStoreCorruptError with its key); custody marks it unreadable', async () => {
      await store.queue(outboxRecord(ID(1)), [deliveryRecord(ID(1), NODE(1))])
      await store.appendCustody(custodyRecords(1)[0])
      await impl.damage(store, dir, 'outbox', `d/${ID(1)}/${NODE(1)}`, JSON.stringify({ ...deliveryRecord(ID(1), NODE(1)), state: 'lost' }))
      await impl.damage(store, dir, 'inbox', ID(2), '{"v":1,')
      await impl.damage(store, dir, 'custody', '0000000000000002', JSON.stringify({ seq: 'two' }))
      await assert.rejects(store.deliveries(ID(1)), (err: Error & { key?: string }) => err.name === 'ReportStoreCorruptError' && err.key === `outbox/d/${ID(1)}/${NODE(1)}`)
      await assert.rejects(store.received('brand-a', ID(2)), { name: 'ReportStoreCorruptError' })
      await assert.rejects(store.allReceived(), { name: 'ReportStoreCorruptError' })
      assert.deepEqual(await store.sent(ID(1)), outboxRecord(ID(1)), 'the other records read as before')
      const custody = await collect(store.custody())
      assert.equal(custody.length, 2)
      assert.equal((custody[1] as UnreadableCustodyRecord).seq, 2)
      assert.ok('damaged' in custody[1])
    })
  })
}

describe('node/reports store (level only)', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'alliance-report-store-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('keeps its records in a new instance over the same directory', async () => {
    const a = createReportStore({ path: dir })
    await a.open()
    await a.queue(outboxRecord(ID(1)), [deliveryRecord(ID(1), NODE(1))])
    await a.close()
    const b = createReportStore({ path: dir })
    await b.open()
    assert.deepEqual(await b.deliveries(), [deliveryRecord(ID(1), NODE(1))])
    await b.close()
    assert.ok(createReportStore() instanceof MemoryReportStore)
  })

  it('reads what the first release wrote (JSON-encoded sublevels), and writes what it reads', async () => {
    // the first release's service: one Level with json values, sublevels outbox, inbox, receipts, custody
    const legacy = async () => { // return type inferred: level's sublevel generics are long
      const db = new Level<string, unknown>(dir, { keyEncoding: 'utf8', valueEncoding: 'json' })
      await db.open()
      return { db, sub: (name: string) => db.sublevel<string, unknown>(name, { keyEncoding: 'utf8', valueEncoding: 'json' }) }
    }
    const [custody] = custodyRecords(1)
    const old = await legacy()
    await old.sub('outbox').put(`r/${ID(1)}`, outboxRecord(ID(1)))
    await old.sub('outbox').put(`d/${ID(1)}/${NODE(1)}`, deliveryRecord(ID(1), NODE(1), { lastError: { reason: 'busy', message: 'm', at: 3 } }))
    await old.sub('inbox').put(ID(2), inboxRecord(ID(2)))
    await old.sub('receipts').put(`${ID(2)}/${NODE(2)}`, receiptRecord(ID(2), NODE(2)))
    await old.sub('custody').put('0000000000000001', custody)
    await old.db.close()

    const store = new LevelReportStore({ path: dir })
    await store.open()
    assert.deepEqual(await store.sent(ID(1)), outboxRecord(ID(1)))
    assert.deepEqual(await store.deliveries(), [deliveryRecord(ID(1), NODE(1), { lastError: { reason: 'busy', message: 'm', at: 3 } })])
    assert.deepEqual(await store.received('brand-a', ID(2)), inboxRecord(ID(2)))
    assert.deepEqual(await store.receipts(ID(2)), [receiptRecord(ID(2), NODE(2))])
    assert.deepEqual(await collect(store.custody()), [custody])
    await store.putDelivery(deliveryRecord(ID(1), NODE(1), { state: 'delivered', attempts: 2 }))
    await store.close()

    const back = await legacy()
    assert.deepEqual(await back.sub('outbox').get(`d/${ID(1)}/${NODE(1)}`), deliveryRecord(ID(1), NODE(1), { state: 'delivered', attempts: 2 }))
    await back.db.close()
  })
})
