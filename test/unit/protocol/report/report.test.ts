/**
 * The report document: JSON input, building, signing, verifying, and who it
 * may be addressed to.
 */
import assert from 'node:assert/strict'
import { bytesEqual, toHex } from '../../../../protocol/bytes.js'
import {
  buildReport, evidenceEntry, newReportId, parseReportInput, recipientNodes, signReport, validateRecipients,
  verifySignedReport, MAX_NARRATIVE_CHARS
} from '../../../../protocol/report/index.js'
import { GENESIS_TIME } from '../../../helpers/alliance.js'
import { ALLIANCE, CREATED, SAMPLE_INPUT, makeReportAlliance, makeTestReport } from './helpers.js'

describe('protocol/report input and document', () => {
  const a = makeReportAlliance()
  const author = a.orgs['brand-a'].nodes[0].signer

  it('the sample report.json parses and builds a report that signs and verifies', () => {
    const input = parseReportInput(JSON.parse(JSON.stringify(SAMPLE_INPUT)))
    const evidence = input.evidence.map((e, i) => evidenceEntry(e, { sha256: new Uint8Array(32).fill(i + 1), size: 1000 * (i + 1) }))
    assert.deepEqual(evidence.map(e => [e.name, e.mediaType]), [['test-purchase.jpg', 'image/jpeg'], ['lab-report.pdf', 'application/pdf']])
    const report = buildReport({ input, alliance: ALLIANCE, author: 'brand-a', authorKey: author.publicKey, created: CREATED, evidence, recipients: ['police-gb'] })
    assert.deepEqual(report.recipients, ['police-gb', 'police-fr'])
    assert.equal(report.listings[0].observed, Date.parse('2025-06-01T09:30:00Z'))
    assert.equal(report.sellers[0].identifiers[1].value, '+44 20 7946 0958')
    assert.equal(report.id.length, 16)
    const signed = signReport(author, report)
    const v = verifySignedReport(signed.bytes, a.chain, CREATED)
    assert.deepEqual(v.report, report)
    assert.equal(v.author.member.org, 'brand-a')
    assert.ok(bytesEqual(v.digest, signed.digest))
  })

  it('report ids: random by default, or the input\'s own id (idempotent submission from a case system)', () => {
    const input = parseReportInput({ ...SAMPLE_INPUT, evidence: [], id: '00112233445566778899aabbccddeeff' })
    const r1 = buildReport({ input, alliance: ALLIANCE, author: 'brand-a', authorKey: author.publicKey, created: CREATED, evidence: [] })
    assert.equal(toHex(r1.id), '00112233445566778899aabbccddeeff')
    assert.notEqual(toHex(newReportId()), toHex(newReportId()))
  })

  it('refuses bad input with the path and the problem, never the value', () => {
    const secret = 'secret.seller@mail.example'
    const bad = {
      ...SAMPLE_INPUT,
      recipients: ['Police GB'],
      sellers: [{ identifiers: [{ kind: 'fax', value: secret }] }],
      rights: [],
      listings: [{ title: 'no url, no id' }],
      narrative: 'x'.repeat(MAX_NARRATIVE_CHARS + 1),
      colour: 'blue'
    }
    assert.throws(() => parseReportInput(bad), (err: any) => {
      assert.equal(err.name, 'InvalidReportInputError')
      const paths = err.issues.map((i: any) => i.path)
      for (const p of ['recipients.0', 'sellers.0.identifiers.0.kind', 'rights', 'listings.0', 'narrative', '']) assert.ok(paths.includes(p), `no issue at "${p}": ${paths.join(', ')}`)
      assert.ok(!err.message.includes(secret) && !JSON.stringify(err.issues).includes(secret))
      assert.ok(!JSON.stringify(err.issues).includes('xxxxxxxx'))
      return true
    })
    assert.throws(() => parseReportInput({ ...SAMPLE_INPUT, evidence: [{ path: 'a', name: '../b' }] }), { name: 'InvalidReportInputError' })
  })

  it('validateRecipients names an unknown org and a non-law-enforcement org', () => {
    const v = a.chain.current
    validateRecipients({ recipients: ['police-gb', 'police-fr'] }, v)
    assert.throws(() => validateRecipients({ recipients: ['police-gb', 'interpol'] }, v), (err: any) => err.name === 'UnknownRecipientError' && err.org === 'interpol' && err.reason === 'unknown_recipient')
    assert.throws(() => validateRecipients({ recipients: ['brand-a'] }, v), (err: any) => err.name === 'NotLawEnforcementError' && err.org === 'brand-a')
    assert.throws(() => validateRecipients({ recipients: ['platform'] }, v), (err: any) => err.name === 'NotLawEnforcementError' && err.org === 'platform')
    const nodes = recipientNodes({ recipients: ['police-gb', 'police-fr'] }, v)
    assert.deepEqual(nodes.map(n => n.org), ['police-gb', 'police-gb', 'police-fr', 'police-fr'])
  })

  it('verifySignedReport: unknown key, another org\'s key, before genesis, altered bytes, future date', async () => {
    const t = await makeTestReport(a, [])
    const police = a.orgs['police-gb'].nodes[0].signer
    assert.throws(() => verifySignedReport(signReport(police, { ...t.report, authorKey: police.publicKey }).bytes, a.chain), (err: any) => err.name === 'UnknownKeyError' && err.role === 'author')
    assert.throws(() => verifySignedReport(signReport(author, { ...t.report, created: GENESIS_TIME - 1 }).bytes, a.chain), { name: 'UnknownKeyError' })
    assert.throws(() => signReport(police, t.report), { name: 'InvalidReportError' })
    const bad = t.signed.bytes.slice()
    bad[bad.length - 1] ^= 1
    assert.throws(() => verifySignedReport(bad, a.chain), { name: 'ReportSignatureError' })
    const bad2 = t.signed.bytes.slice()
    bad2[40] ^= 1 // inside the report
    assert.throws(() => verifySignedReport(bad2, a.chain), (err: any) => ['ReportSignatureError', 'UnknownKeyError', 'InvalidFieldError', 'NonCanonicalEncodingError', 'InvalidReportError', 'MalformedMessageError'].includes(err.name))
    assert.throws(() => verifySignedReport(t.signed.bytes, a.chain, CREATED - 3_600_000), { name: 'ReportClockError' })
  })
})
