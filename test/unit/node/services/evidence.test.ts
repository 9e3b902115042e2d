import assert from 'node:assert/strict'
import { Ingestor, type StatusCause } from '../../../../node/ingest.js'
import { ConsensusState } from '../../../../node/services/consensus-state.js'
import { silentLogger } from '../../../../node/logger.js'
import { createStore } from '../../../../node/store/index.js'
import { encodeEquivocation } from '../../../../protocol/codec/index.js'
import { appendSegment } from '../../../../protocol/log/index.js'
import type { Signer } from '../../../../protocol/ed25519.js'
import type { StatusChange } from '../../../../protocol/consensus/index.js'
import { GENESIS_TIME, makeAlliance, makeOrg, makeNode } from '../../../helpers/alliance.js'
import { attestation } from '../../../fault/helpers/fixtures.js'

const DAY = 86_400_000
const NOW = GENESIS_TIME + DAY

/** Evidence that `signer` signed two different entries at seq 1 (attesting fingerprints n and m). */
function evidence (signer: Signer, alliance: string, n: number, m: number): Uint8Array {
  const a = appendSegment({ signer, alliance, head: undefined, bodies: [attestation(n, NOW + 30 * DAY)], time: NOW }).segment
  const b = appendSegment({ signer, alliance, head: undefined, bodies: [attestation(m, NOW + 30 * DAY)], time: NOW }).segment
  return encodeEquivocation({ a, b })
}

describe('ingest: equivocation evidence from peers', () => {
  it('checks evidence before acting: a roster key\'s is kept and excludes the key (its vouch stops counting), again is a duplicate; an outsider\'s key, a non-fork and junk are refused by name and change nothing', async () => {
    const orgs = [makeOrg('brand-a'), makeOrg('brand-b'), makeOrg('rogue')]
    const al = makeAlliance({ orgs })
    const store = createStore()
    await store.open()
    const changes: Array<[StatusChange, StatusCause]> = []
    const ingest = new Ingestor({ store, state: new ConsensusState({ chain: al.chain, clock: () => NOW }), logger: silentLogger().forComponent('t'), listeners: { onStatusChange: (c, why) => changes.push([c, why]) } })
    const [a, , rogue] = orgs.map(o => o.nodes[0].signer)
    // brand-a and the rogue list fingerprint 1 (k = 2)
    for (const s of [a, rogue]) {
      assert.equal((await ingest.ingest(appendSegment({ signer: s, alliance: al.alliance, head: undefined, bodies: [attestation(1, NOW + 30 * DAY)], time: NOW }).segment)).result, 'accepted')
    }
    const fp = attestation(1, 0).fingerprint
    assert.equal(ingest.consensus.status(fp), 'listed')

    const outsider = makeNode().signer
    const refusals = [
      await ingest.ingestEvidence(evidence(outsider, al.alliance, 5, 6)),
      await ingest.ingestEvidence(evidence(rogue, al.alliance, 5, 5)), // the same entry twice: no fork
      await ingest.ingestEvidence(evidence(rogue, 'another-alliance', 5, 6)), // signed for another alliance
      await ingest.ingestEvidence(new Uint8Array([1, 2, 3]))
    ].map(o => o.result === 'rejected' ? o.reason : o.result)
    assert.deepEqual(refusals, ['unknown_author', 'invalid_evidence', 'invalid_evidence', 'malformed'])
    assert.equal(ingest.flagged.size, 0)
    assert.equal((await store.evidence()).length, 0)
    assert.equal(ingest.consensus.status(fp), 'listed')

    const ok = await ingest.ingestEvidence(evidence(rogue, al.alliance, 7, 8))
    assert.equal(ok.result, 'accepted')
    assert.equal(ingest.consensus.status(fp), 'candidate', 'the rogue\'s vouch no longer counts')
    assert.ok(changes.some(([c, why]) => why === 'evidence' && c.from === 'listed' && c.to === 'candidate'))
    assert.equal((await ingest.ingestEvidence(evidence(rogue, al.alliance, 9, 10))).result, 'duplicate')
    assert.equal((await store.evidence()).length, 1)

    // what a sync peer is sent: the evidence it lacks; one that knows every flagged key costs no store read
    const rogueHex = [...ingest.flagged.keys()][0]
    let reads = 0
    const read = store.evidence.bind(store)
    store.evidence = async () => { reads++; return await read() }
    assert.equal((await ingest.evidenceFor(new Set(), 8)).length, 1, 'a peer that knows nothing gets the evidence')
    assert.equal(reads, 1)
    assert.deepEqual(await ingest.evidenceFor(new Set([rogueHex]), 8), [], 'a peer that knows the flagged key gets nothing')
    assert.equal(reads, 1, 'and the store was not read for it')
    await store.close()
  })
})
