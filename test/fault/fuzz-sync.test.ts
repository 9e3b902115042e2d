/**
 * Fuzzing both ends of the sync protocol (`syncProtocol()`, `/alliance/<id>/sync/1.1.0`).
 *
 * FUZZ_RUNS inputs per end go through the node's own handler functions
 * (`serveSync`, `pullSync`) over in-memory libp2p stream pairs: a network
 * round trip per input (a new stream costs 2–3 ms on loopback) would make
 * 10,000 inputs too slow for CI. A smaller sample then goes over a real
 * libp2p connection to a started node, from a roster member's host.
 *
 * Inputs mix: random bytes (unframed and length-prefixed), valid messages
 * mutated at the byte level (the payload or the framing), structurally
 * random but well-formed requests, and multi-frame sequences.
 *
 * Asserted: each handler ends normally or with a named error, never by its
 * time limit (a hang); every ingest
 * outcome on the requester is named; the responder only ever sends entries
 * the node holds, in frames within the limits; nothing changes the node's
 * state (blocklist, heads, evidence); memory stays bounded; no hang.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { toHex } from '../../protocol/bytes.js'
import { decodeEntry, decodeSyncResponse, encodeSyncRequest, encodeSyncResponse } from '../../protocol/codec/index.js'
import { MAX_SEGMENTS_PER_RESPONSE, MAX_SYNC_RESPONSE_BYTES } from '../../protocol/limits.js'
import { entryId } from '../../protocol/log/index.js'
import type { Head, SyncRequest } from '../../protocol/types.js'
import { createHost, type Host } from '../../node/net/host.js'
import { silentLogger } from '../../node/logger.js'
import { syncProtocol } from '../../node/sync.js'
import { readConfig } from '../../node/home.js'
import * as arb from '../helpers/arbitraries.js'
import { applyMutations, mutations } from '../helpers/mutate.js'
import { eventually } from '../helpers/wait.js'
import { checkOutcome, tally } from './helpers/outcomes.js'
import { FUZZ_RUNS, SOAK, budget, record } from './helpers/scale.js'
import { MiB, assertMemoryBounded, assertUnchanged, liveBytes, nodeState, quickState } from './helpers/state.js'
import { SYNC_ERROR_NAMES, askResponder, feedRequester, frame, readResponse, sendRequest, syncComponents, type ResponderRun } from './helpers/streams.js'
import { fuzzWorld, type FuzzWorld } from './helpers/world.js'

const PER_INPUT_MS = 10_000
/** Inputs sent over a real libp2p connection (a new stream each). */
const NET_RUNS = SOAK ? Math.min(Math.ceil(FUZZ_RUNS / 10), 20_000) : Math.min(FUZZ_RUNS, 300)

function assertNamed (err: Error | undefined, what: string): string {
  if (err === undefined) return 'ok'
  assert.ok(SYNC_ERROR_NAMES.has(err.name), `${what}: unnamed error ${err.name}: ${err.message}`)
  return err.name
}

