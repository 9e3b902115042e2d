/**
 * Hostile roster peers on the sync protocol: what a member's node (or a
 * compromised one) can send on `/alliance/<id>/sync/1.0.0`, and the limits
 * that hold against it.
 *
 * - Oversize request frames on a real libp2p stream are cut off at
 *   MAX_SYNC_REQUEST_BYTES from the length prefix alone, with bounded memory.
 * - Oversize response frames are cut off at MAX_SYNC_RESPONSE_BYTES; frames
 *   under it are read whole (they used to be cut at 4 MiB).
 * - A stream flood (64 concurrent sync streams on one connection) is held to
 *   `maxInboundStreams`, and honest peers keep syncing meanwhile.
 * - Unsigned entries made up in another member's name cannot censor that
 *   member (its real signed entries are still accepted) and cannot make the
 *   node hold more than MAX_PENDING_TOTAL uncovered entries.
 */
import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import { readConfig } from '../../node/home.js'
import { Ingestor, MAX_PENDING_TOTAL } from '../../node/ingest.js'
import { ConsensusState } from '../../node/services/consensus-state.js'
import { silentLogger } from '../../node/logger.js'
import { createHost, type Host } from '../../node/net/host.js'
import { createStore } from '../../node/store/index.js'
import { MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES } from '../../protocol/limits.js'
import { encodeEntry, encodeSyncRequest, encodeSyncResponse } from '../../protocol/codec/index.js'
import { appendSegment, entryId } from '../../protocol/log/index.js'
import { bytesEqual } from '../../protocol/bytes.js'
import type { Signer } from '../../protocol/ed25519.js'
import type { Segment } from '../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, makeOrg } from '../helpers/alliance.js'
import { eventually } from '../helpers/wait.js'
import { DAY, attestation, signed } from './helpers/fixtures.js'
import { record } from './helpers/scale.js'
import { MiB, assertMemoryBounded, assertUnchanged, liveBytes, nodeState } from './helpers/state.js'
import { feedRequester, frame, readResponse, syncComponents } from './helpers/streams.js'
import { fuzzWorld, type FuzzWorld } from './helpers/world.js'
import { syncProtocol } from '../../node/sync.js'

/** Unsigned entries in `author`'s name continuing from `seq`/`prev`, chained correctly: anyone can make these. */
function madeUp (author: Uint8Array, seq: number, prev: Uint8Array, n: number, time: number): Segment {
  const entries: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const e = encodeEntry({ author, seq: seq + i, prev, time, body: attestation(seq + i, time + DAY, 0xbad) })
    entries.push(e)
    prev = entryId(e)
  }
  return { entries, signature: new Uint8Array(0) }
}

/** A varint length prefix, as lpStream writes it. */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return Uint8Array.from(out)
}

/** Bytes an oversize prefix may get the node to take before it resets: the streams' windows and buffers, a fraction of the frame. */
const OVERSIZE_TAKEN_CAP = MiB / 2

/**
 * Sends `prefix`, then `limit` bytes (of `body`, or junk) as fast as the
 * stream takes them. Returns how many it took, and the error that ended
 * the sending: a reset by the other side, or anything else (a stall shows
 * as a TimeoutError of the drain wait, which the callers refuse).
 */
async function push (stream: Stream, prefix: Uint8Array, limit: number, body?: Uint8Array): Promise<{ bytes: number, error?: Error }> {
  const CHUNK = 64 * 1024
  const junk = new Uint8Array(CHUNK).fill(0x0a)
  let bytes = 0
  try {
    if (!stream.send(prefix)) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
    while (bytes < limit) {
      if (stream.status !== 'open') return { bytes, error: Object.assign(new Error(`stream ${stream.status}`), { name: 'StreamResetError' }) }
      const chunk = body === undefined ? junk.subarray(0, Math.min(CHUNK, limit - bytes)) : body.subarray(bytes, bytes + CHUNK)
      const more = stream.send(chunk)
      bytes += chunk.length
      if (!more) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
    }
    return { bytes }
  } catch (err) {
    return { bytes, error: err as Error }
  }
}

/** Resolves with how the stream ended: 'served' (a whole response), or the name of the error that cut it. */
async function ending (stream: Stream, timeoutMs: number): Promise<string> {
  const { error } = await readResponse(stream, timeoutMs)
  return error === undefined ? 'served' : error.name
}

