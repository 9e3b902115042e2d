/**
 * A whole test alliance in memory: orgs with node signing and box keys, and
 * a genesis roster signed by every org. Unit tests and benchmarks build on
 * it; integration tests use real key files instead (./nodes.ts).
 */
import { randomBytes } from 'node:crypto'
import { x25519 } from '@noble/curves/ed25519.js'
import { generateSeed, signerFromSeed, type Signer } from '../../protocol/ed25519.js'
import { DEFAULT_POLICY, RosterChain, majority, signRoster, unsignedRoster } from '../../protocol/roster/index.js'
import type { Role } from '../../protocol/kinds.js'
import type { Member, Policy, Roster, SignedRoster } from '../../protocol/types.js'

/** When every test alliance's genesis roster takes effect (2023-11-14). */
export const GENESIS_TIME = 1_700_000_000_000

/** One node of an org: its Ed25519 signing key and its X25519 box key pair. */
export interface TestNode {
  signer: Signer
  box: { publicKey: Uint8Array, privateKey: Uint8Array }
}

export interface TestOrg {
  org: string
  roles: Role[]
  nodes: TestNode[]
}

export interface TestAlliance {
  alliance: string
  orgs: TestOrg[]
  roster: Roster
  signed: SignedRoster
  chain: RosterChain
}

export function makeNode (signer: Signer = signerFromSeed(generateSeed())): TestNode {
  const { secretKey, publicKey } = x25519.keygen()
  return { signer, box: { publicKey, privateKey: secretKey } }
}

/** An org with `nodes` nodes (each with fresh keys). */
export function makeOrg (org: string, roles: Role[] = ['brand'], nodes = 1): TestOrg {
  return { org, roles, nodes: Array.from({ length: nodes }, () => makeNode()) }
}

/** The signing key of an org's first node. */
export function signerOf (o: TestOrg): Signer {
  return o.nodes[0].signer
}

/** An org's roster record (random peer ids: no test here dials them). */
export function memberOf (o: TestOrg): Member {
  return {
    org: o.org,
    name: o.org.toUpperCase(),
    roles: o.roles,
    nodes: o.nodes.map(n => ({ signKey: n.signer.publicKey, boxKey: n.box.publicKey, peerId: new Uint8Array(randomBytes(34)), addrs: [] }))
  }
}

export interface RosterOptions {
  alliance?: string
  version?: number
  time?: number
  prev?: Uint8Array
  policy?: Partial<Policy>
}

/** An unsigned roster document listing `orgs`. */
export function rosterOf (orgs: TestOrg[], opts: RosterOptions = {}): Roster {
  return {
    alliance: opts.alliance ?? 'test-alliance',
    version: opts.version ?? 1,
    prev: opts.prev ?? new Uint8Array(0),
    time: opts.time ?? GENESIS_TIME,
    members: orgs.map(memberOf),
    policy: { ...DEFAULT_POLICY, governanceThreshold: majority(orgs.length), ...opts.policy }
  }
}

/** The default cast: three brands, the platform and the police. */
export function defaultOrgs (): TestOrg[] {
  return [makeOrg('brand-a'), makeOrg('brand-b'), makeOrg('brand-c'), makeOrg('platform', ['platform']), makeOrg('police', ['law-enforcement'])]
}

/** A genesis roster of `orgs` signed by every org's first node. */
export function makeAlliance (opts: { orgs?: TestOrg[], policy?: Partial<Policy>, alliance?: string, time?: number } = {}): TestAlliance {
  const orgs = opts.orgs ?? defaultOrgs()
  const roster = rosterOf(orgs, { alliance: opts.alliance, time: opts.time, policy: opts.policy })
  const signed = unsignedRoster(roster)
  for (const o of orgs) signed.signatures.push(signRoster(signerOf(o), signed.roster))
  return { alliance: roster.alliance, orgs, roster, signed, chain: RosterChain.fromGenesis(signed) }
}
