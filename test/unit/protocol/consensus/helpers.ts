/** Statement builders and fast-check arbitraries shared by the consensus tests. */
import fc from 'fast-check'
import type { ConsensusPolicy } from '../../../../protocol/consensus/rule.js'
import { SOURCES, stanceOf } from '../../../../protocol/consensus/statement.js'
import type { Source, Statement } from '../../../../protocol/consensus/statement.js'
import type { Kind } from '../../../../protocol/kinds.js'

/** A 32-byte fingerprint whose first byte is `n` (so byte order = numeric order). */
export function fp (n: number): Uint8Array {
  const b = new Uint8Array(32)
  b[0] = n
  b[31] = 0xaa
  return b
}

/** A 32-byte entry id: `order` decides the tie-break between equal times, `n` keeps ids unique. */
export function entryId (n: number, order = 0): Uint8Array {
  const b = new Uint8Array(32)
  b[0] = order
  b[1] = (n >> 16) & 0xff
  b[2] = (n >> 8) & 0xff
  b[3] = n & 0xff
  return b
}

export function authorKey (org: string, key = 0): Uint8Array {
  const b = new Uint8Array(32)
  b.set(Buffer.from(org).subarray(0, 30))
  b[31] = key
  return b
}

let nextId = 1_000_000

export interface StmtInit {
  org: string
  fp?: Uint8Array
  time?: number
  source?: Source
  expires?: number
  key?: number
  id?: Uint8Array
  kind?: Kind
  reason?: number
}

/** A statement with sensible defaults: an attestation on fp(1) at time 0 expiring at 1000. */
export function stmt (init: StmtInit): Statement {
  const source = init.source ?? 'attestation'
  return {
    org: init.org,
    author: authorKey(init.org, init.key),
    entryId: init.id ?? entryId(nextId++),
    time: init.time ?? 0,
    fingerprint: init.fp ?? fp(1),
    kind: init.kind ?? 'seller-account',
    stance: stanceOf(source),
    source,
    expires: source === 'retraction' ? Number.POSITIVE_INFINITY : init.expires ?? 1000,
    ...(init.reason !== undefined ? { reason: init.reason } : {})
  }
}

/** Every org a member with weight 1. */
export function policy (quorum: number, weights: Record<string, number> = {}, removed: string[] = []): ConsensusPolicy {
  return {
    quorum,
    weightOf: org => weights[org] ?? 1,
    isMember: org => !removed.includes(org)
  }
}

export const ORGS = ['a', 'b', 'c', 'd', 'e', 'f']
export const FPS = [fp(1), fp(2), fp(3), fp(200)]

export interface Spec {
  org: number
  key: number
  fp: number
  time: number
  source: number
  lifetime: number
  order: number
  kind: number
}

/** Statements about one fingerprint normally agree on the kind; the rule must still be deterministic if not. */
export const SPEC_KINDS: Kind[] = ['seller-account', 'email']

/** Raw material for a statement: small ranges so times, orgs and fingerprints collide often. */
export const specArb: fc.Arbitrary<Spec> = fc.record({
  org: fc.nat({ max: ORGS.length - 1 }),
  key: fc.nat({ max: 3 }),
  fp: fc.nat({ max: FPS.length - 1 }),
  time: fc.nat({ max: 40 }),
  // attestations most often, so quorum is actually reached
  source: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.nat({ max: SOURCES.length - 1 }) }),
  lifetime: fc.nat({ max: 60 }),
  order: fc.nat({ max: 3 }),
  kind: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) })
})

/** Statements from specs; the i-th gets a unique entry id (with a tie-break byte drawn independently). */
export function fromSpecs (specs: Spec[], firstId = 0): Statement[] {
  return specs.map((s, i) => stmt({
    org: ORGS[s.org],
    key: s.key,
    fp: FPS[s.fp],
    time: s.time,
    source: SOURCES[s.source],
    expires: s.time + s.lifetime,
    id: entryId(firstId + i, s.order),
    kind: SPEC_KINDS[s.kind]
  }))
}

export function sameFp (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}

/** A permutation of xs driven by random sort keys. */
export function permute<T> (xs: readonly T[], keys: readonly number[]): T[] {
  return xs.map((x, i) => [x, keys[i % Math.max(1, keys.length)] ?? 0, i] as const)
    .sort((p, q) => p[1] - q[1] || p[2] - q[2])
    .map(p => p[0])
}
