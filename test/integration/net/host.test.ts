import assert from 'node:assert/strict'
import { PING_PROTOCOL } from './protocols.js'
import { PeerNotAllowedError, InvalidHostConfigError, HostNotStartedError } from '../../../node/errors.js'
import { GOSSIP_SCORE_THRESHOLDS } from '../../../node/net/score.js'
import { deferred, makeHost, nextEvent, stopAll, type TestHost } from './helpers.js'
import { eventually } from '../../helpers/wait.js'
import { connectionLimitFor, pingIntervalFor, type GossipVerdict } from '../../../node/net/host.js'
import type { Connection, Libp2pEvents, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const TOPIC = '/alliance/test/entries/1.0.0'
const BAD = 0xff

/** What a host's subscriber saw */
class Inbox {
  readonly delivered: Array<{ from: string, data: Uint8Array }> = []
  readonly validated: Array<{ from: string, data: Uint8Array, verdict: GossipVerdict }> = []
  private readonly waiters: Array<{ match: (d: Uint8Array) => boolean, resolve: () => void, kind: 'delivered' | 'validated' }> = []

  validator = (from: string, data: Uint8Array): GossipVerdict => {
    const verdict: GossipVerdict = data[0] === BAD ? 'reject' : 'accept'
    this.validated.push({ from, data, verdict })
    this.notify('validated', data)
    return verdict
  }

  handler = (from: string, data: Uint8Array): void => {
    this.delivered.push({ from, data })
    this.notify('delivered', data)
  }

  /** Resolves when a message equal to `bytes` is delivered (or validated); call before publishing */
  next (kind: 'delivered' | 'validated', bytes: Uint8Array): Promise<void> {
    const d = deferred<void>()
    this.waiters.push({ kind, match: x => Buffer.from(x).equals(bytes), resolve: () => { d.resolve() } })
    return withTimeout(d.promise, 5000, `${kind} ${Buffer.from(bytes).toString('hex')}`)
  }

  saw (bytes: Uint8Array): boolean {
    return this.delivered.some(m => Buffer.from(m.data).equals(bytes))
  }

  private notify (kind: 'delivered' | 'validated', data: Uint8Array): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]
      if (w.kind === kind && w.match(data)) {
        this.waiters.splice(i, 1)
        w.resolve()
      }
    }
  }
}

async function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`timed out waiting for ${what}`)) }, ms) })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const msg = (...bytes: number[]): Uint8Array => new Uint8Array(bytes)

/**
 * Dial `to` from `from` and expect to be refused. A refusal shows either as a
 * failed dial or, because the dialler negotiates the muxer optimistically
 * after Noise, as a connection that the remote closes at once.
 */
async function assertRefused (from: TestHost, to: TestHost, target: Multiaddr | PeerId): Promise<void> {
  const closed = nextEvent<Libp2pEvents, 'connection:close'>(from.host.libp2p, 'connection:close', c => c.remotePeer.equals(to.host.peerId))
  let conn: Connection
  try {
    conn = await from.host.libp2p.dial(target)
  } catch {
    closed.catch(() => {}) // never came to be
    return
  }
  await closed
  assert.ok(conn.status === 'closed' || conn.status === 'aborted', conn.status)
}

describe('network host: the connection monitor\'s ping interval and gossip emission', function () {
  this.timeout(20_000)
  after(async () => { await stopAll() })

  it('is 10 s up to 50 peers and 0.2 s per peer above; pingIntervalMs sets it, and a bad value is refused by name', async () => {
    assert.equal(pingIntervalFor(1), 10_000)
    assert.equal(pingIntervalFor(50), 10_000)
    assert.equal(pingIntervalFor(200), 40_000)
    assert.equal(pingIntervalFor(499), 99_800)
    await assert.rejects(makeHost({ pingIntervalMs: -1 }), (err: unknown) => err instanceof InvalidHostConfigError && err.field === 'pingIntervalMs')
    // a ping sets the connection's round-trip time: at 300 ms both ends have one within a second or so, at the default none yet
    const [fast, fast2, slow, slow2] = await Promise.all([makeHost({ pingIntervalMs: 300 }), makeHost({ pingIntervalMs: 300 }), makeHost(), makeHost()])
    for (const [x, y] of [[fast, fast2], [slow, slow2]]) {
      await Promise.all([x, y].map(async t => { await t.host.start() }))
      const roster = [x, y].map(t => t.host.asRosterPeer())
      const up = nextEvent(x.host, 'peer:connect', p => p === y.host.peerId.toString())
      await Promise.all([x, y].map(async t => { await t.host.setAllowedPeers(roster) }))
      await up
    }
    const rtt = (t: TestHost): number | undefined => t.host.libp2p.getConnections()[0]?.rtt
    await eventually(() => rtt(fast) !== undefined && rtt(fast2) !== undefined, 3000, 'a ping on the 300 ms connection')
    assert.equal(rtt(slow), undefined, 'no ping yet at the default interval')
  })

  it('holds room for two connections per roster peer (at least 512); maxConnections sets it, and a bad value is refused by name', async () => {
    assert.equal(connectionLimitFor(19), 512)
    assert.equal(connectionLimitFor(199), 512)
    assert.equal(connectionLimitFor(499), 1062)
    await assert.rejects(makeHost({ maxConnections: -5 }), (err: unknown) => err instanceof InvalidHostConfigError && err.field === 'maxConnections')
    const t = await makeHost({ maxConnections: 700 })
    const limit = (h: TestHost): unknown => (h.host.libp2p as unknown as { components: { connectionManager: { getMaxConnections: () => number } } }).components.connectionManager.getMaxConnections()
    assert.equal(limit(t), 700)
    assert.equal(limit(await makeHost()), 512, 'derived from the roster when unset')
  })

  it('gossips about messages (IHAVE) to Dlazy = 6 peers outside the mesh, not to a quarter of all peers', async () => {
    const t = await makeHost()
    const { opts } = t.host.libp2p.services.pubsub as unknown as { opts: { D: number, Dlazy: number, gossipFactor: number } }
    assert.deepEqual([opts.D, opts.Dlazy, opts.gossipFactor], [3, 6, 0])
  })
})

