import assert from 'node:assert/strict'
import { decodeRoster, encodeRoster } from '../../../protocol/codec/index.js'
import { RosterChain, signRoster, unsignedRoster, validateRoster } from '../../../protocol/roster/index.js'
import { DEFAULT_REASONS, ReasonNames, resolveReason, validateReasons, vocabularyOf } from '../../../protocol/roster/reasons.js'
import type { Reason, Roster, SignedRoster } from '../../../protocol/types.js'
import { makeAlliance, type TestAlliance } from '../../helpers/alliance.js'

const VOCAB: Reason[] = [
  { code: 1, name: 'counterfeit', description: 'fake goods' },
  { code: 10, name: 'grey-import', description: 'parallel import outside the EEA' }
]

function next (a: TestAlliance, chain: RosterChain, reasons: Reason[]): SignedRoster {
  const cur = chain.current
  const signed = unsignedRoster({ ...cur.roster, version: cur.roster.version + 1, prev: cur.id, time: cur.roster.time + 1000, policy: { ...cur.roster.policy, reasons } })
  for (const o of a.orgs.slice(0, 3)) signed.signatures.push(signRoster(o.nodes[0].signer, signed.roster))
  return signed
}

describe('protocol/roster: the reason vocabulary', () => {
  it('a policy without a vocabulary uses the defaults; one with a vocabulary round-trips through the codec', () => {
    const a = makeAlliance()
    assert.deepEqual(vocabularyOf(a.roster.policy), DEFAULT_REASONS)
    assert.deepEqual(DEFAULT_REASONS.map(r => r.name), ['counterfeit', 'trademark-infringement', 'copyright', 'design-right', 'unauthorised-reseller', 'fraud'])
    const r: Roster = { ...a.roster, policy: { ...a.roster.policy, reasons: VOCAB } }
    assert.deepEqual(decodeRoster(encodeRoster(r)).policy.reasons, VOCAB)
    assert.deepEqual(vocabularyOf(r.policy), VOCAB)
  })

  it('refuses a bad vocabulary with a named error, in the roster too', () => {
    const bad: Array<[string, Reason[]]> = [
      ['code 0', [{ code: 0, name: 'none', description: '' }]],
      ['code twice', [{ code: 2, name: 'a', description: '' }, { code: 2, name: 'b', description: '' }]],
      ['name twice', [{ code: 2, name: 'a', description: '' }, { code: 3, name: 'a', description: '' }]],
      ['name with upper case', [{ code: 2, name: 'Counterfeit', description: '' }]],
      ['name that is a number', [{ code: 2, name: '17', description: '' }]],
      ['name with a space', [{ code: 2, name: 'grey import', description: '' }]],
      ['description too long', [{ code: 2, name: 'a', description: 'x'.repeat(281) }]],
      ['control character', [{ code: 2, name: 'a', description: 'line\nbreak' }]],
      ['too many', Array.from({ length: 65 }, (_, i) => ({ code: i + 1, name: `r${i}`, description: '' }))]
    ]
    const a = makeAlliance()
    for (const [what, reasons] of bad) {
      assert.throws(() => validateReasons(reasons), { name: 'InvalidReasonsError' }, what)
      assert.throws(() => validateRoster({ ...a.roster, policy: { ...a.roster.policy, reasons } }), { name: 'InvalidRosterError' }, what)
    }
    validateReasons(VOCAB)
  })

  it('resolves names and codes to codes; anything else is UnknownReasonError naming the valid reasons', () => {
    assert.equal(resolveReason(VOCAB, 'counterfeit'), 1)
    assert.equal(resolveReason(VOCAB, ' Grey-Import '), 10)
    assert.equal(resolveReason(VOCAB, 10), 10)
    assert.equal(resolveReason(VOCAB, '10'), 10)
    assert.equal(resolveReason(VOCAB, undefined), 0)
    assert.equal(resolveReason(VOCAB, 0), 0)
    for (const given of ['fraud', 2, '2', 'counterfeit-goods']) {
      assert.throws(() => resolveReason(VOCAB, given), (err: any) => err.name === 'UnknownReasonError' && err.reason === 'unknown_reason' && err.valid.join() === 'counterfeit,grey-import')
    }
  })

  it('version n+1 may add or retire reasons but never rename a code; a retired code keeps its name', () => {
    const a = makeAlliance({ policy: { governanceThreshold: 3 } })
    const chain = RosterChain.fromGenesis(a.signed)
    // the genesis has the defaults: code 1 is counterfeit there, so it cannot become another name
    assert.throws(() => chain.extend(next(a, chain, [{ code: 1, name: 'knock-off', description: '' }])), { name: 'RosterChainError' })
    chain.extend(next(a, chain, VOCAB))
    assert.equal(chain.current.roster.version, 2)
    chain.extend(next(a, chain, [{ code: 11, name: 'bait-listing', description: '' }]))
    const names = new ReasonNames(chain.versions.map(v => v.roster.policy))
    assert.deepEqual(names.current.map(r => r.name), ['bait-listing'])
    assert.equal(names.label(10), 'grey-import')
    assert.equal(names.label(6), 'fraud')
    assert.equal(names.label(11), 'bait-listing')
    assert.equal(names.label(999), '999')
    assert.equal(names.of(0), undefined)
  })
})
