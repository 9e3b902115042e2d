import assert from 'node:assert/strict'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { FOUR, statusEverywhere, useRunningNodes } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

describe('integration: feedback and allowlist', function () {
  this.timeout(60_000)
  const alliance = useRunningNodes(FOUR)
  let nodes: Record<string, AllianceNode>
  beforeEach(() => { nodes = alliance.nodes })

  const everywhere = async (fp: string, want: string): Promise<boolean> => await statusEverywhere(Object.values(nodes), fp, want)

  it('the platform\'s false-positive feedback turns a listed fingerprint into disputed on every node; confirmations are counted', async () => {
    const a = await nodes['brand-a'].attest([{ kind: 'email', value: 'replica.deals@example.net' }])
    await nodes['brand-b'].attest([{ kind: 'email', value: 'Replica.Deals@example.net' }])
    const fp = a.fingerprints[0]
    await eventually(async () => await everywhere(fp, 'listed'), 15_000, 'listed everywhere')
    const confirmed = await nodes.platform.feedback({ fingerprint: fp, outcome: 'confirmed' })
    assert.equal(confirmed.status, 'listed')
    await eventually(async () => (await nodes['brand-c'].explain({ fingerprint: fp })).confirmations === 1, 10_000, 'confirmation counted')
    const fpos = await nodes.platform.feedback({ fingerprint: fp, outcome: 'false-positive', note: 'the seller showed invoices' })
    assert.equal(fpos.status, 'disputed')
    await eventually(async () => await everywhere(fp, 'disputed'), 15_000, 'disputed everywhere')
    const why = await nodes['brand-c'].explain({ fingerprint: fp })
    assert.deepEqual(why.negative.map(v => [v.org, v.source]), [['platform', 'false-positive']])
  })

  it('a brand\'s authorised reseller (allow) disputes another brand\'s listing of it', async () => {
    const a = await nodes['brand-a'].attest([{ kind: 'seller-account', value: 'shopmart:GrayImports' }])
    await nodes['brand-b'].attest([{ kind: 'seller-account', value: 'shopmart:GrayImports' }])
    const fp = a.fingerprints[0]
    await eventually(async () => await everywhere(fp, 'listed'), 15_000, 'listed')
    const r = await nodes['brand-c'].allow({ kind: 'seller-account', value: 'shopmart:GrayImports' })
    assert.equal(r.fingerprint, fp)
    await eventually(async () => await everywhere(fp, 'disputed'), 15_000, 'disputed by the allowlist entry')
  })

  it('feedback on a fingerprint nobody mentioned is refused by name', async () => {
    await assert.rejects(nodes.platform.feedback({ fingerprint: '00'.repeat(32), outcome: 'confirmed' }), { name: 'UnknownFingerprintError' })
  })
})
