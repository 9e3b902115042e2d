/**
 * The evidence bundle: written by a recipient after receipts, verified
 * offline from its bytes alone; every flipped byte anywhere fails and the
 * verdict names the part it is in.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { toHex } from '../../../../protocol/bytes.js'
import { encodeSignedRoster } from '../../../../protocol/codec/index.js'
import { signRoster, unsignedRoster } from '../../../../protocol/roster/index.js'
import {
  BUNDLE_MAGIC, createReceipt, describeFailure, encryptReport, openReport, signReport, verifyBundle, writeBundle,
  type BundleVerdict
} from '../../../../protocol/report/index.js'
import { BUNDLE_RECORD, exportSignatureMessage } from '../../../../protocol/report/bundle.js'
import { decodeReport, decodeSignedReport, encodeExportStatement, encodeSignedExportStatement } from '../../../../protocol/report/codec.js'
import { record, recordHeader } from '../../../../protocol/report/framing.js'
import { REPORT_TAGS, taggedHasher } from '../../../../protocol/report/tags.js'
import { GENESIS_TIME, makeOrg, rosterOf } from '../../../helpers/alliance.js'
import { collectBytes } from '../../../helpers/iter.js'
import {
  ALLIANCE, CREATED, chunksOf, makeReportAlliance, makeTestReport, pseudoRandom, type ReportAlliance, type TestReport
} from './helpers.js'

const RECEIVED = CREATED + 120_000
const EXPORTED = CREATED + 86_400_000

/** An alliance whose roster has two versions (a second brand joins before the report). */
function twoVersionAlliance (): ReportAlliance {
  const a = makeReportAlliance()
  const orgs = [...Object.values(a.orgs), makeOrg('brand-b', ['brand'])]
  const v2 = unsignedRoster(rosterOf(orgs, { alliance: ALLIANCE, version: 2, time: GENESIS_TIME + 1000, prev: a.chain.current.id }))
  // keep version 1's node keys: rosterOf drew fresh peer ids only
  // signed by more than half of version 1's four orgs
  for (const org of ['brand-a', 'platform', 'police-gb']) v2.signatures.push(signRoster(a.orgs[org].nodes[0].signer, v2.roster))
  a.chain.extend(v2)
  a.orgs['brand-b'] = orgs[orgs.length - 1]
  return a
}

interface Fixture { a: ReportAlliance, t: TestReport, receipts: Uint8Array[], bundle: Uint8Array }

async function fixture (files = [pseudoRandom(300, 11), new Uint8Array(0)]): Promise<Fixture> {
  const a = twoVersionAlliance()
  const t = await makeTestReport(a, files)
  const envelope = await collectBytes(encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }))
  const receipts: Uint8Array[] = []
  for (const org of ['police-gb', 'police-fr']) {
    const node = a.orgs[org].nodes[0]
    const o = await openReport({ source: chunksOf(envelope), alliance: ALLIANCE, org, box: node.box, rosters: a.chain, now: RECEIVED })
    for await (const e of o.evidence()) await collectBytes(e.data)
    receipts.push(createReceipt({ signer: node.signer, alliance: ALLIANCE, recipient: org, reportId: o.report.id, signedReportDigest: o.digest, received: RECEIVED }))
  }
  const bundle = await collectBytes(writeBundle({
    rosters: a.chain, signedReport: t.signed.bytes, evidence: t.evidence, receipts, exporter: a.orgs['police-gb'].nodes[0].signer, exported: EXPORTED
  }))
  return { a, t, receipts, bundle }
}

const verify = async (b: Uint8Array, opts = {}): Promise<BundleVerdict> => await verifyBundle(chunksOf(b, 333), opts)

