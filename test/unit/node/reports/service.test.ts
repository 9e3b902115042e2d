/**
 * The composed report service without libp2p: real services over their
 * default LevelDB stores, connected by a stand-in host whose streams are
 * in-memory pairs. What is checked here is the composition: lifecycle,
 * handler and listener registration, refusals while not running, the loop
 * running by itself, connect-time retries, restarts, damage on disk.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TypedEventEmitter, type Connection, type PeerId, type Stream, type StreamHandler, type StreamHandlerOptions } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'
import { Level } from 'level'
import type { RosterChain } from '../../../../protocol/roster/index.js'
import { createLogger } from '../../../../node/logger.js'
import type { HostEvents } from '../../../../node/net/host.js'
import { createReportService, reportPaths, type ReportHost, type ReportService } from '../../../../node/reports/index.js'
import type { ReportSendRequest } from '../../../../node/service.js'
import { GENESIS_TIME, type TestNode } from '../../../helpers/alliance.js'
import { eventually } from '../../../helpers/wait.js'
import { pseudoRandom, SAMPLE_INPUT } from '../../protocol/report/helpers.js'
import { deliveryRecord, makeNetAlliance, TestClock, withNewPeerId } from './helpers.js'

type Alliance = Awaited<ReturnType<typeof makeNetAlliance>>

/** A host that connects services of this process by in-memory stream pairs. */
class PairHost extends TypedEventEmitter<HostEvents> implements ReportHost {
  readonly handlers = new Map<string, { handler: StreamHandler, opts?: StreamHandlerOptions }>()
  offline = false
  constructor (readonly peerId: string, private readonly hosts: Map<string, PairHost>) {
    super()
    hosts.set(peerId, this)
  }

  async handle (protocol: string, handler: StreamHandler, opts?: StreamHandlerOptions): Promise<void> {
    this.handlers.set(protocol, { handler, opts })
  }

  async unhandle (protocol: string): Promise<void> {
    this.handlers.delete(protocol)
  }

  async dialProtocol (peerId: PeerId | string, protocol: string): Promise<Stream> {
    const far = this.hosts.get(peerId.toString())
    const h = far?.offline === false ? far.handlers.get(protocol) : undefined
    if (h === undefined) throw Object.assign(new Error(`cannot reach ${peerId.toString()}`), { name: 'DialError' })
    const [near, remote] = await streamPair()
    void h.handler(remote, { remotePeer: { toString: () => this.peerId } } as unknown as Connection)
    return near
  }

  connected (peerId: string): void {
    this.safeDispatchEvent('peer:connect', { detail: peerId })
  }
}

