import assert from 'node:assert/strict'
import { decodeEntry, decodeRoster, encodeEntry, encodeRoster } from '../../../protocol/codec/index.js'
import { dealToprfKey } from '../../../protocol/fingerprint/toprf/index.js'
import { checkChainBodies } from '../../../protocol/roster/bodies.js'
import { assertEpochContinuity, parseQuota, quotaOf, shareCommitmentsDigest, validateGuardianPolicy } from '../../../protocol/roster/guardians.js'
import { validateRoster } from '../../../protocol/roster/index.js'
import type { GuardianCounts, Policy, Roster } from '../../../protocol/types.js'
import { defaultOrgs, makeAlliance, rosterOf, type TestOrg } from '../../helpers/alliance.js'

const fail = (why: string): Error => Object.assign(new Error(why), { name: 'PolicyError' })

/** A toprf policy for `orgs` with guardians brand-a, platform, police at t = 2, dealt for real. */
async function toprfPolicy (orgs: TestOrg[], epoch = 1): Promise<Partial<Policy>> {
  const gOrgs = ['brand-a', 'platform', 'police'].map(o => orgs.find(x => x.org === o) as TestOrg)
  const deal = await dealToprfKey({ alliance: 'test-alliance', epoch, threshold: 2, guardians: gOrgs.map(o => o.nodes[0].box.publicKey) })
  return {
    suite: 'toprf-ristretto255',
    epoch,
    guardians: gOrgs.map((o, i) => ({ org: o.org, boxKey: o.nodes[0].box.publicKey, index: i + 1 })),
    guardianThreshold: 2,
    shareCommitments: deal.commitments,
    epochKeyCommitment: shareCommitmentsDigest(epoch, deal.commitments),
    quotas: [{ subject: 'brand', perDay: 100 }, { subject: 'platform', perDay: 5000 }, { subject: '*', perDay: 10 }]
  }
}

