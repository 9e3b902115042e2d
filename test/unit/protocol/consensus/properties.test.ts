import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ConsensusIndex } from '../../../../protocol/consensus/index.js'
import type { StatusChange } from '../../../../protocol/consensus/index.js'
import { decide } from '../../../../protocol/consensus/rule.js'
import type { ConsensusPolicy, Explanation } from '../../../../protocol/consensus/rule.js'
import type { Statement } from '../../../../protocol/consensus/statement.js'
import { FPS, ORGS, authorKey, fromSpecs, permute, policy, sameFp, specArb } from './helpers.js'
import type { Spec } from './helpers.js'

const RUNS = { numRuns: 300 }

/** decide() for every fingerprint that has statements, in fingerprint byte order. */
function decideAll (applied: readonly Statement[], p: ConsensusPolicy, now: number): Explanation[] {
  const out: Explanation[] = []
  for (const f of [...FPS].sort(Buffer.compare)) {
    const mine = applied.filter(s => sameFp(s.fingerprint, f))
    if (mine.length > 0) out.push(decide(mine, p, now))
  }
  return out
}

function countsOf (explanations: Explanation[]): { listed: number, disputed: number, candidate: number } {
  const c = { listed: 0, disputed: 0, candidate: 0 }
  for (const e of explanations) if (e.status !== 'absent') c[e.status]++
  return c
}

const policyArb = fc.record({
  quorum: fc.integer({ min: 1, max: 4 }),
  weights: fc.array(fc.nat({ max: 2 }), { minLength: ORGS.length, maxLength: ORGS.length }),
  members: fc.array(fc.boolean(), { minLength: ORGS.length, maxLength: ORGS.length })
}).map(({ quorum, weights, members }) => policy(
  quorum,
  Object.fromEntries(ORGS.map((o, i) => [o, weights[i]])),
  ORGS.filter((_, i) => !members[i])
))

type Op = { op: 'new', spec: Spec } | { op: 'replay', at: number } | { op: 'advance', by: number } | { op: 'policy', policy: ConsensusPolicy }

