/**
 * Sign-then-encrypt: a brand's report with evidence, encrypted to every node
 * of two law-enforcement orgs, opened and verified by each; refused to
 * everyone else; streamed without buffering; every altered byte refused
 * with a named error.
 */
import assert from 'node:assert/strict'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import fc from 'fast-check'
import { bytesEqual } from '../../../../protocol/bytes.js'
import { ProtocolError } from '../../../../protocol/errors.js'
import {
  encryptReport, ENVELOPE_MAGIC, openReport, signReport, STREAM_CHUNK_BYTES, type OpenedReport
} from '../../../../protocol/report/index.js'
import type { TestNode } from '../../../helpers/alliance.js'
import { collectBytes } from '../../../helpers/iter.js'
import {
  ALLIANCE, CREATED, chunksOf, makeReportAlliance, makeTestReport, pseudoRandom, type ReportAlliance
} from './helpers.js'

const NOW = CREATED + 60_000

function openAs (a: ReportAlliance, org: string, node: TestNode, envelope: Uint8Array | AsyncIterable<Uint8Array>): Promise<OpenedReport> {
  return openReport({
    source: envelope instanceof Uint8Array ? chunksOf(envelope, 7_000) : envelope,
    alliance: ALLIANCE,
    org,
    box: node.box,
    rosters: a.chain,
    now: NOW
  })
}

async function readAllEvidence (opened: OpenedReport): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const e of opened.evidence()) out.push(await collectBytes(e.data))
  return out
}

