/**
 * Fuzzing the report transfer protocol (`/alliance/<id>/report/1.0.0`) over
 * a real libp2p connection: a roster member's node sends the police node
 * mutated copies of real envelopes (through the real sender, so framing and
 * flow control are right and only the content is hostile) — of a report the
 * police node holds, and of one it has never seen, which it must open and
 * check in full — and raw byte strings and made-up frame sequences straight
 * onto the stream.
 *
 * Each input must end in a named way, in less than the sender's idle limit
 * (a receipt for the report it already holds, a refusal with a reason, or
 * the stream reset; raw bytes and made-up frames must get a refusal or a
 * reset, read from the stream like any answer), the police node
 * stays up and connected, stores nothing new (inbox, received evidence, no
 * temporary file left behind), and its memory stays bounded.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { type AllianceNode } from '../../node/alliance-node.js'
import { startDaemon } from '../../node/daemon.js'
import { lpStream } from '@libp2p/utils'
import { reportProtocol, sendEnvelope } from '../../node/reports/index.js'
import { FRAME, MAX_REPLY_FRAME_BYTES } from '../../node/reports/wire.js'
import { applyMutations, mutations } from '../helpers/mutate.js'
import { makeNodeDirs, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { randomFile, reportInput } from '../integration/reports/helpers.js'
import { frame } from './helpers/streams.js'
import { tally } from './helpers/outcomes.js'
import { FUZZ_RUNS, SOAK, budget, record } from './helpers/scale.js'
import { MiB, assertMemoryBounded, liveBytes } from './helpers/state.js'

const RUNS = SOAK ? Math.min(Math.ceil(FUZZ_RUNS / 10), 20_000) : Math.min(FUZZ_RUNS, 300)
const PER_INPUT_MS = 10_000
/**
 * Error names an input may end with on the sender's side: a protocol
 * violation (ours, when an envelope lies about its size, or the
 * recipient's), the stream reset or closed by the recipient. Not AbortError
 * or TimeoutError, and no input may take PER_INPUT_MS: the sender's idle
 * limit is PER_INPUT_MS, so a recipient that went quiet shows as a hang.
 */
const ENDS = new Set(['ReportWireError', 'StreamResetError', 'StreamStateError', 'StreamClosedError', 'UnexpectedEOFError', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'MuxerClosedError', 'StreamAbortedError'])

/**
 * Reads the recipient's answer to raw bytes we sent: credit frames are
 * skipped; a receipt or a refusal (with its reason) ends it. Throws on
 * anything else, a time-out included.
 */
