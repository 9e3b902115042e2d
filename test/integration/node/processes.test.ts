/**
 * Nodes as separate processes: a node killed with SIGKILL in the middle of a
 * sync restarts and converges with nothing lost and nothing duplicated.
 */
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { DATA_DIR } from '../../../node/home.js'
import { createStore, type ChainDamage } from '../../../node/store/index.js'
import type { NodeStatus } from '../../../node/service.js'
import { makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { api, liveNodePids, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'

const SPECS = [{ org: 'brand-a', role: 'brand' as const }, { org: 'brand-b', role: 'brand' as const }]
const N = 40_000

describe('integration: separate processes', function () {
  this.timeout(120_000)
  let net: TestNet
  let a: AllianceNode | undefined
  let b: NodeProcess | undefined

  before(async () => {
    net = await makeNodeDirs(SPECS, { quorum: 1 })
  })

  after(async () => {
    try {
      if (b !== undefined) await stopNode(b, 'SIGKILL')
    } finally {
      await a?.stop()
      net?.cleanup()
    }
  })

  it('a node process not running within the readiness limit is killed, not left behind', async () => {
    const before = liveNodePids()
    await assert.rejects(spawnNode(net.dirs['brand-b'], { readyTimeoutMs: 50 }), { name: 'NodeNotReadyError' })
    assert.deepEqual(liveNodePids(), before)
  })

  it('a node killed with SIGKILL mid-sync restarts and converges: nothing lost, nothing duplicated', async () => {
    a = (await startNodes(net, ['brand-a']))['brand-a']
    const items = Array.from({ length: N }, (_, i) => ({ kind: 'seller-account' as const, value: `market:s${i}` }))
    for (let i = 0; i < N; i += 10_000) await a.attest(items.slice(i, i + 10_000))
    assert.equal((await a.status()).blocklist.listed, N)

    // kill it as soon as it holds part of brand-a's log; a kill that came after the whole log
    // arrived (a fast sync) tested nothing: start brand-b afresh and try again
    let held = 0
    let damage: ChainDamage[] = []
    for (let attempt = 1; attempt <= 5; attempt++) {
      b = await spawnNode(net.dirs['brand-b'])
      await eventually(async () => {
        const s = await api<NodeStatus>(b as NodeProcess, '/v1/status').catch(() => undefined)
        return (s?.heads.find(h => h.org === 'brand-a')?.seq ?? 0) > 0
      }, 60_000, 'brand-b starts receiving', 10)
      assert.equal(await stopNode(b, 'SIGKILL'), null)
      assert.equal(await stopNode(b, 'SIGKILL'), null, 'stopping an ended process again returns at once')
      // what the killed node left on disk, read before anything restarts it
      const store = createStore({ path: join(net.dirs['brand-b'], DATA_DIR) })
      await store.open()
      held = store.head(a.keys.sign.publicKey)?.seq ?? 0
      damage = await store.checkChains()
      await store.close()
      if (held < N) break
      rmSync(join(net.dirs['brand-b'], DATA_DIR), { recursive: true, force: true })
    }
    assert.ok(held > 0 && held < N, `killed mid-sync: the store holds ${held} of ${N} entries`)
    assert.deepEqual(damage, [], 'the kill left an intact chain')

    b = await spawnNode(net.dirs['brand-b'])
    await eventually(async () => (await api<NodeStatus>(b as NodeProcess, '/v1/status')).blocklist.listed === N, 60_000, 'brand-b converges')
    const sb = await api<NodeStatus>(b, '/v1/status')
    const sa = await a.status()
    assert.equal(sb.snapshotHash, sa.snapshotHash)
    assert.equal(sb.heads.find(h => h.org === 'brand-a')?.seq, N)
    assert.equal(sb.entries.applied, N, 'each entry applied exactly once after the restart rebuilt the index')
    assert.equal(await stopNode(b, 'SIGTERM'), 0)
    b = undefined
  })
})
