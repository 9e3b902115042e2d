/**
 * node/startup.ts: the chain check feeds the replay (one pass over the
 * store). The state it builds must be the one a separate replay builds, the
 * listeners must hear each key-epoch entry once, and a walk that starts over
 * (LevelDB salvaged a table) must leave nothing of the first attempt behind.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Ingestor } from '../../../node/ingest.js'
import { silentLogger } from '../../../node/logger.js'
import { ConsensusState } from '../../../node/services/consensus-state.js'
import { startUp } from '../../../node/startup.js'
import { MemoryStore } from '../../../node/store/memory.js'
import type { ChainDamage, ChainVisitor, CheckedEntry } from '../../../node/store/types.js'
import { toHex } from '../../../protocol/bytes.js'
import type { Signer } from '../../../protocol/ed25519.js'
import { appendSegment, type LogHead } from '../../../protocol/log/index.js'
import { RosterChain } from '../../../protocol/roster/index.js'
import type { Body, KeyEpoch } from '../../../protocol/types.js'
import { GENESIS_TIME, makeAlliance } from '../../helpers/alliance.js'

const HOUR = 3600_000
const NOW = GENESIS_TIME + 10 * HOUR
const alliance = makeAlliance()
const signers = alliance.orgs.map(o => o.nodes[0].signer)

function fp (i: number): Uint8Array {
  const f = new Uint8Array(32)
  new DataView(f.buffer).setUint32(0, i)
  return f
}
const attest = (i: number): Body => ({ type: 'attestation', fingerprint: fp(i), kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 80, evidenceDigest: new Uint8Array(0), expires: NOW + 30 * 24 * HOUR, epoch: 1 })
const keyEpoch = (epoch: number): Body => ({ type: 'key-epoch', suite: 'hmac-sha256', epoch, commitment: new Uint8Array(randomBytes(32)), sealed: [] })

/** Appends `bodies` to `signer`'s log in `store` as one signed segment; the entries as the chain check hands them. */
async function append (store: MemoryStore, signer: Signer, bodies: Body[], time: number): Promise<CheckedEntry[]> {
  const head: LogHead | undefined = store.head(signer.publicKey)
  const s = appendSegment({ signer, alliance: alliance.alliance, head, bodies, time })
  await store.append(signer.publicKey, s.entries, s.segment.signature)
  return s.entries.map(e => ({ author: signer.publicKey, seq: e.entry.seq, id: e.id, bytes: e.bytes }))
}

/** What a node would show: every status, the counts, and what the listeners heard. */
function picture (state: ConsensusState): unknown {
  return { counts: state.index.counts(), statuses: [...state.index.statuses()].map(s => [toHex(s.fingerprint), s.status]) }
}

async function filled (): Promise<MemoryStore> {
  const store = new MemoryStore()
  await store.open()
  // two orgs attest the same fingerprints (listed at quorum 2), a third some of its own; one key epoch
  await append(store, signers[0], Array.from({ length: 40 }, (_, i) => attest(i)), GENESIS_TIME + HOUR)
  await append(store, signers[1], [...Array.from({ length: 30 }, (_, i) => attest(i)), keyEpoch(2)], GENESIS_TIME + 2 * HOUR)
  await append(store, signers[2], Array.from({ length: 10 }, (_, i) => attest(100 + i)), GENESIS_TIME + 3 * HOUR)
  return store
}

function started (store: MemoryStore, heard: KeyEpoch[]): ReturnType<typeof startUp> {
  return startUp({
    store,
    installedGenesis: alliance.signed,
    clock: () => NOW,
    log: silentLogger().forComponent('t'),
    ingestor: (state) => new Ingestor({ store, state, logger: silentLogger().forComponent('t'), listeners: { onKeyEpoch: (body) => { heard.push(body) } } })
  })
}

describe('node/startup: one pass over the store', () => {
  it('builds the state a separate chain check and replay build, and the listeners hear each key epoch once', async () => {
    const store = await filled()
    const heard: KeyEpoch[] = []
    const one = await started(store, heard)
    assert.equal(one.replayed, 81)
    assert.deepEqual(one.damage, [])
    assert.deepEqual(heard.map(k => k.epoch), [2])

    const state = new ConsensusState({ chain: RosterChain.fromGenesis(alliance.signed), clock: () => NOW })
    const ingestor = new Ingestor({ store, state, logger: silentLogger().forComponent('t') })
    assert.deepEqual(await store.checkChains(), [])
    assert.equal(await ingestor.replay(), 81)
    assert.deepEqual(picture(one.state), picture(state))
    assert.equal(one.state.index.counts().listed, 30)
  })

  it('a walk that starts over leaves nothing of the first attempt: no statement, no listener call', async () => {
    // the first walk saw entries that the salvage then lost (here: a log that is gone after the restart)
    const lost = new MemoryStore()
    await lost.open()
    const ghost = await append(lost, signers[2], [...Array.from({ length: 5 }, (_, i) => attest(200 + i)), keyEpoch(7)], GENESIS_TIME + 4 * HOUR)
    class SalvagedStore extends MemoryStore {
      restarts = 0
      override async checkChains (visit?: ChainVisitor): Promise<ChainDamage[]> {
        if (visit !== undefined) {
          for (const e of ghost) visit.entry(e)
          this.restarts++
          await visit.restart()
        }
        return await super.checkChains(visit)
      }
    }
    const store = new SalvagedStore()
    await store.open()
    await append(store, signers[0], Array.from({ length: 40 }, (_, i) => attest(i)), GENESIS_TIME + HOUR)
    await append(store, signers[1], [...Array.from({ length: 30 }, (_, i) => attest(i)), keyEpoch(2)], GENESIS_TIME + 2 * HOUR)
    await append(store, signers[2], Array.from({ length: 10 }, (_, i) => attest(100 + i)), GENESIS_TIME + 3 * HOUR)
    const heard: KeyEpoch[] = []
    const one = await started(store, heard)
    assert.equal(store.restarts, 1)
    assert.equal(one.replayed, 81)
    assert.equal(one.state.index.status(fp(200)), 'absent', 'a statement only the abandoned walk saw is not counted')
    assert.deepEqual(heard.map(k => k.epoch), [2], 'the abandoned walk told the listeners nothing')
    assert.deepEqual(picture(one.state), picture((await started(await filled(), [])).state))
  })
})
