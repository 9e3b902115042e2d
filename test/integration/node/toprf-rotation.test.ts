/**
 * Key rotation under toprf-ristretto255 (issue 11), real nodes on loopback:
 * removing a guardian org needs a new epoch; `roster next --rotate-key`
 * deals new shares to the remaining guardians; every node moves, re-attests
 * from its vault through the new epoch's guardians and cuts over; the old
 * shares and the old epoch's cache are dropped; the removed guardian holds
 * no share of the new epoch. Also: a guardian answering with bad proofs is
 * skipped, counted, and the result is still right.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { shareKeyPath } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import { nextRosterFile, signRosterFile } from '../../../node/roster-file.js'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { FIVE, makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

const GUARDIANS = ['brand-a', 'platform', 'police']
const PHONE_A = '+44 20 7946 0958'
const PHONE_B = '020 7946 0958'

describe('integration: toprf key rotation and faulty guardians', function () {
  this.timeout(120_000)
  let net: TestNet
  let nodes: Record<string, AllianceNode>

  before(async () => {
    net = await makeNodeDirs(FIVE, { quorum: 2, roster: { policy: { suite: 'toprf-ristretto255' }, guardians: GUARDIANS, threshold: 2 } })
    nodes = await startNodes(net, FIVE.map(s => s.org))
    await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= FIVE.length - 1), 20_000, 'every node connected')
  })

  after(async () => {
    await Promise.all(Object.values(nodes).map(async n => await n.stop().catch(() => undefined)))
    net?.cleanup()
  })

  it('a guardian whose answers fail their proof is skipped and counted; the fingerprint is still right', async () => {
    const good = (await nodes.platform.explain({ kind: 'email', value: 'proof@example.com' })).fingerprint
    // brand-a is asked first (roster order); make it answer with garbage under a valid-looking shape
    const bad = nodes['brand-a'].fingerprints
    const original = bad.guardianFor.bind(bad)
    bad.guardianFor = (epoch: number) => {
      const g = original(epoch)
      return g === undefined ? undefined : { ...g, evaluate: (b: readonly Uint8Array[]) => { const r = g.evaluate(b); const proof = r.proof.slice(); proof[0] ^= 1; return { evaluated: r.evaluated, proof } } } as never
    }
    try {
      const fp = (await nodes['brand-b'].explain({ kind: 'email', value: 'proof@example.com' })).fingerprint
      assert.equal(fp, good)
      const m = await nodes['brand-b'].metrics.guardianRequests.get()
      const faults = m.values.filter(v => v.labels.guardian === 'brand-a' && v.labels.result === 'bad_proof').reduce((n, v) => n + v.value, 0)
      assert.ok(faults >= 1, `brand-a's bad proof counted (${faults})`)
    } finally {
      bad.guardianFor = original
    }
  })

  it('removing a guardian needs a new epoch; with --rotate-key every node moves, statuses hold, old shares go, the removed guardian gets none', async () => {
    await nodes['brand-a'].attest([{ kind: 'phone', value: PHONE_A }])
    await nodes['brand-b'].attest([{ kind: 'phone', value: PHONE_B }])
    const stay = ['brand-a', 'brand-b', 'brand-c', 'platform']
    await eventually(async () => (await Promise.all(stay.map(async o => (await nodes[o].explain({ kind: 'phone', value: PHONE_A })).status))).every(s => s === 'listed'), 20_000, 'listed before')
    const before = (await nodes.platform.explain({ kind: 'phone', value: PHONE_A })).fingerprint

    const current = await nodes['brand-a'].roster()
    const chain = nodes['brand-a'].state.chain
    await assert.rejects(nextRosterFile(chain.current, current, { remove: ['police'] }), { name: 'RosterFileError' }, 'a guardian cannot leave with its share')
    let v2 = await nextRosterFile(chain.current, current, { remove: ['police'], rotateKey: true })
    for (const org of ['brand-a', 'brand-b', 'platform']) v2 = signRosterFile(v2, (await loadNodeKeys(net.dirs[org])).sign, chain.current).file
    assert.deepEqual(await nodes['brand-a'].adoptRoster(v2), { version: 2, changed: true })

    await eventually(() => stay.every(o => nodes[o].fingerprints.current === 2 && nodes[o].fingerprints.retiring === undefined), 40_000, 'every member moved to epoch 2 and cut over')
    const p2 = nodes.platform.state.policy
    assert.deepEqual(p2.guardians.map(g => g.org), ['brand-a', 'platform'])
    assert.equal(p2.guardianThreshold, 2)
    for (const o of ['brand-a', 'platform']) {
      assert.equal(existsSync(shareKeyPath(net.dirs[o], 1)), false, `${o} deleted its epoch-1 share`)
      assert.equal(existsSync(shareKeyPath(net.dirs[o], 2)), true, `${o} holds an epoch-2 share`)
    }
    assert.equal(existsSync(shareKeyPath(net.dirs.police, 2)), false, 'the removed guardian holds no share of epoch 2')
    await eventually(async () => (await Promise.all(stay.map(async o => (await nodes[o].explain({ kind: 'phone', value: PHONE_B })).status))).every(s => s === 'listed'), 20_000, 'listed after, re-attested under epoch 2')
    const after = (await nodes.platform.explain({ kind: 'phone', value: PHONE_A })).fingerprint
    assert.notEqual(after, before, 'a new epoch, a new fingerprint')
  })
})