async function readReply (lp: ReturnType<typeof lpStream>, timeoutMs: number): Promise<string> {
  for (;;) {
    const f = (await lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray()
    if (f[0] === FRAME.credit && f.length === 5) continue
    if (f[0] === FRAME.receipt) return 'receipt'
    if (f[0] === FRAME.refused) {
      const { reason, message } = JSON.parse(Buffer.from(f.subarray(1)).toString('utf8')) as { reason: string, message: string }
      assert.ok(/^[a-z_]+$/.test(reason) && message.length > 0, `a refusal names its reason: ${reason}`)
      return `refused:${reason}`
    }
    throw new Error(`an unknown frame from the recipient: type ${f[0]}, ${f.length} bytes`)
  }
}

type Daemon = Awaited<ReturnType<typeof startDaemon>>

describe('fault: fuzzing the report protocol', function () {
  this.timeout(budget(120_000, RUNS, 200))
  let net: TestNet
  const daemons: Record<string, Daemon> = {}
  const node = (org: string): AllianceNode => daemons[org].node
  let envelope: Uint8Array
  let unheld: Uint8Array
  /** Error lines the police node logged: none may come from the fuzzing. */
  const policeErrors: string[] = []

  const files = (org: string): string[] => ['inbox', 'tmp'].flatMap(d => readdirSync(join(net.dirs[org], 'reports', d), { recursive: true }).map(String))

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }, { org: 'police', role: 'law-enforcement' }], { quorum: 1 })
    const evidence = join(net.root, 'photo.jpg')
    randomFile(evidence, 300 * 1024) // two DATA frames
    // reports queued while the police node is offline; their envelopes are the seeds of the mutations
    const queue = async (org: string): Promise<Uint8Array> => {
      daemons[org] = await startDaemon(net.dirs[org], { logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: 60_000 })
      const sent = await node(org).reportSend({ report: reportInput([], ['police']), to: ['police'], evidence: [evidence] })
      return new Uint8Array(readFileSync(join(net.dirs[org], 'reports', 'outbox', `${sent.id}.envelope`)))
    }
    // brand-b's is never delivered (its node stops): the police node must decrypt and check every mutated copy
    unheld = await queue('brand-b')
    await daemons['brand-b'].stop()
    delete daemons['brand-b']
    // brand-a's is delivered: mutated copies of a held report
    envelope = await queue('brand-a')
    daemons.police = await startDaemon(net.dirs.police, { logLevel: 'error', logSink: line => { policeErrors.push(line) }, antiEntropyIntervalMs: 60_000 })
    await eventually(async () => (await node('brand-a').reportOutbox())[0]?.state === 'delivered', 30_000, 'the real report delivered')
  })

  after(async () => {
    await Promise.all(Object.values(daemons).map(async d => await d.stop()))
    net?.cleanup()
  })

  it(`${RUNS} mutated envelopes, raw bytes and made-up frames from a roster peer: a receipt for the held report, a named refusal or a reset; nothing stored; the node stays up`, async () => {
    const police = node('police')
    const brand = node('brand-a')
    const peer = police.host.peerId.toString()
    const protocol = reportProtocol(police.alliance)
    const inboxBefore = JSON.stringify(await police.reportInbox())
    const filesBefore = files('police').sort()
    const offer = (size: number): Uint8Array => { const b = new Uint8Array(9); b[0] = 0x01; new DataView(b.buffer).setBigUint64(1, BigInt(size)); return b }
    const input = fc.oneof(
      // a real envelope, mutated, sent by the real sender (framing and credits honest): of a report the node holds, and of one it does not
      { weight: 2, arbitrary: fc.tuple(mutations, fc.boolean()).map(([ms, sizeLies]) => ({ kind: 'envelope' as const, bytes: applyMutations(envelope, ms), sizeLies })) },
      { weight: 3, arbitrary: fc.tuple(mutations, fc.boolean()).map(([ms, sizeLies]) => ({ kind: 'unheld' as const, bytes: applyMutations(unheld, ms), sizeLies })).filter(x => Buffer.compare(x.bytes, unheld) !== 0) },
      // made-up frame sequences: an offer of any size, some data frames, maybe the end frame
      { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 2 ** 40 }), fc.array(fc.uint8Array({ minLength: 1, maxLength: 2048 }), { maxLength: 4 }), fc.boolean()).map(([size, data, end]) => ({ kind: 'frames' as const, bytes: Buffer.concat([frame(offer(size)), ...data.map(frame), ...(end ? [frame(new Uint8Array(0))] : [])]) })) },
      // raw bytes, not even framed
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }).map(bytes => ({ kind: 'raw' as const, bytes })) }
    )
    const ends: Record<string, number> = {}
    const pristine = Buffer.from(envelope).toString('base64')
    const mem = liveBytes()
    let n = 0
    const t0 = Date.now()
    let slowest = 0
    await fc.assert(fc.asyncProperty(input, async x => {
      const started = Date.now()
      const stream = await brand.host.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(PER_INPUT_MS) })
      let end: string
      try {
        if (x.kind === 'envelope' || x.kind === 'unheld') {
          const size = x.sizeLies ? x.bytes.length + 1 : x.bytes.length
          const reply = await sendEnvelope(stream, size, [x.bytes], { idleTimeoutMs: PER_INPUT_MS })
          end = reply.type === 'refused' ? `refused:${reply.reason}` : reply.type
          assert.ok(x.kind === 'envelope' || reply.type === 'refused', 'an altered envelope of a report the node does not hold is never receipted')
          if (reply.type === 'refused') assert.ok(/^[a-z_]+$/.test(reply.reason) && reply.message.length > 0, `a refusal names its reason: ${JSON.stringify(reply)}`)
        } else {
          // straight onto the stream, then read what the recipient answers: it must answer (a refusal, a receipt) or reset
          const lp = lpStream(stream, { maxDataLength: MAX_REPLY_FRAME_BYTES })
          if (!stream.send(x.bytes)) await stream.onDrain({ signal: AbortSignal.timeout(PER_INPUT_MS) })
          await stream.close({ signal: AbortSignal.timeout(PER_INPUT_MS) })
          end = await readReply(lp, PER_INPUT_MS).catch((err: Error) => {
            // a reset is an answer; a stream that ends (or goes quiet) without a reply is not
            if (err.name === 'StreamResetError') return 'reset'
            assert.fail(`${x.kind}: the recipient did not answer: ${err.name}: ${err.message}`)
          })
          assert.notEqual(end, 'receipt', 'made-up bytes are never receipted')
        }
      } catch (err) {
        const name = (err as Error).name
        assert.ok(ENDS.has(name), `${x.kind}: unnamed end ${name}: ${(err as Error).message}`)
        end = `error:${name}`
      } finally {
        stream.abort(new Error('done'))
      }
      const took = Date.now() - started
      slowest = Math.max(slowest, took)
      assert.ok(took < PER_INPUT_MS, `${x.kind}: ended as ${end} after ${took} ms: the sender's idle limit ran out (a hang)`)
      tally(ends, `${x.kind}:${end}`)
      n++
    }), { numRuns: RUNS, timeout: PER_INPUT_MS * 2 })

    // no failure of the node's own (an `internal` refusal is logged as an error with its detail)
    assert.deepEqual(policeErrors.filter(l => l.includes('"level":"error"')), [], 'the police node logged no error')
    assert.ok(!Object.keys(ends).some(k => k.endsWith(':internal')), `no internal refusal: ${JSON.stringify(ends)}`)
    // nothing stored: the inbox is as it was, and no evidence or temporary file was left behind
    await eventually(() => JSON.stringify(files('police').sort()) === JSON.stringify(filesBefore), 10_000, 'no file left behind on the police node')
    assert.equal(JSON.stringify(await police.reportInbox()), inboxBefore)
    const grew = assertMemoryBounded(mem, 96 * MiB, 'report protocol fuzz')
    // still up and receiving: the real envelope gets the stored receipt
    assert.ok(police.host.connectedPeers().includes(brand.host.peerId.toString()))
    const stream = await brand.host.dialProtocol(peer, protocol)
    assert.equal(Buffer.from(envelope).toString('base64'), pristine, 'the seed envelope is unchanged')
    const last = await sendEnvelope(stream, envelope.length, [envelope], { idleTimeoutMs: PER_INPUT_MS })
    assert.equal(last.type, 'receipt', JSON.stringify(last))
    if (process.env.FUZZ_VERBOSE !== undefined) console.log(ends, policeErrors.map(l => l.slice(0, 600)))
    record('fuzz.report', { inputs: n, perSecond: Math.round(n / ((Date.now() - t0) / 1000)), slowestInputMs: slowest, memoryGrowthMiB: Math.round(grew / MiB), ends })
  })
})
