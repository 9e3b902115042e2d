import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { decodeEntry } from '../../../../protocol/codec/index.js'
import type { Body, Segment } from '../../../../protocol/types.js'
import { Ingestor } from '../../../../node/ingest.js'
import type { NodeKeys } from '../../../../node/keys.js'
import { silentLogger } from '../../../../node/logger.js'
import { AuthorService } from '../../../../node/services/author.js'
import { ConsensusState } from '../../../../node/services/consensus-state.js'
import type { FingerprintService } from '../../../../node/services/fingerprints.js'
import type { GossipService } from '../../../../node/services/gossip.js'
import { MemoryStore } from '../../../../node/store/memory.js'
import { GENESIS_TIME, makeAlliance } from '../../../helpers/alliance.js'

describe('node/services author: gossip after the answer', () => {
  async function setup () {
    const al = makeAlliance()
    const now = GENESIS_TIME + 60_000
    const state = new ConsensusState({ chain: al.chain, clock: () => now })
    const store = new MemoryStore()
    await store.open()
    const ingestor = new Ingestor({ store, state, logger: silentLogger().forComponent('t') })
    // a gossip whose publishes finish only when the test lets them
    const published: number[] = []
    const releases: Array<() => void> = []
    const gossip = {
      publish: async (segment: Segment) => {
        await new Promise<void>(resolve => releases.push(resolve))
        published.push(decodeEntry(segment.entries[segment.entries.length - 1]).seq)
      }
    } as unknown as GossipService
    const signer = al.orgs[0].nodes[0].signer
    const author = new AuthorService({
      state, ingestor, keys: { sign: signer } as unknown as NodeKeys, org: al.orgs[0].org, fingerprints: {} as unknown as FingerprintService, gossip, clock: () => now
    })
    const body = (): Body => ({ type: 'attestation', fingerprint: new Uint8Array(randomBytes(32)), kind: 'phone', claim: 'counterfeit-seller', reason: 0, confidence: 100, evidenceDigest: new Uint8Array(0), expires: now + 3600_000, epoch: 1 })
    return { author, store, signer, published, releases, body }
  }
  it('a statement is answered once stored, before its gossip has gone out; gossip follows in log order', async () => {
    const s = await setup()
    const first = await s.author.publish([s.body()])
    const second = await s.author.publish([s.body()])
    assert.deepEqual([first[0].entry.seq, second[0].entry.seq], [1, 2])
    assert.equal(s.store.head(s.signer.publicKey)?.seq, 2, 'both stored before any gossip went out')
    assert.deepEqual(s.published, [], 'nothing published yet: the answers did not wait for gossip')
    let done = false
    const all = s.author.gossiped().then(() => { done = true })
    // one publish at a time, in seq order: the second starts only after the first finished
    while ((s.releases.length as number) === 0) await new Promise(resolve => setImmediate(resolve))
    assert.equal(s.releases.length, 1, 'the second segment waits for the first one\'s publish')
    s.releases.shift()?.()
    while ((s.releases.length as number) === 0) await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(s.published, [1])
    assert.equal(done, false, 'gossiped() waits for the publishes on their way')
    s.releases.shift()?.()
    await all
    assert.deepEqual(s.published, [1, 2])
  })
})
