/** fast-check generators of valid protocol messages, shared by property and fuzz tests. */
import fc from 'fast-check'
import { CLAIMS, KINDS, OPINIONS, ROLES } from '../../protocol/kinds.js'
import type { Body, Entry, Equivocation, Head, Member, Policy, Roster, Segment, SignedRoster, SyncRequest, SyncResponse } from '../../protocol/types.js'

/** fast-check may build null-prototype records; protocol objects are plain. */
function plain<T> (v: T): T {
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(plain) as T
  const o: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) o[k] = plain(x)
  return o as T
}
const P = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map(plain)

const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const maybeBytes = (n: number): fc.Arbitrary<Uint8Array> => fc.oneof(fc.constant(new Uint8Array(0)), bytesN(n))
const time = fc.integer({ min: 0, max: 4_102_444_800_000 })
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const orgId = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/)

export const body: fc.Arbitrary<Body> = P(fc.oneof(
  fc.record({
    type: fc.constant('attestation' as const),
    fingerprint: bytesN(32),
    kind: fc.constantFrom(...KINDS.filter(k => k !== 'product-image')),
    claim: fc.constantFrom(...CLAIMS),
    reason: u32,
    confidence: fc.integer({ min: 0, max: 100 }),
    evidenceDigest: maybeBytes(32),
    expires: time,
    epoch: u32
  }),
  fc.record({ type: fc.constant('retraction' as const), target: bytesN(32), fingerprint: bytesN(32), kind: fc.constant('email' as const), epoch: u32 }),
  fc.record({
    type: fc.constant('opinion' as const),
    fingerprint: fc.integer({ min: 8, max: 32 }).chain(bytesN),
    kind: fc.constant('product-image' as const),
    opinion: fc.constantFrom(...OPINIONS),
    expires: time,
    noteDigest: maybeBytes(32),
    epoch: u32
  })
))

export const entry: fc.Arbitrary<Entry> = P(fc.record({
  author: bytesN(32),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  prev: bytesN(32),
  time,
  body
}).map(e => (e.seq === 1 ? { ...e, prev: new Uint8Array(0) } : e)))

const member: fc.Arbitrary<Member> = fc.record({
  org: orgId,
  name: fc.string({ maxLength: 40 }),
  roles: fc.subarray([...ROLES], { minLength: 1 }),
  nodes: fc.array(fc.record({ signKey: bytesN(32), boxKey: bytesN(32), peerId: fc.integer({ min: 1, max: 40 }).chain(bytesN), addrs: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 3 })
})

const policy: fc.Arbitrary<Policy> = fc.record({
  quorum: u32,
  governanceThreshold: u32,
  roleWeights: fc.uniqueArray(fc.record({ role: fc.constantFrom(...ROLES), weight: u32 }), { selector: w => w.role }),
  maxLifetimeMs: time,
  rateLimitPerHour: u32,
  suite: fc.constantFrom('hmac-sha256', 'toprf-ristretto255'),
  epoch: u32,
  epochKeyCommitment: maybeBytes(32),
  clockToleranceMs: time,
  guardians: fc.array(fc.record({ org: orgId, boxKey: bytesN(32), index: fc.integer({ min: 1, max: 255 }) }), { maxLength: 3 }),
  guardianThreshold: fc.integer({ min: 0, max: 255 }),
  shareCommitments: fc.array(bytesN(32), { maxLength: 3 }),
  quotas: fc.array(fc.record({ subject: orgId, perDay: time }), { maxLength: 3 }),
  reasons: fc.array(fc.record({ code: u32, name: orgId, description: fc.string({ maxLength: 40 }) }), { maxLength: 3 })
})

export const roster: fc.Arbitrary<Roster> = P(fc.record({
  alliance: orgId,
  version: fc.integer({ min: 1, max: 1000 }),
  prev: maybeBytes(32),
  time,
  members: fc.array(member, { maxLength: 4 }),
  policy
}))

export const signedRoster: fc.Arbitrary<SignedRoster> = P(fc.record({
  roster: fc.uint8Array({ minLength: 1, maxLength: 200 }),
  signatures: fc.array(fc.record({ key: bytesN(32), signature: bytesN(64) }), { maxLength: 4 })
}))

export const segment: fc.Arbitrary<Segment> = P(fc.record({
  entries: fc.array(fc.uint8Array({ minLength: 0, maxLength: 160 }), { minLength: 1, maxLength: 5 }),
  signature: maybeBytes(64)
}))

const head: fc.Arbitrary<Head> = fc.record({ author: bytesN(32), seq: fc.integer({ min: 1, max: 1e12 }), id: bytesN(32) })

export const syncRequest: fc.Arbitrary<SyncRequest> = P(fc.record({ alliance: orgId, heads: fc.array(head, { maxLength: 5 }), maxEntries: u32 }))
export const syncResponse: fc.Arbitrary<SyncResponse> = P(fc.record({ segments: fc.array(segment, { maxLength: 3 }), done: fc.boolean() }))
export const equivocation: fc.Arbitrary<Equivocation> = P(fc.record({ a: segment, b: segment }))
