import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Connection } from '@libp2p/interface'
import { gossipTopic, type AllianceNode } from '../../../node/alliance-node.js'
import { initNodeDir, readConfig } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import { silentLogger } from '../../../node/logger.js'
import { createHost } from '../../../node/net/host.js'
import { reportProtocol } from '../../../node/reports/index.js'
import { syncProtocol } from '../../../node/sync.js'
import { encodeSegment, encodeSyncRequest } from '../../../protocol/codec/index.js'
import { appendSegment } from '../../../protocol/log/index.js'
import type { Body } from '../../../protocol/types.js'
import { frame, readResponse } from '../../fault/helpers/streams.js'
import { makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually, sleep } from '../../helpers/wait.js'

/** 'member' is on the roster but runs no node: the last test plays it. */
const SPECS = ['brand-a', 'brand-b', 'rogue', 'member'].map(org => ({ org, role: 'brand' as const }))
const RUNNING = ['brand-a', 'brand-b', 'rogue']

function attestation (n: number, now: number): Body {
  const fingerprint = new Uint8Array(32)
  fingerprint[0] = n
  return { type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 0, confidence: 50, evidenceDigest: new Uint8Array(0), expires: now + 86_400_000, epoch: 1 }
}

describe('integration: hostile input', function () {
  this.timeout(60_000)
  let net: TestNet
  let nodes: Record<string, AllianceNode>

  before(async () => {
    net = await makeNodeDirs(SPECS, { quorum: 2 })
    nodes = await startNodes(net, RUNNING)
    await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= 2), 20_000, 'mesh')
    await eventually(() => nodes.rogue.host.topicPeers(gossipTopic('test-alliance')).length >= 2, 20_000, 'gossip mesh')
  })

  after(async () => {
    await Promise.all(Object.values(nodes ?? {}).map(async n => await n.stop()))
    net?.cleanup()
  })

  it('a rogue roster peer\'s malformed, unsigned, replayed and future-dated entries are rejected with reasons and counted; honest traffic flows', async () => {
    const rogue = nodes.rogue
    const topic = gossipTopic('test-alliance')
    const now = Date.now()
    // a valid first entry, so later ones have a chain to attach to
    const first = await rogue.attest([{ kind: 'email', value: 'seller@example.com' }])
    assert.equal(first.entries, 1)
    const head = rogue.ingestor.headOf(rogue.keys.sign.publicKey)
    // 1. malformed bytes
    await rogue.host.publish(topic, new Uint8Array(randomBytes(200)))
    // 2. unsigned entry
    const unsigned = appendSegment({ signer: rogue.keys.sign, alliance: 'test-alliance', head, bodies: [attestation(2, now)], time: now })
    await rogue.host.publish(topic, encodeSegment({ entries: unsigned.segment.entries, signature: new Uint8Array(0) }))
    // 3. future-dated (an hour ahead; tolerance is 5 minutes)
    const future = appendSegment({ signer: rogue.keys.sign, alliance: 'test-alliance', head, bodies: [attestation(3, now)], time: now + 3600_000 })
    await rogue.host.publish(topic, encodeSegment(future.segment))
    // 4. tampered signature
    const tampered = appendSegment({ signer: rogue.keys.sign, alliance: 'test-alliance', head, bodies: [attestation(4, now)], time: now })
    const sig = tampered.segment.signature.slice(); sig[5] ^= 0xff
    await rogue.host.publish(topic, encodeSegment({ entries: tampered.segment.entries, signature: sig }))

    for (const org of ['brand-a', 'brand-b']) {
      await eventually(async () => {
        const r = (await nodes[org].status()).entries.rejected
        return (r.malformed ?? 0) >= 1 && (r.unsigned ?? 0) >= 1 && (r.future_time ?? 0) >= 1 && (r.bad_signature ?? 0) >= 1
      }, 10_000, `${org} counts every rejection by reason`)
    }
    // 5. replay of an already accepted entry changes nothing
    const before = (await nodes['brand-a'].status()).snapshotHash
    const [stored] = await nodes['brand-a'].store.range(rogue.keys.sign.publicKey, 1, 1)
    assert.ok(stored.signature !== undefined)
    const out = await nodes['brand-a'].ingestRaw(encodeSegment({ entries: [stored.bytes], signature: stored.signature }))
    assert.equal(out.result, 'duplicate')
    assert.equal((await nodes['brand-a'].status()).snapshotHash, before)

    // honest traffic still flows
    const a = await nodes['brand-a'].attest([{ kind: 'email', value: 'fake.shop@example.org' }])
    await nodes['brand-b'].attest([{ kind: 'email', value: 'Fake.Shop@Example.org' }])
    await eventually(async () => (await nodes['brand-b'].explain({ fingerprint: a.fingerprints[0] })).status === 'listed', 10_000, 'honest listing')
    await eventually(async () => (await nodes['brand-a'].explain({ fingerprint: a.fingerprints[0] })).status === 'listed', 10_000, 'honest listing on a')
  })

  /**
   * Every protocol brand-a serves (its own and libp2p's), dialled by a
   * stranger and by a roster member that is not running a node: the
   * stranger's connection is refused after the Noise handshake, so it opens
   * none of them; the member opens every one (the positive control: a test
   * that refused everybody would fail here).
   */
  it('a peer that is not on the roster cannot connect or open any protocol; a roster peer opens every one', async () => {
    const a = nodes['brand-a']
    const target = [{ peerId: a.keys.peerId.toString(), addrs: a.host.multiaddrs().map(String) }]
    const protocols = a.host.libp2p.getProtocols()
    assert.ok(protocols.includes(syncProtocol(a.alliance)) && protocols.includes(reportProtocol(a.alliance)), `brand-a serves sync and reports: ${protocols.join(' ')}`)
    // what brand-a sees: every connection that got past its gater, by remote peer
    const opened: string[] = []
    const onOpen = (evt: CustomEvent<Connection>): void => { opened.push(evt.detail.remotePeer.toString()) }
    a.host.libp2p.addEventListener('connection:open', onOpen)

    const dir = join(net.root, 'stranger')
    await initNodeDir(dir, { org: 'stranger', role: 'brand' })
    const keys = await loadNodeKeys(dir)
    // one dial at start, no reconnects: only the dials below reach brand-a
    const stranger = await createHost({ peers: target, reconnectMinDelayMs: 600_000, reconnectMaxDelayMs: 600_000 }, { keys, logger: silentLogger() })
    await stranger.start()
    const refusals: string[] = []
    try {
      for (const p of protocols) {
        // libp2p refuses more than 5 inbound connections a second from one address: pace the
        // dials so that each one is refused by the roster gater, not by that rate limit
        await sleep(300)
        const err = await stranger.dialProtocol(a.keys.peerId.toString(), p, { signal: AbortSignal.timeout(5000) }).then(s => { s.abort(new Error('opened')); return undefined }, (e: Error) => e)
        assert.ok(err !== undefined, `the stranger opened ${p}`)
        // brand-a closes the connection as soon as Noise has authenticated the stranger's peer id
        assert.equal(err.name, 'UnexpectedEOFError', `${p}: refused during the handshake, not by a timeout or anything else (${err.name}: ${err.message})`)
        refusals.push(p)
      }
    } finally {
      await stranger.stop()
    }
    assert.deepEqual(refusals, protocols)
    assert.ok(!opened.includes(keys.peerId.toString()), 'no connection from the stranger got past the gater')
    assert.ok(!a.host.connectedPeers().includes(keys.peerId.toString()))

    // the positive control: a roster member's keys in a host of our own open every protocol
    const member = await createHost({ listen: (await readConfig(net.dirs.member)).listen, peers: target }, { keys: await loadNodeKeys(net.dirs.member), logger: silentLogger() })
    await member.start()
    try {
      for (const p of protocols) {
        const stream = await member.dialProtocol(a.keys.peerId.toString(), p, { signal: AbortSignal.timeout(10_000) })
        assert.equal(stream.protocol, p)
        if (p === syncProtocol(a.alliance)) {
          // and is served: a request for everything gets a whole response
          stream.send(frame(encodeSyncRequest({ alliance: a.alliance, heads: [], maxEntries: 0 })))
          const { frames, error } = await readResponse(stream, 10_000)
          assert.equal(error, undefined)
          assert.equal(frames.at(-1)?.done, true)
          assert.ok(frames.some(f => f.segments.length > 0), 'the member was sent entries')
        }
        stream.abort(new Error('done'))
      }
      assert.ok(opened.includes(member.peerId.toString()), 'brand-a saw the member connect')
    } finally {
      await member.stop()
      a.host.libp2p.removeEventListener('connection:open', onOpen)
    }
  })
})
