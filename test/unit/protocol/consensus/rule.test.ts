import assert from 'node:assert/strict'
import { decide, latestPerOrg } from '../../../../protocol/consensus/rule.js'
import { entryId, fp, policy, stmt } from './helpers.js'

describe('consensus rule: decide()', () => {
  it('lists a fingerprint vouched for by k distinct orgs', () => {
    const e = decide([stmt({ org: 'a' }), stmt({ org: 'b' })], policy(2), 10)
    assert.equal(e.status, 'listed')
    assert.equal(e.weight, 2)
    assert.deepEqual(e.positive.map(v => v.org), ['a', 'b'])
  })

  it('counts one org once however many keys and entries it uses', () => {
    const e = decide([
      stmt({ org: 'a', key: 0, time: 1 }),
      stmt({ org: 'a', key: 1, time: 2 }),
      stmt({ org: 'a', key: 2, time: 3 })
    ], policy(2), 10)
    assert.equal(e.status, 'candidate')
    assert.equal(e.positive.length, 1)
    assert.equal(e.positive[0].time, 3)
  })

  it('breaks a tie of equal times by entry id bytes, whatever the input order', () => {
    const low = stmt({ org: 'a', time: 5, id: entryId(1, 1) })
    const high = stmt({ org: 'a', time: 5, id: entryId(2, 9), source: 'retraction' })
    assert.equal(latestPerOrg([low, high]).get('a'), high)
    assert.equal(latestPerOrg([high, low]).get('a'), high)
    assert.equal(decide([high, low, stmt({ org: 'b' })], policy(2), 10).status, 'candidate')
  })

  it('takes the kind of the latest statement if statements disagree', () => {
    const statements = [stmt({ org: 'a', time: 1, kind: 'email' }), stmt({ org: 'b', time: 7, kind: 'url' }), stmt({ org: 'a', time: 3, kind: 'phone' })]
    assert.equal(decide(statements, policy(2), 0).kind, 'url')
    assert.equal(decide(statements.reverse(), policy(2), 0).kind, 'url')
  })

  it('does not fall back to an older statement when the latest one expired', () => {
    const older = stmt({ org: 'a', time: 1, expires: 1000 })
    const latest = stmt({ org: 'a', time: 2, expires: 50 })
    const b = stmt({ org: 'b', time: 1, expires: 1000 })
    assert.equal(decide([older, latest, b], policy(2), 49).status, 'listed')
    const e = decide([older, latest, b], policy(2), 50)
    assert.equal(e.status, 'candidate')
    assert.deepEqual(e.positive.map(v => v.org), ['b'])
  })

  it('counts a statement while now < expires', () => {
    assert.equal(decide([stmt({ org: 'a', expires: 100 })], policy(1), 99).status, 'listed')
    assert.equal(decide([stmt({ org: 'a', expires: 100 })], policy(1), 100).status, 'absent')
  })

  it('stops counting an org that left the roster', () => {
    const all = [stmt({ org: 'a' }), stmt({ org: 'b' })]
    assert.equal(decide(all, policy(2, {}, ['b']), 10).status, 'candidate')
    assert.equal(decide(all, policy(2, {}, ['a', 'b']), 10).status, 'absent')
  })

  it('weighs orgs by role; zero-weight orgs cannot vouch but can object', () => {
    const statements = [stmt({ org: 'a' }), stmt({ org: 'b' })]
    assert.equal(decide(statements, policy(2, { a: 2, b: 0 }), 10).status, 'listed')
    assert.equal(decide(statements, policy(3, { a: 2, b: 2 }), 10).status, 'listed')
    const onlyZero = decide([stmt({ org: 'p' })], policy(2, { p: 0 }), 10)
    assert.equal(onlyZero.status, 'absent')
    assert.equal(onlyZero.positive.length, 1, 'the zero-weight vote is still shown')
    const objection = decide([...statements, stmt({ org: 'p', source: 'false-positive' })], policy(2, { p: 0 }), 10)
    assert.equal(objection.status, 'disputed')
  })

  it('gives the exact time the status next changes, passing over expiries that change nothing', () => {
    const statements = [
      stmt({ org: 'a', expires: 100 }),
      stmt({ org: 'b', expires: 200 }),
      stmt({ org: 'c', expires: 300 }),
      stmt({ org: 'x', source: 'dispute-upheld', expires: 150 })
    ]
    const e = decide(statements, policy(2), 10)
    assert.equal(e.status, 'disputed')
    assert.equal(e.expires, 150) // the dispute ends first: a's expiry at 100 leaves b and c
    assert.equal(decide(statements, policy(2), 150).status, 'listed')
    assert.equal(decide(statements, policy(2), 150).expires, 200)
    assert.equal(decide(statements, policy(2), 200).expires, 300)
    assert.equal(decide(statements, policy(2), 300).expires, Number.POSITIVE_INFINITY)
  })

  it('names what is wrong with bad input', () => {
    assert.throws(() => decide([], policy(2), 0), { name: 'InvalidStatementError', reason: 'no_statements' })
    assert.throws(() => decide([stmt({ org: 'a', fp: fp(1) }), stmt({ org: 'b', fp: fp(2) })], policy(2), 0), { name: 'InvalidStatementError', reason: 'mixed_fingerprints' })
    assert.throws(() => decide([{ ...stmt({ org: 'a' }), stance: 'negative' }], policy(2), 0), { name: 'InvalidStatementError', reason: 'bad_stance' })
    assert.throws(() => decide([{ ...stmt({ org: 'a' }), entryId: new Uint8Array(8) }], policy(2), 0), { name: 'InvalidStatementError', reason: 'bad_entry_id' })
    assert.throws(() => decide([stmt({ org: 'a' })], policy(0), 0), { name: 'InvalidPolicyError', reason: 'bad_quorum' })
    assert.throws(() => decide([stmt({ org: 'a' })], policy(2, { a: 0.5 }), 0), { name: 'InvalidPolicyError', reason: 'bad_weight' })
  })
})
