/**
 * The toprf-ristretto255 suite in real nodes on loopback (issue 11): five
 * orgs, three guardians (brand-a, platform, police), threshold 2. Fingerprints
 * come from the guardians over /alliance/<id>/oprf/1.0.0; no node holds the
 * key; quotas are charged per org per UTC day and audited through signed
 * guardian-counts entries.
 */
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { readShareKey } from '../../../node/home.js'
import { canonicalBytes } from '../../../protocol/canonical/index.js'
import { toHex } from '../../../protocol/bytes.js'
import { fingerprintWithKey, lagrangeAtZero } from '../../../protocol/fingerprint/toprf/index.js'
import { scalarAdd, scalarMul } from '../../../protocol/fingerprint/toprf/group.js'
import { FIVE, statusEverywhere, useRunningNodes } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

const GUARDIANS = ['brand-a', 'platform', 'police']
const DAY = 86_400_000

describe('integration: toprf-ristretto255 fingerprints from 2-of-3 guardians', function () {
  this.timeout(90_000)
  let offset = 0
  const alliance = useRunningNodes(FIVE, {
    roster: { policy: { suite: 'toprf-ristretto255' }, guardians: GUARDIANS, threshold: 2, quotas: [{ subject: 'brand-c', perDay: 6 }, { subject: '*', perDay: 1_000_000 }] },
    clock: () => Date.now() + offset,
    guardianCountsIntervalMs: 500
  })
  let nodes: Record<string, AllianceNode>
  beforeEach(() => { nodes = alliance.nodes })

  it('a phone in two notations is listed at k = 2 on every node, under the fingerprint of the key the shares reconstruct', async () => {
    const a = await nodes['brand-a'].attest([{ kind: 'phone', value: '+44 20 7946 0958' }])
    const fp = a.fingerprints[0]
    await eventually(async () => await statusEverywhere(Object.values(nodes), fp, 'candidate'), 15_000, 'candidate everywhere')
    const b = await nodes['brand-b'].attest([{ kind: 'phone', value: '020 7946 0958' }])
    assert.equal(b.fingerprints[0], fp, 'same phone, other notation, same fingerprint (from a non-guardian)')
    await eventually(async () => await statusEverywhere(Object.values(nodes), fp, 'listed'), 15_000, 'listed everywhere')

    // the test, not any node, puts two shares together: the key they reconstruct gives the same fingerprint
    const policy = nodes.platform.state.policy
    const pick = policy.guardians.filter(g => g.org !== 'platform')
    const shares = await Promise.all(pick.map(async g => await readShareKey(alliance.net.dirs[g.org], policy.epoch)))
    const lambdas = lagrangeAtZero(pick.map(g => g.index))
    const key = shares.map((s, i) => scalarMul(lambdas[i], s)).reduce((x, y) => scalarAdd(x, y))
    const expected = fingerprintWithKey(key, policy.epoch, 'phone', canonicalBytes('phone', '+442079460958'))
    assert.equal(toHex(expected), fp)
  })

  it('no node holds the key: guardians hold one share each, the others nothing', async () => {
    for (const org of Object.keys(nodes)) {
      const files = readdirSync(join(alliance.net.dirs[org], 'keys'))
      assert.ok(!files.some(f => f.startsWith('epoch-')), `${org} holds no epoch key`)
      const shares = files.filter(f => f.startsWith('toprf-share-'))
      assert.equal(shares.length, GUARDIANS.includes(org) ? 1 : 0, `${org}'s shares`)
    }
  })

  it('a quota is charged per org per UTC day: the request crossing it is refused whole, by name; the next day works; counts reach every node', async () => {
    const c = nodes['brand-c']
    const ok = await c.attest([1, 2, 3, 4].map(i => ({ kind: 'seller-account' as const, value: `market:quota_${i}` })))
    assert.equal(ok.entries, 4)
    const before = c.ingestor.headOf(c.keys.sign.publicKey)?.seq ?? 0
    await assert.rejects(c.attest([5, 6, 7].map(i => ({ kind: 'seller-account' as const, value: `market:quota_${i}` }))), (err: Error & { reason?: string }) => err.reason === 'quota_exceeded')
    assert.equal(c.ingestor.headOf(c.keys.sign.publicKey)?.seq ?? 0, before, 'nothing of the refused batch was attested')
    // cached values cost no evaluation
    assert.equal((await c.attest([{ kind: 'seller-account', value: 'market:quota_1' }])).entries, 1)
    offset += DAY
    assert.equal((await c.attest([5, 6, 7].map(i => ({ kind: 'seller-account' as const, value: `market:quota_${i}` })))).entries, 3, 'a new UTC day, a new quota')
    offset -= DAY
    // every node sees each guardian's signed counts for brand-c
    await eventually(() => Object.values(nodes).every(n => {
      const today = n.guardianCounts.days().find(d => d.byOrg['brand-c'] !== undefined && d.day === Math.floor(Date.now() / DAY))
      return today !== undefined && today.byOrg['brand-c'] === 4 && Object.keys(today.byGuardian).length >= 2
    }), 20_000, 'guardian counts of brand-c on every node')
  })

  it('with two of three guardians stopped nothing new can be fingerprinted, by name; cached values still are', async () => {
    const b = nodes['brand-b']
    await b.attest([{ kind: 'email', value: 'cached@example.com' }])
    await nodes.police.stop()
    await nodes.platform.stop()
    try {
      await assert.rejects(b.attest([{ kind: 'email', value: 'fresh@example.com' }]), (err: Error & { reason?: string }) => err.name === 'NotEnoughGuardiansError' && /police|platform/.test(err.message))
      assert.equal((await b.attest([{ kind: 'email', value: 'cached@example.com' }])).entries, 1)
    } finally {
      // the suite's after hook stops every node; stopped ones are skipped there
      delete nodes.police
      delete nodes.platform
    }
  })
})
