/**
 * The report codec: the committed descriptor, strict round trips, one
 * encoding per message, the named limits, and decoders that only ever
 * answer with a value or a named protocol error.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { ProtocolError } from '../../../../protocol/errors.js'
import { KINDS } from '../../../../protocol/kinds.js'
import {
  decodeReport, encodeReport, MAX_LISTINGS, MAX_REPORT_BYTES, REPORT_DECODERS, RIGHT_TYPES, type Report
} from '../../../../protocol/report/index.js'
import { renderReportDescriptor } from '../../../../scripts/generate-report-proto.js'
import { applyMutations, mutations } from '../../../helpers/mutate.js'
import { makeReportAlliance, makeTestReport } from './helpers.js'

const text = (max: number): fc.Arbitrary<string> => fc.string({ maxLength: max, unit: 'grapheme' })
const nonEmpty = (max: number): fc.Arbitrary<string> => fc.string({ minLength: 1, maxLength: max, unit: 'grapheme' })
const orgId = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/)
const time = fc.integer({ min: 0, max: 4_102_444_800_000 })
const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const fileName = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9_. -]{0,30}$/).filter(s => s !== '.' && s !== '..')

/** fast-check may build null-prototype records; decoded reports are plain objects. */
function plain<T> (v: T): T {
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(plain) as T
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T
}

const reportArb: fc.Arbitrary<Report> = fc.record({
  alliance: orgId,
  id: bytesN(16),
  author: orgId,
  authorKey: bytesN(32),
  created: time,
  recipients: fc.uniqueArray(orgId, { minLength: 1, maxLength: 4 }),
  title: text(40),
  reference: text(20),
  listings: fc.array(fc.record({ url: nonEmpty(60), platform: text(20), listingId: text(20), title: text(40), observed: time }), { minLength: 1, maxLength: 3 }),
  sellers: fc.array(fc.record({ name: nonEmpty(20), platform: text(20), identifiers: fc.array(fc.record({ kind: fc.constantFrom(...KINDS), value: nonEmpty(30) }), { maxLength: 3 }) }), { maxLength: 3 }),
  rights: fc.array(fc.record({ type: fc.constantFrom(...RIGHT_TYPES), mark: nonEmpty(20), registrations: fc.array(nonEmpty(20), { maxLength: 3 }), jurisdiction: text(4) }), { minLength: 1, maxLength: 2 }),
  evidence: fc.uniqueArray(fc.record({ name: fileName, size: fc.integer({ min: 0, max: 2 ** 40 }), mediaType: fc.constantFrom('image/jpeg', 'application/pdf', 'video/mp4'), sha256: bytesN(32), description: text(30) }), { maxLength: 3, selector: e => e.name.toLowerCase() }),
  narrative: text(200)
}).map(plain)