/** Byte ranges of the bundle and the part a flip there must be named as. */
function regions (bundle: Uint8Array, evidenceNames: string[], receiptOrgs: string[]): Array<{ start: number, end: number, header: number, parts: string[] }> {
  const out = [{ start: 0, end: BUNDLE_MAGIC.length, header: 0, parts: ['format'] }]
  let o = BUNDLE_MAGIC.length
  let ev = 0
  let rc = 0
  while (o < bundle.length) {
    const type = bundle[o]
    const len = Number(new DataView(bundle.buffer, bundle.byteOffset + o + 1, 8).getBigUint64(0))
    const parts = type === BUNDLE_RECORD.roster
      ? ['roster_chain']
      : type === BUNDLE_RECORD.report
        ? ['report', 'report_signature', 'unknown_key']
        : type === BUNDLE_RECORD.evidence
          ? [`evidence:${evidenceNames[ev++]}`]
          // a receipt that no longer decodes can only be named by its position
          : type === BUNDLE_RECORD.receipt ? [`receipt:${receiptOrgs[rc]}`, `receipt:#${++rc}`] : ['export']
    out.push({ start: o, end: o + 9 + len, header: 9, parts })
    o += 9 + len
  }
  return out
}

/**
 * A flip in a payload must name that payload's part. A flip in a record
 * header (type, length) may also surface as `format` or `truncated`.
 */
function allowedFor (r: { start: number, header: number, parts: string[] }, at: number): string[] {
  return at - r.start >= r.header ? r.parts : [...r.parts, 'format', 'truncated']
}