describe('fault: hostile peers on the sync protocol', function () {
  this.timeout(120_000)
  let w: FuzzWorld
  let attacker: Host
  let honest: Host
  let peer: string
  let protocol: string

  before(async () => {
    w = await fuzzWorld({ start: true })
    peer = w.node.keys.peerId.toString()
    protocol = syncProtocol(w.node.alliance)
    const target = [{ peerId: peer, addrs: w.node.host.multiaddrs().map(String) }]
    attacker = await createHost({ listen: (await readConfig(w.net.dirs['brand-b'])).listen, peers: target }, { keys: w.keys['brand-b'], logger: silentLogger() })
    honest = await createHost({ listen: (await readConfig(w.net.dirs['brand-c'])).listen, peers: target }, { keys: w.keys['brand-c'], logger: silentLogger() })
    await attacker.start()
    await honest.start()
    await eventually(() => w.node.host.connectedPeers().length >= 2, 15_000, 'both peers connected')
  })

  after(async () => {
    await attacker?.stop()
    await honest?.stop()
    await w?.close()
  })

  it(`oversize request frames are cut off at MAX_SYNC_REQUEST_BYTES (${MAX_SYNC_REQUEST_BYTES}) from the length prefix, with bounded memory; a frame at the limit is read whole`, async () => {
    const before = await nodeState(w.node)
    const mem = liveBytes()
    const ends: Record<string, string> = {}
    const taken: Record<string, number> = {}
    for (const [name, declared] of [['limit+1', MAX_SYNC_REQUEST_BYTES + 1], ['1 GiB', 1024 * MiB]] as const) {
      const stream = await attacker.dialProtocol(peer, protocol)
      const ended = ending(stream, 10_000)
      // the length prefix, then junk pushed as fast as the stream takes it, up to 16 MiB
      const pushed = await push(stream, varint(declared), 16 * MiB)
      ends[name] = await ended
      taken[name] = pushed.bytes
      // the node reads the prefix, refuses the length and resets the stream: no stall, no time-out
      assert.equal(ends[name], 'StreamResetError', `${name}: the requester sees the stream reset (${ends[name]})`)
      assert.equal(pushed.error?.name ?? 'StreamResetError', 'StreamResetError', `${name}: sending ended by the reset, not by ${pushed.error?.name ?? ''}`)
      // what the node took before the reset: what was in flight when the prefix was read (yamux window and buffers), far below the frame
      assert.ok(pushed.bytes <= OVERSIZE_TAKEN_CAP, `${name}: the node took ${pushed.bytes} bytes before cutting the stream (cap ${OVERSIZE_TAKEN_CAP})`)
      stream.abort(new Error('done'))
    }
    // a frame of exactly the limit (not a valid request: no request is that big) is read whole, then refused
    const exact = await attacker.dialProtocol(peer, protocol)
    const endedExact = ending(exact, 10_000)
    const body = new Uint8Array(MAX_SYNC_REQUEST_BYTES).fill(0x0a)
    const pushedExact = await push(exact, varint(body.length), body.length, body)
    ends.atLimit = await endedExact
    taken.atLimit = pushedExact.bytes
    assert.equal(pushedExact.error, undefined, `the frame at the limit was cut off while being sent (${pushedExact.error?.name ?? ''}) after ${pushedExact.bytes} bytes`)
    assert.equal(pushedExact.bytes, MAX_SYNC_REQUEST_BYTES)
    assert.equal(ends.atLimit, 'StreamResetError', 'read whole, then refused as a bad request')
    exact.abort(new Error('done'))
    const grew = assertMemoryBounded(mem, 24 * MiB, 'oversize requests')
    await assertUnchanged(w.node, before, 'oversize requests')
    // still serving the same peer
    const ok = await attacker.dialProtocol(peer, protocol)
    ok.send(frame(encodeSyncRequest({ alliance: w.node.alliance, heads: [], maxEntries: 0 })))
    assert.equal(await ending(ok, 10_000), 'served')
    record('hostile.sync', { 'oversizeRequest.ends': ends, 'oversizeRequest.bytesTaken': taken, 'oversizeRequest.memoryGrowthMiB': Math.round(grew / MiB) })
  })

  it(`response frames are cut off above MAX_SYNC_RESPONSE_BYTES (${MAX_SYNC_RESPONSE_BYTES}) and read whole below it`, async () => {
    const c = syncComponents(w.node)
    const before = await nodeState(w.node)
    const mem = liveBytes()
    // just over the limit, declared in the prefix: cut off before any data is read
    const prefixOnly = frame(new Uint8Array(MAX_SYNC_RESPONSE_BYTES + 1)).subarray(0, 4)
    const over = await feedRequester(c, [prefixOnly, new Uint8Array(MiB)])
    assert.equal(over.error?.name, 'InvalidDataLengthError')
    // a 4.8 MiB frame (two segments of junk entries) is under the limit: read, and its entries refused one by one
    const junk = { entries: Array.from({ length: 25 }, () => new Uint8Array(100_000).fill(7)), signature: new Uint8Array(0) }
    const big = encodeSyncResponse({ segments: [junk, junk], done: true })
    assert.ok(big.length > 4 * MiB && big.length < MAX_SYNC_RESPONSE_BYTES)
    const under = await feedRequester(c, [frame(big)])
    assert.equal(under.error, undefined, `a frame under the documented limit was cut off: ${under.error?.name}: ${under.error?.message}`)
    assert.equal(under.result?.rejected, 2)
    await assertUnchanged(w.node, before, 'oversize responses')
    const grew = assertMemoryBounded(mem, 48 * MiB, 'oversize responses')
    record('hostile.sync', { 'oversizeResponse.cutOffAbove': MAX_SYNC_RESPONSE_BYTES, 'oversizeResponse.readWholeMiB': Number((big.length / MiB).toFixed(1)), 'oversizeResponse.memoryGrowthMiB': Math.round(grew / MiB) })
  })

  it('a flood of 64 concurrent sync streams from one peer is held to maxInboundStreams; an honest peer syncs meanwhile', async () => {
    const mem = liveBytes()
    const streams: Stream[] = []
    const results = await Promise.allSettled(Array.from({ length: 64 }, async () => {
      const s = await attacker.dialProtocol(peer, protocol)
      streams.push(s)
      return s
    }))
    const opened = results.filter(r => r.status === 'fulfilled').length
    // the node resets the excess (a stream never reopens: once at most 4 are open, it stays so)
    await eventually(() => streams.filter(s => s.status === 'open').length <= 4, 10_000, 'excess streams reset')
    const stillOpen = streams.filter(s => s.status === 'open').length
    const reset = streams.filter(s => s.status === 'reset').length
    assert.ok(stillOpen <= 4, `${stillOpen} sync streams of one connection stay open (limit 4)`)
    // the honest peer is served while the attacker holds its streams
    const t0 = Date.now()
    const s = await honest.dialProtocol(peer, protocol)
    s.send(frame(encodeSyncRequest({ alliance: w.node.alliance, heads: [], maxEntries: 0 })))
    assert.equal(await ending(s, 10_000), 'served')
    const honestMs = Date.now() - t0
    for (const x of streams) x.abort(new Error('done'))
    const grew = assertMemoryBounded(mem, 32 * MiB, 'stream flood')
    record('hostile.sync', { 'streamFlood.dialled': results.length, 'streamFlood.negotiated': opened, 'streamFlood.resetByNode': reset, 'streamFlood.heldOpen': stillOpen, 'streamFlood.honestSyncMs': honestMs, 'streamFlood.memoryGrowthMiB': Math.round(grew / MiB) })
  })

  it('unsigned entries made up in a member\'s name cannot censor it: its real signed entries are still accepted', async () => {
    const b = w.keys['brand-b'].sign
    const head = w.node.store.head(b.publicKey)
    assert.ok(head !== undefined)
    const now = Date.now()
    const fake = madeUp(b.publicKey, head.seq + 1, head.id, 2000, now)
    const run = await feedRequester(syncComponents(w.node), [frame(encodeSyncResponse({ segments: [fake], done: true }))])
    assert.equal(run.error, undefined)
    assert.equal(w.node.ingestor.headOf(b.publicKey, 'fuzz-responder')?.seq, head.seq + 2000, 'the made-up entries wait, uncovered (for the peer that sent them)')
    assert.equal(w.node.ingestor.headOf(b.publicKey, 'another-peer')?.seq, head.seq, 'no other peer\'s sync sees them')
    // brand-b's real next entry arrives by gossip
    const real = signed(b, w.node.alliance, head, [attestation(head.seq + 1, now + 30 * DAY, 0x600d)], now)
    const out = await w.node.ingestRaw(real.bytes)
    assert.equal(out.result, 'accepted', `the real entry was refused: ${JSON.stringify(out).slice(0, 200)}`)
    assert.equal(w.node.store.head(b.publicKey)?.seq, head.seq + 1)
    assert.equal(w.node.ingestor.headOf(b.publicKey, 'fuzz-responder')?.seq, head.seq + 1, 'the made-up entries are gone')
    record('hostile.sync', { 'madeUpUnsigned.realEntryAccepted': true })
  })

  it(`unsigned entries made up for many authors are held to MAX_PENDING_TOTAL (${MAX_PENDING_TOTAL}) in all, not per author`, async () => {
    const orgs = [makeOrg('o1'), makeOrg('o2'), makeOrg('o3'), makeOrg('o4')]
    const al = makeAlliance({ orgs })
    const store = createStore()
    await store.open()
    const now = GENESIS_TIME + DAY
    const cap = 6000
    const ingest = new Ingestor({ store, state: new ConsensusState({ chain: al.chain, clock: () => now }), logger: silentLogger().forComponent('t'), maxPendingTotal: cap })
    const mem = liveBytes()
    const results: string[] = []
    for (const o of orgs) {
      const s: Signer = o.nodes[0].signer
      const out = await ingest.ingest(madeUp(s.publicKey, 1, new Uint8Array(0), 2500, now))
      results.push(out.result === 'rejected' ? out.reason : out.result)
    }
    assert.deepEqual(results, ['pending', 'pending', 'pending_overflow', 'pending_overflow'])
    const held = orgs.reduce((n, o) => n + Math.max(0, (ingest.headOf(o.nodes[0].signer.publicKey)?.seq ?? 0)), 0)
    assert.ok(held <= cap, `${held} uncovered entries held (cap ${cap})`)
    const grew = assertMemoryBounded(mem, 32 * MiB, 'pending flood')
    await store.close()
    record('hostile.sync', { 'pendingFlood.cap': cap, 'pendingFlood.held': held, 'pendingFlood.memoryGrowthMiB': Math.round(grew / MiB) })
  })

  it('pending entries are scoped to the peer that sent them: one member fills only its own room, and its made-up entries in another member\'s name never block that member\'s real bulk segment sent by another peer', async () => {
    const orgs = [makeOrg('o1'), makeOrg('o2'), makeOrg('o3')]
    const al = makeAlliance({ orgs })
    const store = createStore()
    await store.open()
    const now = GENESIS_TIME + DAY
    const ingest = new Ingestor({ store, state: new ConsensusState({ chain: al.chain, clock: () => now }), logger: silentLogger().forComponent('t'), maxPendingPerPeer: 3000, maxPendingTotal: 6000 })
    const [o1, o2, o3] = orgs.map(o => o.nodes[0].signer)
    const outcome = (out: Awaited<ReturnType<Ingestor['ingest']>>): string => out.result === 'rejected' ? out.reason : out.result
    // the hostile member "M" sends made-up unsigned entries in three members' names
    const hostile: string[] = []
    hostile.push(outcome(await ingest.ingest(madeUp(o1.publicKey, 1, new Uint8Array(0), 2500, now), { from: 'M' })))
    hostile.push(outcome(await ingest.ingest(madeUp(o2.publicKey, 1, new Uint8Array(0), 2500, now), { from: 'M' })))
    hostile.push(outcome(await ingest.ingest(madeUp(o3.publicKey, 1, new Uint8Array(0), 400, now), { from: 'M' })))
    assert.deepEqual(hostile, ['pending', 'pending_overflow', 'pending'], 'M fills its own room (3000), nothing more')
    // o3's real bulk segment of 3000 entries, relayed by the honest peer "A" in two frames: unsigned, then signed
    const { entries, segment } = appendSegment({ signer: o3, alliance: al.alliance, head: undefined, bodies: Array.from({ length: 3000 }, (_, i) => attestation(i + 1, now + 30 * DAY, 0x600d)), time: now })
    const honest: string[] = []
    honest.push(outcome(await ingest.ingest({ entries: segment.entries.slice(0, 2000), signature: new Uint8Array(0) }, { from: 'A' })))
    honest.push(outcome(await ingest.ingest({ entries: segment.entries.slice(2000), signature: segment.signature }, { from: 'A' })))
    assert.deepEqual(honest, ['pending', 'accepted'], 'the real bulk waits in A\'s room and is taken whole')
    assert.ok(bytesEqual(store.head(o3.publicKey)?.id ?? new Uint8Array(0), entries[2999].id))
    assert.equal(ingest.headOf(o3.publicKey, 'M')?.seq, 3000, 'M\'s made-up entries in o3\'s name, which the store now contradicts, are gone')
    assert.equal(ingest.headOf(o1.publicKey, 'M')?.seq, 2500, 'M keeps its own room\'s other entries until they expire')
    // A's own room is its own: a third peer still has room while M's is full
    const third = await ingest.ingest(madeUp(o2.publicKey, 1, new Uint8Array(0), 1000, now), { from: 'B' })
    assert.equal(outcome(third), 'pending')
    await store.close()
    record('hostile.sync', { 'pendingPerPeer.hostileOutcomes': hostile, 'pendingPerPeer.honestOutcomes': honest })
  })
})
