/**
 * The identity registry: every enumeration that goes on the wire, each name
 * with an explicit wire number, and for identifier kinds what a fingerprint
 * suite binds into its derivation.
 *
 * Rules (test/unit/protocol/kinds.test.ts checks them, and this module
 * refuses to load if a table breaks them):
 * - a wire number is assigned once and never reused: a name that is dropped
 *   moves its number to the enum's retired list (and to a `reserved` line of
 *   the enum in protocol/pb/alliance.proto), and a new name gets a new number;
 * - 0 is UNSPECIFIED on the wire and never a name's number;
 * - the numbers here are the numbers of alliance.proto's enums.
 *
 * A kind's `canonicalVersion` is the version of its rules in
 * protocol/canonical. Any change to those rules that changes the canonical
 * text of some input bumps it; suites hash it into every fingerprint of the
 * kind (`kindDomain`), so a change of canonical rules is a change of
 * fingerprints nobody can miss.
 *
 * Positions in the name lists (KINDS, CLAIMS, …) are only in-memory codes
 * (table indexes in the consensus and match indexes); they never reach the
 * wire, a hash or a file.
 */
import { InvalidRegistryError, UnknownEnumNameError } from './errors.js'

export const KINDS = [
  'email', 'phone', 'seller-account', 'payment-account', 'domain', 'url',
  'postal-address', 'name', 'product-image'
] as const
export type Kind = typeof KINDS[number]

export const CLAIMS = ['counterfeit-seller', 'infringing-listing', 'counterfeit-supplier', 'accomplice'] as const
export type Claim = typeof CLAIMS[number]

export const OPINIONS = ['confirmed', 'removed', 'false-positive', 'dispute-upheld', 'authorised-reseller'] as const
export type OpinionType = typeof OPINIONS[number]

export const ROLES = ['brand', 'platform', 'law-enforcement'] as const
export type Role = typeof ROLES[number]

/** Largest kind wire number: suites hash it as one byte (u8). */
export const MAX_KIND_WIRE = 0xff
/** Largest canonical version: suites hash it as u16be. */
export const MAX_CANONICAL_VERSION = 0xffff
/** Largest wire number of the other enums (protobuf enums are int32). */
export const MAX_ENUM_WIRE = 0x7fffffff

export interface KindSpec {
  /** Wire number (alliance.proto `Kind`); hashed into fingerprints. */
  readonly wire: number
  /** Version of the kind's canonical rules (protocol/canonical), 1..65535; hashed into fingerprints. */
  readonly canonicalVersion: number
  /**
   * Whether fingerprint suites key-hash it. product-image is not: its
   * perceptual hashes are matched by Hamming distance, which a keyed hash
   * would destroy (DESIGN.md §3).
   */
  readonly fingerprinted: boolean
}

/** Every kind: wire number, canonical version, fingerprinted. */
export const KIND_REGISTRY: Readonly<Record<Kind, KindSpec>> = Object.freeze({
  email: Object.freeze({ wire: 1, canonicalVersion: 1, fingerprinted: true }),
  phone: Object.freeze({ wire: 2, canonicalVersion: 1, fingerprinted: true }),
  'seller-account': Object.freeze({ wire: 3, canonicalVersion: 1, fingerprinted: true }),
  'payment-account': Object.freeze({ wire: 4, canonicalVersion: 1, fingerprinted: true }),
  domain: Object.freeze({ wire: 5, canonicalVersion: 1, fingerprinted: true }),
  url: Object.freeze({ wire: 6, canonicalVersion: 1, fingerprinted: true }),
  'postal-address': Object.freeze({ wire: 7, canonicalVersion: 1, fingerprinted: true }),
  name: Object.freeze({ wire: 8, canonicalVersion: 1, fingerprinted: true }),
  'product-image': Object.freeze({ wire: 9, canonicalVersion: 1, fingerprinted: false })
})

/**
 * A wire enumeration: names ↔ explicit numbers, plus the numbers retired
 * from earlier names (decoded as unknown, never assigned again).
 */
export class WireEnum<N extends string> {
  /** The enum's name in alliance.proto, e.g. 'Kind'. */
  readonly protoName: string
  /** Names in declaration order. */
  readonly names: readonly N[]
  /** Numbers of names that no longer exist. */
  readonly retired: readonly number[]
  readonly #wire: ReadonlyMap<string, number>
  readonly #name: ReadonlyMap<number, N>

  /** Throws InvalidRegistryError if a number is not in 1..max, repeated, or retired. */
  constructor (protoName: string, numbers: Readonly<Record<N, number>>, retired: readonly number[], max = MAX_ENUM_WIRE) {
    const bad = (why: string): never => { throw new InvalidRegistryError(protoName, why) }
    const wire = new Map<string, number>()
    const name = new Map<number, N>()
    for (const [n, w] of Object.entries(numbers) as Array<[N, number]>) {
      if (!Number.isInteger(w) || w < 1 || w > max) bad(`${n} has wire number ${String(w)}, outside 1..${max}`)
      if (name.has(w)) bad(`${n} and ${String(name.get(w))} share wire number ${w}`)
      if (retired.includes(w)) bad(`${n} reuses retired wire number ${w}`)
      wire.set(n, w)
      name.set(w, n)
    }
    if (new Set(retired).size !== retired.length) bad('a retired number is listed twice')
    for (const r of retired) if (!Number.isInteger(r) || r < 1 || r > max) bad(`retired number ${String(r)} is outside 1..${max}`)
    this.protoName = protoName
    this.names = Object.freeze([...wire.keys()] as N[])
    this.retired = Object.freeze([...retired])
    this.#wire = wire
    this.#name = name
  }