describe('protocol/report evidence bundle', () => {
  let f: Fixture
  before(async () => { f = await fixture() })

  it('verifies offline from its bytes alone, naming what it proves', async () => {
    const v = await verify(f.bundle, { genesisId: f.a.chain.versions[0].id })
    assert.deepEqual(v.failures, [])
    assert.equal(v.ok, true)
    assert.equal(v.rosterVersions, 2)
    assert.equal(v.genesisId, toHex(f.a.chain.versions[0].id))
    assert.deepEqual(v.report, f.t.report)
    assert.equal(v.signedReportDigest, toHex(f.t.signed.digest))
    assert.deepEqual(v.author, { org: 'brand-a', key: toHex(f.a.orgs['brand-a'].nodes[0].signer.publicKey) })
    assert.deepEqual(v.receipts.map(r => r.org), ['police-gb', 'police-fr'])
    assert.deepEqual(v.exporter, { org: 'police-gb', key: toHex(f.a.orgs['police-gb'].nodes[0].signer.publicKey), exported: EXPORTED })
    assert.deepEqual(v.verified, ['roster_chain', 'author_key', 'report_signature', 'evidence:test-purchase.jpg', 'evidence:lab-report.pdf', 'receipt:police-gb', 'receipt:police-fr', 'export'])
  })

  it('every flipped bit anywhere fails, and the first failure names the part it is in', async () => {
    const rs = regions(f.bundle, ['test-purchase.jpg', 'lab-report.pdf'], ['police-gb', 'police-fr'])
    assert.equal(rs[rs.length - 1].end, f.bundle.length)
    await fc.assert(fc.asyncProperty(fc.nat({ max: f.bundle.length - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
      const bad = f.bundle.slice()
      bad[at] ^= 1 << bit
      const v = await verify(bad)
      const r = rs.find(x => at >= x.start && at < x.end)
      assert.ok(r !== undefined)
      assert.equal(v.ok, false, `flip at ${at} not caught`)
      assert.ok(allowedFor(r, at).includes(v.failures[0].part), `flip at ${at} (${r.parts.join('|')}) named ${describeFailure(v.failures[0])}`)
    }), { numRuns: 250 })
  })

  it('every record header byte and every payload\'s first and last byte, flipped: caught and named', async () => {
    const rs = regions(f.bundle, ['test-purchase.jpg', 'lab-report.pdf'], ['police-gb', 'police-fr'])
    for (const r of rs) {
      const positions = [...Array.from({ length: r.header }, (_, i) => r.start + i), r.start + r.header, r.end - 1].filter(p => p < r.end)
      for (const at of positions) {
        const bad = f.bundle.slice()
        bad[at] ^= 0x01
        const v = await verify(bad)
        assert.ok(!v.ok && allowedFor(r, at).includes(v.failures[0].part), `flip at ${at} (${r.parts.join('|')}) named ${v.failures.map(describeFailure).join('; ')}`)
      }
    }
  })

  // Opt-in, ~30 s (bits 0 and 7) or ~2 min (all bits): EXHAUSTIVE=1|all npx mocha test/unit/protocol/report/bundle.test.ts -g exhaustive
  it('exhaustive: every byte of the bundle, flipped, is caught and named', async function () {
    if (process.env.EXHAUSTIVE === undefined) this.skip()
    this.timeout(600_000)
    const rs = regions(f.bundle, ['test-purchase.jpg', 'lab-report.pdf'], ['police-gb', 'police-fr'])
    const bad: string[] = []
    for (let at = 0; at < f.bundle.length; at++) {
      for (const bit of (process.env.EXHAUSTIVE === 'all' ? [0, 1, 2, 3, 4, 5, 6, 7] : [0, 7])) {
        const b = f.bundle.slice(); b[at] ^= 1 << bit
        const v = await verify(b)
        const r = rs.find(x => at >= x.start && at < x.end)!
        if (v.ok || !allowedFor(r, at).includes(v.failures[0].part)) bad.push(`${at}/${bit} ${r.parts[0]}: ${v.ok ? 'OK' : describeFailure(v.failures[0])}`)
      }
    }
    assert.deepEqual(bad, [])
  })

  it('a bundle cut anywhere is `truncated`; bytes appended are `format`', async () => {
    for (let cut = 0; cut < f.bundle.length; cut += 97) {
      const v = await verify(f.bundle.subarray(0, cut))
      assert.equal(v.ok, false)
      assert.equal(v.failures[0].part, 'truncated', `cut at ${cut}: ${describeFailure(v.failures[0])}`)
    }
    const v = await verify(new Uint8Array([...f.bundle, 0]))
    assert.deepEqual(v.failures.map(x => [x.part, x.reason]), [['format', 'trailing_data']])
  })

  it('names tampered evidence as `evidence:<name> digest mismatch`', async () => {
    const bad = f.bundle.slice()
    const at = Buffer.from(bad).indexOf(Buffer.from(f.t.files[0].subarray(0, 40))) + 10
    bad[at] ^= 0xff
    const v = await verify(bad)
    assert.equal(describeFailure(v.failures[0]).startsWith('evidence:test-purchase.jpg digest mismatch'), true)
    // the rest still verifies, and the export statement notices the change
    assert.ok(v.verified.includes('report_signature') && v.verified.includes('receipt:police-fr'))
    assert.deepEqual(v.failures.map(x => x.part), ['evidence:test-purchase.jpg', 'export'])
  })

  it('names a bad receipt signature as `receipt:<org>`', async () => {
    const bad = f.bundle.slice()
    const at = Buffer.from(bad).indexOf(Buffer.from(f.receipts[1])) + f.receipts[1].length - 1 // last byte of the signature
    bad[at] ^= 1
    const v = await verify(bad)
    assert.deepEqual([v.failures[0].part, v.failures[0].reason], ['receipt:police-fr', 'bad_signature'])
  })

  it('pins the genesis: a bundle from another alliance of the same name fails `roster_chain`', async () => {
    const other = makeReportAlliance()
    const v = await verify(f.bundle, { genesisId: other.chain.versions[0].id })
    assert.deepEqual([v.failures[0].part, v.failures[0].reason], ['roster_chain', 'genesis_mismatch'])
  })

  it('`unknown_key` when the author key is not a node of the author org in the roster in force', async () => {
    // Hand-assembled: writeBundle itself refuses such a report.
    const outsider = makeReportAlliance().orgs['brand-a'].nodes[0].signer
    const signed = signReport(outsider, { ...f.t.report, authorKey: outsider.publicKey, evidence: [] })
    const v = await verify(await assemble(f.a, signed.bytes, [], []))
    assert.deepEqual(v.failures.map(x => x.part), ['unknown_key'])
    assert.ok(v.verified.includes('report_signature'))
  })

  it('`unknown_key` for a report dated before the genesis roster', async () => {
    const signed = signReport(f.a.orgs['brand-a'].nodes[0].signer, { ...f.t.report, created: GENESIS_TIME - 1, evidence: [] })
    const v = await verify(await assemble(f.a, signed.bytes, [], []))
    assert.deepEqual(v.failures.map(x => x.part), ['unknown_key'])
  })

  it('`roster_chain` when a version does not extend the chain, or none is given', async () => {
    const signed = f.t.signed.bytes
    const forkedChain = makeReportAlliance()
    const v = await verify(await assemble(f.a, signed, [], [], [encodeSignedRoster(f.a.chain.versions[0].signed), encodeSignedRoster(forkedChain.chain.versions[0].signed)]))
    assert.equal(v.failures[0].part, 'roster_chain')
    const none = await verify(await assemble(f.a, signed, [], [], []))
    assert.deepEqual([none.failures[0].part, none.failures[0].reason], ['roster_chain', 'missing'])
  })

  it('a missing evidence record is named, not mistaken for a receipt', async () => {
    const v = await verify(await assemble(f.a, f.t.signed.bytes, [f.t.files[0]], f.receipts))
    assert.deepEqual([v.failures[0].part, v.failures[0].reason], ['evidence:lab-report.pdf', 'missing'])
  })

  it('writeBundle refuses what would not verify: changed evidence, foreign receipts, a non-recipient exporter', async () => {
    const changed = f.t.files[0].slice()
    changed[0] ^= 1
    await assert.rejects(collectBytes(writeBundle({ rosters: f.a.chain, signedReport: f.t.signed.bytes, evidence: (_x, i) => chunksOf(i === 0 ? changed : f.t.files[i]), receipts: [], exporter: f.a.orgs['police-gb'].nodes[0].signer, exported: EXPORTED })), { name: 'EvidenceMismatchError' })
    const other = await makeTestReport(f.a, [])
    const foreign = createReceipt({ signer: f.a.orgs['police-gb'].nodes[0].signer, alliance: ALLIANCE, recipient: 'police-gb', reportId: other.report.id, signedReportDigest: other.signed.digest, received: RECEIVED })
    assert.throws(() => writeBundle({ rosters: f.a.chain, signedReport: f.t.signed.bytes, evidence: f.t.evidence, receipts: [foreign], exporter: f.a.orgs['police-gb'].nodes[0].signer, exported: EXPORTED }), { name: 'ReceiptMismatchError' })
    assert.throws(() => writeBundle({ rosters: f.a.chain, signedReport: f.t.signed.bytes, evidence: f.t.evidence, receipts: [], exporter: f.a.orgs.platform.nodes[0].signer, exported: EXPORTED }), { name: 'ExportNotAllowedError' })
  })

  it('the author may export too, and a bundle with several MB of evidence verifies streaming', async function () {
    this.timeout(20_000)
    const big = await fixture([pseudoRandom(3 * 1024 * 1024 + 5, 21)])
    const b = await collectBytes(writeBundle({ rosters: big.a.chain, signedReport: big.t.signed.bytes, evidence: big.t.evidence, receipts: big.receipts, exporter: big.a.orgs['brand-a'].nodes[0].signer, exported: EXPORTED }))
    const v = await verifyBundle(chunksOf(b, 65_536))
    assert.equal(v.ok, true, v.failures.map(describeFailure).join('; '))
    assert.equal(v.exporter?.org, 'brand-a')
  })
})

/** A bundle from parts, sealed by police-gb (for cases writeBundle refuses to write). */
async function assemble (a: ReportAlliance, signedReport: Uint8Array, files: Uint8Array[], receipts: Uint8Array[], rosters = a.chain.versions.map(v => encodeSignedRoster(v.signed))): Promise<Uint8Array> {
  const parts: Uint8Array[] = [BUNDLE_MAGIC, ...rosters.map(r => record(BUNDLE_RECORD.roster, r)), record(BUNDLE_RECORD.report, signedReport)]
  for (const file of files) parts.push(recordHeader(BUNDLE_RECORD.evidence, file.length), file)
  for (const r of receipts) parts.push(record(BUNDLE_RECORD.receipt, r))
  const h = taggedHasher(REPORT_TAGS.bundleDigest)
  for (const p of parts) h.update(p)
  const signer = a.orgs['police-gb'].nodes[0].signer
  const report = decodeReport(decodeSignedReport(signedReport).report)
  const statement = encodeExportStatement({ alliance: ALLIANCE, reportId: report.id, bundleDigest: new Uint8Array(h.digest()), exporter: 'police-gb', exporterKey: signer.publicKey, exported: EXPORTED })
  parts.push(record(BUNDLE_RECORD.export, encodeSignedExportStatement({ statement, signature: signer.sign(exportSignatureMessage(statement)) })))
  return await collectBytes((async function * () { yield * parts })())
}

