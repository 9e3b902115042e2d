/**
 * reports-crypto: in-process throughput of the report crypto on 10 MB of
 * evidence (the two-process delivery benchmark is `reports`, later):
 *   encrypt  hash the evidence (as the sender must to name it), sign the
 *            report, encrypt report + evidence to 2 law-enforcement orgs of
 *            2 nodes each (4 HPKE seals), consuming the envelope stream;
 *   open     a recipient node opens the envelope and streams the evidence out;
 *   verify   verifyBundle over the exported bundle (roster chain, report,
 *            evidence SHA-256, receipts, export statement).
 * Evidence is fed in 64 KiB pieces, as fs.createReadStream does. Best of
 * alternating rounds. Run: npm run bench -- reports-crypto  (EVIDENCE_MB=…)
 */
import '../node/polyfill.js'
import {
  createReceipt, digestEvidence, encryptReport, openReport, signedReportDigest, signReport, verifyBundle, writeBundle
} from '../protocol/report/index.js'
import { collectBytes } from '../test/helpers/iter.js'
import { ALLIANCE, CREATED, makeReportAlliance, makeTestReport, pseudoRandom } from '../test/unit/protocol/report/helpers.js'
import { fmt, result, rssMb } from './_util.js'

const MB = Number(process.env.EVIDENCE_MB ?? 10)
const SIZE = MB * 1_000_000
const PIECE = 64 * 1024
const ROUNDS = Number(process.env.ROUNDS ?? 5)

const evidence = pseudoRandom(SIZE, 42)
async function * pieces (b: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += PIECE) yield b.subarray(i, Math.min(b.length, i + PIECE))
}
async function drain (it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0
  for await (const c of it) n += c.length
  return n
}

const a = makeReportAlliance()
const author = a.orgs['brand-a'].nodes[0].signer
const base = await makeTestReport(a, [new Uint8Array(0)])

async function encryptOnce (): Promise<{ seconds: number, envelope: Uint8Array[], signed: Uint8Array, report: typeof base.report }> {
  const t0 = process.hrtime.bigint()
  const d = await digestEvidence(pieces(evidence))
  const report = { ...base.report, evidence: [{ ...base.report.evidence[0], size: d.size, sha256: d.sha256 }] }
  const signed = signReport(author, report)
  const envelope: Uint8Array[] = []
  for await (const c of encryptReport({ signedReport: signed.bytes, roster: a.chain.current, evidence: () => pieces(evidence) })) envelope.push(c)
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, envelope, signed: signed.bytes, report }
}

const first = await encryptOnce()
const envelopeBytes = Buffer.concat(first.envelope)
const node = a.orgs['police-gb'].nodes[0]
async function openOnce (): Promise<number> {
  const t0 = process.hrtime.bigint()
  const o = await openReport({ source: pieces(envelopeBytes), alliance: ALLIANCE, org: 'police-gb', box: node.box, rosters: a.chain, now: CREATED + 1000 })
  for await (const e of o.evidence()) await drain(e.data)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const receipts = ['police-gb', 'police-fr'].map(org => createReceipt({ signer: a.orgs[org].nodes[0].signer, alliance: ALLIANCE, recipient: org, reportId: first.report.id, signedReportDigest: signedReportDigest(first.signed), received: CREATED + 5000 }))
const bundle = await collectBytes(writeBundle({ rosters: a.chain, signedReport: first.signed, evidence: () => pieces(evidence), receipts, exporter: node.signer, exported: CREATED + 86_400_000 }))
async function verifyOnce (): Promise<number> {
  const t0 = process.hrtime.bigint()
  const v = await verifyBundle(pieces(bundle))
  if (!v.ok) throw new Error('bundle did not verify')
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const best = { encrypt: 0, open: 0, verify: 0 }
let peakRss = rssMb()
for (let r = 0; r < ROUNDS; r++) {
  best.encrypt = Math.max(best.encrypt, SIZE / 1e6 / (await encryptOnce()).seconds)
  best.open = Math.max(best.open, SIZE / 1e6 / await openOnce())
  best.verify = Math.max(best.verify, bundle.length / 1e6 / await verifyOnce())
  peakRss = Math.max(peakRss, rssMb())
}

process.stdout.write(`report with ${MB} MB of evidence, 2 recipient orgs × 2 nodes, best of ${ROUNDS} rounds\n`)
process.stdout.write(`  hash + sign + encrypt   ${fmt(best.encrypt)} MB/s\n`)
process.stdout.write(`  open + decrypt + check  ${fmt(best.open)} MB/s\n`)
process.stdout.write(`  verify bundle           ${fmt(best.verify)} MB/s (${fmt(bundle.length)} bytes)\n`)
process.stdout.write(`  rss ${peakRss} MB (the bench holds the evidence, one envelope and one bundle in memory)\n`)
result({ encrypt_mb_per_s: Math.round(best.encrypt), open_mb_per_s: Math.round(best.open), verify_mb_per_s: Math.round(best.verify), evidence_mb: MB })
