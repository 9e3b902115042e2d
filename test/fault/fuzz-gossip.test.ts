/**
 * Fuzzing the gossip validator's path: `node.ingestRaw(bytes)` is what the
 * gossip validator runs on every message (decode under limits, then the
 * ingest queue with a signature required). Three targets, FUZZ_RUNS inputs
 * each:
 *
 * - random bytes;
 * - valid signed segments (held by the node, and new to it) mutated at the
 *   byte level;
 * - segments built from a random *shape* (seq before, at or after the head;
 *   prev chained, random or empty; dated up to a day in the past or future;
 *   lifetimes in and out of range; random bodies; signed by the author, by
 *   nobody, with a broken signature, or by another member's key; authored
 *   by a member or by a key outside the roster), which reach the checks
 *   behind the signature. Whether each is valid follows from its shape, so
 *   the oracle is exact: accepted exactly when valid, an equivocation
 *   exactly when it is a validly signed rewrite of a seq the node holds.
 *
 * Asserted: only named outcomes and reasons, no exception, no hang (5 s per
 * input), bounded memory, and the node's state (blocklist hash, heads,
 * evidence, flagged keys) unchanged — except where the input was a valid
 * continuation of the author's log (then exactly that author's head moves)
 * or a signed fork (then evidence is kept and the key flagged, nothing else).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bytesEqual, toHex } from '../../protocol/bytes.js'
import { encodeEntry, encodeSegment } from '../../protocol/codec/index.js'
import { generateSeed, signerFromSeed, type Signer } from '../../protocol/ed25519.js'
import { entryId, signEntryId, type LogHead } from '../../protocol/log/index.js'
import type { Body, Entry } from '../../protocol/types.js'
import * as arb from '../helpers/arbitraries.js'
import { applyMutations, mutations } from '../helpers/mutate.js'
import { verifyRosterFile } from '../../node/roster-file.js'
import { DAY, HOUR } from './helpers/fixtures.js'
import { checkOutcome, tally, type ResultName } from './helpers/outcomes.js'
import { FUZZ_RUNS, budget, record } from './helpers/scale.js'
import { MiB, assertMemoryBounded, assertUnchanged, liveBytes, nodeState, quickState } from './helpers/state.js'
import { fuzzWorld, type FuzzWorld } from './helpers/world.js'

const GOSSIP: readonly ResultName[] = ['rejected', 'duplicate', 'gap', 'equivocation']
const PER_INPUT_MS = 5000
/** A full state comparison (evidence is read from LevelDB) every this many inputs; heads and blocklist every input. */
const FULL_CHECK_EVERY = 1000

