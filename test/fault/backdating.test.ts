/**
 * Backdating with a rotated-out key (RELIABILITY gap 2): an org replaces a
 * node key in roster version 2; whoever still holds the old key signs
 * entries dated before the rotation and sends them later. Every node must
 * refuse them by the same rule, whenever it adopted version 2: the removal
 * is dated by version 2's own (signed) time, not by each node's adoption.
 */
import assert from 'node:assert/strict'
import { Ingestor, REMOVED_KEY_GRACE_MS, type IngestOutcome } from '../../node/ingest.js'
import { ConsensusState } from '../../node/services/consensus-state.js'
import { silentLogger } from '../../node/logger.js'
import { createStore } from '../../node/store/index.js'
import type { Store } from '../../node/store/types.js'
import { RosterChain, signRoster, unsignedRoster } from '../../protocol/roster/index.js'
import type { SignedRoster } from '../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, makeOrg, rosterOf, type TestOrg } from '../helpers/alliance.js'
import { DAY, HOUR, attestation, signed } from './helpers/fixtures.js'
import { record } from './helpers/scale.js'

const MINUTE = 60_000

describe('fault: backdating with a rotated-out key', () => {
  // brand-a runs two keys in version 1 and drops the first in version 2 (the org stays)
  const brandA = makeOrg('brand-a', ['brand'], 2)
  const orgs = [brandA, makeOrg('brand-b'), makeOrg('brand-c')]
  const al = makeAlliance({ orgs })
  const oldKey = brandA.nodes[0].signer
  const newKey = brandA.nodes[1].signer
  const T2 = GENESIS_TIME + 10 * DAY
  const v2: SignedRoster = (() => {
    const rotated: TestOrg = { ...brandA, nodes: [brandA.nodes[1]] }
    const doc = rosterOf([rotated, orgs[1], orgs[2]], { version: 2, prev: al.chain.current.id, time: T2 })
    const s = unsignedRoster(doc)
    for (const o of orgs) s.signatures.push(signRoster(o.nodes[o === brandA ? 1 : 0].signer, s.roster))
    return s
  })()

  interface World { ingest: Ingestor, store: Store, rejected: Record<string, number>, setNow: (t: number) => void }
  const worlds: World[] = []

  async function world (now: number): Promise<World> {
    const store = createStore()
    await store.open()
    let t = now
    const rejected: Record<string, number> = {}
    const chain = RosterChain.fromGenesis(al.signed)
    const ingest = new Ingestor({
      store,
      state: new ConsensusState({ chain, clock: () => t }),
      logger: silentLogger().forComponent('t'),
      listeners: { onRejected: (reason) => { rejected[reason] = (rejected[reason] ?? 0) + 1 } }
    })
    const w = { ingest, store, rejected, setNow: (x: number) => { t = x } }
    worlds.push(w)
    return w
  }

  after(async () => { for (const w of worlds) await w.store.close() })

  const result = (out: IngestOutcome): string => out.result === 'rejected' ? out.reason : out.result

  it('entries of a dropped key dated before the drop are refused by name once the drop is past its grace, on a node that adopted early and one that adopted late alike; held entries stay, the org\'s new key counts', async () => {
    const early = await world(T2 - 5 * DAY)
    const late = await world(T2 - 5 * DAY)
    // before the rotation the old key is a key like any other
    const honestOld = signed(oldKey, al.alliance, undefined, [attestation(1, T2 + 30 * DAY, 1)], T2 - 5 * DAY)
    for (const w of [early, late]) assert.equal(result(await w.ingest.ingest(honestOld.segment)), 'accepted')

    // "early" adopts version 2 four days before it takes effect; "late" adopts it only at the end
    early.setNow(T2 - DAY)
    assert.ok(await early.ingest.addRoster(v2) !== undefined)

    // within the grace: an entry signed just before the drop, arriving just after it, is taken (honest lag)
    const lagging = signed(oldKey, al.alliance, { seq: 1, id: honestOld.entries[0].id, time: T2 - 5 * DAY }, [attestation(2, T2 + 30 * DAY, 1)], T2 - HOUR)
    early.setNow(T2 + 10 * MINUTE)
    assert.equal(result(await early.ingest.ingest(lagging.segment)), 'accepted')
    late.setNow(T2 + 10 * MINUTE)
    assert.equal(result(await late.ingest.ingest(lagging.segment)), 'accepted')

    // past the grace: whoever holds the old key dates an entry a minute before the drop
    const backdated = signed(oldKey, al.alliance, { seq: 2, id: lagging.entries[0].id, time: T2 - HOUR }, [attestation(3, T2 + 30 * DAY, 1)], T2 - MINUTE)
    const after = T2 + REMOVED_KEY_GRACE_MS + MINUTE
    early.setNow(after)
    late.setNow(after)
    await late.ingest.addRoster(v2)
    const outcomes = [result(await early.ingest.ingest(backdated.segment)), result(await late.ingest.ingest(backdated.segment))]
    assert.deepEqual(outcomes, ['key_removed', 'key_removed'], 'both nodes refuse it, whenever they adopted version 2')
    // also without a signature (as the first frames of a bulk segment), and relayed again
    assert.equal(result(await early.ingest.ingest({ entries: backdated.segment.entries, signature: new Uint8Array(0) })), 'key_removed')
    for (const w of [early, late]) {
      assert.equal(w.store.head(oldKey.publicKey)?.seq, 2, 'nothing of it stored')
      assert.equal(w.ingest.consensus.status(attestation(3, 0, 1).fingerprint), 'absent', 'it counts nowhere')
      assert.equal(w.rejected.key_removed >= 1, true, 'counted by reason')
      // what the node already holds is still recognised as held, not refused
      assert.equal(result(await w.ingest.ingest(lagging.segment)), 'duplicate')
    }
    // dated after the drop, it is an unknown author as before
    const dated = signed(oldKey, al.alliance, { seq: 2, id: lagging.entries[0].id, time: T2 - HOUR }, [attestation(4, T2 + 30 * DAY, 1)], T2 + MINUTE)
    assert.equal(result(await early.ingest.ingest(dated.segment)), 'unknown_author')
    // the org's new key is unaffected
    const fresh = signed(newKey, al.alliance, undefined, [attestation(3, after + 30 * DAY, 1)], after)
    assert.equal(result(await early.ingest.ingest(fresh.segment)), 'accepted')
    record('backdating', { 'rotatedKey.refusedNodes': outcomes.filter(o => o === 'key_removed').length, 'rotatedKey.graceMs': REMOVED_KEY_GRACE_MS, 'rotatedKey.refused': early.rejected.key_removed + late.rejected.key_removed })
  })
})