describe('protocol/report envelope (sign then encrypt)', () => {
  const a = makeReportAlliance()

  it('round trip: every node of both recipient orgs opens, verifies the author, and gets the evidence byte for byte', async () => {
    const t = await makeTestReport(a)
    const envelope = await collectBytes(encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }))
    assert.ok(bytesEqual(envelope.subarray(0, ENVELOPE_MAGIC.length), ENVELOPE_MAGIC))
    let opened = 0
    for (const org of ['police-gb', 'police-fr']) {
      for (const node of a.orgs[org].nodes) {
        const o = await openAs(a, org, node, envelope)
        assert.deepEqual(o.report, t.report)
        assert.ok(bytesEqual(o.bytes, t.signed.bytes))
        assert.ok(bytesEqual(o.digest, t.signed.digest))
        assert.equal(o.author.member.org, 'brand-a')
        const files = await readAllEvidence(o)
        assert.equal(files.length, 2)
        files.forEach((f, i) => assert.ok(bytesEqual(f, t.files[i])))
        opened++
      }
    }
    assert.equal(opened, 4)
  })

  it('the platform cannot read the report, even holding every byte of the envelope', async () => {
    const t = await makeTestReport(a)
    const envelope = await collectBytes(encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }))
    const platform = a.orgs.platform.nodes[0]
    await assert.rejects(openAs(a, 'platform', platform, envelope), { name: 'NotAddressedError' })
    // Pretending to be each recipient node in turn, with its own private key: no sealed key opens.
    for (const org of ['police-gb', 'police-fr']) {
      for (const node of a.orgs[org].nodes) {
        await assert.rejects(openAs(a, org, { ...node, box: { publicKey: node.box.publicKey, privateKey: platform.box.privateKey } }, envelope), { name: 'ContentKeyError' })
      }
    }
    // No clear text of the report appears in the bytes.
    const hay = Buffer.from(envelope)
    for (const needle of ['best.deals4u@mail.example', '+44 20 7946 0958', 'shopmarket.example', 'Test purchase', 'ACME']) {
      assert.equal(hay.indexOf(needle), -1, `"${needle}" found in clear`)
    }
    assert.equal(hay.indexOf(Buffer.from(t.files[0].subarray(0, 32))), -1)
  })

  it('a recipient org\'s node that is addressed still refuses if its org is not a recipient of the report', async () => {
    // police-fr node, but claiming org police-xx is checked against the signed recipients
    const t = await makeTestReport(a)
    const envelope = await collectBytes(encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }))
    await assert.rejects(openAs(a, 'brand-a', a.orgs['police-fr'].nodes[0], envelope), { name: 'NotAddressedError' })
  })

  it('refuses unknown and non-law-enforcement recipients before producing a byte (nothing to queue)', async () => {
    for (const [recipients, name, org] of [
      [['police-gb', 'police-xx'], 'UnknownRecipientError', 'police-xx'],
      [['police-gb', 'platform'], 'NotLawEnforcementError', 'platform']
    ] as const) {
      const t = await makeTestReport(a, [], { recipients: [...recipients] })
      assert.throws(() => encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }), (err: any) => err.name === name && err.org === org)
    }
  })

  it('refuses a signed report whose author key is not in the roster', async () => {
    const outsider = makeReportAlliance().orgs['brand-a'].nodes[0].signer
    const t = await makeTestReport(a, [])
    const forged = signReport(outsider, { ...t.report, authorKey: outsider.publicKey })
    assert.throws(() => encryptReport({ signedReport: forged.bytes, roster: a.chain.current, evidence: t.evidence }), { name: 'UnknownKeyError' })
  })

  it('fails the send when an evidence file changed after it was hashed', async () => {
    const t = await makeTestReport(a)
    const changed = t.files[0].slice()
    changed[100_000] ^= 1
    const it = encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: (_f, i) => chunksOf(i === 0 ? changed : t.files[i]) })
    await assert.rejects(collectBytes(it), (err: any) => err.name === 'EvidenceMismatchError' && err.file === 'test-purchase.jpg' && err.what === 'digest')
    const longer = new Uint8Array(t.files[1].length + 1)
    const it2 = encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: (_f, i) => chunksOf(i === 1 ? longer : t.files[i]) })
    await assert.rejects(collectBytes(it2), (err: any) => err.name === 'EvidenceMismatchError' && err.what === 'size')
  })

  it('streams several MB of evidence through generators without buffering it (interleaving and live memory)', async function () {
    this.timeout(20_000)
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const SIZE = 16 * 1024 * 1024
    const PIECE = 64 * 1024
    const piece = pseudoRandom(PIECE, 3)
    // The digest the report needs, computed streaming too.
    const { createHash } = await import('node:crypto')
    const h = createHash('sha256')
    for (let o = 0; o < SIZE; o += PIECE) h.update(piece)
    const t = await makeTestReport(a, [new Uint8Array(0)])
    const report = { ...t.report, evidence: [{ ...t.report.evidence[0], size: SIZE, sha256: new Uint8Array(h.digest()) }] }
    const signed = signReport(a.orgs['brand-a'].nodes[0].signer, report)

    let produced = 0
    let peak = 0
    gc()
    const base = process.memoryUsage().arrayBuffers
    // Live memory only: collect, let V8 finish sweeping array buffers (a macrotask), collect again.
    const sample = async (): Promise<void> => {
      gc()
      await new Promise(resolve => setImmediate(resolve))
      gc()
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)
    }
    async function * big (): AsyncGenerator<Uint8Array> {
      for (; produced < SIZE; produced += PIECE) {
        if ((produced / PIECE) % 64 === 32) await sample()
        yield piece.slice()
      }
    }
    const envelope = encryptReport({ signedReport: signed.bytes, roster: a.chain.current, evidence: () => big() })
    // Pipe the envelope straight into the recipient, as a libp2p stream would, recording how
    // much evidence had been read from the source when the first evidence plaintext came out.
    const o = await openAs(a, 'police-gb', a.orgs['police-gb'].nodes[1], envelope)
    let firstAt = -1
    let received = 0
    const rh = createHash('sha256')
    for await (const e of o.evidence()) {
      for await (const c of e.data) {
        if (firstAt < 0) firstAt = produced
        received += c.length
        rh.update(c)
      }
    }
    assert.equal(received, SIZE)
    assert.ok(bytesEqual(new Uint8Array(rh.digest()), report.evidence[0].sha256))
    assert.ok(firstAt >= 0 && firstAt <= 4 * STREAM_CHUNK_BYTES, `first plaintext after ${firstAt} source bytes`)
    assert.ok(peak < 4 * 1024 * 1024, `live array buffers grew by ${(peak / 1048576).toFixed(1)} MiB for a ${SIZE / 1048576} MiB file`)
  })

  it('any altered byte: no recipient node accepts other content, and some node refuses it with a named error', async () => {
    // Each node needs only its own sealed key: a byte altered in node B's entry of the clear header
    // is B's to detect (HPKE authenticates it); every other node still gets exactly the author's bytes.
    const t = await makeTestReport(a, [pseudoRandom(70_000, 5), pseudoRandom(100, 6)])
    const envelope = await collectBytes(encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }))
    const nodes = (['police-gb', 'police-fr'] as const).flatMap(org => a.orgs[org].nodes.map(node => ({ org, node })))
    const openAll = async (bytes: Uint8Array): Promise<Array<Error | undefined>> => await Promise.all(nodes.map(async ({ org, node }) => {
      try {
        const o = await openAs(a, org, node, bytes)
        assert.ok(bytesEqual(o.bytes, t.signed.bytes))
        const files = await readAllEvidence(o)
        files.forEach((f, i) => assert.ok(bytesEqual(f, t.files[i])))
        return undefined
      } catch (err) {
        assert.ok(err instanceof ProtocolError && err.name !== 'ProtocolError', `not a named protocol error: ${String(err)}`)
        return err
      }
    }))
    assert.deepEqual(await openAll(envelope), [undefined, undefined, undefined, undefined])
    await fc.assert(fc.asyncProperty(fc.nat({ max: envelope.length - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
      const bad = envelope.slice()
      bad[at] ^= 1 << bit
      const results = await openAll(bad)
      assert.ok(results.some(r => r !== undefined), `flip at ${at} accepted by every node`)
    }), { numRuns: 80 })
    // Truncation anywhere, and bytes appended.
    for (const cut of [1, 30, 200, envelope.length - 1]) assert.ok((await openAll(envelope.slice(0, cut))).every(r => r !== undefined))
    assert.ok((await openAll(new Uint8Array([...envelope, 0]))).every(r => r?.name === 'FormatError'))
  })

  it('names the damaged part when a chunk is altered', async () => {
    const t = await makeTestReport(a, [pseudoRandom(70_000, 5), pseudoRandom(100, 6)])
    const envelope = await collectBytes(encryptReport({ signedReport: t.signed.bytes, roster: a.chain.current, evidence: t.evidence }))
    const node = a.orgs['police-fr'].nodes[1]
    const flipAt = async (at: number): Promise<unknown> => {
      const bad = envelope.slice()
      bad[at] ^= 0x40
      try { await readAllEvidence(await openAs(a, 'police-fr', node, bad)) } catch (err) { return err }
      return undefined
    }
    // The last byte is in the last evidence file's final chunk tag.
    const last = await flipAt(envelope.length - 1) as any
    assert.equal(last.name, 'DecryptionError')
    assert.equal(last.part, 'evidence:lab-report.pdf')
    // A byte 100 bytes before the end of the first evidence file's stream: in test-purchase.jpg.
    const secondStream = envelope.length - (9 + 100 + 16)
    const first = await flipAt(secondStream - 100) as any
    assert.equal(first.part, 'evidence:test-purchase.jpg')
  })
})
