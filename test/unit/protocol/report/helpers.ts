/**
 * A test alliance for reports (../../../helpers/alliance.ts): a brand, a
 * platform, and two law-enforcement orgs with two nodes each, under a genesis
 * roster signed by every org; the sample report, signed.
 */
import {
  buildReport, digestEvidence, parseReportInput, signReport, type EvidenceFile, type Report, type SignedReportResult
} from '../../../../protocol/report/index.js'
import type { RosterChain } from '../../../../protocol/roster/index.js'
import { GENESIS_TIME, makeAlliance, makeOrg, type TestOrg } from '../../../helpers/alliance.js'

export const ALLIANCE = 'report-test'
export const CREATED = GENESIS_TIME + 3_600_000

export interface ReportAlliance {
  orgs: Record<string, TestOrg>
  chain: RosterChain
}

export function makeReportAlliance (orgList: TestOrg[] = [
  makeOrg('brand-a', ['brand']),
  makeOrg('platform', ['platform']),
  makeOrg('police-gb', ['law-enforcement'], 2),
  makeOrg('police-fr', ['law-enforcement'], 2)
]): ReportAlliance {
  const a = makeAlliance({ orgs: orgList, alliance: ALLIANCE })
  return { orgs: Object.fromEntries(orgList.map(o => [o.org, o])), chain: a.chain }
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