describe('protocol/roster toprf guardians in the policy', () => {
  let orgs: TestOrg[]
  let roster: Roster
  before(async () => {
    orgs = defaultOrgs()
    roster = rosterOf(orgs, { policy: await toprfPolicy(orgs) })
  })

  it('a dealt toprf policy validates and survives the codec byte for byte', () => {
    validateRoster(roster)
    const bytes = encodeRoster(roster)
    assert.deepEqual(decodeRoster(bytes), roster)
    assert.deepEqual(encodeRoster(decodeRoster(bytes)), bytes)
  })

  it('each inconsistency is refused by name', () => {
    const bad: Array<[string, (p: Policy) => void]> = [
      ['no guardians', p => { p.guardians = [] }],
      ['threshold above g', p => { p.guardianThreshold = 4 }],
      ['commitments ≠ t', p => { p.shareCommitments = p.shareCommitments.slice(0, 1) }],
      ['guardian not a member', p => { p.guardians[0] = { ...p.guardians[0], org: 'nobody' } }],
      ['box key not the org\'s', p => { p.guardians[0] = { ...p.guardians[0], boxKey: p.guardians[1].boxKey } }],
      ['index repeated', p => { p.guardians[1] = { ...p.guardians[1], index: 1 } }],
      ['commitment digest wrong', p => { p.epochKeyCommitment = new Uint8Array(32) }],
      ['quota subject unknown', p => { p.quotas = [{ subject: 'nobody', perDay: 1 }] }],
      ['quota subject twice', p => { p.quotas = [{ subject: '*', perDay: 1 }, { subject: '*', perDay: 2 }] }]
    ]
    for (const [what, change] of bad) {
      const r = structuredClone(roster)
      change(r.policy)
      assert.throws(() => validateRoster(r), { name: 'InvalidRosterError' }, what)
    }
    const hmac = structuredClone(roster)
    hmac.policy.suite = 'hmac-sha256'
    assert.throws(() => validateGuardianPolicy(hmac, fail), { name: 'PolicyError' }, 'hmac policies carry no guardians')
  })

  it('within an epoch the guardians and commitments cannot change; quotas can; a new epoch may deal anew', async () => {
    const same = structuredClone(roster.policy)
    same.quotas = [{ subject: '*', perDay: 99 }]
    assertEpochContinuity(roster.policy, same, fail)
    const swapped = structuredClone(roster.policy)
    swapped.guardians = [swapped.guardians[1], swapped.guardians[0], swapped.guardians[2]]
    assert.throws(() => assertEpochContinuity(roster.policy, swapped, fail), { name: 'PolicyError' })
    const next = { ...roster.policy, ...await toprfPolicy(orgs, 2) } as Policy
    assertEpochContinuity(roster.policy, next, fail)
    assert.throws(() => assertEpochContinuity(next, roster.policy, fail), { name: 'PolicyError' }, 'an epoch never goes back')
  })

  it('quotaOf: the org\'s own, else the least of its roles\', else *; parseQuota reads N/day with k and m', () => {
    const p = { quotas: [{ subject: 'brand', perDay: 100 }, { subject: 'platform', perDay: 5000 }, { subject: 'brand-b', perDay: 7 }, { subject: '*', perDay: 10 }] }
    assert.equal(quotaOf(p, { org: 'brand-a', roles: ['brand'] }), 100)
    assert.equal(quotaOf(p, { org: 'brand-b', roles: ['brand'] }), 7)
    assert.equal(quotaOf(p, { org: 'x', roles: ['brand', 'platform'] }), 100)
    assert.equal(quotaOf(p, { org: 'police', roles: ['law-enforcement'] }), 10)
    assert.equal(quotaOf({ quotas: [] }, { org: 'police', roles: ['law-enforcement'] }), undefined)
    assert.deepEqual(parseQuota('platform=50m/day', fail), { subject: 'platform', perDay: 50_000_000 })
    assert.deepEqual(parseQuota('*=100_000', fail), { subject: '*', perDay: 100_000 })
    for (const t of ['brand', 'brand=', 'brand=-1/day', 'brand=1.5/day', '=5/day']) assert.throws(() => parseQuota(t, fail), { name: 'PolicyError' }, t)
  })

  it('guardian-counts bodies: round trip; stored only from a guardian of a toprf epoch the chain holds, about member orgs, sorted', async () => {
    const cast = defaultOrgs()
    const al = makeAlliance({ orgs: cast, policy: await toprfPolicy(cast) })
    const day = Math.floor(al.roster.time / 86_400_000) + 1
    const body: GuardianCounts = { type: 'guardian-counts', epoch: 1, day, counts: [{ org: 'brand-a', evaluations: 4 }, { org: 'platform', evaluations: 12 }] }
    const e = { author: al.orgs[0].nodes[0].signer.publicKey, seq: 1, prev: new Uint8Array(0), time: al.roster.time, body }
    assert.deepEqual(decodeEntry(encodeEntry(e)), e)
    checkChainBodies(al.chain, [body], ['platform'])
    const refused: Array<[string, GuardianCounts, string]> = [
      ['not a guardian', body, 'brand-b'],
      ['not a member', { ...body, counts: [{ org: 'nobody', evaluations: 1 }] }, 'platform'],
      ['before the epoch', { ...body, day: day - 5 }, 'platform']
    ]
    for (const [what, b, org] of refused) assert.throws(() => checkChainBodies(al.chain, [b], [org]), { name: 'JunkBodyError' }, what)
    const hmac = makeAlliance()
    assert.throws(() => checkChainBodies(hmac.chain, [body], ['platform']), { name: 'JunkBodyError' }, 'an hmac epoch has no guardians')
    assert.throws(() => checkChainBodies(al.chain, [{ ...body, epoch: 2 }], ['platform']), { name: 'BodyAheadError' })
    const unsorted = { ...e, body: { ...body, counts: [body.counts[1], body.counts[0]] } }
    assert.throws(() => decodeEntry(encodeEntry(unsorted)), { name: 'InvalidFieldError' })
  })
})
