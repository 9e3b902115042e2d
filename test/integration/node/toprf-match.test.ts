/**
 * Local matching under toprf-ristretto255 in real nodes on loopback (issue
 * 11): the platform scans a listings file; values its lanes do not know are
 * fingerprinted through 2-of-3 guardians in batches (then cached), a rescan
 * asks no guardian, and with the guardians stopped listings of cached
 * sellers are still decided while new ones are reported, by name.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { FIVE, useRunningNodes } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

const GUARDIANS = ['brand-a', 'platform', 'police']

const LISTINGS = [
  'listing_id,seller_account,email,phone',
  'L1,,,020 7946 0958', // listed as +44 20 7946 0958 by two brands, written another way → block
  'L2,shopmart:honest_seller,honest@example.org,', // nothing known → none
  'L3,shopmart:candidate_seller,,', // one brand → candidate → screen
  'L4,,,not-a-phone' // invalid → rejects
].join('\n') + '\n'

/** Blinded elements the guardians evaluated for the platform's requests, summed over every guardian node still running. */
async function evaluationsFor (nodes: Record<string, AllianceNode>, org: string): Promise<number> {
  let n = 0
  for (const g of GUARDIANS) {
    const node = nodes[g]
    if (node === undefined) continue
    const m = await node.metrics.guardianEvaluations.get()
    for (const v of m.values) if (v.labels.org === org && v.labels.result === 'ok') n += v.value
  }
  return n
}

function lines (path: string): Array<Record<string, unknown>> {
  const t = readFileSync(path, 'utf8').trim()
  return t === '' ? [] : t.split('\n').map(l => JSON.parse(l))
}

describe('integration: matching under toprf-ristretto255', function () {
  this.timeout(120_000)
  const alliance = useRunningNodes(FIVE, {
    roster: { policy: { suite: 'toprf-ristretto255' }, guardians: GUARDIANS, threshold: 2 }
  })
  let nodes: Record<string, AllianceNode>
  beforeEach(() => { nodes = alliance.nodes })

  it('a scan blocks a listed phone written another way; a rescan asks no guardian; with the guardians stopped cached sellers are still decided', async () => {
    for (const org of ['brand-a', 'brand-b']) await nodes[org].attest([{ kind: 'phone', value: '+44 20 7946 0958' }])
    await nodes['brand-c'].attest([{ kind: 'seller-account', value: 'shopmart:candidate_seller' }])
    const platform = nodes.platform
    await eventually(async () => {
      const s = await platform.status()
      return s.blocklist.listed === 1 && s.blocklist.candidate === 1
    }, 20_000, 'the platform sees 1 listed, 1 candidate')

    const root = alliance.net.root
    const listings = join(root, 'toprf-listings.csv')
    const out = join(root, 'toprf-decisions.jsonl')
    const rejects = join(root, 'toprf-rejects.jsonl')
    writeFileSync(listings, LISTINGS)

    const e0 = await evaluationsFor(nodes, 'platform')
    const first = await platform.match({ listings, out, rejects, emit: 'all', workers: 1 })
    assert.equal(first.rows, 4)
    assert.deepEqual(first.decisions, { block: 1, screen: 1, none: 2 })
    assert.equal(first.invalid.identifiers, 1)
    assert.deepEqual(first.undecided, { rows: 0 })
    const byId = Object.fromEntries(lines(out).map(d => [d.listingId, d]))
    assert.equal(byId.L1.action, 'block')
    assert.equal((byId.L1.matches as Array<{ orgs: string[] }>)[0].orgs.join(','), 'brand-a,brand-b')
    assert.equal(byId.L3.action, 'screen')
    assert.equal(byId.L4.action, 'none')
    assert.deepEqual(lines(rejects).map(r => r.why), ['not_phone'])
    const e1 = await evaluationsFor(nodes, 'platform')
    assert.ok(e1 > e0, 'the first scan had the guardians evaluate the platform\'s new values')

    // a rescan (same pool: lanes know the values) and a scan by a fresh pool (node cache) ask no guardian
    const again = await platform.match({ listings, out, rejects, emit: 'all', workers: 1, force: true })
    assert.deepEqual(again.decisions, first.decisions)
    const fresh = await platform.match({ listings, out, rejects, emit: 'all', workers: 0, force: true })
    assert.deepEqual(fresh.decisions, first.decisions)
    assert.ok(fresh.resolved > 0, 'the fresh pool resolved its values through the node')
    assert.equal(await evaluationsFor(nodes, 'platform'), e1, 'no guardian evaluated anything for the rescans')

    // guardians down (the platform itself is one of three, threshold 2)
    await nodes['brand-a'].stop()
    await nodes.police.stop()
    try {
      writeFileSync(listings, LISTINGS + 'L5,shopmart:never_seen_before,,\n')
      const down = await platform.match({ listings, out, rejects, emit: 'all', workers: 2, force: true })
      assert.deepEqual(down.decisions, { block: 1, screen: 1, none: 2 }, 'cached sellers are still decided')
      assert.deepEqual(down.undecided, { rows: 1, reason: 'not_enough_guardians' })
      const undecided = lines(rejects).filter(r => r.why === 'not_fingerprinted')
      assert.deepEqual(undecided.map(r => [r.listingId, r.reason]), [['L5', 'not_enough_guardians']])
      assert.ok(!lines(out).some(d => d.listingId === 'L5'), 'an undecided listing gets no decision')
    } finally {
      // the suite's after hook stops every node; stopped ones are skipped there
      delete nodes['brand-a']
      delete nodes.police
    }
  })
})
