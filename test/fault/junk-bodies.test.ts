/**
 * Junk roster and key-epoch bodies, and governance forks (issue 12 items 4
 * and 6), through the real ingest pipeline (in-memory store).
 *
 * A member could store any bytes up to 1.5 MiB as a `roster` or `key-epoch`
 * body on every node: they were kept and synced although they meant nothing.
 * Now a roster body must be a version the chain holds, its valid next
 * version, or a valid conflicting version (kept as evidence); a key-epoch
 * body must name a suite, epoch and commitment of a roster version, and its
 * sealed keys must go to distinct nodes of such a version; bodies about a
 * version or epoch beyond this node's are a gap (judged after a sync).
 * Two different versions n+1, each signed by more than half of version n's
 * orgs, are both kept and flagged on every node, whichever order they
 * arrive in, also after a restart.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Ingestor, type IngestOutcome } from '../../node/ingest.js'
import { silentLogger } from '../../node/logger.js'
import { ConsensusState } from '../../node/services/consensus-state.js'
import { MemoryStore } from '../../node/store/memory.js'
import { appendSegment, type LogHead } from '../../protocol/log/index.js'
import { RosterChain, signRoster, unsignedRoster } from '../../protocol/roster/index.js'
import { verifyRosterFork } from '../../protocol/roster/bodies.js'
import type { Body, Roster, SignedRoster } from '../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, type TestAlliance } from '../helpers/alliance.js'
import { record } from './helpers/scale.js'

const COMMITMENT = new Uint8Array(randomBytes(32))
const NOW = GENESIS_TIME + 3600_000

function nextVersion (a: TestAlliance, cur: { roster: Roster, id: Uint8Array }, change: (r: Roster) => Roster, signWith: number[]): SignedRoster {
  const r = change({ ...cur.roster, version: cur.roster.version + 1, prev: cur.id, time: cur.roster.time + 1000 })
  const signed = unsignedRoster(r)
  for (const i of signWith) signed.signatures.push(signRoster(a.orgs[i].nodes[0].signer, signed.roster))
  return signed
}

interface Node { ingestor: Ingestor, store: MemoryStore, state: ConsensusState }

async function node (a: TestAlliance, store = new MemoryStore()): Promise<Node> {
  await store.open()
  const state = new ConsensusState({ chain: RosterChain.fromGenesis(a.signed), clock: () => NOW })
  const ingestor = new Ingestor({ store, state, logger: silentLogger().forComponent('t') })
  await ingestor.replay()
  return { ingestor, store, state }
}

/** Author `org`'s next signed segment of `bodies`, continuing what `n` holds of it. */
function segmentBy (a: TestAlliance, n: Node, org: number, bodies: Body[]): ReturnType<typeof appendSegment>['segment'] {
  const signer = a.orgs[org].nodes[0].signer
  const head: LogHead | undefined = n.ingestor.headOf(signer.publicKey)
  return appendSegment({ signer, alliance: a.alliance, head, bodies, time: NOW }).segment
}

const keyEpoch = (epoch: number, commitment: Uint8Array, recipients: Uint8Array[] = []): Body => ({
  type: 'key-epoch', suite: 'hmac-sha256', epoch, commitment, sealed: recipients.map(r => ({ recipient: r, enc: new Uint8Array(randomBytes(32)), ciphertext: new Uint8Array(randomBytes(48)) }))
})

