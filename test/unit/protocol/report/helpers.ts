/**
 * A test alliance for reports: a brand, a platform, and two
 * law-enforcement orgs with two nodes each, every node with a real X25519
 * box key pair, under a genesis roster signed by every org.
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from 'node:crypto'
import { generateSeed, signerFromSeed, type Signer } from '../../../../protocol/ed25519.js'
import type { Role } from '../../../../protocol/kinds.js'
import { DEFAULT_POLICY, RosterChain, majority, signRoster, unsignedRoster } from '../../../../protocol/roster/index.js'
import type { Roster } from '../../../../protocol/types.js'
import {
  buildReport, digestEvidence, parseReportInput, signReport, type EvidenceFile, type Report, type SignedReportResult
} from '../../../../protocol/report/index.js'

export const ALLIANCE = 'report-test'
export const GENESIS_TIME = 1_750_000_000_000
export const CREATED = GENESIS_TIME + 3_600_000

export interface TestNode {
  signer: Signer
  box: { publicKey: Uint8Array, privateKey: Uint8Array }
}
export interface TestOrg { org: string, roles: Role[], nodes: TestNode[] }

export function makeNode (signer: Signer = signerFromSeed(generateSeed())): TestNode {
  const { secretKey, publicKey } = x25519.keygen()
  return { signer, box: { publicKey, privateKey: secretKey } }
}

export function makeOrg (org: string, roles: Role[], nodes = 1): TestOrg {
  return { org, roles, nodes: Array.from({ length: nodes }, () => makeNode()) }
}

export interface ReportAlliance {
  orgs: Record<string, TestOrg>
  chain: RosterChain
}

export function rosterOf (orgs: TestOrg[], version = 1, time = GENESIS_TIME, prev: Uint8Array = new Uint8Array(0)): Roster {
  return {
    alliance: ALLIANCE,
    version,
    prev,
    time,
    members: orgs.map(o => ({
      org: o.org,
      name: o.org.toUpperCase(),
      roles: o.roles,
      nodes: o.nodes.map(n => ({ signKey: n.signer.publicKey, boxKey: n.box.publicKey, peerId: new Uint8Array(randomBytes(34)), addrs: [] }))
    })),
    policy: { ...DEFAULT_POLICY, governanceThreshold: majority(orgs.length) }
  }
}

export function makeReportAlliance (orgList: TestOrg[] = [
  makeOrg('brand-a', ['brand']),
  makeOrg('platform', ['platform']),
  makeOrg('police-gb', ['law-enforcement'], 2),
  makeOrg('police-fr', ['law-enforcement'], 2)
]): ReportAlliance {
  const signed = unsignedRoster(rosterOf(orgList))
  for (const o of orgList) signed.signatures.push(signRoster(o.nodes[0].signer, signed.roster))
  return { orgs: Object.fromEntries(orgList.map(o => [o.org, o])), chain: RosterChain.fromGenesis(signed) }
}

/** The sample report input: what a brand's report.json looks like. */
export const SAMPLE_INPUT = {
  recipients: ['police-gb', 'police-fr'],
  title: 'Counterfeit ACME trainers on ShopMarket',
  reference: 'CASE-2025-0042',
  listings: [
    { url: 'https://shopmarket.example/item/123', platform: 'ShopMarket', listingId: '123', title: 'ACME Runner 2 - 80% off', observedAt: '2025-06-01T09:30:00Z' }
  ],
  sellers: [
    {
      name: 'best-deals-4u',
      platform: 'ShopMarket',
      identifiers: [{ kind: 'email', value: 'best.deals4u@mail.example' }, { kind: 'phone', value: '+44 20 7946 0958' }]
    }
  ],
  rights: [{ type: 'trademark', mark: 'ACME', registrations: ['UK00003000001', 'EUTM 018000001'], jurisdiction: 'GB' }],
  evidence: [
    { path: 'evidence/test-purchase.jpg', mediaType: 'image/jpeg', description: 'the item received' },
    { path: 'evidence/lab-report.pdf', mediaType: 'application/pdf' }
  ],
  narrative: 'Test purchase on 1 June; the item is a counterfeit (lab report attached).'
}

export async function * chunksOf (b: Uint8Array, size = 10_000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, Math.min(b.length, i + size))
}

/** Deterministic pseudo-random bytes (xorshift), for evidence contents. */
export function pseudoRandom (n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export interface TestReport {
  report: Report
  signed: SignedReportResult
  files: Uint8Array[]
  evidence: (file: EvidenceFile, index: number) => AsyncIterable<Uint8Array>
}

/** A signed report by brand-a with the sample input and the given evidence contents. */
export async function makeTestReport (a: ReportAlliance, files: Uint8Array[] = [pseudoRandom(150_000, 7), pseudoRandom(1000, 9)], over: Partial<Report> = {}): Promise<TestReport> {
  const input = parseReportInput({ ...SAMPLE_INPUT, evidence: SAMPLE_INPUT.evidence.slice(0, files.length) })
  const evidence: EvidenceFile[] = []
  for (const [i, f] of files.entries()) {
    const d = await digestEvidence(chunksOf(f))
    evidence.push({ name: i < input.evidence.length ? input.evidence[i].path.split('/').pop() as string : `file-${i}.bin`, size: d.size, mediaType: input.evidence[i]?.mediaType ?? 'application/octet-stream', sha256: d.sha256, description: '' })
  }
  const author = a.orgs['brand-a'].nodes[0].signer
  const report = { ...buildReport({ input, alliance: ALLIANCE, author: 'brand-a', authorKey: author.publicKey, created: CREATED, evidence }), ...over }
  return { report, signed: signReport(author, report), files, evidence: (_f, i) => chunksOf(files[i]) }
}

export async function collect (it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let n = 0
  for await (const p of it) { parts.push(p.slice()); n += p.length }
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
