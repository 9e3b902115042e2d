/**
 * show and export without libp2p: a report delivered over in-memory stream
 * pairs, then shown and bundled on the recipient and on the author; every
 * bundle is checked by the offline verifier.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { verifyBundle } from '../../../../protocol/report/index.js'
import type { ReportSendResult } from '../../../../node/service.js'
import { pseudoRandom, SAMPLE_INPUT } from '../../protocol/report/helpers.js'
import { makeNetAlliance, makePartsNet, type NodeParts, type PartsNet } from './helpers.js'

type Alliance = Awaited<ReturnType<typeof makeNetAlliance>>

async function actions (p: NodeParts, id: string): Promise<string[]> {
  return (await p.exporter.show(id)).custody.map(c => c.action)
}

describe('node/reports show and export', function () {
  this.timeout(20_000)
  let a: Alliance
  let net: PartsNet
  let brand: NodeParts
  let police: NodeParts
  let files: string[]
  let sent: ReportSendResult

  before(async () => { a = await makeNetAlliance() })
  beforeEach(async () => {
    net = await makePartsNet(a)
    brand = net.parts('brand-a')
    police = net.parts('police-gb')
    files = [join(net.root, 'photo.jpg'), join(net.root, 'lab.pdf')]
    writeFileSync(files[0], pseudoRandom(200_000, 5))
    writeFileSync(files[1], pseudoRandom(3000, 6))
    sent = await brand.outbox.send({ report: { ...SAMPLE_INPUT, evidence: files.map(path => ({ path })) }, to: [], evidence: [] })
    await brand.outbox.idle()
  })
  afterEach(async () => { await net.cleanup() })

  it('shows a received report in full and logs each showing as opened; the author\'s showing logs nothing', async () => {
    const d = await police.exporter.show(sent.id, 'case officer')
    assert.equal(d.direction, 'received')
    assert.equal(d.digest, sent.digest)
    assert.equal(d.outbox, null)
    assert.equal(d.inbox?.from, brand.peerId)
    assert.deepEqual(d.report.sellers[0].identifiers.map(i => i.value), ['best.deals4u@mail.example', '+44 20 7946 0958'])
    assert.deepEqual(d.receipts.map(r => r.org), ['police-gb'])
    assert.deepEqual(d.custody.map(c => [c.action, c.detail.by ?? c.detail.from]), [['received', brand.peerId], ['opened', 'case officer']])
    assert.equal(d.custodyIntact, true)
    assert.deepEqual(await actions(police, sent.id), ['received', 'opened', 'opened'])

    const mine = await brand.exporter.show(sent.id)
    assert.equal(mine.direction, 'sent')
    assert.equal(mine.inbox, null)
    assert.equal(mine.outbox?.state, 'delivered')
    assert.equal(mine.receipts.length, 3)
    assert.deepEqual(mine.custody, [])
    assert.deepEqual(await brand.exporter.show(sent.id).then(x => x.custody), [], 'the author keeps no custody log of its own reports')
  })

  it('exports a bundle the offline verifier accepts, logged as exported; never over an existing file', async () => {
    const out = join(net.root, 'case.bundle')
    const r = await police.exporter.export(sent.id, out)
    assert.equal(r.bytes, statSync(out).size)
    assert.equal(r.sha256, createHash('sha256').update(readFileSync(out)).digest('hex'))
    assert.equal(r.receipts, 1)
    assert.equal(r.exporter, 'police-gb')
    assert.equal(statSync(out).mode & 0o777, 0o600)
    const verdict = await verifyBundle(createReadStream(out), { genesisId: a.chain.versions[0].id })
    assert.equal(verdict.ok, true, JSON.stringify(verdict.failures))
    assert.equal(verdict.exporter?.org, 'police-gb')
    const custody = (await police.exporter.show(sent.id)).custody
    assert.deepEqual(custody.map(c => c.action), ['received', 'exported', 'opened'])
    assert.equal(custody[1].detail.sha256, r.sha256)

    const before = readFileSync(out)
    await assert.rejects(police.exporter.export(sent.id, out), { name: 'ExportTargetExistsError' })
    assert.ok(readFileSync(out).equals(before))
    await assert.rejects(police.exporter.export(sent.id, 'case.bundle'), { name: 'InvalidReportRequestError' })
    await assert.rejects(police.exporter.export('0'.repeat(32), join(net.root, 'x.bundle')), { name: 'ReportNotFoundError' })
    await assert.rejects(police.exporter.export('not-an-id', join(net.root, 'x.bundle')), { name: 'InvalidReportRequestError' })
    await assert.rejects(police.exporter.show('0'.repeat(32)), { name: 'ReportNotFoundError' })
    assert.deepEqual(await actions(police, sent.id), ['received', 'exported', 'opened', 'opened'], 'refused exports log nothing')
    assert.deepEqual(readdirSync(net.root).filter(f => f.endsWith('.part')), [])
  })

  it('the author bundles its original evidence, and refuses once a file is gone or changed, leaving no file', async () => {
    const out = join(net.root, 'author.bundle')
    await brand.exporter.export(sent.id, out)
    assert.equal((await verifyBundle(createReadStream(out))).ok, true)

    const changed = pseudoRandom(3000, 6)
    changed[10] ^= 1
    writeFileSync(files[1], changed)
    await assert.rejects(brand.exporter.export(sent.id, join(net.root, 'changed.bundle')), { name: 'EvidenceMismatchError' })
    unlinkSync(files[0])
    await assert.rejects(brand.exporter.export(sent.id, join(net.root, 'gone.bundle')), { name: 'EvidenceUnavailableError' })
    for (const f of ['changed.bundle', 'gone.bundle']) assert.equal(existsSync(join(net.root, f)), false)
    assert.deepEqual(readdirSync(net.root).filter(f => f.endsWith('.part')), [])
  })
})
