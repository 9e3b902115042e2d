import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { encodeSegment } from '../../../../protocol/codec/index.js'
import { appendSegment } from '../../../../protocol/log/index.js'
import { MetricsRegistry } from '../../../../node/api/metrics.js'
import { Ingestor } from '../../../../node/ingest.js'
import { silentLogger } from '../../../../node/logger.js'
import type { Host } from '../../../../node/net/host.js'
import { ConsensusState } from '../../../../node/services/consensus-state.js'
import { GossipService } from '../../../../node/services/gossip.js'
import { StoreNotOpenError } from '../../../../node/store/errors.js'
import { MemoryStore } from '../../../../node/store/memory.js'
import { GENESIS_TIME, makeAlliance } from '../../../helpers/alliance.js'

describe('node/services gossip verdicts', () => {
  async function setup (failAppend: boolean) {
    const al = makeAlliance()
    const now = GENESIS_TIME + 60_000
    const state = new ConsensusState({ chain: al.chain, clock: () => now })
    const store = new MemoryStore()
    await store.open()
    if (failAppend) store.append = async () => { throw new StoreNotOpenError('append') }
    const rejected: string[] = []
    const ingestor = new Ingestor({ store, state, logger: silentLogger().forComponent('t'), listeners: { onRejected: (r) => rejected.push(r) } })
    const metrics = new MetricsRegistry()
    const gossip = new GossipService({ host: {} as unknown as Host, ingestor, alliance: al.alliance, metrics, logger: silentLogger().forComponent('t'), onRejected: (r) => rejected.push(r), onGap: () => {} })
    const { segment } = appendSegment({
      signer: al.orgs[0].nodes[0].signer,
      alliance: al.alliance,
      head: undefined,
      bodies: [{ type: 'attestation', fingerprint: new Uint8Array(randomBytes(32)), kind: 'phone', claim: 'counterfeit-seller', reason: 0, confidence: 100, evidenceDigest: new Uint8Array(0), expires: now + 3600_000, epoch: 1 }],
      time: now
    })
    return { gossip, data: encodeSegment(segment), rejected, store }
  }

  it('a valid segment is accepted', async () => {
    const s = await setup(false)
    assert.equal(await s.gossip.validate(s.data, 'peer'), 'accept')
  })

  it('our own storage failure is ignore, never reject: the honest sender keeps its score, and nothing is counted as its bad input', async () => {
    const s = await setup(true)
    assert.equal(await s.gossip.validate(s.data, 'peer'), 'ignore')
    assert.deepEqual(s.rejected, [])
    assert.equal(s.store.head(new Uint8Array(32)), undefined)
  })

  it('malformed bytes are the sender\'s fault: reject, counted by reason', async () => {
    const s = await setup(false)
    assert.equal(await s.gossip.validate(Uint8Array.of(0xff, 0xff, 0xff), 'peer'), 'reject')
    assert.equal(s.rejected.length, 1)
  })
})
