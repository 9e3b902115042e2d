import assert from 'node:assert/strict'
import type { AllianceNode } from '../../../node/alliance-node.js'
import type { StatusEvent } from '../../../node/service.js'
import { FIVE, statusEverywhere, useRunningNodes } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

describe('integration: five nodes on loopback', function () {
  this.timeout(60_000)
  const alliance = useRunningNodes(FIVE)
  let nodes: Record<string, AllianceNode>
  beforeEach(() => { nodes = alliance.nodes })

  it('/metrics gauges are read from the node at the scrape: peers and blocklist counts are current though nothing updates them on the attest path', async () => {
    const node = nodes.police
    const value = (text: string, name: string): number => Number(new RegExp(`^${name.replace(/[{}"]/g, c => `\\${c}`)} (\\S+)`, 'm').exec(text)?.[1])
    const fp = (await nodes['brand-a'].attest([{ kind: 'seller-account', value: 'market:gauge_check' }])).fingerprints[0]
    await eventually(async () => (await node.explain({ fingerprint: fp })).status === 'candidate', 15_000, 'candidate at the police node')
    const text = await node.metrics.text()
    const counts = node.state.index.counts()
    assert.equal(value(text, 'alliance_peers'), node.host.connectedPeers().length)
    assert.equal(value(text, 'alliance_blocklist_fingerprints{status="candidate"}'), counts.candidate)
    assert.ok(counts.candidate >= 1)
    assert.equal(value(text, 'alliance_blocklist_fingerprints{status="listed"}'), counts.listed)
  })

  it('concurrent attestations on one node extend its log one after another, never forking it', async () => {
    const node = nodes['brand-c']
    const before = node.ingestor.headOf(node.keys.sign.publicKey)?.seq ?? 0
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await node.attest([{ kind: 'seller-account', value: `market:concurrent_${i}` }])))
    assert.ok(results.every(r => r.entries === 1))
    assert.equal(node.ingestor.headOf(node.keys.sign.publicKey)?.seq, before + 20)
    assert.equal(node.ingestor.flagged.size, 0)
  })

  it('a lifetime counts from the entry\'s time: a 1 ms attestation queued behind a bulk upload is still accepted', async () => {
    const node = nodes['brand-c']
    const bulk = node.attest(Array.from({ length: 5000 }, (_, i) => ({ kind: 'seller-account' as const, value: `market:bulk_${i}` })))
    const short = await node.attest([{ kind: 'seller-account', value: 'market:short_lived', ttlMs: 1 }])
    assert.equal(short.entries, 1)
    assert.equal((await bulk).entries, 5000)
  })

  it('two brands attesting one phone written differently list it on every node; one alone is a candidate; a retraction brings it back', async () => {
    // the platform watches its node's status changes meanwhile (what `alliance watch` and GET /v1/events serve)
    const watching = new AbortController()
    const seen: StatusEvent[] = []
    const watcher = (async () => { for await (const e of nodes.platform.watch({}, watching.signal)) seen.push(e) })()
    const a = await nodes['brand-a'].attest([{ kind: 'phone', value: '+44 20 7946 0958' }])
    assert.equal(a.entries, 1)
    const fp = a.fingerprints[0]
    await eventually(async () => await statusEverywhere(Object.values(nodes), fp, 'candidate'), 15_000, 'candidate everywhere')
    const b = await nodes['brand-b'].attest([{ kind: 'phone', value: '020 7946 0958' }])
    assert.equal(b.fingerprints[0], fp, 'same phone, other notation, same fingerprint')
    await eventually(async () => await statusEverywhere(Object.values(nodes), fp, 'listed'), 15_000, 'listed everywhere')
    const why = await nodes.platform.explain({ fingerprint: fp })
    assert.deepEqual(why.positive.map(v => v.org), ['brand-a', 'brand-b'])
    const r = await nodes['brand-b'].retract({ kind: 'phone', value: '+442079460958' })
    assert.equal(r.retracted, 1)
    await eventually(async () => await statusEverywhere(Object.values(nodes), fp, 'candidate'), 15_000, 'candidate again everywhere')
    watching.abort()
    await watcher
    // each change names the org whose entry made it (issue 16 item 10): the attestations, then brand-b's retraction
    const mine = seen.filter(e => e.fingerprint === fp).map(e => [e.from, e.to, e.cause, e.kind, e.org])
    assert.deepEqual(mine, [['absent', 'candidate', 'entry', 'phone', 'brand-a'], ['candidate', 'listed', 'entry', 'phone', 'brand-b'], ['listed', 'candidate', 'entry', 'phone', 'brand-b']])
  })
})
