import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { gossipTopic, type AllianceNode } from '../../../node/alliance-node.js'
import { encodeSegment } from '../../../protocol/codec/index.js'
import { appendSegment } from '../../../protocol/log/index.js'
import type { Body } from '../../../protocol/types.js'
import { initNodeDir } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import { createHost } from '../../../node/net/host.js'
import { silentLogger } from '../../../node/logger.js'
import { makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { join } from 'node:path'

const SPECS = [{ org: 'brand-a', role: 'brand' as const }, { org: 'brand-b', role: 'brand' as const }, { org: 'rogue', role: 'brand' as const }]

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
    nodes = await startNodes(net, SPECS.map(s => s.org))
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

  it('a peer that is not on the roster cannot connect or open any protocol', async () => {
    const dir = join(net.root, 'stranger')
    await initNodeDir(dir, { org: 'stranger', role: 'brand' })
    const keys = await loadNodeKeys(dir)
    const target = nodes['brand-a'].host.multiaddrs()[0]
    const stranger = await createHost({ peers: [{ peerId: nodes['brand-a'].keys.peerId.toString(), addrs: [target.toString()] }] }, { keys, logger: silentLogger() })
    await stranger.start()
    try {
      await assert.rejects(stranger.dialProtocol(nodes['brand-a'].keys.peerId.toString(), '/alliance/test-alliance/sync/1.0.0', { signal: AbortSignal.timeout(5000) }))
      assert.ok(!nodes['brand-a'].host.connectedPeers().includes(keys.peerId.toString()))
    } finally {
      await stranger.stop()
    }
  })
})