describe('protocol/report codec', () => {
  it('the committed descriptor matches report.proto (run `npx tsx scripts/generate-report-proto.ts` if not)', () => {
    const proto = readFileSync(new URL('../../../../protocol/report/report.proto', import.meta.url), 'utf8')
    const committed = readFileSync(new URL('../../../../protocol/report/descriptor.ts', import.meta.url), 'utf8')
    assert.equal(committed, renderReportDescriptor(proto))
  })

  it('decode(encode(report)) equals the report, and decode→encode reproduces the bytes', () => {
    fc.assert(fc.property(reportArb, r => {
      const bytes = encodeReport(r)
      const back = decodeReport(bytes)
      assert.deepEqual(back, r)
      assert.deepEqual(encodeReport(back), bytes)
    }), { numRuns: 200 })
  })

  it('one encoding per report: unknown fields, and fields out of order, are refused', async () => {
    const t = await makeTestReport(makeReportAlliance(), [])
    const bytes = encodeReport(t.report)
    assert.throws(() => decodeReport(new Uint8Array([...bytes, 0x78, 0x01])), { name: 'NonCanonicalEncodingError' }) // field 15 = 1
    // narrative (field 13) moved to the front
    const narrative = [0x6a, t.report.narrative.length, ...Buffer.from(t.report.narrative)]
    const withoutNarrative = bytes.subarray(0, bytes.length - narrative.length)
    assert.deepEqual([...bytes.subarray(withoutNarrative.length)], narrative)
    assert.throws(() => decodeReport(new Uint8Array([...narrative, ...withoutNarrative])), { name: 'NonCanonicalEncodingError' })
  })

  it('named refusals: oversize, too many, bad fields, broken rules', async () => {
    const t = await makeTestReport(makeReportAlliance(), [])
    const r = t.report
    const longUrl = 'https://x.example/' + 'a'.repeat(2000)
    const many = Array.from({ length: MAX_LISTINGS }, (_, i) => ({ url: longUrl + i, platform: 'p'.repeat(1000), listingId: String(i), title: 't'.repeat(1000), observed: 0 }))
    // Each field within its own limit, the whole over MAX_REPORT_BYTES.
    const sellers = Array.from({ length: 1000 }, (_, i) => ({ name: `s${i}`, platform: '', identifiers: Array.from({ length: 5 }, (_, j) => ({ kind: 'email' as const, value: `${i}.${j}@`.padEnd(1000, 'x') })) }))
    assert.throws(() => encodeReport({ ...r, sellers }), (err: any) => err.name === 'OversizeError' && err.limit === MAX_REPORT_BYTES)
    assert.throws(() => decodeReport(new Uint8Array(MAX_REPORT_BYTES + 1)), { name: 'OversizeError' })
    assert.throws(() => encodeReport({ ...r, listings: [...many, ...many.slice(0, 1)] }), { name: 'TooManyError' })
    assert.throws(() => encodeReport({ ...r, narrative: 'x'.repeat(65_537) }), { name: 'InvalidFieldError' })
    assert.throws(() => encodeReport({ ...r, id: new Uint8Array(15) }), { name: 'InvalidFieldError' })
    assert.throws(() => encodeReport({ ...r, recipients: [] }), (err: any) => err.name === 'InvalidReportError' && err.field === 'recipients')
    assert.throws(() => encodeReport({ ...r, recipients: ['police-gb', 'police-gb'] }), { name: 'InvalidReportError' })
    assert.throws(() => encodeReport({ ...r, rights: [] }), { name: 'InvalidReportError' })
    assert.throws(() => encodeReport({ ...r, listings: [], sellers: [] }), { name: 'InvalidReportError' })
    for (const name of ['../etc/passwd', 'a/b', '..', 'a\u0000b', 'x\\y']) {
      assert.throws(() => encodeReport({ ...r, evidence: [{ name, size: 1, mediaType: 'image/png', sha256: new Uint8Array(32), description: '' }] }), { name: 'InvalidReportError' }, name)
    }
    const e = { size: 1, mediaType: 'image/png', sha256: new Uint8Array(32), description: '' }
    assert.throws(() => encodeReport({ ...r, evidence: [{ ...e, name: 'A.png' }, { ...e, name: 'a.PNG' }] }), { name: 'InvalidReportError' })
    assert.throws(() => encodeReport({ ...r, evidence: [{ ...e, name: 'a.png', mediaType: 'image' }] }), { name: 'InvalidReportError' })
    assert.throws(() => encodeReport({ ...r, evidence: [{ ...e, name: 'a.png', size: 2 ** 40 + 1 }] }), { name: 'InvalidReportError' })
  })

  it('decoders answer mutated input with a value or a named protocol error, nothing else', async () => {
    const a = makeReportAlliance()
    const t = await makeTestReport(a)
    const samples: Record<string, Uint8Array> = { report: t.signed.reportBytes, signedReport: t.signed.bytes }
    for (const [name, decode] of Object.entries(REPORT_DECODERS)) {
      const seed = samples[name] ?? new Uint8Array([0x0a, 0x01, 0x61])
      fc.assert(fc.property(mutations, ms => {
        try {
          (decode as (b: Uint8Array) => unknown)(applyMutations(seed, ms))
        } catch (err) {
          assert.ok(err instanceof ProtocolError && err.name !== 'ProtocolError', `${name}: ${String(err)}`)
        }
      }), { numRuns: 200 })
    }
  })
})
