import assert from 'node:assert/strict'
import { ConsensusIndex } from '../../../../protocol/consensus/index.js'
import { decide } from '../../../../protocol/consensus/rule.js'
import type { Statement } from '../../../../protocol/consensus/statement.js'
import { entryId, fp, policy, stmt } from './helpers.js'

const FP = fp(1)

/** An index plus the list of everything applied, to check each answer against decide(). */
function alliance (quorum = 2, weights: Record<string, number> = {}): { index: ConsensusIndex, apply: (s: Statement) => void, check: () => void } {
  const p = policy(quorum, weights)
  const index = new ConsensusIndex(p)
  const applied: Statement[] = []
  return {
    index,
    apply: s => { applied.push(s); index.apply(s) },
    check: () => assert.deepEqual(index.explain(FP), decide(applied, p, index.now))
  }
}

describe('consensus index: examples', () => {
  it('lists at k=2 once a second org attests, and says so', () => {
    const { index } = alliance()
    const p = policy(2)
    const a = stmt({ org: 'a' })
    const b = stmt({ org: 'b' })
    assert.deepEqual(index.apply(a), { fingerprint: FP, kind: 'seller-account', from: 'absent', to: 'candidate' })
    assert.deepEqual(index.apply(b), { fingerprint: FP, kind: 'seller-account', from: 'candidate', to: 'listed' })
    assert.equal(index.status(FP), 'listed')
    assert.deepEqual(index.counts(), { listed: 1, disputed: 0, candidate: 0 })
    assert.deepEqual(index.explain(FP), decide([a, b], p, index.now))
  })

  it('keeps one org with three keys a candidate', () => {
    const { index, apply, check } = alliance()
    for (let key = 0; key < 3; key++) apply(stmt({ org: 'a', key, time: key }))
    assert.equal(index.status(FP), 'candidate')
    assert.equal(index.explain(FP).positive.length, 1)
    check()
  })

  it('goes back to candidate when one of two orgs retracts', () => {
    const { index, apply, check } = alliance()
    apply(stmt({ org: 'a', time: 1 }))
    apply(stmt({ org: 'b', time: 1 }))
    apply(stmt({ org: 'b', time: 2, source: 'retraction' }))
    assert.equal(index.status(FP), 'candidate')
    check()
  })

  it('is disputed when a third org reports a false positive', () => {
    const { index, apply, check } = alliance()
    apply(stmt({ org: 'a' }))
    apply(stmt({ org: 'b' }))
    apply(stmt({ org: 'platform', source: 'false-positive', expires: 500 }))
    assert.equal(index.status(FP), 'disputed')
    assert.deepEqual(index.explain(FP).negative.map(v => [v.org, v.source]), [['platform', 'false-positive']])
    assert.deepEqual(index.counts(), { listed: 0, disputed: 1, candidate: 0 })
    check()
  })

  it('is disputed when a brand names the seller an authorised reseller', () => {
    const { index, apply, check } = alliance()
    apply(stmt({ org: 'a' }))
    apply(stmt({ org: 'b' }))
    apply(stmt({ org: 'brand', source: 'authorised-reseller' }))
    assert.equal(index.status(FP), 'disputed')
    check()
  })

  it('lets statements expire: listed, then candidate, then absent as the clock advances', () => {
    const { index, apply, check } = alliance()
    apply(stmt({ org: 'a', expires: 100 }))
    apply(stmt({ org: 'b', expires: 200 }))
    assert.deepEqual(index.advanceTo(99), [])
    assert.deepEqual(index.advanceTo(100), [{ fingerprint: FP, kind: 'seller-account', from: 'listed', to: 'candidate' }])
    check()
    assert.deepEqual(index.advanceTo(1_000), [{ fingerprint: FP, kind: 'seller-account', from: 'candidate', to: 'absent' }])
    assert.equal(index.status(FP), 'absent')
    assert.deepEqual(index.counts(), { listed: 0, disputed: 0, candidate: 0 })
    assert.deepEqual([...index.entries()], [])
    check()
  })

  it('judges a late statement at its own clock: one already expired does not count', () => {
    const { index, apply, check } = alliance()
    index.advanceTo(500)
    assert.equal(index.apply(stmt({ org: 'a', expires: 400 })), undefined)
    apply(stmt({ org: 'b', expires: 900 }))
    assert.equal(index.status(FP), 'candidate')
    check()
  })

  it('explains which orgs, which entries, and until when', () => {
    const { index, apply, check } = alliance()
    apply(stmt({ org: 'b', time: 3, expires: 700, id: entryId(2), reason: 0xfffffffe }))
    apply(stmt({ org: 'a', time: 5, expires: 900, id: entryId(1), reason: 3 }))
    const e = index.explain(FP)
    assert.equal(e.status, 'listed')
    // each vote carries its attestation's reason code (the largest codes too: the slot keeps 32 bits)
    assert.deepEqual(e.positive, [
      { org: 'a', entryId: entryId(1), time: 5, expires: 900, source: 'attestation', weight: 1, reason: 3 },
      { org: 'b', entryId: entryId(2), time: 3, expires: 700, source: 'attestation', weight: 1, reason: 0xfffffffe }
    ])
    assert.equal(e.expires, 700)
    assert.equal(e.quorum, 2)
    check()
  })

  it('counts confirmations from platform feedback', () => {
    const { index, apply, check } = alliance()
    apply(stmt({ org: 'a' }))
    apply(stmt({ org: 'platform', source: 'confirmed' }))
    apply(stmt({ org: 'police', source: 'removed' }))
    const e = index.explain(FP)
    assert.equal(e.status, 'listed')
    assert.equal(e.confirmations, 2)
    check()
  })

  it('ignores a replay and an older statement of the same org', () => {
    const { index } = alliance()
    const s = stmt({ org: 'a', time: 10 })
    assert.notEqual(index.apply(s), undefined)
    assert.equal(index.apply(s), undefined)
    assert.equal(index.apply(stmt({ org: 'a', time: 9, source: 'retraction' })), undefined)
    assert.equal(index.status(FP), 'candidate')
  })

  it('recomputes on a roster change and reports it', () => {
    const index = new ConsensusIndex(policy(2))
    index.apply(stmt({ org: 'a' }))
    index.apply(stmt({ org: 'b' }))
    index.apply(stmt({ org: 'a', fp: fp(2) }))
    assert.deepEqual(index.setPolicy(policy(2, {}, ['a'])), [
      { fingerprint: fp(1), kind: 'seller-account', from: 'listed', to: 'candidate' },
      { fingerprint: fp(2), kind: 'seller-account', from: 'candidate', to: 'absent' }
    ])
    assert.deepEqual(index.setPolicy(policy(1, {}, ['a'])), [{ fingerprint: fp(1), kind: 'seller-account', from: 'candidate', to: 'listed' }])
    assert.deepEqual(index.setPolicy(policy(1, {}, ['a'])), [])
  })

  it('exports in fingerprint byte order and filters by status', () => {
    const index = new ConsensusIndex(policy(2))
    for (const n of [9, 3, 200, 7]) index.apply(stmt({ org: 'a', fp: fp(n) }))
    index.apply(stmt({ org: 'b', fp: fp(7) }))
    assert.deepEqual([...index.entries()].map(e => e.fingerprint[0]), [3, 7, 9, 200])
    assert.deepEqual([...index.entries({ status: 'listed' })].map(e => e.fingerprint[0]), [7])
    assert.deepEqual([...index.entries({ status: 'candidate' })].map(e => e.fingerprint[0]), [3, 9, 200])
  })

  it('unordered: the same explanations and statuses, in no promised order', () => {
    const index = new ConsensusIndex(policy(2))
    for (const n of [9, 3, 200, 7]) index.apply(stmt({ org: 'a', fp: fp(n) }))
    index.apply(stmt({ org: 'b', fp: fp(7) }))
    index.apply(stmt({ org: 'a', fp: fp(5), source: 'retraction' }))
    const byFp = (a: { fingerprint: Uint8Array }, b: { fingerprint: Uint8Array }): number => a.fingerprint[0] - b.fingerprint[0]
    assert.deepEqual([...index.entries({ unordered: true })].sort(byFp), [...index.entries()])
    assert.deepEqual([...index.entries({ status: 'candidate', unordered: true })].sort(byFp), [...index.entries({ status: 'candidate' })])
    assert.deepEqual([...index.statuses({ unordered: true })].sort(byFp), [...index.statuses()])
  })

  it('stays exact through thousands of reschedulings of one fingerprint', () => {
    // each statement moves the fingerprint's next change later, leaving a stale timer entry behind
    const applied: Statement[] = []
    const p = policy(3)
    const index = new ConsensusIndex(p)
    for (let i = 0; i < 3000; i++) {
      const s = stmt({ org: `org-${i}`, time: i, expires: 10 + i })
      applied.push(s)
      index.apply(s)
      if (i % 500 === 499) index.advanceTo(i)
    }
    for (const now of [3000, 3007, 3008, 3009, 4000]) {
      index.advanceTo(now)
      assert.deepEqual(index.explain(FP), decide(applied, p, now))
      assert.equal(index.status(FP), decide(applied, p, now).status)
    }
  })

  it('keeps a quiet fingerprint\'s expiry while another one churns the timers', () => {
    const index = new ConsensusIndex(policy(1))
    index.apply(stmt({ org: 'quiet', fp: fp(9), expires: 5_000 }))
    for (let i = 0; i < 5000; i++) index.apply(stmt({ org: `org-${i}`, time: i, expires: 10_000 + i }))
    assert.deepEqual(index.advanceTo(4_999), [])
    assert.deepEqual(index.advanceTo(5_000), [{ fingerprint: fp(9), kind: 'seller-account', from: 'listed', to: 'absent' }])
  })

  it('holds thousands of fingerprints, finds each, and exports them in byte order', () => {
    const index = new ConsensusIndex(policy(2))
    const fps: Uint8Array[] = []
    for (let i = 0; i < 5000; i++) {
      const f = new Uint8Array(32)
      f[0] = (i * 7919) & 0xff
      f[1] = (i >> 8) & 0xff
      f[2] = i & 0xff
      fps.push(f)
      index.apply(stmt({ org: 'a', fp: f }))
      if (i % 3 === 0) index.apply(stmt({ org: 'b', fp: f }))
    }
    assert.equal(index.size, 5000)
    fps.forEach((f, i) => assert.equal(index.status(f), i % 3 === 0 ? 'listed' : 'candidate'))
    assert.equal(index.status(new Uint8Array(32).fill(0xee)), 'absent')
    const exported = [...index.entries({ status: 'listed' })].map(e => Buffer.from(e.fingerprint))
    assert.equal(exported.length, 1667)
    assert.deepEqual(exported, [...exported].sort(Buffer.compare))
  })

  it('explains an unknown fingerprint as absent', () => {
    const e = new ConsensusIndex(policy(2)).explain(fp(5))
    assert.equal(e.status, 'absent')
    assert.equal(e.kind, undefined)
    assert.deepEqual(e.fingerprint, fp(5))
  })

  it('keeps its clock monotonic and rejects bad input by name', () => {
    const index = new ConsensusIndex(policy(2))
    index.apply(stmt({ org: 'a', expires: 1000 }))
    index.advanceTo(100)
    assert.deepEqual(index.advanceTo(50), [])
    assert.equal(index.now, 100)
    assert.throws(() => index.advanceTo(Number.NaN), { name: 'InvalidTimeError' })
    assert.throws(() => index.apply({ ...stmt({ org: 'a' }), time: Number.NaN }), { name: 'InvalidStatementError', reason: 'bad_time' })
    assert.throws(() => index.apply(stmt({ org: 'a', fp: new Uint8Array(49) })), { name: 'InvalidStatementError', reason: 'bad_fingerprint' })
    assert.equal(index.status(new Uint8Array(49)), 'absent')
    assert.throws(() => index.setPolicy(policy(2, { a: -1 })), { name: 'InvalidPolicyError' })
    assert.throws(() => new ConsensusIndex(policy(1, { z: 1.5 })).apply(stmt({ org: 'z' })), { name: 'InvalidPolicyError', reason: 'bad_weight' })
  })
})
