import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { MetricsRegistry } from '../../../../node/api/metrics.js'
import type { Ingestor } from '../../../../node/ingest.js'
import { silentLogger } from '../../../../node/logger.js'
import type { Host } from '../../../../node/net/host.js'
import { ANTI_ENTROPY_JITTER, DEFAULT_ANTI_ENTROPY_PEERS, SyncService } from '../../../../node/services/sync-service.js'
import { MemoryStore } from '../../../../node/store/memory.js'

/** A host whose dials to `dead` never answer (a silent partition) and to everyone else fail at once, recording when. */
function fakeHost (peers: string[], dead: string): { host: Host, dialledAt: Map<string, number>, redials: { n: number } } {
  const dialledAt = new Map<string, number>()
  const redials = { n: 0 }
  const host = Object.assign(new EventEmitter(), {
    handle: async () => {},
    unhandle: async () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    connectedPeers: () => peers,
    redialRosterPeers: () => { redials.n++; return 0 },
    dialProtocol: async (peer: string, _p: string, opts: { signal?: AbortSignal }) => {
      dialledAt.set(peer, performance.now())
      if (peer !== dead) throw new Error('refused')
      return await new Promise((_resolve, reject) => { opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason)) })
    }
  }) as unknown as Host
  return { host, dialledAt, redials }
}

describe('node/services sync service', () => {
  it('an anti-entropy round is not held up by a silently dead peer, and gives up on it at the per-peer deadline', async () => {
    const peers = ['dead', 'p1', 'p2', 'p3']
    const { host, dialledAt, redials } = fakeHost(peers, 'dead')
    const metrics = new MetricsRegistry()
    const sync = new SyncService({}, { host, store: new MemoryStore(), ingestor: {} as unknown as Ingestor, alliance: 'a', metrics, logger: silentLogger().forComponent('t'), clock: Date.now })
    const t0 = performance.now()
    await sync.antiEntropy({ concurrency: 2, peerDeadlineMs: 300 })
    const took = performance.now() - t0
    for (const p of ['p1', 'p2', 'p3']) assert.ok((dialledAt.get(p) ?? Infinity) - t0 < 200, `${p} was pulled while the dead peer hung`)
    assert.ok(took >= 290 && took < 2000, `the round ends at the dead peer's deadline (${Math.round(took)} ms)`)
    const errors = (await metrics.registry.getSingleMetricAsString('alliance_sync_runs_total')).match(/result="error"} (\d+)/)
    assert.equal(Number(errors?.[1]), 4, 'every failed pull counted')
    assert.equal(redials.n, 1, 'the round first redials the roster peers it is not connected to (issue 12 item 14)')
  })

  it('rounds start on a jittered schedule timed from the previous start: a round hung on a dead peer does not delay the next round\'s redial', async () => {
    const { host, redials } = fakeHost(['dead'], 'dead')
    const sync = new SyncService({ antiEntropyIntervalMs: 100 }, { host, store: new MemoryStore(), ingestor: {} as unknown as Ingestor, alliance: 'a', metrics: new MetricsRegistry(), logger: silentLogger().forComponent('t'), clock: Date.now })
    const starts: number[] = []
    const redial = host.redialRosterPeers.bind(host)
    host.redialRosterPeers = () => { starts.push(performance.now()); return redial() }
    await sync.start()
    // each round hangs on the dead peer for its 20 s deadline; rounds must still start every ≤ 100 ms
    await new Promise(resolve => setTimeout(resolve, 700))
    const stopping = sync.stop()
    assert.ok(redials.n >= 4, `rounds kept starting while earlier ones hung (${redials.n} in 700 ms)`)
    const gaps = starts.slice(1).map((t, i) => t - starts[i])
    assert.ok(gaps.every(g => g >= 100 * (1 - ANTI_ENTROPY_JITTER) - 5), `no round earlier than the jitter allows: ${gaps.map(Math.round).join(', ')} ms`)
    void stopping
  })

  it('a round pulls from antiEntropyPeers peers, round-robin in a random order: every connected peer is pulled at least once every ⌈peers ÷ antiEntropyPeers⌉ rounds, never twice in one round', () => {
    const peers = Array.from({ length: 49 }, (_, i) => `p${i}`)
    const { host } = fakeHost(peers, 'none')
    const sync = new SyncService({ antiEntropyPeers: 8 }, { host, store: new MemoryStore(), ingestor: {} as unknown as Ingestor, alliance: 'a', metrics: new MetricsRegistry(), logger: silentLogger().forComponent('t'), clock: Date.now })
    const lastPulled = new Map<string, number>()
    const bound = Math.ceil(49 / 8)
    for (let round = 0; round < 60; round++) {
      const picked = sync.roundPeers()
      assert.equal(picked.length, 8, `round ${round}: 8 peers`)
      assert.equal(new Set(picked).size, 8, `round ${round}: no peer twice`)
      for (const p of picked) lastPulled.set(p, round)
      if (round >= bound - 1) for (const p of peers) assert.ok(round - (lastPulled.get(p) ?? -Infinity) < bound, `round ${round}: ${p} last pulled in round ${lastPulled.get(p)}`)
    }
    // a peer that disconnects is skipped; one that connects joins the next cycle
    peers.splice(0, 45, 'q1')
    const seen = new Set<string>()
    for (let round = 0; round < 3; round++) for (const p of sync.roundPeers()) seen.add(p)
    assert.deepEqual([...seen].sort(), [...peers].sort(), 'five connected peers: every round pulls all of them')
  })

  it('an alliance of at most antiEntropyPeers + 1 members pulls from every peer every round (the default is 8)', () => {
    const peers = Array.from({ length: DEFAULT_ANTI_ENTROPY_PEERS }, (_, i) => `p${i}`)
    const { host } = fakeHost(peers, 'none')
    const sync = new SyncService({}, { host, store: new MemoryStore(), ingestor: {} as unknown as Ingestor, alliance: 'a', metrics: new MetricsRegistry(), logger: silentLogger().forComponent('t'), clock: Date.now })
    for (let round = 0; round < 3; round++) assert.deepEqual(sync.roundPeers().sort(), [...peers].sort())
  })
})