describe('fault: fuzzing the sync protocol', function () {
  this.timeout(budget(90_000, FUZZ_RUNS, 4))
  let w: FuzzWorld
  let quick: () => string
  /** Valid requests: nothing held, everything held, half-way, tiny batches, other alliance. */
  let requests: Uint8Array[]
  /** Valid response frames: the node's whole holding, and a done-only frame. */
  let responses: Uint8Array[]
  /** Ids of every entry the node holds, by author:seq (the fuzzing never changes them). */
  const held = new Map<string, string>()

  before(async () => {
    w = await fuzzWorld({ start: true })
    quick = quickState(w.node)
    const heads: Head[] = w.node.store.heads().map(h => ({ author: h.author, seq: h.seq, id: h.id }))
    const half: Head[] = heads.map(h => ({ ...h, seq: Math.max(1, Math.floor(h.seq / 2)) }))
    for (const h of half) h.id = (await w.node.store.idAt(h.author, h.seq)) as Uint8Array
    const req = (r: Partial<SyncRequest>): Uint8Array => encodeSyncRequest({ alliance: w.node.alliance, heads: [], maxEntries: 0, ...r })
    requests = [req({}), req({ heads }), req({ heads: half }), req({ heads: half, maxEntries: 3 }), req({ maxEntries: 1 }), req({ alliance: 'another-alliance' })]
    const whole = await askResponder(syncComponents(w.node), [frame(requests[0])])
    const small = await askResponder(syncComponents(w.node), [frame(requests[3])])
    assert.equal(whole.error, undefined)
    responses = [...whole.frames, ...small.frames].map(encodeSyncResponse)
    responses.push(encodeSyncResponse({ segments: [], done: true }))
    for await (const e of w.node.store.all()) held.set(`${toHex(e.author)}:${e.seq}`, toHex(e.id))
  })

  after(async () => {
    await w?.close()
  })

  /** Every entry the responder sent is one the node holds, at that author and seq; frames within limits. */
  async function checkServed (run: ResponderRun): Promise<number> {
    let entries = 0
    for (const f of run.frames) {
      assert.ok(f.segments.length <= MAX_SEGMENTS_PER_RESPONSE)
      assert.ok(encodeSyncResponse(f).length <= MAX_SYNC_RESPONSE_BYTES)
      for (const s of f.segments) {
        for (const bytes of s.entries) {
          const e = decodeEntry(bytes)
          assert.equal(held.get(`${toHex(e.author)}:${e.seq}`), toHex(entryId(bytes)), 'the responder sent an entry it does not hold')
          entries++
        }
      }
    }
    return entries
  }

  it(`responder: ${FUZZ_RUNS} random, mutated and structured requests end served or with a named error; only held entries are sent; state unchanged`, async () => {
    const c = syncComponents(w.node)
    const authors = w.node.store.heads().map(h => h.author)
    const structured = arb.syncRequest.chain(r => fc.record({
      own: fc.boolean(),
      authors: fc.array(fc.constantFrom(...authors), { maxLength: 4 })
    }).map(x => {
      const heads = r.heads.map((h, i) => i < x.authors.length ? { ...h, author: x.authors[i], seq: (h.seq % 40) + 1 } : h)
      return encodeSyncRequest({ ...r, alliance: x.own ? w.node.alliance : r.alliance, heads })
    }))
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map(b => [b]),
      fc.uint8Array({ maxLength: 512 }).map(b => [frame(b)]),
      fc.tuple(fc.constantFrom(...requests), mutations).map(([r, ms]) => [frame(applyMutations(r, ms))]),
      fc.tuple(fc.constantFrom(...requests), mutations).map(([r, ms]) => [applyMutations(frame(r), ms)]),
      structured.map(r => [frame(r)]),
      fc.tuple(fc.constantFrom(...requests), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([r, extra]) => [frame(r), extra])
    )
    const before = await nodeState(w.node)
    const q = quick()
    const mem = liveBytes()
    const ends: Record<string, number> = {}
    let n = 0
    let sent = 0
    const t0 = Date.now()
    await fc.assert(fc.asyncProperty(input, async raw => {
      const run = await askResponder(c, raw)
      tally(ends, assertNamed(run.error, 'responder'))
      // the requester's side ends too: a whole response, or the responder's reset (not our read time limit)
      assertNamed(run.readError, 'the requester side of a responder run')
      if (run.error === undefined) {
        assert.equal(run.frames.at(-1)?.done, true, `served without a final frame (${run.readError?.message ?? ''})`)
        sent += await checkServed(run)
      }
      assert.equal(quick(), q, 'a sync request changed the responder\'s state')
      n++
    }), { numRuns: FUZZ_RUNS, timeout: PER_INPUT_MS })
    await assertUnchanged(w.node, before, 'responder fuzz')
    const grew = assertMemoryBounded(mem, 64 * MiB, 'responder fuzz')
    assert.ok((ends.ok ?? 0) > 0 && sent > 0, 'some inputs were served')
    record('fuzz.sync', { 'responder.inputs': n, 'responder.perSecond': Math.round(n / ((Date.now() - t0) / 1000)), 'responder.entriesServed': sent, 'responder.memoryGrowthMiB': Math.round(grew / MiB), 'responder.ends': ends })
  })

  it(`requester: ${FUZZ_RUNS} random and mutated response frames from a fake responder end with named errors and outcomes; state unchanged`, async () => {
    const outcomes: Record<string, number> = {}
    const c = syncComponents(w.node, out => tally(outcomes, checkOutcome(out, ['rejected', 'duplicate', 'gap'], 'requester')))
    const notDone = responses.map(r => encodeSyncResponse({ ...decodeSyncResponse(r), done: false }))
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map(b => [b]),
      fc.uint8Array({ maxLength: 512 }).map(b => [frame(b)]),
      fc.tuple(fc.constantFrom(...responses), mutations).map(([r, ms]) => [frame(applyMutations(r, ms))]),
      fc.tuple(fc.constantFrom(...responses), mutations).map(([r, ms]) => [applyMutations(frame(r), ms)]),
      fc.tuple(fc.constantFrom(...notDone), fc.constantFrom(...responses), mutations).map(([a, b, ms]) => [frame(a), frame(applyMutations(b, ms))]),
      arb.syncResponse.map(r => [frame(encodeSyncResponse(r))])
    )
    const before = await nodeState(w.node)
    const q = quick()
    const mem = liveBytes()
    const ends: Record<string, number> = {}
    let n = 0
    const t0 = Date.now()
    await fc.assert(fc.asyncProperty(input, async raw => {
      const run = await feedRequester(c, raw)
      tally(ends, assertNamed(run.error, 'requester'))
      assert.equal(quick(), q, 'a response changed the requester\'s state')
      n++
    }), { numRuns: FUZZ_RUNS, timeout: PER_INPUT_MS })
    await assertUnchanged(w.node, before, 'requester fuzz')
    const grew = assertMemoryBounded(mem, 64 * MiB, 'requester fuzz')
    record('fuzz.sync', { 'requester.inputs': n, 'requester.perSecond': Math.round(n / ((Date.now() - t0) / 1000)), 'requester.memoryGrowthMiB': Math.round(grew / MiB), 'requester.ends': ends, 'requester.outcomes': outcomes })
  })

  describe('over a real libp2p connection', () => {
    let attacker: Host

    before(async () => {
      const cfg = await readConfig(w.net.dirs['brand-b'])
      attacker = await createHost({ listen: cfg.listen, peers: [{ peerId: w.node.keys.peerId.toString(), addrs: w.node.host.multiaddrs().map(String) }] }, { keys: w.keys['brand-b'], logger: silentLogger() })
      await attacker.start()
      await eventually(() => w.node.host.connectedPeers().includes(attacker.peerId.toString()), 15_000, 'the roster peer connects')
    })

    after(async () => {
      await attacker?.stop()
    })

    it(`${NET_RUNS} random and mutated requests on real sync streams from a roster peer: the node answers or resets, stays up, state unchanged`, async () => {
      const protocol = syncProtocol(w.node.alliance)
      const peer = w.node.keys.peerId.toString()
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 512 }).map(b => [frame(b)]),
        fc.tuple(fc.constantFrom(...requests), mutations).map(([r, ms]) => [frame(applyMutations(r, ms))]),
        fc.tuple(fc.constantFrom(...requests), mutations).map(([r, ms]) => [applyMutations(frame(r), ms)])
      )
      const before = await nodeState(w.node)
      const mem = liveBytes()
      const ends: Record<string, number> = {}
      let n = 0
      const t0 = Date.now()
      await fc.assert(fc.asyncProperty(input, async raw => {
        const stream = await attacker.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(PER_INPUT_MS) })
        await sendRequest(stream, raw)
        const { error } = await readResponse(stream, PER_INPUT_MS)
        const end = error === undefined ? 'served' : `reset:${assertNamed(error, 'network requester side')}`
        stream.abort(new Error('done'))
        tally(ends, end)
        n++
      }), { numRuns: NET_RUNS, timeout: PER_INPUT_MS * 2 })
      await assertUnchanged(w.node, before, 'network sync fuzz')
      const grew = assertMemoryBounded(mem, 64 * MiB, 'network sync fuzz')
      // still serving: a valid request is answered in full
      const ok = await askResponder(syncComponents(w.node), [frame(requests[0])])
      assert.equal(ok.error, undefined)
      assert.ok(w.node.host.connectedPeers().includes(attacker.peerId.toString()))
      record('fuzz.sync', { 'network.inputs': n, 'network.perSecond': Math.round(n / ((Date.now() - t0) / 1000)), 'network.memoryGrowthMiB': Math.round(grew / MiB), 'network.ends': ends })
    })
  })
})

