/**
 * Reports between real nodes in this process (libp2p on loopback, LevelDB,
 * the HTTP API and the CLI code path): a brand reports a seller to law
 * enforcement with evidence, the receipt comes back and verifies, the
 * platform cannot read the report even holding its bytes, a repeated
 * delivery is answered from the inbox, and every refusal queues nothing.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AllianceNode } from '../../../node/alliance-node.js'
import { startDaemon } from '../../../node/daemon.js'
import { reportProtocol, sendEnvelope } from '../../../node/reports/index.js'
import type { ReportDetail, ReportInboxItem, ReportOutboxItem, ReportSendResult } from '../../../node/service.js'
import { openReport } from '../../../protocol/report/index.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { cli, randomFile, reportInput } from './helpers.js'

const SPECS = [
  { org: 'brand-a', role: 'brand' as const },
  { org: 'platform', role: 'platform' as const },
  { org: 'police', role: 'law-enforcement' as const }
]

type Daemon = Awaited<ReturnType<typeof startDaemon>>

describe('integration: infringement reports between nodes', function () {
  this.timeout(60_000)
  let net: TestNet
  const daemons: Record<string, Daemon> = {}
  const node = (org: string): AllianceNode => daemons[org].node
  const start = async (org: string): Promise<void> => { daemons[org] = await startDaemon(net.dirs[org], { logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: 60_000 }) }
  let photo: Buffer
  let lab: Buffer
  let files: { photo: string, lab: string }
  let sent: ReportSendResult
  let envelope: Buffer

  before(async () => {
    net = await makeNodeDirs(SPECS, { quorum: 1 })
    files = { photo: join(net.root, 'photo.jpg'), lab: join(net.root, 'lab-report.pdf') }
    photo = randomFile(files.photo, 3 * 1024 * 1024 + 17) // several frames and chunks, not a multiple of either
    lab = randomFile(files.lab, 1000)
    await start('brand-a')
    await start('platform')
  })

  after(async () => {
    await Promise.all(Object.values(daemons).map(async d => await d.stop()))
    net?.cleanup()
  })

  it('queues a signed, encrypted report while the police node is offline; the platform holding its bytes cannot read it', async () => {
    const reportFile = join(net.root, 'report.json')
    writeFileSync(reportFile, JSON.stringify(reportInput(['photo.jpg'], [])))
    const r = await cli('report', 'send', net.dirs['brand-a'], '--file', reportFile, '--to', 'police', '--evidence', files.lab, '--json')
    assert.equal(r.code, 0, r.stderr)
    sent = JSON.parse(r.stdout)
    assert.equal(sent.state, 'queued')
    assert.deepEqual(sent.recipients, ['police'])
    assert.equal(sent.evidence, 2)
    assert.equal(sent.evidenceBytes, photo.length + lab.length)
    assert.equal(sent.deliveries.length, 1)

    envelope = readFileSync(join(net.dirs['brand-a'], 'reports', 'outbox', `${sent.id}.envelope`))
    assert.equal(envelope.length, sent.envelopeBytes)
    for (const secret of ['best.deals4u@mail.example', 'test purchase', 'ACME-CASE-2025-0042']) {
      assert.equal(envelope.indexOf(Buffer.from(secret)), -1, `"${secret}" is not in the clear in the envelope`)
    }
    assert.equal(envelope.indexOf(photo.subarray(1000, 1064)), -1, 'evidence is not in the clear')

    // the platform holds the bytes (it relays or stores them) but the content key is not sealed to it
    const platform = node('platform')
    await assert.rejects(openReport({
      source: (async function * () { yield envelope })(),
      alliance: platform.alliance,
      org: 'platform',
      box: { publicKey: platform.keys.box.publicKey, privateKey: platform.keys.box.privateKey },
      rosters: platform.ingestor.chain,
      now: Date.now()
    }), { name: 'NotAddressedError' })
    // delivered to the platform's node over the report protocol: refused, nothing stored
    const stream = await node('brand-a').host.dialProtocol(platform.host.peerId.toString(), reportProtocol(platform.alliance))
    const reply = await sendEnvelope(stream, envelope.length, [envelope], { idleTimeoutMs: 10_000 })
    assert.equal(reply.type, 'refused')
    assert.equal(reply.type === 'refused' ? reply.reason : '', 'not_addressed')
    assert.deepEqual(await platform.reportInbox(), [])
  })

  it('delivers when the police node comes online; the receipt is verified on the brand\'s node and the evidence arrives intact', async () => {
    await start('police')
    const brand = node('brand-a')
    await eventually(async () => (await brand.reportOutbox())[0]?.state === 'delivered', 20_000, 'the receipt')
    const [item] = await brand.reportOutbox() as ReportOutboxItem[]
    assert.equal(item.deliveries[0].state, 'delivered')
    assert.equal(item.deliveries[0].org, 'police')
    assert.notEqual(item.deliveries[0].receiptTime, null)
    assert.deepEqual(readdirSync(join(net.dirs['brand-a'], 'reports', 'outbox')), [], 'the envelope is retired once every delivery is final')

    const police = node('police')
    const inbox = await police.reportInbox() as ReportInboxItem[]
    assert.equal(inbox.length, 1)
    assert.equal(inbox[0].id, sent.id)
    assert.equal(inbox[0].author, 'brand-a')
    assert.equal(inbox[0].digest, sent.digest)
    const dir = join(net.dirs.police, 'reports', 'inbox', 'brand-a', sent.id)
    assert.ok(readFileSync(join(dir, 'evidence-0')).equals(photo))
    assert.ok(readFileSync(join(dir, 'evidence-1')).equals(lab))
    for (const f of ['evidence-0', 'evidence-1']) assert.equal((execFileSync('stat', ['-c', '%a', join(dir, f)]).toString().trim()), '600')
    assert.equal(execFileSync('stat', ['-c', '%a', join(net.dirs.police, 'reports')]).toString().trim(), '700')

    const shown = await cli('report', 'show', net.dirs.police, sent.id, '--json')
    assert.equal(shown.code, 0, shown.stderr)
    const d = JSON.parse(shown.stdout) as ReportDetail
    assert.equal(d.direction, 'received')
    assert.deepEqual(d.report.sellers[0].identifiers.map(i => i.value), ['shopmart:best-deals-4u', 'best.deals4u@mail.example', '+44 20 7946 0958'])
    assert.deepEqual(d.report.evidence.map(e => e.name), ['photo.jpg', 'lab-report.pdf'])
    assert.deepEqual(d.custody.map(c => c.action), ['received', 'opened'])
    assert.equal(d.custodyIntact, true)
    assert.equal(d.receipts.length, 1)

    const brandSide = await brand.reportShow(sent.id)
    assert.equal(brandSide.direction, 'sent')
    assert.equal(brandSide.receipts[0].org, 'police')
    assert.deepEqual(brandSide.custody, [], 'nothing opened or exported on the author\'s side')

    const human = await cli('report', 'outbox', net.dirs['brand-a'])
    assert.match(human.stdout, /delivered, receipt signed/)
  })

  it('a repeated delivery is answered with the stored receipt: the report is stored and counted once', async () => {
    const police = node('police')
    const stream = await node('brand-a').host.dialProtocol(police.host.peerId.toString(), reportProtocol(police.alliance))
    const reply = await sendEnvelope(stream, envelope.length, [envelope], { idleTimeoutMs: 10_000 })
    assert.equal(reply.type, 'receipt')
    assert.equal((await police.reportInbox()).length, 1)
    const d = await police.reportShow(sent.id)
    assert.deepEqual(d.custody.map(c => c.action), ['received', 'opened', 'opened'])
    const metrics = await police.metrics.text()
    assert.match(metrics, /alliance_reports_received_total\{result="stored"\} 1\n/)
    assert.match(metrics, /alliance_reports_received_total\{result="duplicate"\} 1\n/)
  })

  it('refuses an unknown recipient, a non-law-enforcement recipient, a missing evidence file and oversize reports, queuing nothing; a resubmitted id queues nothing new', async () => {
    const brand = node('brand-a')
    const before = (await brand.reportOutbox()).length
    const sparse = join(net.root, 'huge.bin')
    execFileSync('truncate', ['-s', '5G', sparse]) // 5 GiB on paper, no disk used: over the 4 GiB default
    const sellers = Array.from({ length: 1000 }, (_, i) => ({ name: `s${i}`, identifiers: Array.from({ length: 5 }, (_, j) => ({ kind: 'url', value: `https://x.example/${i}/${j}/${'a'.repeat(1000)}` })) }))
    const cases: Array<[string, Parameters<AllianceNode['reportSend']>[0], string]> = [
      ['unknown recipient', { to: ['nobody'], report: reportInput([files.lab], []), evidence: [] }, 'UnknownRecipientError'],
      ['non-law-enforcement recipient', { to: ['platform'], report: reportInput([files.lab], []), evidence: [] }, 'NotLawEnforcementError'],
      ['missing evidence file', { to: ['police'], report: reportInput([files.lab], []), evidence: [join(net.root, 'nope.jpg')] }, 'EvidenceFileError'],
      ['evidence over the limit', { to: ['police'], report: reportInput([sparse], []), evidence: [] }, 'ReportTooLargeError'],
      ['report over the encoded-size limit', { to: ['police'], report: { ...reportInput([], []), sellers }, evidence: [] }, 'OversizeError']
    ]
    for (const [what, req, name] of cases) {
      await assert.rejects(brand.reportSend(req), { name }, what)
    }
    assert.equal((await brand.reportOutbox()).length, before)
    assert.deepEqual(readdirSync(join(net.dirs['brand-a'], 'reports', 'outbox')), [])
    assert.deepEqual(readdirSync(join(net.dirs['brand-a'], 'reports', 'tmp')), [])

    // a case system resubmitting with its own id gets the queued report back, nothing new queued
    const withId = { ...reportInput([files.lab], []), id: 'c0ffee'.padEnd(32, '0') }
    const first = await brand.reportSend({ to: ['police'], report: withId, evidence: [] })
    const second = await brand.reportSend({ to: ['police'], report: withId, evidence: [] })
    assert.equal(first.duplicate, false)
    assert.equal(second.duplicate, true)
    assert.equal(second.id, first.id)
    assert.equal((await brand.reportOutbox()).length, before + 1)
    await eventually(async () => (await node('police').reportInbox()).some(i => i.id === first.id), 20_000, 'the resubmitted report')
    assert.equal((await node('police').reportInbox()).filter(i => i.id === first.id).length, 1)

    // through the API and the CLI: exit 2 with the reason on one line, still nothing queued
    const reportFile = join(net.root, 'to-platform.json')
    writeFileSync(reportFile, JSON.stringify(reportInput([files.lab], ['platform'])))
    const r = await cli('report', 'send', net.dirs['brand-a'], '--file', reportFile)
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^alliance: recipient "platform" is not a law-enforcement member/)
    const missing = await cli('report', 'send', net.dirs['brand-a'], '--file', reportFile.replace('to-platform', 'absent'))
    assert.equal(missing.code, 2)
    assert.equal((await brand.reportOutbox()).length, before + 1)
  })
})