describe('network host: three roster members on loopback', function () {
  this.timeout(20_000)

  let a: TestHost, b: TestHost, c: TestHost
  const inbox = new Map<TestHost, Inbox>()
  const id = (t: TestHost): string => t.host.peerId.toString()

  after(async () => {
    await stopAll()
  })

  it('validates its configuration with a named error', async () => {
    await assert.rejects(makeHost({ listen: ['not a multiaddr'] }), InvalidHostConfigError)
    await assert.rejects(makeHost({ peers: [{ peerId: 'nope', addrs: [] }] }), InvalidHostConfigError)
    await assert.rejects(makeHost({ reconnectMinDelayMs: -1 }), (err: unknown) => {
      assert.ok(err instanceof InvalidHostConfigError)
      assert.equal(err.field, 'reconnectMinDelayMs')
      return true
    })
  })

  it('three hosts that allow each other connect', async () => {
    ;[a, b, c] = await Promise.all([makeHost({ gossipTopics: [TOPIC] }), makeHost(), makeHost()])
    await assert.rejects(a.host.publish(TOPIC, msg(1)), HostNotStartedError)
    // subscribing before start is allowed (services wire up, then the host starts)
    for (const t of [a, b, c]) {
      const box = new Inbox()
      inbox.set(t, box)
      t.host.subscribe(TOPIC, box.validator, box.handler)
    }
    await Promise.all([a, b, c].map(async t => { await t.host.start() }))

    const roster = [a, b, c].map(t => t.host.asRosterPeer())
    const connected: Array<Promise<unknown>> = []
    for (const x of [a, b, c]) {
      for (const y of [a, b, c]) {
        if (x !== y) connected.push(nextEvent(x.host, 'peer:connect', p => p === id(y)))
      }
    }
    await Promise.all([a, b, c].map(async t => { await t.host.setAllowedPeers(roster) }))
    await Promise.all(connected)

    assert.deepEqual(a.host.connectedPeers().sort(), [id(b), id(c)].sort())
    assert.deepEqual(b.host.connectedPeers().sort(), [id(a), id(c)].sort())
    assert.deepEqual(c.host.connectedPeers().sort(), [id(a), id(b)].sort())
  })

  it('delivers a gossip message from A to B and C through the validator', async () => {
    // subscriptions travel after the connection; no event on the host for them
    await eventually(() => a.host.topicPeers(TOPIC).length === 2, 5000, 'A to learn that B and C subscribed', 20)
    const m = msg(1, 2, 3)
    const arrivals = [b, c].map(async t => { await inbox.get(t)!.next('delivered', m) })
    const { recipients } = await a.host.publish(TOPIC, m)
    assert.equal(recipients, 2)
    await Promise.all(arrivals)
    for (const t of [b, c]) {
      const seen = inbox.get(t)!.validated.find(v => Buffer.from(v.data).equals(m))
      assert.equal(seen?.from, id(a), 'validator saw the author')
      assert.equal(seen?.verdict, 'accept')
      assert.equal(inbox.get(t)!.delivered.at(-1)?.from, id(a))
    }
    assert.equal(inbox.get(a)!.saw(m), false, 'no echo to the publisher')
  })

  it('does not deliver a message the validator rejects', async () => {
    const bad = msg(BAD, 1)
    const good = msg(2, 2)
    const rejectedAtB = inbox.get(b)!.next('validated', bad)
    const rejectedAtC = inbox.get(c)!.next('validated', bad)
    await a.host.publish(TOPIC, bad)
    await Promise.all([rejectedAtB, rejectedAtC])
    // a later good message from the same author still flows, and the bad one never surfaced
    const goodArrives = [b, c].map(async t => { await inbox.get(t)!.next('delivered', good) })
    await a.host.publish(TOPIC, good)
    await Promise.all(goodArrives)
    for (const t of [b, c]) assert.equal(inbox.get(t)!.saw(bad), false)
    await eventually(() => b.host.gossipScore(id(a)) < 0, 3000, 'one reject to cost A score at B', 50)
  })

  it('a host outside the allow-set cannot connect to A or open any protocol', async () => {
    const d = await makeHost({ peers: [a.host.asRosterPeer()] }) // D allows A; A does not allow D
    const dId = id(d)
    let aSawD = false
    const watch = (evt: CustomEvent<string>): void => { if (evt.detail === dId) aSawD = true }
    a.host.addEventListener('peer:connect', watch)
    try {
      await d.host.start()
      const aAddr = a.host.multiaddrs()[0]
      await assertRefused(d, a, aAddr)
      await assert.rejects(d.host.dialProtocol(id(a), PING_PROTOCOL))
      await assert.rejects(d.host.libp2p.services.ping.ping(aAddr))
      // and A will not dial D, by id, by full address, or by bare address (refused after Noise)
      await assert.rejects(a.host.dialProtocol(dId, PING_PROTOCOL), PeerNotAllowedError)
      await assert.rejects(a.host.libp2p.dial(d.host.peerId))
      await assert.rejects(a.host.libp2p.dial(d.host.multiaddrs()[0]))
      await assertRefused(a, d, d.host.multiaddrs()[0].decapsulateCode(421))
      assert.equal(a.host.libp2p.getConnections(d.host.peerId).length, 0)
      assert.equal(d.host.libp2p.getConnections(a.host.peerId).length, 0)
      assert.equal(aSawD, false)
      assert.ok(!a.host.connectedPeers().includes(dId))
    } finally {
      a.host.removeEventListener('peer:connect', watch)
      await d.host.stop()
    }
  })

  it('reconnects to an allowed peer after the connection drops', async () => {
    const down = nextEvent(a.host, 'peer:disconnect', p => p === id(b))
    const up = down.then(async () => await nextEvent(a.host, 'peer:connect', p => p === id(b)))
    await a.host.libp2p.hangUp(b.host.peerId)
    await down
    await up
    assert.ok(a.host.connectedPeers().includes(id(b)))
    // and gossip flows again once the subscriptions are re-exchanged
    await eventually(() => a.host.topicPeers(TOPIC).includes(id(b)), 5000, 'A to see B subscribed again', 20)
    const m = msg(7, 7)
    const arrives = inbox.get(b)!.next('delivered', m)
    await a.host.publish(TOPIC, m)
    await arrives
  })

  it('after stop and start, a host rejoins and keeps its subscriptions', async () => {
    await b.host.stop()
    const back = nextEvent(a.host, 'peer:connect', p => p === id(b))
    await b.host.start() // new port: B finds A from its roster entry and dials it
    await back
    await eventually(() => a.host.topicPeers(TOPIC).includes(id(b)), 5000, 'A to see B subscribed after restart', 20)
    const m = msg(8, 8)
    const arrives = inbox.get(b)!.next('delivered', m)
    await a.host.publish(TOPIC, m)
    await arrives
  })

  it('a peer whose messages are rejected repeatedly falls below the graylist threshold', async () => {
    const rejected = [3, 4, 5].map(i => msg(BAD, i))
    const seen = rejected.map(async m => { await inbox.get(b)!.next('validated', m) })
    for (const m of rejected) await a.host.publish(TOPIC, m)
    await Promise.all(seen)
    // scores are recomputed at most once per heartbeat: no event reports them
    await eventually(() => b.host.gossipScore(id(a)) < GOSSIP_SCORE_THRESHOLDS.graylistThreshold, 5000, 'A to be graylisted at B', 50)
    assert.ok(b.host.gossipScore(id(c)) >= 0, 'the innocent peer keeps its score')
  })

  it('removing a peer from A\'s allow-set closes its connection', async () => {
    const aLosesC = nextEvent(a.host, 'peer:disconnect', p => p === id(c))
    const cLosesA = nextEvent(c.host, 'peer:disconnect', p => p === id(a))
    await a.host.setAllowedPeers([a, b].map(t => t.host.asRosterPeer()))
    await Promise.all([aLosesC, cLosesA])
    assert.equal(a.host.isAllowed(id(c)), false)
    assert.equal(a.host.libp2p.getConnections(c.host.peerId).length, 0)
    // C still allows A and keeps trying; A keeps refusing
    await assertRefused(c, a, a.host.multiaddrs()[0])
    assert.ok(!a.host.connectedPeers().includes(id(c)))
    // the others are untouched
    assert.ok(a.host.connectedPeers().includes(id(b)))
    assert.ok(c.host.connectedPeers().includes(id(b)))
  })

  it('stops cleanly and idempotently', async () => {
    await Promise.all([a, b, c].map(async t => { await t.host.stop() }))
    for (const t of [a, b, c]) {
      assert.equal(t.host.libp2p.status, 'stopped')
      assert.deepEqual(t.host.connectedPeers(), [])
      await t.host.stop()
    }
    // no warnings or errors were logged by anyone along the way except expected refusals
    const unexpected = [a, b, c].flatMap(t => t.logs).filter(l => !l.includes('outside the allow-set'))
    assert.deepEqual(unexpected, [])
  })
})

