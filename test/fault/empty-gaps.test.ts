/**
 * Gap syncs that bring nothing (issue 12 item 2). A gossiped entry that
 * leaves a gap is ignored and makes the node sync with the relayer — a whole
 * sync exchange per message. A member relaying entries with made-up gaps
 * used to cost nothing: `ignore` does not touch its score. Now, after
 * EMPTY_GAP_STRIKES gap syncs with one relayer that completed and applied
 * nothing, its further gaps are rejected (gossipsub's P4 penalty: three
 * rejections graylist it, see hostile-gossip) and start no sync.
 * Two real nodes on loopback: brand-a judges gossip "relayed" by brand-b,
 * and really syncs with it.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { AllianceNode } from '../../node/alliance-node.js'
import { EMPTY_GAP_STRIKES, GapLedger } from '../../node/services/gap-ledger.js'
import { makeNodeDirs, startNodes, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { DAY, attestation, memberKeys, signed } from './helpers/fixtures.js'
import { record } from './helpers/scale.js'

describe('fault: gap syncs that bring nothing', function () {
  this.timeout(120_000)
  let net: TestNet
  let nodes: Record<string, AllianceNode>

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }, { org: 'brand-c', role: 'brand' }], { quorum: 2 })
    nodes = await startNodes(net, ['brand-a', 'brand-b'], { antiEntropyIntervalMs: 600_000 })
    await eventually(() => nodes['brand-a'].host.connectedPeers().length > 0, 30_000, 'brand-a connected to brand-b')
  })
  after(async () => {
    await Promise.all(Object.values(nodes ?? {}).map(async n => { await n.stop() }))
    net?.cleanup()
  })

  it(`after ${EMPTY_GAP_STRIKES} gap syncs with one relayer that bring nothing, its gaps are rejected and start no sync`, async () => {
    const a = nodes['brand-a']
    const keys = await memberKeys(net)
    const relayer = keys['brand-b'].peerId.toString()
    const now = Date.now()
    const verdicts: string[] = []
    for (let i = 0; i < EMPTY_GAP_STRIKES; i++) {
      // a validly signed brand-c entry at seq 100 + i: nobody holds what it follows
      const gap = signed(keys['brand-c'].sign, a.alliance, { seq: 99 + i * 10, id: new Uint8Array(randomBytes(32)), time: now }, [attestation(i, now + 30 * DAY, 31)], now)
      verdicts.push(await a.gossip.validate(gap.bytes, relayer))
      await eventually(() => a.gossip.gapStrikes(relayer) === i + 1, 30_000, `empty gap sync ${i + 1} settled`)
    }
    const last = signed(keys['brand-c'].sign, a.alliance, { seq: 500, id: new Uint8Array(randomBytes(32)), time: now }, [attestation(9, now + 30 * DAY, 31)], now)
    const verdict = await a.gossip.validate(last.bytes, relayer)
    record('gaps', { emptyGapVerdicts: [...verdicts, verdict], strikes: a.gossip.gapStrikes(relayer) })
    assert.deepEqual(verdicts, Array(EMPTY_GAP_STRIKES).fill('ignore'))
    assert.equal(verdict, 'reject')
    assert.equal(a.gossip.gapStrikes(relayer), EMPTY_GAP_STRIKES, 'a rejected gap starts no sync (no new strike)')
    assert.equal((await a.status()).entries.rejected.empty_gaps, 1)
  })

  it('a gap sync that brings something clears the relayer\'s strikes; strikes expire', () => {
    const ledger = new GapLedger({ strikes: 2, forgetMs: 1000 })
    ledger.settle('p', 0, 0)
    ledger.settle('p', 0, 10)
    assert.equal(ledger.exhausted('p', 20), true)
    assert.equal(ledger.exhausted('p', 1005), false, 'the first strike expired')
    ledger.settle('p', 0, 1006)
    assert.equal(ledger.exhausted('p', 1008), true, 'strikes at 10 and 1006')
    ledger.settle('p', 3, 1009)
    assert.equal(ledger.exhausted('p', 1009), false, 'a sync that brought entries clears them')
    assert.equal(ledger.exhausted('other', 1009), false)
  })
})
