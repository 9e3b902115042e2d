import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendSegment } from '../../../../protocol/log/index.js'
import { Ingestor } from '../../../../node/ingest.js'
import { silentLogger } from '../../../../node/logger.js'
import { ConsensusState } from '../../../../node/services/consensus-state.js'
import { SnapshotHash } from '../../../../node/services/snapshot-hash.js'
import { StatusBus, type StatusUpdate } from '../../../../node/services/status-bus.js'
import { MemoryStore } from '../../../../node/store/memory.js'
import type { Attestation } from '../../../../protocol/types.js'
import { GENESIS_TIME, makeAlliance } from '../../../helpers/alliance.js'

const HOUR = 3600_000

function attestation (fingerprint: Uint8Array, expires: number): Attestation {
  return { type: 'attestation', fingerprint, kind: 'phone', claim: 'counterfeit-seller', reason: 0, confidence: 100, evidenceDigest: new Uint8Array(0), expires, epoch: 1 }
}

/** An alliance at quorum 2 with a real ingest pipeline wired to a bus, as the node wires them. */
async function world () {
  const al = makeAlliance({ policy: { quorum: 2 } })
  let now = GENESIS_TIME + HOUR
  const state = new ConsensusState({ chain: al.chain, clock: () => now })
  const store = new MemoryStore()
  await store.open()
  const bus = new StatusBus({ state, logger: silentLogger().forComponent('t') })
  const ingestor = new Ingestor({
    store,
    state,
    logger: silentLogger().forComponent('t'),
    listeners: { onStatusChange: (c, cause) => { bus.changed(c, cause) }, onApplied: (entries) => { bus.applied(entries) } }
  })
  const heads = new Map<string, { seq: number, id: Uint8Array, time: number } | undefined>()
  const attest = async (org: number, fps: Uint8Array[], expires = now + 10 * HOUR): Promise<void> => {
    const signer = al.orgs[org].nodes[0].signer
    const key = al.orgs[org].org
    const { entries, segment } = appendSegment({ signer, alliance: al.alliance, head: heads.get(key), bodies: fps.map(fp => attestation(fp, expires)), time: now })
    const out = await ingestor.ingest(segment)
    assert.equal(out.result, 'accepted')
    const last = entries[entries.length - 1]
    heads.set(key, { seq: last.entry.seq, id: last.id, time: last.entry.time })
  }
  return { al, state, bus, ingestor, attest, tick: (ms: number) => { now += ms }, now: () => now }
}

