/**
 * Key rotation end to end (issue 10, part 2), with real nodes on loopback:
 * a roster version that removes a member and opens a new key epoch; every
 * member node moves to it, re-attests from its vault, and destroys the old
 * key at the cut-over; a node offline during the rotation catches up and
 * moves by itself; the removed member's files hold no key of the new epoch.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { epochKeyPath } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import { nextRosterFile, signRosterFile, signedRosterOf } from '../../../node/roster-file.js'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { RosterChain } from '../../../protocol/roster/index.js'
import type { Kind } from '../../../protocol/kinds.js'
import { makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

const ORGS = ['brand-a', 'brand-b', 'brand-x', 'platform', 'police'] as const

/** Raw identifiers, as each brand writes them. */
const PHONE_A = '+44 20 7946 0958'
const PHONE_B = '020 7946 0958'
const MAIL = 'Seller.One@Example.com'
const SHOP = 'https://shop.example.net/seller/42'
const ALONE_X = 'x-only@example.org'

const QUERIES: Array<{ kind: Kind, value: string }> = [
  { kind: 'phone', value: PHONE_A },
  { kind: 'email', value: MAIL },
  { kind: 'url', value: SHOP },
  { kind: 'email', value: ALONE_X }
]

async function statuses (node: AllianceNode): Promise<string[]> {
  return await Promise.all(QUERIES.map(async q => (await node.explain(q)).status))
}

describe('integration: key rotation', function () {
  this.timeout(120_000)
  let net: TestNet
  let nodes: Record<string, AllianceNode>

  before(async () => {
    net = await makeNodeDirs(ORGS.map(org => ({ org, role: org === 'platform' ? 'platform' : org === 'police' ? 'law-enforcement' : 'brand' })), { quorum: 2 })
    nodes = await startNodes(net, [...ORGS])
    await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= ORGS.length - 1), 20_000, 'every node connected')
  })

  after(async () => {
    await Promise.all(Object.values(nodes).map(async n => await n.stop().catch(() => undefined)))
    net?.cleanup()
  })

  it('removing a member with --rotate-key: same statuses for the same raw identifiers on every node before, during and after; the old key destroyed; the removed member holds no new key; an offline node moves by itself', async () => {
    // before: a phone listed by two brands in two notations, a mail with an allowlist entry, a url candidate, X alone
    await nodes['brand-a'].attest([{ kind: 'phone', value: PHONE_A }, { kind: 'email', value: MAIL }, { kind: 'url', value: SHOP }])
    await nodes['brand-b'].attest([{ kind: 'phone', value: PHONE_B }, { kind: 'email', value: MAIL }])
    await nodes['brand-b'].allow({ kind: 'url', value: SHOP })
    await nodes['brand-x'].attest([{ kind: 'email', value: ALONE_X }])
    const want = ['listed', 'listed', 'candidate', 'absent']
    await eventually(async () => {
      for (const org of ['brand-a', 'brand-b', 'platform', 'police']) {
        const s = await statuses(nodes[org])
        if (s.slice(0, 3).join() !== want.slice(0, 3).join() || s[3] !== 'candidate') return false
      }
      return true
    }, 20_000, 'the alliance agrees before the rotation')

    // the police node goes offline for the whole rotation
    await nodes.police.stop()

    // v2: X removed, epoch 2 sealed to the members of v2 only; signed by the governance threshold (3 of 5)
    const current = await nodes['brand-a'].roster()
    const chain = nodes['brand-a'].state.chain
    let v2 = await nextRosterFile(chain.current, current, { remove: ['brand-x'], rotateKey: true })
    for (const org of ['brand-a', 'brand-b', 'platform']) v2 = signRosterFile(v2, (await loadNodeKeys(net.dirs[org])).sign, chain.current).file
    assert.equal(RosterChain.fromGenesis(chain.versions[0].signed).versions.length, 1)
    assert.equal(signedRosterOf(v2).signatures.length, 3)
    assert.deepEqual(await nodes['brand-a'].adoptRoster(v2), { version: 2, changed: true })

    const online = ['brand-a', 'brand-b', 'platform']
    await eventually(() => online.every(org => nodes[org].fingerprints.current === 2), 20_000, 'every online member opened epoch 2')
    await eventually(() => online.every(org => nodes[org].rotation.view().waitingFor.join() === 'police'), 20_000, 'every online member re-attested, announced its move, and heard the others\' announcements')
    for (const org of online) {
      const v = nodes[org].rotation.view()
      assert.equal(v.phase, 'waiting-for-members', `${org} waits for the offline police node`)
      assert.deepEqual(v.waitingFor, ['police'])
      assert.equal(v.retiring, 1)
    }
    // during the rotation decisions still use epoch 1, whose blocklist is complete; X no longer counts
    for (const org of online) assert.deepEqual(await statuses(nodes[org]), want, `${org} during the rotation`)

    // the removed member: no key of epoch 2 on disk or in memory, so it cannot fingerprint anything under it
    assert.equal(existsSync(epochKeyPath(net.dirs['brand-x'], 2)), false)
    assert.equal(nodes['brand-x'].fingerprints.holds(2), false)
    await assert.rejects(nodes['brand-x'].fingerprints.fingerprint('email', MAIL, 2), { name: 'EpochKeyUnavailableError' })

    // the police node comes back: it catches up, opens its sealed copy, moves, and the cut-over happens everywhere
    const [police] = Object.values(await startNodes(net, ['police']))
    nodes.police = police
    const all = [...online, 'police']
    await eventually(() => all.every(org => nodes[org].fingerprints.current === 2 && nodes[org].fingerprints.retiring === undefined), 30_000, 'every member cut over to epoch 2')
    for (const org of all) {
      assert.equal(existsSync(epochKeyPath(net.dirs[org], 1)), false, `${org} deleted the epoch-1 key`)
      assert.equal(existsSync(epochKeyPath(net.dirs[org], 2)), true)
      assert.equal(nodes[org].rotation.view().phase, 'steady')
    }
    // after: the same statuses for the same raw identifiers, now under epoch 2, on every node
    await eventually(async () => {
      for (const org of all) if ((await statuses(nodes[org])).join() !== want.join()) return false
      return true
    }, 20_000, 'the same blocklist under epoch 2')
    const fp2 = (await nodes.platform.explain({ kind: 'phone', value: PHONE_A })).fingerprint
    const e = await nodes.police.explain({ fingerprint: fp2 })
    assert.deepEqual(e.positive.map(v => v.org).sort(), ['brand-a', 'brand-b'])
    // a statement made now is under epoch 2 only
    const r = await nodes['brand-a'].attest([{ kind: 'email', value: 'new@example.com' }])
    assert.equal(r.entries, 1)
  })
})
