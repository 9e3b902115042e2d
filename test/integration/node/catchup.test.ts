import assert from 'node:assert/strict'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { FIVE, makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

describe('integration: catching up', function () {
  this.timeout(90_000)
  let net: TestNet
  let nodes: Record<string, AllianceNode> = {}

  before(async () => {
    net = await makeNodeDirs(FIVE.slice(0, 3), { quorum: 2 })
  })

  after(async () => {
    await Promise.all(Object.values(nodes).map(async n => await n.stop()))
    net?.cleanup()
  })

  it('a node started after 10,000 entries exist catches up fully, with nothing duplicated', async () => {
    nodes = await startNodes(net, ['brand-a', 'brand-b'])
    const items = Array.from({ length: 5000 }, (_, i) => ({ kind: 'seller-account' as const, value: `shopmart:seller${i}` }))
    const a = await nodes['brand-a'].attest(items)
    const b = await nodes['brand-b'].attest(items.map(x => ({ ...x })))
    assert.equal(a.entries + b.entries, 10_000)
    await eventually(async () => (await nodes['brand-b'].status()).blocklist.listed === 5000, 30_000, 'brand-b sees 5000 listed')

    const late = await startNodes(net, ['brand-c'])
    nodes['brand-c'] = late['brand-c']
    await eventually(async () => (await nodes['brand-c'].status()).blocklist.listed === 5000, 45_000, 'late node lists 5000')
    const sc = await nodes['brand-c'].status()
    const sb = await nodes['brand-b'].status()
    assert.equal(sc.snapshotHash, sb.snapshotHash)
    const seqs = Object.fromEntries(sc.heads.map(h => [h.org, h.seq]))
    assert.equal(seqs['brand-a'], 5000)
    assert.equal(seqs['brand-b'], 5000)
    assert.equal(sc.entries.applied, 10_000)
  })
})
