/**
 * The roster's rate limit against a member that dates its entries
 * (issue 12 item 3, RELIABILITY gap 3). Hour buckets by the entry's own
 * time let a member with `rateLimitPerHour` 100 get 20,000 entries accepted
 * at once by dating them into 200 past hours. Now entry times never go
 * backwards in a log (also across segments), and an org adds at most
 * RATE_CATCHUP_HOURS × the limit per hour of arrival at a node — while a
 * node catching up on an honest log still takes it in at that pace.
 *
 * Real Ingestor on a MemoryStore (the pipeline every gossip and sync path
 * goes through), a clock the test moves.
 */
import assert from 'node:assert/strict'
import { Ingestor, RATE_CATCHUP_HOURS, type IngestOutcome } from '../../node/ingest.js'
import { silentLogger } from '../../node/logger.js'
import { ConsensusState } from '../../node/services/consensus-state.js'
import { MemoryStore } from '../../node/store/memory.js'
import { appendSegment, type LogHead } from '../../protocol/log/index.js'
import { RosterChain } from '../../protocol/roster/index.js'
import type { Body } from '../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, type TestAlliance } from '../helpers/alliance.js'
import { record } from './helpers/scale.js'

const HOUR = 3600_000
const DAY = 24 * HOUR
const LIMIT = 100

interface Node { ingestor: Ingestor, store: MemoryStore, clock: { now: number } }

async function node (a: TestAlliance, now: number): Promise<Node> {
  const store = new MemoryStore()
  await store.open()
  const clock = { now }
  const state = new ConsensusState({ chain: RosterChain.fromGenesis(a.signed), clock: () => clock.now })
  const ingestor = new Ingestor({ store, state, logger: silentLogger().forComponent('t') })
  return { ingestor, store, clock }
}

const retraction = (i: number): Body => ({ type: 'retraction', target: new Uint8Array(32).fill(i % 256), fingerprint: new Uint8Array(32).fill(7), kind: 'phone', epoch: 0 })

/** `count` entries by org 0 dated `time` (never before the head's: appendSegment), signed as one segment continuing `head`. */
function segment (a: TestAlliance, head: LogHead | undefined, count: number, time: number, from = 0): ReturnType<typeof appendSegment> {
  return appendSegment({ signer: a.orgs[0].nodes[0].signer, alliance: a.alliance, head, bodies: Array.from({ length: count }, (_, i) => retraction(from + i)), time })
}

const reason = (out: IngestOutcome): string => out.result === 'rejected' ? out.reason : out.result