describe('node/services status bus', () => {
  it('hands each applied batch to subscribers once, with each fingerprint explained and its status change attached', async () => {
    const w = await world()
    const batches: StatusUpdate[][] = []
    w.bus.subscribe({ name: 'test', onUpdates: (u) => { batches.push(u) } })
    const a = new Uint8Array(randomBytes(32))
    const b = new Uint8Array(randomBytes(32))
    await w.attest(0, [a, b, a])
    assert.equal(batches.length, 1)
    assert.equal(batches[0].length, 2, 'one update per fingerprint, however many entries name it')
    assert.deepEqual(batches[0].map(u => u.change?.to), ['candidate', 'candidate'])
    await w.attest(1, [a])
    assert.equal(batches[1][0].change?.from, 'candidate')
    assert.equal(batches[1][0].change?.to, 'listed')
    assert.deepEqual(batches[1][0].explanation.positive.map(v => v.org).sort(), ['brand-a', 'brand-b'])
  })

  it('a fingerprint whose status changes and changes back within one batch: one update, no status change, the snapshot hash still exact', async () => {
    const w = await world()
    const batches: StatusUpdate[][] = []
    const hash = new SnapshotHash()
    w.bus.subscribe({ name: 'test', onUpdates: (u) => { batches.push(u); for (const x of u) if (x.change !== undefined) hash.change(x.fingerprint, x.change.from, x.change.to) } })
    const fp = new Uint8Array(randomBytes(32))
    await w.attest(0, [fp])
    // one segment of another org: an attestation (candidate → listed), then its retraction (listed → candidate)
    const signer = w.al.orgs[1].nodes[0].signer
    const first = appendSegment({ signer, alliance: w.al.alliance, head: undefined, bodies: [attestation(fp, w.now() + 10 * HOUR)], time: w.now() })
    const att = first.entries[0]
    const second = appendSegment({ signer, alliance: w.al.alliance, head: { seq: att.entry.seq, id: att.id, time: att.entry.time }, bodies: [{ type: 'retraction', target: att.id, fingerprint: fp, kind: 'phone', epoch: 1 }], time: w.now() + 1 })
    const out = await w.ingestor.ingest({ entries: [...first.segment.entries, ...second.segment.entries], signature: second.segment.signature })
    assert.equal(out.result, 'accepted')
    assert.equal(batches.length, 2)
    assert.equal(batches[1].length, 1, 'one update for the fingerprint both entries name')
    assert.equal(batches[1][0].change, undefined, 'candidate → listed → candidate is no change')
    assert.equal(batches[1][0].explanation.status, 'candidate')
    const full = new SnapshotHash()
    for (const e of w.state.index.statuses()) full.add(e.fingerprint, e.status)
    assert.equal(hash.hex(), full.hex())
  })

  it('a failing subscriber is counted, named to the failure hook, and rebuilt; later deliveries reach it again', async () => {
    const w = await world()
    const failures: string[] = []
    const bus = new StatusBus({ state: w.state, logger: silentLogger().forComponent('t'), onFailure: (s) => failures.push(s) })
    let calls = 0
    let resyncs = 0
    bus.subscribe({
      name: 'flaky',
      onUpdates: async () => { calls++; if (calls === 1) throw new Error('boom') },
      resync: () => { resyncs++ }
    })
    const fp = new Uint8Array(randomBytes(32))
    await w.attest(0, [fp])
    bus.changed({ fingerprint: fp, kind: 'phone', from: 'absent', to: 'candidate' }, 'time')
    bus.changed({ fingerprint: fp, kind: 'phone', from: 'candidate', to: 'absent' }, 'time')
    await bus.settled()
    assert.equal(bus.failures, 1)
    assert.deepEqual(failures, ['flaky'])
    assert.equal(resyncs, 1)
    assert.equal(calls, 2, 'the next delivery still arrives')
  })

  it('the incremental snapshot hash equals a full recomputation after attestations, expiries and retractions of many fingerprints', async () => {
    const w = await world()
    const hash = new SnapshotHash()
    w.bus.subscribe({ name: 'hash', onUpdates: (u) => { for (const x of u) if (x.change !== undefined) hash.change(x.fingerprint, x.change.from, x.change.to) } })
    const fps = Array.from({ length: 200 }, () => new Uint8Array(randomBytes(32)))
    await w.attest(0, fps)
    await w.attest(1, fps.slice(0, 120), GENESIS_TIME + 3 * HOUR)
    await w.attest(2, fps.slice(100, 150))
    const full = (): string => {
      const h = new SnapshotHash()
      for (const e of w.state.index.statuses()) h.add(e.fingerprint, e.status)
      return h.hex()
    }
    assert.equal(hash.hex(), full())
    const before = hash.hex()
    w.tick(3 * HOUR)
    w.bus.changedMany(w.state.advance(), 'time')
    assert.notEqual(hash.hex(), before, 'expiries changed the blocklist, and the hash')
    assert.equal(hash.hex(), full())
    assert.notEqual(new SnapshotHash().hex(), full())
  })

  it('the snapshot hash includes the keys excluded for equivocation: the same blocklist with different exclusions hashes differently, the same exclusions in any order alike', () => {
    const h = new SnapshotHash()
    h.add(new Uint8Array(32).fill(1), 'listed')
    const [k1, k2] = [new Uint8Array(32).fill(7), new Uint8Array(32).fill(9)]
    assert.notEqual(h.hex([k1]), h.hex())
    assert.notEqual(h.hex([k1]), h.hex([k2]))
    assert.equal(h.hex([k1, k2]), h.hex([k2, k1]))
    assert.equal(h.hex(), h.hex([]), 'reading with exclusions leaves the fingerprints\' hash as it was')
  })
})