describe('node/reports service (composition)', function () {
  this.timeout(30_000)
  let a: Alliance
  let root: string
  let hosts: Map<string, PairHost>
  let clock: TestClock
  const services: ReportService[] = []
  const errors: string[] = []

  before(async () => { a = await makeNetAlliance() })
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'alliance-report-service-'))
    hosts = new Map()
    clock = new TestClock(GENESIS_TIME + 7_200_000)
    errors.length = 0
  })
  afterEach(async () => {
    await Promise.all(services.splice(0).map(async s => { await s.stop() }))
    rmSync(root, { recursive: true, force: true })
  })

  function service (org: string, opts: { chain?: () => RosterChain, init?: Parameters<typeof createReportService>[0], host?: PairHost } = {}): { svc: ReportService, host: PairHost, node: TestNode } {
    const node = a.orgs[org].nodes[0]
    const host = opts.host ?? hosts.get(a.peerOf.get(node) as string) ?? new PairHost(a.peerOf.get(node) as string, hosts)
    const svc = createReportService({ tickMs: 20, ...opts.init }, {
      dir: join(root, org),
      org,
      chain: opts.chain ?? (() => a.chain),
      keys: { sign: node.signer, box: { publicKey: node.box.publicKey, get privateKey () { return node.box.privateKey.slice() } } },
      host,
      logger: createLogger({ level: 'error', sink: line => { errors.push(line) } }).forComponent('test:reports'),
      clock: clock.now,
      random: () => 0.5
    })
    services.push(svc)
    return { svc, host, node }
  }

  function request (over: Record<string, unknown> = {}): ReportSendRequest {
    const file = join(root, `evidence-${Math.random().toString(16).slice(2)}.bin`)
    writeFileSync(file, pseudoRandom(100_000, 2))
    return { report: { ...SAMPLE_INPUT, recipients: ['police-fr'], evidence: [{ path: file }], ...over }, to: [], evidence: [] }
  }

  it('refuses every call before start and after stop; start registers the handler and the connect listener, stop removes them', async () => {
    const { svc, host } = service('brand-a', { init: { maxInboundStreams: 3 } })
    const calls: Array<() => Promise<unknown>> = [
      async () => await svc.send(request()), async () => await svc.outbox(), async () => await svc.inbox(),
      async () => await svc.show('0'.repeat(32)), async () => await svc.export('0'.repeat(32), join(root, 'b'))
    ]
    for (const call of calls) await assert.rejects(call(), { name: 'ReportServiceNotStartedError' })
    await svc.start()
    await svc.start() // twice is once
    assert.equal(svc.isStarted, true)
    assert.deepEqual([...host.handlers.keys()], [svc.protocol])
    assert.equal(host.handlers.get(svc.protocol)?.opts?.maxInboundStreams, 3)
    assert.equal(host.listenerCount('peer:connect'), 1)
    assert.deepEqual(await svc.outbox(), [])
    await svc.stop()
    assert.equal(svc.isStarted, false)
    assert.equal(host.handlers.size, 0)
    assert.equal(host.listenerCount('peer:connect'), 0)
    for (const call of calls) await assert.rejects(call(), { name: 'ReportServiceNotStartedError' })
  })

  it('delivers by itself, retries at once when the recipient connects, and keeps everything across a restart', async () => {
    const brand = service('brand-a', { init: { retryMinDelayMs: 60_000, retryMaxDelayMs: 120_000 } })
    const police = service('police-fr')
    await brand.svc.start()
    await police.svc.start()
    police.host.offline = true
    const sent = await brand.svc.send(request())
    await eventually(async () => (await brand.svc.outbox())[0].deliveries[0].attempts === 1, 10_000, 'a failed attempt', 10)
    await brand.svc.stop()
    await brand.svc.start()
    assert.equal((await brand.svc.outbox())[0].deliveries[0].state, 'pending', 'still pending after a restart')
    police.host.offline = false
    brand.host.connected(police.host.peerId) // backoff of a minute, but the recipient just connected
    await eventually(async () => (await brand.svc.outbox())[0].state === 'delivered', 10_000, 'the receipt', 10)
    assert.deepEqual((await police.svc.inbox()).map(r => r.id), [sent.id])
    assert.equal((await police.svc.show(sent.id)).custodyIntact, true)
    assert.deepEqual(await police.svc.inboxFiles(sent.id), ['evidence-0'])
    assert.deepEqual(errors, [])
  })

  it('delivers every queued report to a node whose peer id a roster update changed', async () => {
    let chain = a.chain
    const brand = service('brand-a', { chain: () => chain, init: { maxConcurrentDeliveries: 1, maxDeliveriesPerPeer: 1 } })
    const police = service('police-fr')
    await brand.svc.start()
    await police.svc.start()
    police.host.offline = true
    for (const title of ['first', 'second', 'third']) await brand.svc.send(request({ title }))
    await eventually(async () => (await brand.svc.outbox()).every(r => r.deliveries[0].attempts >= 1), 10_000, 'a failed attempt of each', 10)
    const moved = await withNewPeerId(a, police.node)
    chain = moved.chain
    hosts.set(moved.peerId, police.host)
    police.host.offline = false
    clock.t += 3_600_000
    await eventually(async () => (await brand.svc.outbox()).every(r => r.state === 'delivered'), 10_000, 'every report delivered', 10)
    assert.ok((await brand.svc.outbox()).every(r => r.deliveries[0].peerId === moved.peerId))
  })

  it('starts with a damaged custody log, says so, and keeps it as found; a damaged outbox record stops the start with a named error', async () => {
    const police = service('police-fr')
    const brand = service('brand-a')
    await police.svc.start()
    await brand.svc.start()
    const sent = await brand.svc.send(request())
    await eventually(async () => (await brand.svc.outbox())[0].state === 'delivered', 10_000, 'the receipt', 10)
    await police.svc.stop()
    await brand.svc.stop()
    const raw = async (org: string, sub: string, key: string, value: string): Promise<void> => {
      const db = new Level<string, string>(reportPaths(join(root, org)).db, { valueEncoding: 'utf8' })
      await db.sublevel<string, string>(sub, { valueEncoding: 'utf8' }).put(key, value)
      await db.close()
    }
    await raw('police-fr', 'custody', '0000000000000001', '{"seq":1,"action":"received"')
    await police.svc.start()
    assert.ok(errors.some(l => /custody log is damaged/.test(l)))
    const shown = await police.svc.show(sent.id)
    assert.equal(shown.custodyIntact, false)
    assert.deepEqual(shown.custody.map(c => c.action), ['opened'], 'the unreadable record is not shown; the log goes on after it')

    await raw('brand-a', 'outbox', `d/${sent.id}/${'0'.repeat(64)}`, '{"state":"pending"}')
    await assert.rejects(brand.svc.start(), { name: 'ReportStoreCorruptError' })
    assert.equal(brand.svc.isStarted, false)
    assert.equal(brand.host.handlers.size, 0, 'a failed start leaves no handler behind')
    // the failed start closed its database (a second opener would fail on LevelDB's lock otherwise): mend the record, start again
    await raw('brand-a', 'outbox', `d/${sent.id}/${'0'.repeat(64)}`, JSON.stringify(deliveryRecord(sent.id, '0'.repeat(64), { state: 'dropped' })))
    await brand.svc.start()
    assert.equal((await brand.svc.outbox())[0].deliveries.length, 2)
  })
})
