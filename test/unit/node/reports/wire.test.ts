/**
 * The report transfer protocol over an in-memory stream pair: the envelope
 * arrives byte for byte, credit bounds what is in flight, an early answer
 * stops the sender, and a bad offer is refused before any data.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { streamPair } from '@libp2p/utils'
import {
  FRAME_DATA_BYTES, WINDOW_FRAMES, receiveEnvelope, refusalOf, sendEnvelope, type Reply
} from '../../../../node/reports/wire.js'
import { EnvelopeTooLargeError, ReportIdConflictError } from '../../../../node/reports/errors.js'

const opts = { idleTimeoutMs: 5000 }
const RECEIPT: Reply = { type: 'receipt', receipt: new Uint8Array([1, 2, 3]) }

async function * pieces (b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, Math.min(b.length, i + size))
}

describe('node/reports wire', function () {
  this.timeout(20_000)

  it('carries an envelope byte for byte and returns the answer', async () => {
    const [a, b] = await streamPair()
    const envelope = randomBytes(3 * FRAME_DATA_BYTES + 12345)
    const got: Uint8Array[] = []
    const served = receiveEnvelope(b, { ...opts, maxBytes: 1e9, tooLarge: n => new EnvelopeTooLargeError(n, 1e9) }, async (source, size) => {
      assert.equal(size, envelope.length)
      for await (const c of source) got.push(Uint8Array.from(c))
      return RECEIPT
    })
    const reply = await sendEnvelope(a, envelope.length, pieces(envelope, 100_000), opts)
    assert.deepEqual(reply, RECEIPT)
    assert.deepEqual(await served, RECEIPT)
    assert.ok(Buffer.concat(got).equals(envelope))
  })

  it('never has more than the window in flight while the recipient is slow', async () => {
    const [a, b] = await streamPair()
    const envelope = randomBytes(20 * FRAME_DATA_BYTES)
    let sent = 0
    let consumed = 0
    let maxAhead = 0
    async function * counted (): AsyncGenerator<Uint8Array> {
      for await (const p of pieces(envelope, FRAME_DATA_BYTES)) {
        yield p
        sent += p.length // the frame was handed to the stream
        maxAhead = Math.max(maxAhead, sent - consumed)
      }
    }
    const served = receiveEnvelope(b, { ...opts, maxBytes: 1e9, tooLarge: n => new EnvelopeTooLargeError(n, 1e9) }, async (source) => {
      for await (const c of source) {
        await new Promise(resolve => setTimeout(resolve, 5))
        consumed += c.length
      }
      return RECEIPT
    })
    assert.deepEqual(await sendEnvelope(a, envelope.length, counted(), opts), RECEIPT)
    await served
    assert.ok(maxAhead <= (WINDOW_FRAMES + 1) * FRAME_DATA_BYTES, `at most the window ahead of the recipient (was ${maxAhead})`)
  })

  it('an early answer (a report already held) stops the sender', async () => {
    const [a, b] = await streamPair()
    const envelope = randomBytes(40 * FRAME_DATA_BYTES)
    let sent = 0
    async function * counted (): AsyncGenerator<Uint8Array> {
      for await (const p of pieces(envelope, FRAME_DATA_BYTES)) { sent += p.length; yield p }
    }
    const served = receiveEnvelope(b, { ...opts, maxBytes: 1e9, tooLarge: n => new EnvelopeTooLargeError(n, 1e9) }, async (source) => {
      for await (const _ of source) break
      return RECEIPT
    })
    assert.deepEqual(await sendEnvelope(a, envelope.length, counted(), opts), RECEIPT)
    await served
    assert.ok(sent < envelope.length / 2, `the sender stopped early (sent ${sent} of ${envelope.length})`)
  })

  it('refuses an offer over the limit before reading data, and turns a named error into a refusal with its reason', async () => {
    {
      const [a, b] = await streamPair()
      let called = false
      const served = receiveEnvelope(b, { ...opts, maxBytes: 1000, tooLarge: n => new EnvelopeTooLargeError(n, 1000) }, async () => { called = true; return RECEIPT })
      const reply = await sendEnvelope(a, 5000, pieces(randomBytes(5000), 1000), opts)
      assert.equal(reply.type, 'refused')
      assert.equal(reply.type === 'refused' && reply.reason, 'too_large')
      await served
      assert.equal(called, false)
    }
    {
      const [a, b] = await streamPair()
      const served = receiveEnvelope(b, { ...opts, maxBytes: 1e9, tooLarge: n => new EnvelopeTooLargeError(n, 1e9) }, async (source) => {
        for await (const _ of source) throw new ReportIdConflictError('00'.repeat(16))
        return RECEIPT
      })
      const reply = await sendEnvelope(a, 10, [new Uint8Array(10)], opts)
      assert.equal(reply.type === 'refused' && reply.reason, 'report_id_conflict')
      await served
    }
    assert.equal(refusalOf(new Error('secret detail')).type === 'refused' && (refusalOf(new Error('secret detail')) as { message: string }).message.includes('secret'), false, 'unnamed errors are not echoed to the peer')
  })

  it('a sender whose source disagrees with its offer fails instead of sending a short envelope', async () => {
    const [a, b] = await streamPair()
    void receiveEnvelope(b, { ...opts, maxBytes: 1e9, tooLarge: n => new EnvelopeTooLargeError(n, 1e9) }, async (source) => {
      for await (const _ of source) { /* drain */ }
      return RECEIPT
    })
    await assert.rejects(sendEnvelope(a, 100, [new Uint8Array(50)], opts), { name: 'ReportWireError' })
  })
})