describe('fault: the rate limit counts arrivals; entry times never go backwards (issue 12 item 3)', function () {
  this.timeout(120_000)
  // the roster took effect 30 days before "now": room to date entries into 720 past hours
  const a = makeAlliance({ policy: { rateLimitPerHour: LIMIT } })
  const now = GENESIS_TIME + 30 * DAY

  it('20,000 entries dated into 200 past hours (100 per hour, in order): only RATE_CATCHUP_HOURS × the limit per hour of arrival', async () => {
    const n = await node(a, now)
    const signer = a.orgs[0].nodes[0].signer
    let accepted = 0
    let refused = 0
    for (let h = 0; h < 200; h++) {
      const out = await n.ingestor.ingest(segment(a, n.ingestor.headOf(signer.publicKey), LIMIT, now - (200 - h) * HOUR, h * LIMIT).segment)
      if (out.result === 'accepted') accepted += out.applied
      else { assert.equal(reason(out), 'rate_limited'); refused += LIMIT }
    }
    assert.equal(accepted, LIMIT * RATE_CATCHUP_HOURS, 'one hour of arrival takes in RATE_CATCHUP_HOURS hours\' worth')
    // an hour later, the next day's worth of the same (honest-looking) backlog goes in
    n.clock.now += HOUR
    let later = 0
    for (let h = RATE_CATCHUP_HOURS; h < 200; h++) {
      const out = await n.ingestor.ingest(segment(a, n.ingestor.headOf(signer.publicKey), LIMIT, now - (200 - h) * HOUR, h * LIMIT).segment)
      if (out.result === 'accepted') later += out.applied
    }
    assert.equal(later, LIMIT * RATE_CATCHUP_HOURS)
    record('rate limit: backdated flood', { limitPerHour: LIMIT, offered: 200 * LIMIT, acceptedFirstHour: accepted, refusedFirstHour: refused, acceptedSecondHour: later })
  })

  it('an entry dated before the entry it follows is refused (time_reversal), in a later segment too; equal times pass', async () => {
    const n = await node(a, now)
    const signer = a.orgs[0].nodes[0].signer
    const first = segment(a, undefined, 3, now - HOUR)
    assert.equal((await n.ingestor.ingest(first.segment)).result, 'accepted')
    const head = n.ingestor.headOf(signer.publicKey)
    // appendSegment never dates before its head: a head with time 0 lets the test make the entry a hostile member would
    const back = await n.ingestor.ingest(segment(a, head === undefined ? undefined : { ...head, time: 0 }, 1, now - 2 * HOUR, 3).segment)
    assert.equal(reason(back), 'time_reversal')
    assert.equal(n.ingestor.headOf(signer.publicKey)?.seq, 3, 'nothing stored')
    assert.equal((await n.ingestor.ingest(segment(a, head, 1, now - HOUR, 3).segment)).result, 'accepted', 'the same time as the head')
    record('rate limit: times', { reversedRefused: 1 })
  })

  it('entries dated in one hour count whole across segments: 60 + 60 in one hour exceed a limit of 100, and a restart counts them again', async () => {
    const n = await node(a, now)
    const signer = a.orgs[0].nodes[0].signer
    const first = segment(a, undefined, 60, now - HOUR)
    assert.equal((await n.ingestor.ingest(first.segment)).result, 'accepted')
    const second = segment(a, n.ingestor.headOf(signer.publicKey), 60, now - HOUR, 60)
    assert.equal(reason(await n.ingestor.ingest(second.segment)), 'rate_limited')
    const fits = segment(a, n.ingestor.headOf(signer.publicKey), 40, now - HOUR, 60)
    assert.equal((await n.ingestor.ingest(fits.segment)).result, 'accepted', 'up to the limit')
    // a restarted node rebuilds the counts from its store (replay): the hour is full
    const state = new ConsensusState({ chain: RosterChain.fromGenesis(a.signed), clock: () => n.clock.now })
    const again = new Ingestor({ store: n.store, state, logger: silentLogger().forComponent('t') })
    assert.equal(await again.replay(), 100)
    const more = segment(a, again.headOf(signer.publicKey), 1, now - HOUR, 100)
    assert.equal(reason(await again.ingest(more.segment)), 'rate_limited')
  })

  it('a node catching up on an honest log of 3 days at the limit takes it in within 3 hours of arrival', async () => {
    const writer = await node(a, now)
    const signer = a.orgs[0].nodes[0].signer
    const segments = []
    for (let h = 72; h > 0; h--) {
      writer.clock.now = now - h * HOUR + 60_000 // the writer received each hour's entries in that hour
      const s = segment(a, writer.ingestor.headOf(signer.publicKey), LIMIT, now - h * HOUR, h * LIMIT)
      assert.equal((await writer.ingestor.ingest(s.segment)).result, 'accepted')
      segments.push(s.segment)
    }
    const late = await node(a, now)
    let hours = 0
    let next = 0
    while (next < segments.length && hours < 10) {
      while (next < segments.length && (await late.ingestor.ingest(segments[next])).result === 'accepted') next++
      hours++
      late.clock.now += HOUR
    }
    assert.equal(next, segments.length, 'every segment taken in')
    assert.equal(hours, Math.ceil(72 / RATE_CATCHUP_HOURS))
    record('rate limit: catch-up', { entries: 72 * LIMIT, hoursOfArrival: hours })
  })
})
