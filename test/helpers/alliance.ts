/**
 * A whole test alliance in memory: orgs with node signing keys and a genesis
 * roster signed by every org. Unit tests build on it; integration tests use
 * real key files instead.
 */
import { randomBytes } from 'node:crypto'
import { x25519 } from '@noble/curves/ed25519.js'
import { generateSeed, signerFromSeed, type Signer } from '../../protocol/ed25519.js'
import { DEFAULT_POLICY, RosterChain, majority, signRoster, unsignedRoster } from '../../protocol/roster/index.js'
import type { Role } from '../../protocol/kinds.js'
import type { Member, Policy, Roster, SignedRoster } from '../../protocol/types.js'

export interface TestOrg {
  org: string
  roles: Role[]
  signers: Signer[]
}

export interface TestAlliance {
  alliance: string
  orgs: TestOrg[]
  roster: Roster
  signed: SignedRoster
  chain: RosterChain
}

export const GENESIS_TIME = 1_700_000_000_000

export function makeOrg (org: string, keys = 1, roles: Role[] = ['brand']): TestOrg {
  return { org, roles, signers: Array.from({ length: keys }, () => signerFromSeed(generateSeed())) }
}

export function memberOf (o: TestOrg): Member {
  return {
    org: o.org,
    name: o.org.toUpperCase(),
    roles: o.roles,
    nodes: o.signers.map(s => ({ signKey: s.publicKey, boxKey: x25519.getPublicKey(x25519.utils.randomSecretKey()), peerId: new Uint8Array(randomBytes(34)), addrs: [] }))
  }
}

export function makeAlliance (opts: { orgs?: TestOrg[], policy?: Partial<Policy>, alliance?: string, time?: number } = {}): TestAlliance {
  const orgs = opts.orgs ?? [makeOrg('brand-a'), makeOrg('brand-b'), makeOrg('brand-c'), makeOrg('platform', 1, ['platform']), makeOrg('police', 1, ['law-enforcement'])]
  const alliance = opts.alliance ?? 'test-alliance'
  const roster: Roster = {
    alliance,
    version: 1,
    prev: new Uint8Array(0),
    time: opts.time ?? GENESIS_TIME,
    members: orgs.map(memberOf),
    policy: { ...DEFAULT_POLICY, governanceThreshold: majority(orgs.length), ...opts.policy }
  }
  const signed = unsignedRoster(roster)
  for (const o of orgs) signed.signatures.push(signRoster(o.signers[0], signed.roster))
  return { alliance, orgs, roster, signed, chain: RosterChain.fromGenesis(signed) }
}
