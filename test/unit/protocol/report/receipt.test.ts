/** Receipts: signed by a recipient node, verified by the author against the roster. */
import assert from 'node:assert/strict'
import { createReceipt, verifyReceipt } from '../../../../protocol/report/index.js'
import { GENESIS_TIME } from '../../../helpers/alliance.js'
import { ALLIANCE, CREATED, makeReportAlliance, makeTestReport } from './helpers.js'

describe('protocol/report receipts', () => {
  const a = makeReportAlliance()

  it('a recipient node\'s receipt verifies for the report it acknowledges, and only for it', async () => {
    const t = await makeTestReport(a, [])
    const other = await makeTestReport(a, [])
    const node = a.orgs['police-fr'].nodes[1].signer
    const received = CREATED + 5_000
    const bytes = createReceipt({ signer: node, alliance: ALLIANCE, recipient: 'police-fr', reportId: t.report.id, signedReportDigest: t.signed.digest, received })
    const ctx = { report: t.report, signedReportDigest: t.signed.digest, rosters: a.chain }
    const r = verifyReceipt(bytes, ctx)
    assert.deepEqual([r.recipient, r.received], ['police-fr', received])
    assert.throws(() => verifyReceipt(bytes, { ...ctx, report: other.report }), { name: 'ReceiptMismatchError' })
    assert.throws(() => verifyReceipt(bytes, { ...ctx, signedReportDigest: other.signed.digest }), { name: 'ReceiptMismatchError' })
    const bad = bytes.slice()
    bad[bad.length - 5] ^= 1
    assert.throws(() => verifyReceipt(bad, ctx), (err: any) => err.name === 'ReceiptSignatureError' && err.org === 'police-fr')
  })

  it('refuses receipts by non-recipients, by keys of another org, and dated before the roster', async () => {
    const t = await makeTestReport(a, [], { recipients: ['police-gb'] })
    const ctx = { report: t.report, signedReportDigest: t.signed.digest, rosters: a.chain }
    const mk = (org: string, signer = a.orgs[org].nodes[0].signer, received = CREATED + 1): Uint8Array =>
      createReceipt({ signer, alliance: ALLIANCE, recipient: org, reportId: t.report.id, signedReportDigest: t.signed.digest, received })
    verifyReceipt(mk('police-gb'), ctx)
    assert.throws(() => verifyReceipt(mk('police-fr'), ctx), (err: any) => err.name === 'ReceiptRecipientError' && err.org === 'police-fr')
    assert.throws(() => verifyReceipt(mk('police-gb', a.orgs['police-fr'].nodes[0].signer), ctx), (err: any) => err.name === 'UnknownKeyError' && err.role === 'recipient')
    assert.throws(() => verifyReceipt(mk('police-gb', undefined, GENESIS_TIME - 1), ctx), { name: 'UnknownKeyError' })
    // a brand named as recipient by a (hand-made) report cannot sign a law-enforcement receipt
    const odd = { ...ctx, report: { ...t.report, recipients: ['brand-a'] } }
    assert.throws(() => verifyReceipt(mk('brand-a'), odd), (err: any) => err.name === 'ReceiptRecipientError' && err.org === 'brand-a')
  })
})