describe('fault: junk bodies and governance forks', function () {
  this.timeout(60_000)
  const alliance = (): TestAlliance => makeAlliance({ policy: { epochKeyCommitment: COMMITMENT } })

  it('roster and key-epoch bodies that name nothing of the chain are refused by name and leave no trace', async () => {
    const a = alliance()
    const n = await node(a)
    const other = makeAlliance({ alliance: 'another-alliance' })
    const oneSigner = nextVersion(a, n.state.chain.current, r => r, [0])
    const memberBox = a.roster.members[2].nodes[0].boxKey
    const cases: Array<[string, Body]> = [
      ['a roster of another alliance', { type: 'roster', signed: other.signed }],
      ['version 2 signed by one org of five', { type: 'roster', signed: oneSigner }],
      ['random bytes as a roster', { type: 'roster', signed: { roster: new Uint8Array(randomBytes(2000)), signatures: [] } }],
      ['a key epoch with a commitment no version has', keyEpoch(1, new Uint8Array(randomBytes(32)))],
      ['an old epoch no version has', keyEpoch(0, COMMITMENT)],
      ['a key sealed to a stranger', keyEpoch(1, COMMITMENT, [new Uint8Array(randomBytes(32))])],
      ['a key sealed twice to one node', keyEpoch(1, COMMITMENT, [memberBox, memberBox])]
    ]
    const reasons: Record<string, string> = {}
    for (const [what, body] of cases) {
      const out = await n.ingestor.ingest(segmentBy(a, n, 0, [body]), { requireSignature: true })
      assert.equal(out.result, 'rejected', what)
      reasons[what] = (out as Extract<IngestOutcome, { result: 'rejected' }>).reason
    }
    assert.equal(n.store.heads().length, 0, 'nothing was stored')
    record('junkBodies', { refused: reasons })
  })

  it('legitimate bodies are stored: a republished version, the next version with its key distribution in one segment, announcements', async () => {
    const a = alliance()
    const n = await node(a)
    const v2 = nextVersion(a, n.state.chain.current, r => ({ ...r, policy: { ...r.policy, epoch: 2, epochKeyCommitment: new Uint8Array(32).fill(2) } }), [0, 1, 2])
    const boxes = a.roster.members.map(m => m.nodes[0].boxKey)
    const outs = [
      await n.ingestor.ingest(segmentBy(a, n, 0, [{ type: 'roster', signed: a.signed }])),
      await n.ingestor.ingest(segmentBy(a, n, 0, [{ type: 'roster', signed: v2 }, keyEpoch(2, new Uint8Array(32).fill(2), boxes)])),
      await n.ingestor.ingest(segmentBy(a, n, 1, [keyEpoch(2, new Uint8Array(32).fill(2))])),
      await n.ingestor.ingest(segmentBy(a, n, 3, [keyEpoch(1, COMMITMENT, [boxes[3]])]))
    ]
    assert.deepEqual(outs.map(o => o.result), ['accepted', 'accepted', 'accepted', 'accepted'])
    assert.equal(n.state.chain.current.roster.version, 2)
  })

  it('a version or epoch beyond the chain held is a gap, not a rejection (the peer holds what this node lacks)', async () => {
    const a = alliance()
    const ahead = await node(a)
    const v2 = nextVersion(a, ahead.state.chain.current, r => r, [0, 1, 2])
    await ahead.ingestor.ingest(segmentBy(a, ahead, 0, [{ type: 'roster', signed: v2 }]))
    const v3 = nextVersion(a, ahead.state.chain.current, r => ({ ...r, policy: { ...r.policy, epoch: 3, epochKeyCommitment: new Uint8Array(32).fill(3) } }), [0, 1, 2])
    const behind = await node(a)
    const outs = [
      await behind.ingestor.ingest(segmentBy(a, behind, 1, [{ type: 'roster', signed: v3 }])),
      await behind.ingestor.ingest(segmentBy(a, behind, 1, [keyEpoch(3, new Uint8Array(32).fill(3))]))
    ]
    assert.deepEqual(outs.map(o => o.result), ['gap', 'gap'])
    assert.equal(behind.store.heads().length, 0)
  })

  it('two different versions 2, each signed by more than half of the orgs, are kept and flagged on every node in either order, also after a restart', async () => {
    const a = alliance()
    const x = await node(a)
    const y = await node(a)
    const genesis = x.state.chain.current
    // brand-c (org 2) signs both: the evidence is against it
    const drop = (org: string) => (r: Roster): Roster => ({ ...r, members: r.members.filter(m => m.org !== org), policy: { ...r.policy, governanceThreshold: 3 } })
    const v2a = nextVersion(a, genesis, drop('brand-b'), [0, 2, 3])
    const v2b = nextVersion(a, genesis, drop('platform'), [1, 2, 4])
    const byA = segmentBy(a, x, 0, [{ type: 'roster', signed: v2a }])
    const byB = segmentBy(a, x, 4, [{ type: 'roster', signed: v2b }])
    const outX = [await x.ingestor.ingest(byA), await x.ingestor.ingest(byB)]
    const outY = [await y.ingestor.ingest(byB), await y.ingestor.ingest(byA)]
    assert.deepEqual([...outX, ...outY].map(o => o.result), ['accepted', 'accepted', 'accepted', 'accepted'], 'both versions are stored, so they spread to every node')
    for (const n of [x, y]) {
      assert.equal(n.ingestor.rosterForks.length, 1)
      const f = n.ingestor.rosterForks[0]
      assert.equal(f.version, 2)
      assert.deepEqual(f.orgs, ['brand-c'])
      // portable: it verifies against version 1 alone
      assert.deepEqual(verifyRosterFork(genesis, f.a, f.b).orgs, ['brand-c'])
    }
    assert.deepEqual(x.ingestor.rosterForks[0].a.roster, y.ingestor.rosterForks[0].a.roster, 'both nodes keep the same pair, in the same order')
    const restarted = await node(a, x.store)
    assert.equal(restarted.ingestor.rosterForks.length, 1, 'the flag survives a restart')
    record('governance', { forkFlaggedOnNodes: 2, orgsFlagged: ['brand-c'] })
  })
})
