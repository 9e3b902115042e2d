/**
 * The recipient's inbox without libp2p: envelopes made by protocol/report
 * arrive over in-memory stream pairs through the real sender (wire.ts).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { streamPair } from '@libp2p/utils'
import { bytesEqual, toHex } from '../../../../protocol/bytes.js'
import { encryptReport, verifyReceipt } from '../../../../protocol/report/index.js'
import { sendEnvelope, type Reply } from '../../../../node/reports/wire.js'
import { collectBytes } from '../../../helpers/iter.js'
import { makeTestReport, pseudoRandom, type TestReport } from '../../protocol/report/helpers.js'
import { makeNetAlliance, makePartsNet, type NodeParts, type PartsNet } from './helpers.js'

type Alliance = Awaited<ReturnType<typeof makeNetAlliance>>
const FROM = '12D3KooWBrandPeerForInboxTests'

async function records<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('node/reports inbox', function () {
  this.timeout(20_000)
  let a: Alliance
  let net: PartsNet
  let police: NodeParts
  let sample: TestReport
  let envelope: Uint8Array

  before(async () => {
    a = await makeNetAlliance()
    sample = await makeTestReport(a, [pseudoRandom(700_000, 7), pseudoRandom(1000, 9)])
    envelope = await collectBytes(encryptReport({ signedReport: sample.signed.bytes, roster: a.chain.current, evidence: sample.evidence }))
  })
  beforeEach(async () => {
    net = await makePartsNet(a)
    police = net.parts('police-gb')
  })
  afterEach(async () => { await net.cleanup() })

  /** Sends `bytes` (any source) to `to`'s inbox over a fresh stream pair; resolves with the reply once the inbox is done. */
  async function deliver (to: NodeParts, bytes: Uint8Array | AsyncIterable<Uint8Array>, size = bytes instanceof Uint8Array ? bytes.length : envelope.length): Promise<Reply> {
    const [near, far] = await streamPair()
    const served = to.inbox.serve(far, FROM)
    const reply = await sendEnvelope(near, size, bytes instanceof Uint8Array ? [bytes] : bytes, { idleTimeoutMs: 5000 })
    await served
    return reply
  }

  const id = (): string => toHex(sample.report.id)
  const leftovers = (p: NodeParts): string[] => [...readdirSync(p.paths.inbox), ...readdirSync(p.paths.tmp)]

  it('opens, checks and stores a report; the receipt verifies; the evidence is kept, private; custody records its arrival', async () => {
    const reply = await deliver(police, envelope)
    assert.equal(reply.type, 'receipt')
    const receipt = verifyReceipt(reply.type === 'receipt' ? reply.receipt : new Uint8Array(0), { report: sample.report, signedReportDigest: sample.signed.digest, rosters: a.chain })
    assert.ok(bytesEqual(receipt.recipientKey, police.node.signer.publicKey))
    assert.deepEqual(await police.inbox.files(id()), ['evidence-0', 'evidence-1'])
    for (const [i, f] of sample.files.entries()) {
      const path = join(police.paths.inbox, sample.report.author, id(), `evidence-${i}`)
      assert.ok(Buffer.from(readFileSync(path)).equals(Buffer.from(f)))
      assert.equal(statSync(path).mode & 0o777, 0o600)
    }
    const [item] = await police.inbox.list()
    assert.equal(item.id, id())
    assert.equal(item.from, FROM)
    assert.equal(item.evidenceBytes, 701_000)
    const custody = await records(police.store.custody())
    assert.deepEqual(custody.map(r => 'damaged' in r ? 'damaged' : [r.action, r.report, r.detail.from]), [['received', id(), FROM]])
    assert.equal(police.metrics.received.get('stored'), 1)
    assert.deepEqual(readdirSync(police.paths.tmp), [])
    assert.deepEqual(police.errors, [])
  })

  it('answers a report it holds with the stored receipt, without reading the evidence again', async () => {
    // evidence well over the sender's window (wire.ts): an early answer shows in what the sender pulled
    const big = await makeTestReport(a, [pseudoRandom(6_000_000, 11)])
    const bigEnvelope = await collectBytes(encryptReport({ signedReport: big.signed.bytes, roster: a.chain.current, evidence: big.evidence }))
    const first = await deliver(police, bigEnvelope)
    let pulled = 0
    const counted = async function * (): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < bigEnvelope.length; o += 64 * 1024) { pulled = o; yield bigEnvelope.subarray(o, Math.min(bigEnvelope.length, o + 64 * 1024)) }
      pulled = bigEnvelope.length
    }
    const again = await deliver(police, counted(), bigEnvelope.length)
    assert.deepEqual(again, first)
    assert.ok(pulled < bigEnvelope.length / 2, `the sender stopped early (${pulled} of ${bigEnvelope.length} bytes)`)
    assert.equal((await police.inbox.list()).length, 1)
    assert.equal((await records(police.store.custody())).length, 1, 'a repeat is not a new arrival')
    assert.equal(police.metrics.received.get('duplicate'), 1)
  })

  it('refuses the same id with other content for good, and a second stream of a report being received for now', async () => {
    // a second stream while the first one waits in the middle of the evidence: busy
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const slow = async function * (): AsyncGenerator<Uint8Array> {
      yield envelope.subarray(0, 300_000)
      await held
      yield envelope.subarray(300_000)
    }
    const first = deliver(police, slow())
    while (!readdirSync(police.paths.inbox).includes(sample.report.author) || !readdirSync(join(police.paths.inbox, sample.report.author)).includes(id())) await new Promise(resolve => setImmediate(resolve))
    const busy = await deliver(police, envelope)
    assert.equal(busy.type === 'refused' ? busy.reason : busy.type, 'busy')
    release()
    assert.equal((await first).type, 'receipt')

    const other = await makeTestReport(a, sample.files, { id: sample.report.id, title: 'the same id, other content' })
    const otherEnvelope = await collectBytes(encryptReport({ signedReport: other.signed.bytes, roster: a.chain.current, evidence: other.evidence }))
    const conflict = await deliver(police, otherEnvelope)
    assert.equal(conflict.type === 'refused' ? conflict.reason : conflict.type, 'report_id_conflict')
    assert.equal((await police.inbox.list())[0].digest, toHex(sample.signed.digest), 'the held report is untouched')
  })

  it('refuses a damaged envelope and one addressed to other nodes; nothing is stored and no file is left', async () => {
    const damaged = Uint8Array.from(envelope)
    damaged[envelope.length - 5000] ^= 0x01 // in the last evidence chunk: the report opened and evidence was being written
    const r1 = await deliver(police, damaged)
    assert.equal(r1.type, 'refused')
    const platform = net.parts('platform')
    const r2 = await deliver(platform, envelope)
    assert.equal(r2.type === 'refused' ? r2.reason : r2.type, 'not_addressed')
    for (const p of [police, platform]) {
      assert.deepEqual(await p.inbox.list(), [])
      assert.deepEqual(leftovers(p), [])
      assert.deepEqual(await records(p.store.custody()), [])
      assert.deepEqual(p.errors, [], 'a bad envelope is the sender\'s fault, not an internal error')
    }
  })

  it('a stopped inbox refuses with not_started, and receives again once started', async () => {
    await police.inbox.stop()
    const r = await deliver(police, envelope)
    assert.equal(r.type === 'refused' ? r.reason : r.type, 'not_started')
    police.inbox.start()
    assert.equal((await deliver(police, envelope)).type, 'receipt')
  })
})