  /** Wire number of a name; UnknownEnumNameError for anything else. */
  wireOf (n: N): number {
    const w = this.#wire.get(n)
    if (w === undefined) throw new UnknownEnumNameError(this.protoName, n)
    return w
  }

  /** Name of a wire number; undefined for 0, retired and unknown numbers. */
  nameOf (w: number): N | undefined {
    return this.#name.get(w)
  }

  has (n: string): n is N {
    return this.#wire.has(n)
  }

  /** [name, wire number] pairs in declaration order. */
  entries (): Array<[N, number]> {
    return this.names.map(n => [n, this.#wire.get(n) as number])
  }
}

function wires<N extends string> (table: Readonly<Record<N, KindSpec>>): Record<N, number> {
  return Object.fromEntries(Object.entries<KindSpec>(table).map(([n, s]) => [n, s.wire])) as Record<N, number>
}

/** Kind wire numbers. Retired: none yet. */
export const KIND_WIRE = new WireEnum<Kind>('Kind', wires(KIND_REGISTRY), [], MAX_KIND_WIRE)

/** Claim wire numbers. Retired: none yet. */
export const CLAIM_WIRE = new WireEnum<Claim>('Claim', {
  'counterfeit-seller': 1,
  'infringing-listing': 2,
  'counterfeit-supplier': 3,
  accomplice: 4
}, [])

/** Opinion wire numbers. Retired: none yet. */
export const OPINION_WIRE = new WireEnum<OpinionType>('OpinionType', {
  confirmed: 1,
  removed: 2,
  'false-positive': 3,
  'dispute-upheld': 4,
  'authorised-reseller': 5
}, [])

/** Role wire numbers. Retired: none yet. */
export const ROLE_WIRE = new WireEnum<Role>('Role', {
  brand: 1,
  platform: 2,
  'law-enforcement': 3
}, [])

checkNames(KIND_WIRE, KINDS)
checkNames(CLAIM_WIRE, CLAIMS)
checkNames(OPINION_WIRE, OPINIONS)
checkNames(ROLE_WIRE, ROLES)
for (const [kind, spec] of Object.entries<KindSpec>(KIND_REGISTRY)) {
  if (!Number.isInteger(spec.canonicalVersion) || spec.canonicalVersion < 1 || spec.canonicalVersion > MAX_CANONICAL_VERSION) {
    throw new InvalidRegistryError('Kind', `${kind} has canonical version ${String(spec.canonicalVersion)}, outside 1..${MAX_CANONICAL_VERSION}`)
  }
}

/** The name list and the number table must hold the same names in the same order. */
function checkNames (e: WireEnum<string>, names: readonly string[]): void {
  if (e.names.join() !== names.join()) throw new InvalidRegistryError(e.protoName, 'the name list and the wire table differ')
}

/** Kinds fingerprint suites key-hash (all but product-image), in KINDS order. */
export const FINGERPRINT_KINDS: readonly Kind[] = Object.freeze(KINDS.filter(k => KIND_REGISTRY[k].fingerprinted))

/**
 * What a fingerprint suite binds into its derivation for one kind, so every
 * suite separates kinds and canonical versions the same way. hmac-sha256
 * hashes `u8(kindWire) || u16be(canonicalVersion)` (protocol/fingerprint,
 * `kindDomain`); another suite must bind both numbers too.
 */
export interface FingerprintDomain {
  readonly kind: Kind
  readonly kindWire: number
  readonly canonicalVersion: number
}

/** The fingerprint domain of every fingerprinted kind, in KINDS order. */
export const FINGERPRINT_DOMAINS: readonly FingerprintDomain[] = Object.freeze(FINGERPRINT_KINDS.map(kind => Object.freeze({
  kind, kindWire: KIND_REGISTRY[kind].wire, canonicalVersion: KIND_REGISTRY[kind].canonicalVersion
})))

/** Canonical version of every fingerprinted kind, e.g. for a file that stores fingerprints to record what they were made under. */
export function canonicalVersions (): Record<string, number> {
  return Object.fromEntries(FINGERPRINT_DOMAINS.map(d => [d.kind, d.canonicalVersion]))
}

/** Whether an opinion supports listing (positive) or stands against it (negative). */
export function opinionStance (opinion: OpinionType): 'positive' | 'negative' {
  return opinion === 'confirmed' || opinion === 'removed' ? 'positive' : 'negative'
}

export function isKind (s: string): s is Kind {
  return KIND_WIRE.has(s)
}
export function isRole (s: string): s is Role {
  return ROLE_WIRE.has(s)
}