describe('consensus index: properties', function () {
  this.timeout(60_000)

  it('never lists a fingerprint vouched for by fewer than k distinct orgs (keys, duplicates, replays, any order)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 6 }).chain(k => fc.record({
        k: fc.constant(k),
        orgs: fc.integer({ min: 1, max: k - 1 }),
        specs: fc.array(specArb, { minLength: 1, maxLength: 40, size: 'max' }),
        replays: fc.array(fc.nat(), { maxLength: 40, size: 'max' }),
        order: fc.array(fc.nat(), { maxLength: 80, size: 'max' }),
        advances: fc.array(fc.nat({ max: 10 }), { maxLength: 80, size: 'max' })
      })),
      ({ k, orgs, specs, replays, order, advances }) => {
        const statements = fromSpecs(specs.map(s => ({ ...s, org: s.org % orgs })))
        const stream = permute([...statements, ...replays.map(r => statements[r % statements.length])], order)
        const p = policy(k)
        const index = new ConsensusIndex(p)
        let now = 0
        stream.forEach((s, i) => {
          const change = index.apply(s)
          assert.ok(change === undefined || change.to === 'candidate' || change.to === 'absent')
          now += advances[i] ?? 0
          index.advanceTo(now)
          const c = index.counts()
          assert.equal(c.listed + c.disputed, 0)
        })
        for (const f of FPS) assert.ok(index.status(f) === 'candidate' || index.status(f) === 'absent')
        for (const e of decideAll(stream, p, now)) assert.ok(e.status === 'candidate' || e.status === 'absent')
      }), RUNS)
  })

  it('gives the same blocklist whatever the order of arrival, with duplicates', () => {
    fc.assert(fc.property(
      fc.array(specArb, { minLength: 1, maxLength: 40, size: 'max' }),
      fc.array(fc.nat(), { maxLength: 40, size: 'max' }),
      fc.array(fc.nat(), { maxLength: 80, size: 'max' }),
      fc.array(fc.nat(), { maxLength: 80, size: 'max' }),
      fc.array(fc.nat({ max: 8 }), { maxLength: 80, size: 'max' }),
      policyArb,
      (specs, dups, order1, order2, advances, p) => {
        const statements = fromSpecs(specs)
        const multiset = [...statements, ...dups.map(d => statements[d % statements.length])]
        const run = (stream: Statement[]): { entries: Explanation[], counts: ReturnType<ConsensusIndex['counts']>, statuses: string[] } => {
          const index = new ConsensusIndex(p)
          let now = 0
          stream.forEach((s, i) => {
            index.apply(s)
            now += advances[i] ?? 0
            index.advanceTo(now)
          })
          return { entries: [...index.entries()], counts: index.counts(), statuses: FPS.map(f => index.status(f)) }
        }
        assert.deepEqual(run(permute(multiset, order1)), run(permute(multiset, order2)))
      }), RUNS)
  })

  it('answers exactly as decide() at every step: applies, replays, clock advances and roster changes', () => {
    // Statements are made around the index's clock as the run goes (late, on time or ahead),
    // so expiries keep falling inside the advances and timers get rescheduled often.
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: specArb.map(spec => ({ op: 'new' as const, spec })) },
      { weight: 2, arbitrary: fc.nat().map(at => ({ op: 'replay' as const, at })) },
      { weight: 3, arbitrary: fc.oneof(fc.nat({ max: 6 }), fc.nat({ max: 30 })).map(by => ({ op: 'advance' as const, by })) },
      { weight: 1, arbitrary: policyArb.map(p => ({ op: 'policy' as const, policy: p })) }
    )
    fc.assert(fc.property(
      fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }),
      policyArb,
      fc.nat({ max: 40 }),
      (ops, p0, jump) => {
        let p = p0
        const index = new ConsensusIndex(p)
        const applied: Statement[] = []
        const reported = new Map<number, string>() // status per FPS index, as told by the returned changes
        const note = (changes: Array<StatusChange | undefined>): void => {
          for (const c of changes) {
            if (c === undefined) continue
            const i = FPS.findIndex(f => sameFp(f, c.fingerprint))
            assert.equal(c.from, reported.get(i) ?? 'absent')
            assert.equal(c.kind, decide(applied.filter(s => sameFp(s.fingerprint, c.fingerprint)), p, now).kind)
            reported.set(i, c.to)
          }
        }
        let now = 0
        const check = (): void => {
          const expected = decideAll(applied, p, now)
          FPS.forEach((f, i) => {
            const e = expected.find(x => sameFp(x.fingerprint, f))
            if (e === undefined) {
              assert.equal(index.status(f), 'absent')
              assert.equal(index.explain(f).status, 'absent')
              return
            }
            assert.deepEqual(index.explain(f), e)
            assert.equal(index.status(f), e.status)
            assert.equal(reported.get(i) ?? 'absent', e.status)
          })
          assert.deepEqual(index.counts(), countsOf(expected))
          assert.deepEqual([...index.entries()], expected.filter(e => e.status !== 'absent'))
          // the cheap form lists the same fingerprints in the same order with the same statuses
          assert.deepEqual([...index.statuses()].map(e => [[...e.fingerprint], e.status]), [...index.entries()].map(e => [[...e.fingerprint], e.status]))
          assert.deepEqual([...index.statuses({ status: 'listed' })].map(e => [...e.fingerprint]), [...index.entries({ status: 'listed' })].map(e => [...e.fingerprint]))
        }
        for (const op of ops) {
          if (op.op === 'new') {
            const time = now - 8 + op.spec.time % 12
            const [s] = fromSpecs([{ ...op.spec, time, lifetime: op.spec.lifetime % 20 }], applied.length)
            applied.push(s)
            note([index.apply(s)])
          } else if (op.op === 'replay') {
            if (applied.length === 0) continue
            const s = applied[op.at % applied.length]
            applied.push(s)
            note([index.apply(s)])
          } else if (op.op === 'advance') {
            now += op.by
            note(index.advanceTo(now))
          } else {
            p = op.policy
            note(index.setPolicy(p))
          }
          check()
        }
        // finally one long jump over many rescheduled timers, as after a node was offline
        now += jump
        note(index.advanceTo(now))
        check()
      }), RUNS)
  })

  it('stops counting a removed member and counts it again once re-added', () => {
    fc.assert(fc.property(
      fc.array(specArb, { minLength: 1, maxLength: 40, size: 'max' }),
      fc.nat({ max: ORGS.length - 1 }),
      fc.integer({ min: 1, max: 3 }),
      (specs, removedAt, quorum) => {
        const statements = fromSpecs(specs)
        const removed = ORGS[removedAt]
        const all = policy(quorum)
        const without = policy(quorum, {}, [removed])
        const index = new ConsensusIndex(all)
        for (const s of statements) index.apply(s)
        const before = [...index.entries()]
        index.setPolicy(without)
        for (const f of FPS) {
          const e = index.explain(f)
          assert.ok(![...e.positive, ...e.negative].some(v => v.org === removed))
        }
        assert.deepEqual([...index.entries()], decideAll(statements, without, 0).filter(e => e.status !== 'absent'))
        index.setPolicy(all)
        assert.deepEqual([...index.entries()], before)
      }), RUNS)
  })

  it('excluding keys (equivocators) answers as decide() on the other keys\' statements, whether the exclusion comes before or after them', () => {
    fc.assert(fc.property(
      fc.array(specArb, { minLength: 1, maxLength: 40, size: 'max' }),
      fc.array(fc.record({ org: fc.nat({ max: ORGS.length - 1 }), key: fc.nat({ max: 3 }) }), { minLength: 1, maxLength: 4 }),
      fc.nat({ max: 40 }),
      fc.integer({ min: 1, max: 3 }),
      fc.nat({ max: 50 }),
      (specs, keys, cut, quorum, now) => {
        const statements = fromSpecs(specs)
        const excluded = keys.map(k => authorKey(ORGS[k.org], k.key))
        const p = policy(quorum)
        const index = new ConsensusIndex(p)
        statements.slice(0, cut).forEach(s => index.apply(s))
        const changes = index.exclude(excluded)
        statements.slice(cut).forEach(s => index.apply(s))
        index.advanceTo(now)
        const kept = statements.filter(s => !excluded.some(k => sameFp(k, s.author)))
        const expected = decideAll(kept, p, now).filter(e => e.status !== 'absent')
        assert.deepEqual([...index.entries()], expected)
        for (const c of changes) assert.notEqual(c.from, c.to)
        for (const k of excluded) assert.ok(index.isExcluded(k))
        assert.equal(index.excluded().length, new Set(excluded.map(k => Buffer.from(k).toString('hex'))).size)
        // excluding again changes nothing
        assert.deepEqual(index.exclude(excluded), [])
      }), RUNS)
  })

  it('reports in `expires` exactly when the status next changes by expiry alone', () => {
    fc.assert(fc.property(
      fc.array(specArb.map(s => ({ ...s, fp: 0 })), { minLength: 1, maxLength: 20, size: 'max' }),
      policyArb,
      fc.nat({ max: 60 }),
      (specs, p, now) => {
        const statements = fromSpecs(specs)
        const e = decide(statements, p, now)
        for (const s of statements) {
          if (s.expires > now && s.expires < e.expires) assert.equal(decide(statements, p, s.expires).status, e.status)
        }
        if (Number.isFinite(e.expires)) assert.notEqual(decide(statements, p, e.expires).status, e.status)
        else assert.equal(decide(statements, p, 1e9).status, e.status)
      }), RUNS)
  })
})
