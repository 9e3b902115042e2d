import assert from 'node:assert/strict'
import { encodeRoster } from '../../../protocol/codec/index.js'
import {
  RosterChain, signRoster, signaturesSoFar, unsignedRoster, validateRoster, verifyGenesis
} from '../../../protocol/roster/index.js'
import type { Roster, SignedRoster } from '../../../protocol/types.js'
import { GENESIS_TIME, makeAlliance, makeOrg, memberOf, type TestAlliance } from '../../helpers/alliance.js'

function nextVersion (a: TestAlliance, chain: RosterChain, change: (r: Roster) => Roster, signWith: number[]): SignedRoster {
  const cur = chain.current
  const r = change({ ...cur.roster, version: cur.roster.version + 1, prev: cur.id, time: cur.roster.time + 1000 })
  const signed = unsignedRoster(r)
  for (const i of signWith) signed.signatures.push(signRoster(a.orgs[i].nodes[0].signer, signed.roster))
  return signed
}

describe('protocol/roster', () => {
  it('genesis must be signed by every founding org', () => {
    const a = makeAlliance()
    const partial: SignedRoster = { roster: a.signed.roster, signatures: a.signed.signatures.slice(0, 4) }
    assert.throws(() => verifyGenesis(partial), (err: any) => err.name === 'InsufficientSignaturesError' && err.have === 4 && err.need === 5)
    assert.deepEqual(signaturesSoFar(partial), ['brand-a', 'brand-b', 'brand-c', 'platform'])
    assert.equal(verifyGenesis(a.signed).signers.length, 5)
  })

  it('a signature counts once per org, however many keys sign', () => {
    const orgs = [makeOrg('a', ['brand'], 3), makeOrg('b')]
    const a = makeAlliance({ orgs, policy: { quorum: 1 } })
    const only = unsignedRoster(a.roster)
    for (const { signer: s } of orgs[0].nodes) only.signatures.push(signRoster(s, only.roster))
    assert.throws(() => verifyGenesis(only), { name: 'InsufficientSignaturesError' })
  })

  it('a tampered roster or a forged signature is refused, not counted short', () => {
    const a = makeAlliance()
    const tampered = a.signed.roster.slice()
    tampered[tampered.length - 3] ^= 1
    assert.throws(() => verifyGenesis({ roster: tampered, signatures: a.signed.signatures }), (err: Error) => ['RosterSignatureError', 'NonCanonicalEncodingError', 'InvalidFieldError', 'InvalidRosterError', 'MalformedMessageError'].includes(err.name))
    const outsider = makeOrg('x').nodes[0].signer
    assert.throws(() => verifyGenesis({ roster: a.signed.roster, signatures: [...a.signed.signatures, signRoster(outsider, a.signed.roster)] }), { name: 'RosterSignatureError' })
  })

  it('version n+1 needs the governance threshold of version n orgs', () => {
    const a = makeAlliance({ policy: { governanceThreshold: 3 } })
    const chain = RosterChain.fromGenesis(a.signed)
    const removeC = (r: Roster): Roster => ({ ...r, members: r.members.filter(m => m.org !== 'brand-c') })
    assert.throws(() => chain.extend(nextVersion(a, chain, removeC, [0, 1])), (err: any) => err.name === 'InsufficientSignaturesError' && err.have === 2 && err.need === 3)
    const v2 = chain.extend(nextVersion(a, chain, removeC, [0, 1, 3]))
    assert.equal(v2?.roster.version, 2)
    assert.equal(chain.isMember('brand-c'), false)
    // the removed org's key was a member before version 2 took effect, not after
    const keyC = a.orgs[2].nodes[0].signer.publicKey
    assert.equal(chain.orgAt(keyC, GENESIS_TIME + 10), 'brand-c')
    assert.equal(chain.orgAt(keyC, GENESIS_TIME + 1000), undefined)
    // re-adding the same version is a no-op
    assert.equal(chain.extend(v2!.signed), undefined)
  })

  it('a version that skips, forks or changes alliance does not extend the chain', () => {
    const a = makeAlliance()
    const chain = RosterChain.fromGenesis(a.signed)
    const skip = nextVersion(a, chain, r => ({ ...r, version: 3 }), [0])
    assert.throws(() => chain.extend(skip), { name: 'RosterChainError' })
    const wrongPrev = nextVersion(a, chain, r => ({ ...r, prev: new Uint8Array(32) }), [0])
    assert.throws(() => chain.extend(wrongPrev), { name: 'RosterChainError' })
    const other = nextVersion(a, chain, r => ({ ...r, alliance: 'other' }), [0])
    assert.throws(() => chain.extend(other), { name: 'RosterChainError' })
  })

  it('new members added by version 2 may sign version 3 and are members from version 2 on', () => {
    const a = makeAlliance()
    const newcomer = makeOrg('brand-d')
    const chain = RosterChain.fromGenesis(a.signed)
    // six orgs: more than half is 4
    chain.extend(nextVersion(a, chain, r => ({ ...r, members: [...r.members, memberOf(newcomer)], policy: { ...r.policy, governanceThreshold: 4 } }), [0, 1, 2]))
    assert.equal(chain.isMember('brand-d'), true)
    const v3 = unsignedRoster({ ...chain.current.roster, version: 3, prev: chain.current.id, time: chain.current.roster.time + 1 })
    for (const s of [newcomer.nodes[0].signer, a.orgs[0].nodes[0].signer, a.orgs[1].nodes[0].signer, a.orgs[2].nodes[0].signer]) v3.signatures.push(signRoster(s, v3.roster))
    assert.ok(chain.extend(v3)?.signers.includes('brand-d'))
    assert.equal(RosterChain.fromVersions(chain.versions.map(v => v.signed)).current.roster.version, 3)
  })

  it('validates structure and policy with a named reason', () => {
    const a = makeAlliance()
    const bad: Array<[string, (r: Roster) => Roster]> = [
      ['bad org id', r => ({ ...r, members: [{ ...r.members[0], org: 'Bad Org' }, ...r.members.slice(1)] })],
      ['duplicate org', r => ({ ...r, members: [...r.members, r.members[0]] })],
      ['no roles', r => ({ ...r, members: [{ ...r.members[0], roles: [] }, ...r.members.slice(1)] })],
      ['quorum 0', r => ({ ...r, policy: { ...r.policy, quorum: 0 } })],
      ['quorum above members', r => ({ ...r, policy: { ...r.policy, quorum: 6 } })],
      ['threshold above members', r => ({ ...r, policy: { ...r.policy, governanceThreshold: 6 } })],
      ['threshold of 1', r => ({ ...r, policy: { ...r.policy, governanceThreshold: 1 } })],
      ['threshold of half the orgs or fewer (2 of 5)', r => ({ ...r, policy: { ...r.policy, governanceThreshold: 2 } })],
      ['clock tolerance above a day', r => ({ ...r, policy: { ...r.policy, clockToleranceMs: 2 * 86_400_000 } })],
      ['genesis with prev', r => ({ ...r, prev: new Uint8Array(32) })]
    ]
    for (const [what, change] of bad) {
      assert.throws(() => validateRoster(change(a.roster)), { name: 'InvalidRosterError' }, what)
    }
    assert.ok(encodeRoster(a.roster).length > 0)
  })

  it('weights come from roles; roles not named weigh 1', () => {
    const a = makeAlliance({ policy: { roleWeights: [{ role: 'platform', weight: 0 }] } })
    assert.equal(a.chain.current.weightOf('platform'), 0)
    assert.equal(a.chain.current.weightOf('brand-a'), 1)
    assert.equal(a.chain.current.weightOf('nobody'), 0)
  })
})
