/**
 * Key rotation across real processes: a brand's node killed with SIGKILL
 * in the middle of re-attesting its vault under the new epoch restarts,
 * resumes where it was, and ends with every live statement re-made exactly
 * once.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { decodeEntry } from '../../../protocol/codec/index.js'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { epochKeyPath } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import { nextRosterFile, signRosterFile } from '../../../node/roster-file.js'
import type { NodeStatus } from '../../../node/service.js'
import { makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'

const N = 20_000

describe('integration: key rotation across processes', function () {
  this.timeout(180_000)
  let net: TestNet
  let a: AllianceNode | undefined
  let b: NodeProcess | undefined

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }], { quorum: 1 })
  })

  after(async () => {
    if (b !== undefined) await stopNode(b, 'SIGKILL')
    await a?.stop()
    net?.cleanup()
  })

  it('a brand killed with SIGKILL mid re-attestation resumes after restart: every vault value re-attested once, no duplicate, then cut-over', async () => {
    a = (await startNodes(net, ['brand-a']))['brand-a']
    b = await spawnNode(net.dirs['brand-b'])
    const items = Array.from({ length: N }, (_, i) => ({ kind: 'seller-account', value: `market:seller${i}` }))
    for (let i = 0; i < N; i += 10_000) await api(b, '/v1/attest', { items: items.slice(i, i + 10_000) })
    const bKey = (await loadNodeKeys(net.dirs['brand-b'])).sign.publicKey
    await eventually(() => a?.store.head(bKey)?.seq === N, 60_000, 'brand-a holds brand-b\'s log')

    const chain = a.state.chain
    let v2 = await nextRosterFile(chain.current, await a.roster(), { rotateKey: true })
    for (const org of ['brand-a', 'brand-b']) v2 = signRosterFile(v2, (await loadNodeKeys(net.dirs[org])).sign, chain.current).file
    await a.adoptRoster(v2)

    // kill brand-b as soon as part of its re-attestation has reached brand-a
    let seen = 0
    await eventually(() => { seen = a?.store.head(bKey)?.seq ?? 0; return seen > N }, 60_000, 'brand-b starts re-attesting')
    assert.equal(await stopNode(b, 'SIGKILL'), null)
    assert.ok(seen < 2 * N, `killed mid re-attestation (brand-a held ${seen - N} of ${N} re-made statements)`)

    b = await spawnNode(net.dirs['brand-b'])
    await eventually(() => a?.rotation.view().moved.includes('brand-b') === true, 90_000, 'brand-b finishes and announces its move')
    await eventually(async () => (await api<NodeStatus>(b as NodeProcess, '/v1/status')).keyEpoch.phase === 'steady', 30_000, 'brand-b cuts over')
    assert.equal(existsSync(epochKeyPath(net.dirs['brand-b'], 1)), false, 'the old key file is gone')

    // brand-b's whole log as brand-a holds it: N attestations under epoch 1, N under epoch 2, each fingerprint once
    const head = a.store.head(bKey)?.seq ?? 0
    const byEpoch = new Map<number, Set<string>>()
    let attestations2 = 0
    for (let from = 1; from <= head; from += 5000) {
      for (const e of await a.store.range(bKey, from, 5000)) {
        const body = decodeEntry(e.bytes).body
        if (body.type !== 'attestation') continue
        if (body.epoch === 2) attestations2++
        const set = byEpoch.get(body.epoch) ?? new Set<string>()
        set.add(Buffer.from(body.fingerprint).toString('hex'))
        byEpoch.set(body.epoch, set)
      }
    }
    assert.equal(byEpoch.get(1)?.size, N)
    assert.equal(byEpoch.get(2)?.size, N, 'every live value re-attested under epoch 2')
    assert.equal(attestations2, N, 'and none twice, though the node was killed half way')
    const s = await api<NodeStatus>(b, '/v1/status')
    assert.equal(s.keyEpoch.epoch, 2)
    assert.equal(await stopNode(b, 'SIGTERM'), 0)
    b = undefined
  })
})
