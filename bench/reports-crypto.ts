/**
 * reports-crypto: in-process throughput of the report crypto on 10 MB of
 * evidence (the two-process delivery benchmark is `reports`):
 *   encrypt  hash the evidence (as the sender must to name it), sign the
 *            report, encrypt report + evidence to 2 law-enforcement orgs of
 *            2 nodes each (4 HPKE seals), consuming the envelope stream;
 *   open     a recipient node opens the envelope and streams the evidence out;
 *   verify   verifyBundle over the exported bundle (roster chain, report,
 *            evidence SHA-256, receipts, export statement).
 * Baselines in the same rounds, on the same bytes: bare ChaCha20-Poly1305
 * (node:crypto, the report stream's cipher) sealing and opening the evidence
 * in the stream's 64 KiB chunks, one cipher per chunk with its own nonce, and
 * SHA-256 + ChaCha20-Poly1305 sealing (what the sender cannot avoid: hash to
 * name the evidence, encrypt it); bare SHA-256 of the bundle for verify.
 * Evidence is fed in 64 KiB pieces, as fs.createReadStream does. Best of
 * alternating rounds. Run: npm run bench -- reports-crypto  (EVIDENCE_MB=…)
 */
import '../node/polyfill.js'
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import {
  createReceipt, digestEvidence, encryptReport, openReport, signedReportDigest, signReport, verifyBundle, writeBundle
} from '../protocol/report/index.js'
import { collectBytes } from '../test/helpers/iter.js'
import { ALLIANCE, CREATED, makeReportAlliance, makeTestReport, pseudoRandom } from '../test/unit/protocol/report/helpers.js'
import { STREAM_CHUNK_BYTES, TAG_BYTES } from '../protocol/report/limits.js'
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

// ------------------------------------------------------------------ baselines
const bareKey = randomBytes(32)
const nonce = (i: number): Buffer => { const n = Buffer.alloc(12); n.writeUInt32BE(i, 8); return n }
/** Bare ChaCha20-Poly1305 over the evidence in STREAM chunks (one cipher per chunk, as the stream does); optionally hashing it too. */
function bareSeal (hash: boolean): { seconds: number, sealed: Uint8Array[] } {
  const t0 = process.hrtime.bigint()
  const h = hash ? createHash('sha256') : undefined
  const sealed: Uint8Array[] = []
  for (let i = 0, c = 0; i < evidence.length; i += STREAM_CHUNK_BYTES, c++) {
    const chunk = evidence.subarray(i, i + STREAM_CHUNK_BYTES)
    h?.update(chunk)
    const cipher = createCipheriv('chacha20-poly1305', bareKey, nonce(c), { authTagLength: TAG_BYTES })
    const out = Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()])
    sealed.push(out)
  }
  h?.digest()
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, sealed }
}
const bareSealed = bareSeal(false).sealed
function bareOpen (): number {
  const t0 = process.hrtime.bigint()
  for (let c = 0; c < bareSealed.length; c++) {
    const b = bareSealed[c]
    const d = createDecipheriv('chacha20-poly1305', bareKey, nonce(c), { authTagLength: TAG_BYTES })
    d.setAuthTag(b.subarray(b.length - TAG_BYTES))
    d.update(b.subarray(0, b.length - TAG_BYTES))
    d.final()
  }
  return Number(process.hrtime.bigint() - t0) / 1e9
}
function bareSha (): number {
  const t0 = process.hrtime.bigint()
  createHash('sha256').update(bundle).digest()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const best = { encrypt: 0, open: 0, verify: 0, bareSeal: 0, bareHashSeal: 0, bareOpen: 0, bareSha: 0 }
let peakRss = rssMb()
for (let r = 0; r < ROUNDS; r++) {
  best.encrypt = Math.max(best.encrypt, SIZE / 1e6 / (await encryptOnce()).seconds)
  best.bareHashSeal = Math.max(best.bareHashSeal, SIZE / 1e6 / bareSeal(true).seconds)
  best.bareSeal = Math.max(best.bareSeal, SIZE / 1e6 / bareSeal(false).seconds)
  best.open = Math.max(best.open, SIZE / 1e6 / await openOnce())
  best.bareOpen = Math.max(best.bareOpen, SIZE / 1e6 / bareOpen())
  best.verify = Math.max(best.verify, bundle.length / 1e6 / await verifyOnce())
  best.bareSha = Math.max(best.bareSha, bundle.length / 1e6 / bareSha())
  peakRss = Math.max(peakRss, rssMb())
}

const ratio = (a: number, b: number): number => Number((a / b).toFixed(2))
process.stdout.write(`report with ${MB} MB of evidence, 2 recipient orgs × 2 nodes, best of ${ROUNDS} alternating rounds\n`)
process.stdout.write(`  hash + sign + encrypt   ${fmt(best.encrypt).padStart(6)} MB/s   bare SHA-256 + ChaCha20-Poly1305 ${fmt(best.bareHashSeal)} MB/s (${ratio(best.encrypt, best.bareHashSeal)}×), bare ChaCha20-Poly1305 ${fmt(best.bareSeal)} MB/s (${ratio(best.encrypt, best.bareSeal)}×)\n`)
process.stdout.write(`  open + decrypt + check  ${fmt(best.open).padStart(6)} MB/s   bare ChaCha20-Poly1305 open ${fmt(best.bareOpen)} MB/s (${ratio(best.open, best.bareOpen)}×)\n`)
process.stdout.write(`  verify bundle           ${fmt(best.verify).padStart(6)} MB/s   bare SHA-256 of the bundle ${fmt(best.bareSha)} MB/s (${ratio(best.verify, best.bareSha)}×; ${fmt(bundle.length)} bytes)\n`)
process.stdout.write(`  rss ${peakRss} MB (the bench holds the evidence, one envelope and one bundle in memory)\n`)
result({
  encrypt_mb_per_s: Math.round(best.encrypt),
  open_mb_per_s: Math.round(best.open),
  verify_mb_per_s: Math.round(best.verify),
  bare_seal_mb_per_s: Math.round(best.bareSeal),
  bare_hash_seal_mb_per_s: Math.round(best.bareHashSeal),
  bare_open_mb_per_s: Math.round(best.bareOpen),
  bare_sha256_mb_per_s: Math.round(best.bareSha),
  ratio_encrypt_to_bare_hash_seal: ratio(best.encrypt, best.bareHashSeal),
  ratio_encrypt_to_bare_seal: ratio(best.encrypt, best.bareSeal),
  ratio_open_to_bare_open: ratio(best.open, best.bareOpen),
  ratio_verify_to_bare_sha256: ratio(best.verify, best.bareSha),
  evidence_mb: MB
})
