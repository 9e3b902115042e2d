import assert from 'node:assert/strict'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { installedRoster, nextRosterFile, signRosterFile } from '../../../node/roster-file.js'
import { FOUR, statusEverywhere, useRunningNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

describe('integration: roster update', function () {
  this.timeout(60_000)
  const alliance = useRunningNodes(FOUR)
  let net: TestNet
  let nodes: Record<string, AllianceNode>
  beforeEach(() => { ({ net, nodes } = alliance) })

  it('entries of a member removed by a roster update stop counting on every node, and its peer is cut off', async () => {
    const a = await nodes['brand-a'].attest([{ kind: 'domain', value: 'https://shop.fake-brand-outlet.com/x' }])
    await nodes['brand-c'].attest([{ kind: 'domain', value: 'fake-brand-outlet.com' }])
    const fp = a.fingerprints[0]
    const everywhere = async (orgs: string[], want: string): Promise<boolean> => await statusEverywhere(orgs.map(org => nodes[org]), fp, want)
    await eventually(async () => await everywhere(Object.keys(nodes), 'listed'), 15_000, 'listed everywhere')

    const { file, chain } = await installedRoster(net.dirs['brand-a'])
    let v2 = await nextRosterFile(chain.current, file, { remove: ['brand-c'] })
    // 3 of 4 orgs of version 1 (the default governance threshold is a majority)
    for (const org of ['brand-a', 'brand-b']) v2 = signRosterFile(v2, nodes[org].keys.sign, chain.current).file
    await assert.rejects(nodes['brand-a'].adoptRoster(v2), { name: 'InsufficientSignaturesError' })
    v2 = signRosterFile(v2, nodes.platform.keys.sign, chain.current).file
    assert.deepEqual(await nodes['brand-a'].adoptRoster(v2), { version: 2, changed: true })

    const remaining = ['brand-a', 'brand-b', 'platform']
    await eventually(async () => await everywhere(remaining, 'candidate'), 15_000, 'candidate on every remaining node')
    for (const org of remaining) assert.equal((await nodes[org].status()).rosterVersion, 2)
    await eventually(() => remaining.every(org => !nodes[org].host.connectedPeers().includes(nodes['brand-c'].keys.peerId.toString())), 15_000, 'brand-c disconnected')
  })
})