describe('fault: fuzzing the gossip validator (ingestRaw)', function () {
  this.timeout(budget(60_000, FUZZ_RUNS, 4))
  let w: FuzzWorld

  before(async () => {
    w = await fuzzWorld()
    quick = quickState(w.node)
  })

  after(async () => {
    await w?.close()
  })

  let quick: () => string

  async function run (name: string, input: fc.Arbitrary<Uint8Array>, allowed: readonly ResultName[] = GOSSIP): Promise<void> {
    const outcomes: Record<string, number> = {}
    const before = await nodeState(w.node)
    const q = quick()
    const mem = liveBytes()
    let n = 0
    const t0 = Date.now()
    await fc.assert(fc.asyncProperty(input, async bytes => {
      const out = await w.node.ingestRaw(bytes)
      tally(outcomes, checkOutcome(out, allowed, name))
      assert.equal(quick(), q, `${name}: input changed heads or blocklist (${JSON.stringify(out)})`)
      if (++n % FULL_CHECK_EVERY === 0) await assertUnchanged(w.node, before, name)
    }), { numRuns: FUZZ_RUNS, timeout: PER_INPUT_MS })
    await assertUnchanged(w.node, before, name)
    const grew = assertMemoryBounded(mem, 64 * MiB, name)
    record('fuzz.gossip', { [`${name}.inputs`]: n, [`${name}.perSecond`]: Math.round(n / ((Date.now() - t0) / 1000)), [`${name}.memoryGrowthMiB`]: Math.round(grew / MiB), [`${name}.outcomes`]: outcomes })
  }

  it(`${FUZZ_RUNS} random byte strings: only named rejections, state unchanged, memory bounded`, async () => {
    await run('random', fc.uint8Array({ maxLength: 2048 }))
  })

  it(`${FUZZ_RUNS} mutated valid signed segments (held and new): never accepted, state unchanged`, async () => {
    const corpus = [...w.held.map(s => ({ s, held: true })), ...w.fresh.map(s => ({ s, held: false }))]
    const mutated = fc.tuple(fc.constantFrom(...corpus), mutations)
      .map(([c, ms]) => ({ c, bytes: applyMutations(c.s.bytes, ms) }))
      // an identity mutation of a new segment would rightly be accepted
      .filter(({ c, bytes }) => c.held || !bytesEqual(bytes, c.s.bytes))
      .map(({ bytes }) => bytes)
    await run('mutated', mutated)
  })

  it(`${FUZZ_RUNS} signed segments of random structure: accepted exactly when valid by construction, a fork exactly when fork-shaped; only those change the state`, async () => {
    const b = w.keys['brand-b'].sign
    const c = w.keys['brand-c'].sign
    const stranger = signerFromSeed(generateSeed())
    // what the node checks against: the installed roster's time and policy
    const { roster } = verifyRosterFile(w.net.roster)
    const { clockToleranceMs, maxLifetimeMs } = roster.policy
    const shape = fc.record({
      at: fc.integer({ min: -3, max: 1 }),
      count: fc.integer({ min: 1, max: 4 }),
      prev: fc.constantFrom('chain', 'chain', 'chain', 'chain', 'random', 'empty'),
      // mostly after the roster took effect (a minute ago) and within the clock tolerance
      dt: fc.oneof({ arbitrary: fc.integer({ min: -50_000, max: 60_000 }), weight: 3 }, { arbitrary: fc.integer({ min: -DAY, max: DAY }), weight: 1 }),
      life: fc.oneof(fc.integer({ min: HOUR, max: 300 * DAY }), fc.integer({ min: -DAY, max: 400 * DAY })),
      bodies: fc.array(arb.body, { minLength: 4, maxLength: 4 }),
      who: fc.constantFrom('brand-b', 'brand-b', 'brand-c', 'stranger'),
      sig: fc.constantFrom('good', 'good', 'good', 'broken', 'none', 'other-key')
    })
    type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never
    /**
     * What the node must answer, from the shape alone: 'accepted' for a valid
     * continuation of the author's log, 'equivocation' for a validly signed
     * segment that rewrites a held seq, 'refused' for anything else (some
     * rule broken by construction). 'either' near a clock boundary (the node
     * reads its clock a moment after the test does).
     */
    const expected = (s: Shape, head: number, first: number, now: number, time: number, headTime: number): 'accepted' | 'equivocation' | 'refused' | 'either' => {
      if (s.who === 'stranger' || s.sig !== 'good') return 'refused'
      // seq 1 carries no prev; any later seq a 32-byte one (the codec checks both)
      if (first === 1 ? s.prev === 'random' : s.prev === 'empty') return 'refused'
      const lifetimes = s.bodies.slice(0, s.count).every(x => x.type === 'retraction' || (s.life > 0 && s.life <= maxLifetimeMs))
      if (!lifetimes) return 'refused'
      const limits = [now + clockToleranceMs, roster.time]
      if (limits.some(l => Math.abs(time - l) < 2000)) return 'either'
      if (time > now + clockToleranceMs || time < roster.time) return 'refused'
      if (first <= head) return 'equivocation'
      // entry times never go backwards in a log, across segments too (issue 12 item 3)
      if (head > 0 && time < headTime) return 'refused'
      // the next seq, chained onto the head (a random prev there is a fork that cannot be proved: refused)
      return first === head + 1 && s.prev !== 'random' ? 'accepted' : 'refused'
    }
    const signers: Record<string, Signer> = { 'brand-b': b, 'brand-c': c, stranger }
    const outcomes: Record<string, number> = {}
    const verdicts: Record<string, number> = {}
    const mem = liveBytes()
    let n = 0
    let appended = 0
    let forks = 0
    let forksSinceCheck = 0
    let evidence = (await nodeState(w.node)).evidence
    /** Heads (with ids) and blocklist from memory; evidence is read from LevelDB every FULL_CHECK_EVERY inputs. */
    const light = (): { quick: string, heads: string[] } => ({
      quick: quick(),
      heads: w.node.store.heads().map(h => `${toHex(h.author)}:${h.seq}:${toHex(h.id)}`).sort()
    })
    const t0 = Date.now()
    await fc.assert(fc.asyncProperty(shape, async s => {
      const signer = signers[s.who]
      const head: LogHead | undefined = w.node.store.head(signer.publicKey)
      const first = Math.max(1, (head?.seq ?? 0) + 1 + s.at)
      const now = Date.now()
      const time = Math.max(0, now + s.dt)
      let prev: Uint8Array
      if (s.prev === 'random') prev = new Uint8Array(32).map(() => Math.floor(Math.random() * 256))
      else if (s.prev === 'empty' || first === 1) prev = new Uint8Array(0)
      else prev = (await w.node.store.idAt(signer.publicKey, first - 1)) ?? new Uint8Array(0)
      const bytes: Uint8Array[] = []
      let lastId: Uint8Array = new Uint8Array(0)
      for (let i = 0; i < s.count; i++) {
        const body: Body = s.bodies[i].type === 'retraction' ? s.bodies[i] : { ...s.bodies[i], expires: Math.max(0, time + s.life) } as Body
        const entry: Entry = { author: signer.publicKey, seq: first + i, prev, time, body }
        const e = encodeEntry(entry)
        bytes.push(e)
        lastId = entryId(e)
        prev = lastId
      }
      let signature: Uint8Array = new Uint8Array(0)
      if (s.sig === 'good') signature = signEntryId(signer, w.node.alliance, lastId)
      else if (s.sig === 'broken') { signature = signEntryId(signer, w.node.alliance, lastId); signature[7] ^= 0x20 }
      else if (s.sig === 'other-key') signature = signEntryId(signer === b ? c : b, w.node.alliance, lastId)

      const want = expected(s, head?.seq ?? 0, first, now, time, head?.time ?? 0)
      const before = light()
      const wasFlagged = w.node.ingestor.flagged.has(toHex(signer.publicKey))
      const out = await w.node.ingestRaw(encodeSegment({ entries: bytes, signature }))
      tally(outcomes, checkOutcome(out, [...GOSSIP, 'accepted'], 'structured'))
      tally(verdicts, `${want}→${out.result}`)
      const what = `${JSON.stringify({ ...s, bodies: s.bodies.slice(0, s.count).map(x => x.type) })} head ${head?.seq ?? 0}: expected ${want}, got ${JSON.stringify(out).slice(0, 200)}`
      if (want !== 'either') {
        assert.equal(out.result === 'accepted', want === 'accepted', `accepted ⇔ valid by construction: ${what}`)
        assert.equal(out.result === 'equivocation', want === 'equivocation', `equivocation ⇔ a signed rewrite of a held seq: ${what}`)
      }
      const after = light()
      if (out.result === 'accepted') {
        appended++
        const author = toHex(signer.publicKey)
        const mine = after.heads.find(h => h.startsWith(author))
        assert.equal(mine?.split(':')[1], String(first + s.count - 1), 'accepted: the author\'s head is the last entry')
        assert.deepEqual(after.heads.filter(h => !h.startsWith(author)), before.heads.filter(h => !h.startsWith(author)), 'accepted: other heads unchanged')
      } else if (out.result === 'equivocation') {
        forks++
        forksSinceCheck++
        // a fork moves no head; statuses change only when the key is newly excluded (its statements stop counting)
        assert.deepEqual(after.heads, before.heads, 'a fork changes no head')
        assert.ok(w.node.ingestor.flagged.has(toHex(signer.publicKey)), 'the forking key is flagged')
        assert.ok(w.node.state.index.isExcluded(signer.publicKey), 'the forking key is excluded from consensus')
        if (wasFlagged) assert.equal(after.quick, before.quick, 'a fork of a key already excluded changes no status')
      } else {
        assert.deepEqual(after, before, `${out.result} changed the node's state`)
      }
      // evidence (read from LevelDB, so not every input): kept for forks, and only for forks
      if (++n % FULL_CHECK_EVERY === 0) {
        const kept = (await nodeState(w.node)).evidence
        if (forksSinceCheck === 0) assert.equal(kept, evidence, 'evidence changed without a signed fork')
        if (forks > 0) assert.ok(kept >= 1, 'forks are kept as evidence')
        evidence = kept
        forksSinceCheck = 0
      }
    }), { numRuns: FUZZ_RUNS, timeout: PER_INPUT_MS })
    const grew = assertMemoryBounded(mem, 64 * MiB, 'structured')
    assert.ok(appended > 0 && forks > 0, `the generator reaches acceptance (${appended}) and fork detection (${forks})`)
    record('fuzz.gossip', { 'structured.inputs': n, 'structured.perSecond': Math.round(n / ((Date.now() - t0) / 1000)), 'structured.memoryGrowthMiB': Math.round(grew / MiB), 'structured.outcomes': outcomes, 'structured.expectedToOutcome': verdicts })
  })
})
