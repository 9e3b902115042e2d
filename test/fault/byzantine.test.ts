/**
 * Byzantine members: what a member that holds valid keys but lies can and
 * cannot do.
 *
 * - Equivocation: one org key signs two different histories from one seq
 *   on, each handed to a different node (the longer fork to one, the
 *   shorter to another, nothing to a third). After anti-entropy every node
 *   has detected it, kept verifiable evidence and flagged the key. A member
 *   serving different forks to different peers over the real sync protocol
 *   is excluded from consensus on every node (same snapshot hash, its
 *   vouches no longer count), and the evidence spreads by gossip and sync
 *   to nodes that never see the other fork.
 * - Clock skew: nodes whose clocks run hours ahead or behind (AllianceNode
 *   `clock`) cannot get future-dated entries accepted by honest nodes (not
 *   even by relaying them) nor make honest nodes count attestations that
 *   expired by the honest nodes' clocks.
 * - Replay: every held segment sent again (by gossip and by sync), and an
 *   attestation replayed after its retraction, change nothing.
 * - A colluding minority: k − 1 orgs with many keys each, vouching again
 *   and again, never list a fingerprint; a re-encoded entry is refused.
 */
import assert from 'node:assert/strict'
import { AllianceNode } from '../../node/alliance-node.js'
import { createStore } from '../../node/store/index.js'
import { Ingestor } from '../../node/ingest.js'
import { ConsensusState } from '../../node/services/consensus-state.js'
import { silentLogger } from '../../node/logger.js'
import { bytesEqual, toHex } from '../../protocol/bytes.js'
import { decodeEquivocation, encodeEquivocation, encodeSegment, encodeSyncResponse } from '../../protocol/codec/index.js'
import { readConfig } from '../../node/home.js'
import { createHost, type Host } from '../../node/net/host.js'
import { serveSync, syncProtocol } from '../../node/sync.js'
import { entryId, signEntryId, verifyEquivocation } from '../../protocol/log/index.js'
import type { Segment } from '../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, makeOrg } from '../helpers/alliance.js'
import { afterSyncRounds, makeNodeDirs, startNodes, statusEverywhere, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { tally } from './helpers/outcomes.js'
import { DAY, HOUR, attestation, memberKeys, signed, tip } from './helpers/fixtures.js'
import { record } from './helpers/scale.js'
import { nodeState } from './helpers/state.js'
import { feedRequester, frame, syncComponents } from './helpers/streams.js'
import type { NodeKeys } from '../../node/keys.js'

const ANTI_ENTROPY_MS = 1000

async function stopAll (nodes: Record<string, AllianceNode> | undefined): Promise<void> {
  await Promise.all(Object.values(nodes ?? {}).map(async n => await n.stop().catch(() => undefined)))
}

describe('fault: byzantine members', function () {
  this.timeout(120_000)

  describe('equivocation', () => {
    const SPECS = ['brand-a', 'brand-b', 'brand-c', 'rogue'].map(org => ({ org, role: 'brand' as const }))
    let net: TestNet
    let nodes: Record<string, AllianceNode>
    let keys: Record<string, NodeKeys>

    before(async () => {
      net = await makeNodeDirs(SPECS, { quorum: 2 })
      keys = await memberKeys(net)
      nodes = await startNodes(net, ['brand-a', 'brand-b', 'brand-c'], { antiEntropyIntervalMs: ANTI_ENTROPY_MS })
      await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= 2), 20_000, 'mesh')
    })

    after(async () => {
      await stopAll(nodes)
      net?.cleanup()
    })

    it('two signed histories of one key from one seq, sent to different nodes, are detected on EVERY node after sync: evidence kept and verifiable, key flagged', async () => {
      const rogue = keys.rogue.sign
      const alliance = nodes['brand-a'].alliance
      const now = Date.now()
      const base = signed(rogue, alliance, undefined, [attestation(1, now + 30 * DAY, 1)], now)
      for (const n of Object.values(nodes)) assert.equal((await n.ingestRaw(base.bytes)).result, 'accepted')
      // the longer fork to brand-a, the shorter one to brand-b, nothing to brand-c
      const forkA = signed(rogue, alliance, tip(base.entries), [attestation(2, now + 30 * DAY, 2), attestation(3, now + 30 * DAY, 2)], now)
      const forkB = signed(rogue, alliance, tip(base.entries), [attestation(2, now + 30 * DAY, 3)], now)
      assert.equal((await nodes['brand-a'].ingestRaw(forkA.bytes)).result, 'accepted')
      assert.equal((await nodes['brand-b'].ingestRaw(forkB.bytes)).result, 'accepted')

      const author = toHex(rogue.publicKey)
      const t0 = Date.now()
      await eventually(() => Object.values(nodes).every(n => n.ingestor.flagged.has(author)), 20 * ANTI_ENTROPY_MS, 'every node flags the equivocating key')
      const detectedMs = Date.now() - t0
      for (const [org, n] of Object.entries(nodes)) {
        const evidence = (await n.store.evidence()).filter(e => bytesEqual(e.author, rogue.publicKey))
        assert.ok(evidence.length >= 1, `${org} keeps evidence`)
        for (const e of evidence) {
          const proved = verifyEquivocation(decodeEquivocation(e.evidence), alliance)
          assert.ok(bytesEqual(proved.author, rogue.publicKey), `${org}'s evidence names the key`)
          assert.equal(proved.seq, e.seq)
        }
      }
      // evidence and the flag survive a restart
      const a = nodes['brand-a']
      await a.stop()
      nodes['brand-a'] = await AllianceNode.open({ dir: net.dirs['brand-a'], logLevel: 'error', logSink: () => {} })
      assert.ok(nodes['brand-a'].ingestor.flagged.has(author), 'flag rebuilt from stored evidence at start-up')
      const all = Object.values(nodes)
      record('byzantine', { 'equivocation.nodes': all.length, 'equivocation.nodesFlagging': all.filter(n => n.ingestor.flagged.has(author)).length, 'equivocation.msToDetectEverywhere': detectedMs })
    })

  })

  describe('equivocation excluded from consensus', () => {
    // a colluding member ("rogue") runs its own libp2p host with its real keys and serves each
    // honest node a different history of its log over the real sync protocol
    const SPECS = ['brand-a', 'brand-b', 'brand-c', 'rogue'].map(org => ({ org, role: 'brand' as const }))
    let net: TestNet
    let nodes: Record<string, AllianceNode>
    let keys: Record<string, NodeKeys>
    let rogueHost: Host | undefined

    before(async () => {
      net = await makeNodeDirs(SPECS, { quorum: 2 })
      keys = await memberKeys(net)
      nodes = await startNodes(net, ['brand-a', 'brand-b', 'brand-c'], { antiEntropyIntervalMs: ANTI_ENTROPY_MS })
      await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= 2), 20_000, 'mesh')
    })

    after(async () => {
      await rogueHost?.stop()
      await stopAll(nodes)
      net?.cleanup()
    })

    it('a member that serves different forks to different peers: after sync every node excludes its key, its vouches stop counting, and every snapshot hash is the same', async () => {
      const rogue = keys.rogue.sign
      const alliance = nodes['brand-a'].alliance
      const now = Date.now()
      const exp = now + 30 * DAY
      // what each fingerprint needs: X = brand-a + rogue (the shared part of the log), Z = brand-b + rogue
      // (only in fork A), W = brand-c + rogue (only in fork B), Y = brand-a + brand-b (no rogue)
      const [X, Y, Z, W] = [attestation(101, exp, 7), attestation(102, exp, 7), attestation(103, exp, 7), attestation(104, exp, 7)]
      const base = signed(rogue, alliance, undefined, [X], now)
      const forkA = signed(rogue, alliance, tip(base.entries), [Z, attestation(105, exp, 7)], now)
      const forkB = signed(rogue, alliance, tip(base.entries), [W], now)
      const histories = await Promise.all([[base, forkA], [base, forkB], [base]].map(async segments => {
        const store = createStore()
        await store.open()
        const ingestor = new Ingestor({ store, state: new ConsensusState({ chain: nodes['brand-a'].state.chain }), logger: silentLogger().forComponent('rogue') })
        for (const seg of segments) assert.equal((await ingestor.ingest(seg.segment)).result, 'accepted')
        return { store, ingestor, alliance, logger: silentLogger().forComponent('rogue') }
      }))
      const servedTo = { [nodes['brand-a'].keys.peerId.toString()]: histories[0], [nodes['brand-b'].keys.peerId.toString()]: histories[1] }
      // the honest votes, through each node's own API (published and gossiped like any attestation)
      const own = async (org: string, bodies: typeof X[]): Promise<void> => { await nodes[org].publish(bodies.map(b => ({ ...b, expires: exp }))) }
      await own('brand-a', [X, Y])
      await own('brand-b', [Y, Z])
      await own('brand-c', [W])

      const rogueDir = await readConfig(net.dirs.rogue)
      const peers = Object.values(nodes).map(n => ({ peerId: n.keys.peerId.toString(), addrs: n.host.multiaddrs().map(String) }))
      rogueHost = await createHost({ listen: rogueDir.listen, peers }, { keys: keys.rogue, logger: silentLogger() })
      let served = 0
      await rogueHost.handle(syncProtocol(alliance), (stream, connection) => {
        const history = servedTo[connection.remotePeer.toString()] ?? histories[2]
        served++
        serveSync(stream, history, AbortSignal.timeout(10_000)).catch(err => { stream.abort(err as Error) })
      })
      await rogueHost.start()

      const author = toHex(rogue.publicKey)
      const all = Object.values(nodes)
      const fps = Object.fromEntries(Object.entries({ X, Y, Z, W }).map(([k, v]) => [k, toHex(v.fingerprint)]))
      const t0 = Date.now()
      await eventually(() => all.every(n => n.ingestor.flagged.has(author)), 30 * ANTI_ENTROPY_MS, 'every node flags the rogue key')
      await eventually(async () => {
        const hashes = new Set(await Promise.all(all.map(async n => (await n.status()).snapshotHash)))
        return hashes.size === 1 && (await statusEverywhere(all, fps.Y, 'listed'))
      }, 30 * ANTI_ENTROPY_MS, 'every node shows the same snapshot hash')
      const convergedMs = Date.now() - t0
      assert.ok(served >= 2, 'the rogue served its forks over the sync protocol')
      const statuses: Record<string, string[]> = {}
      for (const [name, fp] of Object.entries(fps)) {
        statuses[name] = await Promise.all(all.map(async n => (await n.explain({ fingerprint: fp })).status))
      }
      // the rogue's vouch no longer counts anywhere: what needed it is a candidate on every node
      assert.deepEqual(statuses, { X: ['candidate', 'candidate', 'candidate'], Y: ['listed', 'listed', 'listed'], Z: ['candidate', 'candidate', 'candidate'], W: ['candidate', 'candidate', 'candidate'] })
      for (const n of all) {
        const why = await n.explain({ fingerprint: fps.X })
        assert.ok(!why.positive.some(v => v.org === 'rogue'), 'the rogue is not among the counted votes')
      }
      // the hash includes the exclusion: a node that excluded nobody would not match
      const hashes = await Promise.all(all.map(async n => (await n.status()).snapshotHash))
      record('byzantine', { 'equivocationExcluded.nodes': all.length, 'equivocationExcluded.sameHash': new Set(hashes).size === 1 ? all.length : 0, 'equivocationExcluded.listedNeedingRogue': Object.values(statuses).slice(0, 1).flat().filter(s => s === 'listed').length, 'equivocationExcluded.msToConverge': convergedMs })
      for (const h of histories) await h.store.close()
    })
  })

  describe('equivocation evidence spreads by itself', () => {
    // nodes that all hold the SAME fork can never see the equivocation in the logs: only the evidence tells them
    const SPECS = ['brand-a', 'brand-b', 'brand-c', 'rogue'].map(org => ({ org, role: 'brand' as const }))
    let net: TestNet
    let nodes: Record<string, AllianceNode>
    let keys: Record<string, NodeKeys>

    before(async () => {
      net = await makeNodeDirs(SPECS, { quorum: 2 })
      keys = await memberKeys(net)
      // anti-entropy far apart: what reaches brand-b within the test comes by gossip
      nodes = await startNodes(net, ['brand-a', 'brand-b'], { antiEntropyIntervalMs: 600_000 })
      await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= 1), 20_000, 'connected')
      await eventually(() => nodes['brand-b'].host.topicPeers(nodes['brand-b'].evidence.topic).length >= 1, 20_000, 'evidence topic joined')
    })

    after(async () => {
      await stopAll(nodes)
      net?.cleanup()
    })

    it('by gossip to a node holding the same fork, and by sync to a node that starts later; forged evidence is refused by name and changes nothing', async () => {
      const rogue = keys.rogue.sign
      const alliance = nodes['brand-a'].alliance
      const now = Date.now()
      const exp = now + 30 * DAY
      const base = signed(rogue, alliance, undefined, [attestation(201, exp, 8)], now)
      const forkA = signed(rogue, alliance, tip(base.entries), [attestation(202, exp, 8)], now)
      const forkB = signed(rogue, alliance, tip(base.entries), [attestation(203, exp, 8)], now)
      for (const n of Object.values(nodes)) for (const s of [base, forkA]) assert.equal((await n.ingestRaw(s.bytes)).result, 'accepted')
      await nodes['brand-a'].publish([{ ...attestation(201, exp, 8) }])
      const fp = toHex(attestation(201, exp, 8).fingerprint)
      await eventually(async () => await statusEverywhere(Object.values(nodes), fp, 'listed'), 10_000, 'listed with the rogue\'s vouch')
      const author = toHex(rogue.publicKey)

      // forged evidence (fork B's signature flipped) changes nothing on brand-b
      const before = await nodeState(nodes['brand-b'])
      const bad = { ...forkB.segment, signature: forkB.segment.signature.map((b, i) => i === 0 ? b ^ 1 : b) }
      const forged = encodeEquivocation({ a: { entries: forkA.segment.entries, signature: forkA.segment.signature }, b: bad })
      const refused = await nodes['brand-b'].ingestor.ingestEvidence(forged)
      assert.equal(refused.result === 'rejected' ? refused.reason : refused.result, 'invalid_evidence')
      assert.equal(await nodes['brand-b'].evidence.validate(forged), 'reject', 'gossiped forged evidence is rejected (scored)')
      assert.deepEqual(await nodeState(nodes['brand-b']), before, 'forged evidence changed nothing')

      // brand-a sees fork B (brand-b never will) and publishes the evidence
      const t0 = Date.now()
      assert.equal((await nodes['brand-a'].ingestRaw(forkB.bytes)).result, 'equivocation')
      await eventually(() => nodes['brand-b'].ingestor.flagged.has(author), 10_000, 'brand-b flags the key from gossiped evidence')
      const gossipMs = Date.now() - t0
      assert.equal(nodes['brand-b'].store.head(rogue.publicKey)?.seq, 2, 'brand-b still holds fork A only')
      assert.equal((await nodes['brand-b'].explain({ fingerprint: fp })).status, 'candidate', 'the rogue\'s vouch stopped counting on brand-b')

      // brand-c starts now: the gossip is over; it gets fork A from its peers, and the evidence with the sync
      const c = await AllianceNode.open({ dir: net.dirs['brand-c'], logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: 600_000 })
      nodes['brand-c'] = c
      await c.start()
      await eventually(() => c.ingestor.flagged.has(author), 20_000, 'brand-c flags the key from evidence pulled with its first sync')
      assert.equal(c.store.head(rogue.publicKey)?.seq, 2)
      const ev = (await c.store.evidence()).filter(e => bytesEqual(e.author, rogue.publicKey))
      assert.equal(ev.length, 1)
      assert.ok(bytesEqual(verifyEquivocation(decodeEquivocation(ev[0].evidence), alliance).author, rogue.publicKey))
      await eventually(async () => (await c.explain({ fingerprint: fp })).status === 'candidate', 10_000, 'brand-c counts brand-a alone')
      const hashes = new Set(await Promise.all(Object.values(nodes).map(async n => (await n.status()).snapshotHash)))
      assert.equal(hashes.size, 1, 'the three nodes show one snapshot hash')
      record('byzantine', { 'evidenceSpread.msByGossip': gossipMs, 'evidenceSpread.forgedRefused': 2 })
    })
  })

  describe('clock skew', () => {
    const SPECS = ['brand-a', 'brand-b', 'ahead', 'behind', 'brand-e', 'brand-f', 'brand-g'].map(org => ({ org, role: 'brand' as const }))
    const SKEW = 3 * HOUR
    let net: TestNet
    let nodes: Record<string, AllianceNode> = {}
    let keys: Record<string, NodeKeys>

    before(async () => {
      // the roster took effect a day ago, so entries dated hours back are from members
      net = await makeNodeDirs(SPECS, { quorum: 2, rosterTime: Date.now() - DAY })
      keys = await memberKeys(net)
      const open = async (org: string, skew: number): Promise<void> => {
        const n = await AllianceNode.open({ dir: net.dirs[org], logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: ANTI_ENTROPY_MS, clock: () => Date.now() + skew })
        await n.start()
        nodes[org] = n
      }
      await Promise.all([open('brand-a', 0), open('brand-b', 0), open('ahead', SKEW), open('behind', -SKEW)])
      await eventually(() => Object.values(nodes).every(n => n.host.connectedPeers().length >= 3), 20_000, 'mesh')
    })

    after(async () => {
      await stopAll(nodes)
      net?.cleanup()
    })

    it('a node 3 h ahead cannot get its own or relayed future-dated entries accepted; a node 3 h behind cannot revive attestations expired by honest clocks', async () => {
      const honest = [nodes['brand-a'], nodes['brand-b']]
      const now = Date.now()
      // 1. the fast node attests through its own API: its entries are dated 3 h ahead
      const own = await nodes.ahead.attest([{ kind: 'email', value: 'counterfeit.outlet@example.com' }])
      const fp = own.fingerprints[0]
      // 2. and it relays a future-dated entry of another member that it accepted by its own clock
      const future = signed(keys['brand-e'].sign, nodes.ahead.alliance, undefined, [attestation(1, now + 2 * HOUR + 30 * DAY, 9)], now + 2 * HOUR)
      assert.equal((await nodes.ahead.ingestRaw(future.bytes)).result, 'accepted', 'the fast node accepts it by its own clock')
      await nodes['brand-b'].attest([{ kind: 'email', value: 'Counterfeit.Outlet@example.com' }])

      // 3. the slow node holds two attestations that expired an hour ago by real time (unexpired by its clock)
      const e = signed(keys['brand-f'].sign, nodes.behind.alliance, undefined, [attestation(7, now - HOUR, 10)], now - 4 * HOUR)
      const f = signed(keys['brand-g'].sign, nodes.behind.alliance, undefined, [attestation(7, now - HOUR, 10)], now - 4 * HOUR)
      const stale = toHex(attestation(7, 0, 10).fingerprint)
      assert.equal((await nodes.behind.ingestRaw(e.bytes)).result, 'accepted')
      assert.equal((await nodes.behind.ingestRaw(f.bytes)).result, 'accepted')
      assert.equal((await nodes.behind.explain({ fingerprint: stale })).status, 'listed', 'the slow node lists it by its own clock')

      // two full anti-entropy rounds with everyone, so every chance to spread came and went (waited for, not slept)
      await afterSyncRounds(honest, 2)
      await eventually(async () => (await nodes['brand-a'].explain({ fingerprint: fp })).positive.length >= 1, 10_000, 'honest attestation arrives')
      let futureAccepted = 0
      let revived = 0
      let futureRefused = 0
      for (const n of honest) {
        // counted, then asserted: the fast node's own entry and the one it relays
        futureAccepted += [nodes.ahead.keys.sign.publicKey, keys['brand-e'].sign.publicKey].filter(k => n.store.head(k) !== undefined).length
        const why = await n.explain({ fingerprint: fp })
        assert.equal(why.status, 'candidate', 'the fast node\'s vote does not count: not listed')
        assert.deepEqual(why.positive.map(v => v.org), ['brand-b'])
        const s = await n.status()
        futureRefused += s.entries.rejected.future_time ?? 0
        assert.ok((s.entries.rejected.future_time ?? 0) >= 1, 'future-dated entries reached the node and were refused with a reason')
        assert.equal(n.store.head(keys['brand-g'].sign.publicKey)?.seq, 1, 'the slow node relayed the stale attestations')
        if ((await n.explain({ fingerprint: stale })).status !== 'absent') revived++
      }
      assert.equal(futureAccepted, 0, 'no future-dated entry (the fast node\'s own or relayed) is accepted')
      assert.equal(revived, 0, 'expired attestations are not revived')
      // the two honest nodes agree with each other
      assert.equal((await nodes['brand-a'].status()).snapshotHash, (await nodes['brand-b'].status()).snapshotHash)
      record('byzantine', { 'clockSkew.hours': SKEW / HOUR, 'clockSkew.futureEntriesAccepted': futureAccepted, 'clockSkew.futureEntriesRefused': futureRefused, 'clockSkew.expiredRevived': revived })
    })
  })

  describe('replay', () => {
    let net: TestNet
    let nodes: Record<string, AllianceNode>

    before(async () => {
      net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }], { quorum: 2 })
      nodes = await startNodes(net, ['brand-a', 'brand-b'], { antiEntropyIntervalMs: ANTI_ENTROPY_MS })
      await eventually(() => nodes['brand-a'].host.connectedPeers().length >= 1, 20_000, 'connected')
    })

    after(async () => {
      await stopAll(nodes)
      net?.cleanup()
    })

    it('every held segment sent again by gossip and by sync, and an attestation replayed after its retraction, change nothing', async () => {
      const a = nodes['brand-a']
      const b = nodes['brand-b']
      const items = Array.from({ length: 50 }, (_, i) => ({ kind: 'seller-account' as const, value: `market:replay${i}` }))
      await a.attest(items)
      const x = await b.attest(items.slice(0, 10))
      await b.attest(items.slice(10, 20))
      await eventually(async () => (await a.status()).blocklist.listed === 20, 15_000, 'listed')
      const r = await b.retract({ kind: 'seller-account', value: 'market:replay0' })
      assert.equal(r.retracted, 1)
      await eventually(async () => (await a.explain({ fingerprint: x.fingerprints[0] })).status === 'candidate', 15_000, 'retraction arrives')
      const before = await nodeState(a)

      // every stored segment of every author, as gossip would carry it
      const segments: Segment[] = []
      for (const h of a.store.heads()) {
        let run: Uint8Array[] = []
        for (const e of await a.store.range(h.author, 1, h.seq)) {
          run.push(e.bytes)
          if (e.signature !== undefined) { segments.push({ entries: run, signature: e.signature }); run = [] }
        }
      }
      const outcomes: Record<string, number> = {}
      for (const s of segments) tally(outcomes, (await a.ingestRaw(encodeSegment(s))).result)
      // the same by sync, from a responder that sends everything again
      const run = await feedRequester(syncComponents(a, out => tally(outcomes, out.result)), [frame(encodeSyncResponse({ segments, done: true }))])
      assert.equal(run.error, undefined)
      assert.equal(run.result?.accepted, 0)
      // what changed, field by field (blocklist hash, heads, evidence, flagged keys)
      const after = await nodeState(a)
      const changed = (Object.keys(before) as Array<keyof typeof before>).filter(k => JSON.stringify(after[k]) !== JSON.stringify(before[k]))
      assert.deepEqual(outcomes, { duplicate: 2 * segments.length }, 'every replayed segment is a duplicate, by gossip and by sync')
      assert.deepEqual(changed, [], 'replays changed the state')
      assert.equal((await a.explain({ fingerprint: x.fingerprints[0] })).status, 'candidate', 'the retracted attestation stays retracted')
      record('byzantine', { 'replay.segmentsReplayed': outcomes.duplicate ?? 0, 'replay.outcomes': outcomes, 'replay.stateChanges': changed.length })
    })
  })

  describe('a colluding minority', () => {
    it('k − 1 orgs with 4 keys each, vouching from every key again and again, never list a fingerprint; duplicates and re-encodings count once', async () => {
      const colluders = [makeOrg('colluder-1', ['brand'], 4), makeOrg('colluder-2', ['brand'], 4)]
      const honest = makeOrg('honest')
      const al = makeAlliance({ orgs: [...colluders, honest, makeOrg('other')], policy: { quorum: 3 } })
      const store = createStore()
      await store.open()
      const now = GENESIS_TIME + DAY
      const ingest = new Ingestor({ store, state: new ConsensusState({ chain: al.chain, clock: () => now }), logger: silentLogger().forComponent('t') })
      const fp = attestation(42, now + 30 * DAY).fingerprint
      let entries = 0
      let reencodings = 0
      let listedRounds = 0
      for (let round = 0; round < 5; round++) {
        for (const o of colluders) {
          for (const { signer: s } of o.nodes) {
            const head = ingest.headOf(s.publicKey)
            const seg = signed(s, al.alliance, head, [attestation(42, now + 30 * DAY)], now)
            assert.equal((await ingest.ingest(seg.segment)).result, 'accepted')
            // the same segment again, and a duplicate signature: counted once
            assert.equal((await ingest.ingest(seg.segment)).result, 'duplicate')
            // a re-encoded copy (an unknown field appended), signed by the colluder over its new
            // bytes, is refused as non-canonical: never a second vote, never a fork
            const reencoded = new Uint8Array([...seg.segment.entries[0], 0xf8, 0x07, 0x01])
            const out = await ingest.ingest({ entries: [reencoded], signature: signEntryId(s, al.alliance, entryId(reencoded)) })
            assert.equal(out.result === 'rejected' ? out.reason : out.result, 'non_canonical')
            reencodings++
            entries++
          }
        }
        const e = ingest.consensus.explain(fp)
        if (e.status === 'listed') listedRounds++
        assert.equal(e.status, 'candidate', `round ${round}: ${entries} entries from 8 keys of 2 orgs stay a candidate`)
        assert.deepEqual(e.positive.map(v => v.org).sort(), ['colluder-1', 'colluder-2'], 'counted per org, never per key')
      }
      const head = ingest.headOf(honest.nodes[0].signer.publicKey)
      await ingest.ingest(signed(honest.nodes[0].signer, al.alliance, head, [attestation(42, now + 30 * DAY)], now).segment)
      assert.equal(ingest.consensus.explain(fp).status, 'listed', 'a k-th independent org lists it')
      await store.close()
      record('byzantine', {
        'collusion.orgs': colluders.length,
        'collusion.keys': colluders.reduce((k, o) => k + o.nodes.length, 0),
        'collusion.entries': entries,
        'collusion.reencodedRefused': reencodings,
        'collusion.roundsListed': listedRounds
      })
    })
  })
})
