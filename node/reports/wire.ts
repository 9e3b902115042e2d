/**
 * The report transfer protocol, `/alliance/<alliance>/report/1.0.0`: one
 * stream carries one envelope (protocol/report/FORMAT.md) from the author's
 * node to one recipient node, and brings back the recipient's answer.
 *
 * Every message is a length-prefixed frame (unsigned varint length, as
 * `lpStream` writes it):
 *
 *   sender → recipient   OFFER    0x01 || u64 envelope size        (first frame)
 *                        DATA     envelope bytes, 1..FRAME_DATA_BYTES (never empty)
 *                        END      an empty frame                   (after the last DATA)
 *   recipient → sender   CREDIT   0x11 || u32 frames               (flow control)
 *                        RECEIPT  0x12 || encoded SignedReceipt    (last frame)
 *                        REFUSED  0x13 || UTF-8 JSON { reason, message } (last frame)
 *
 * Flow control is by credit: the sender may have WINDOW_FRAMES data frames
 * unacknowledged, and the recipient grants CREDIT_BATCH more each time it has
 * consumed (decrypted, checked, written to disk) that many. Yamux alone does
 * not slow a fast sender down (it reopens its window as soon as bytes reach
 * the stream, whether or not anyone reads them), so without credits a slow
 * disk on the recipient would buffer without bound. In flight per stream:
 * WINDOW_FRAMES × FRAME_DATA_BYTES.
 *
 * The recipient may answer before END: a report it already holds is
 * answered with the stored receipt as soon as the report's id and digest are
 * known, and the sender stops sending evidence at once.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { ReportWireError } from './errors.js'

export { REPORT_PROTOCOL_VERSION, reportProtocol } from '../protocols.js'

/** Envelope bytes per DATA frame: 4 STREAM chunks, so framing costs nothing and a window holds few frames. */
export const FRAME_DATA_BYTES = 256 * 1024
/** DATA frames a sender may have unacknowledged: 2 MiB in flight per stream, enough to fill loopback and LAN links. */
export const WINDOW_FRAMES = 8
/** The recipient grants credit in batches of this many frames (one CREDIT frame per MiB). */
export const CREDIT_BATCH = 4
/** A recipient's frames are tiny: a receipt (≤ 1 KiB) or a refusal (≤ MAX_REFUSAL_CHARS). */
export const MAX_REPLY_FRAME_BYTES = 8 * 1024
/** Refusal messages are cut to this length: they are shown to the sender's operator, not parsed. */
export const MAX_REFUSAL_CHARS = 1024
/** Bytes a recipient may buffer per stream: the window plus framing, never more. */
export const RECEIVE_BUFFER_BYTES = (WINDOW_FRAMES + 1) * (FRAME_DATA_BYTES + 16)

export const FRAME = { offer: 0x01, credit: 0x11, receipt: 0x12, refused: 0x13 } as const

/** The recipient's answer. */
export type Reply =
  | { type: 'receipt', receipt: Uint8Array }
  | { type: 'refused', reason: string, message: string }

export interface WireOptions {
  /** A transfer that makes no progress for this long is aborted (each frame, each wait for credit or an answer). */
  idleTimeoutMs: number
  /** Receiving: an error that is not one of ours (answered as `internal`), for the log; the sender only learns the reason. */
  onInternalError?: (err: unknown) => void
  /** Aborts the transfer (the service is stopping). */
  signal?: AbortSignal
}

function u64 (n: number): Uint8Array {
  const b = new Uint8Array(8)
  const v = new DataView(b.buffer)
  v.setUint32(0, Math.floor(n / 0x100000000))
  v.setUint32(4, n >>> 0)
  return b
}

function readU64 (b: Uint8Array, offset: number): number {
  const v = new DataView(b.buffer, b.byteOffset + offset, 8)
  const hi = v.getUint32(0)
  if (hi >= 0x200000) throw new ReportWireError('the offered size is not a safe integer')
  return hi * 0x100000000 + v.getUint32(4)
}

function timeoutSignal (opts: WireOptions): AbortSignal {
  const t = AbortSignal.timeout(opts.idleTimeoutMs)
  return opts.signal === undefined ? t : AbortSignal.any([opts.signal, t])
}

/**
 * One frame from the sender. What the stream itself can do wrong (end
 * mid-frame, announce a frame over the limit, go quiet past the idle
 * timeout) is the sender's fault, named as a ReportWireError rather than
 * answered as an internal failure.
 */
type LpStream = ReturnType<typeof lpStream>

async function readFrame (lp: LpStream, opts: WireOptions): Promise<Awaited<ReturnType<LpStream['read']>>> {
  try {
    return await lp.read({ signal: timeoutSignal(opts) })
  } catch (err) {
    const name = (err as Error).name
    if (opts.signal?.aborted === true) throw err // we are stopping: not the sender's doing
    if (name === 'UnexpectedEOFError') throw new ReportWireError('the stream ended in the middle of a frame', { cause: err })
    if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') throw new ReportWireError(`a frame is longer than ${Math.max(FRAME_DATA_BYTES, 9)} bytes`, { cause: err })
    if (name === 'AbortError' || name === 'TimeoutError') throw new ReportWireError(`the sender made no progress for ${opts.idleTimeoutMs} ms`, { cause: err })
    throw err
  }
}

/** A refusal reply for an error: its reason and message when it is one of ours, a generic one otherwise. */
export function refusalOf (err: unknown): Reply {
  const named = err instanceof Error && typeof (err as { reason?: unknown }).reason === 'string' && err.name !== 'Error'
  if (!named) return { type: 'refused', reason: 'internal', message: 'the recipient failed to process the report; it will accept a retry' }
  return { type: 'refused', reason: (err as Error & { reason: string }).reason, message: (err as Error).message.slice(0, MAX_REFUSAL_CHARS) }
}

export function encodeReply (reply: Reply): Uint8Array {
  const body = reply.type === 'receipt'
    ? reply.receipt
    : new TextEncoder().encode(JSON.stringify({ reason: reply.reason.slice(0, 64), message: reply.message.slice(0, MAX_REFUSAL_CHARS) }))
  const out = new Uint8Array(1 + body.length)
  out[0] = reply.type === 'receipt' ? FRAME.receipt : FRAME.refused
  out.set(body, 1)
  return out
}

function decodeRefusal (body: Uint8Array): Reply {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw new ReportWireError('a refusal that is not UTF-8 JSON')
  }
  const p = parsed as { reason?: unknown, message?: unknown }
  if (typeof p !== 'object' || p === null || typeof p.reason !== 'string' || typeof p.message !== 'string' || !/^[a-z0-9_]{1,64}$/.test(p.reason)) {
    throw new ReportWireError('a refusal without a reason code')
  }
  return { type: 'refused', reason: p.reason, message: p.message.slice(0, MAX_REFUSAL_CHARS) }
}

/**
 * Sender side: offers `size` bytes, streams `source` (the envelope, read from
 * the outbox file) in DATA frames as credit allows, sends END, and resolves
 * with the recipient's answer — possibly before the whole envelope was sent.
 * Rejects on a broken stream, a protocol violation or a stall longer than
 * `idleTimeoutMs`; the stream is closed or aborted in every case.
 */
export async function sendEnvelope (stream: Stream, size: number, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: WireOptions): Promise<Reply> {
  const lp = lpStream(stream, { maxDataLength: MAX_REPLY_FRAME_BYTES })
  const stopReader = new AbortController()
  let credits = WINDOW_FRAMES
  let reply: Reply | undefined
  let failure: unknown
  let wake: (() => void) | undefined

  const reader = (async () => {
    try {
      const signal = opts.signal === undefined ? stopReader.signal : AbortSignal.any([opts.signal, stopReader.signal])
      for (;;) {
        const f = (await lp.read({ signal })).subarray()
        if (f.length === 0) throw new ReportWireError('an empty frame from the recipient')
        if (f[0] === FRAME.credit) {
          if (f.length !== 5) throw new ReportWireError('a malformed credit frame')
          const n = new DataView(f.buffer, f.byteOffset + 1, 4).getUint32(0)
          if (n === 0 || credits + n > WINDOW_FRAMES) throw new ReportWireError('the recipient granted more credit than the window')
          credits += n
        } else if (f[0] === FRAME.receipt) {
          reply = { type: 'receipt', receipt: f.slice(1) }
          return
        } else if (f[0] === FRAME.refused) {
          reply = decodeRefusal(f.subarray(1))
          return
        } else {
          throw new ReportWireError(`unknown frame type ${f[0]} from the recipient`)
        }
        wake?.()
      }
    } catch (err) {
      if (!stopReader.signal.aborted) failure = err
    } finally {
      wake?.()
    }
  })()

  /** Waits for the reader to report something (credit, an answer, a failure), at most idleTimeoutMs. */
  const waitForReader = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { wake = undefined; reject(new ReportWireError(`no answer from the recipient for ${opts.idleTimeoutMs} ms`)) }, opts.idleTimeoutMs)
      wake = () => { clearTimeout(timer); wake = undefined; resolve() }
    })
  }
  const settled = (): boolean => reply !== undefined || failure !== undefined

  let ok = false
  try {
    const offer = new Uint8Array(9)
    offer[0] = FRAME.offer
    offer.set(u64(size), 1)
    await lp.write(offer, { signal: timeoutSignal(opts) })
    let sent = 0
    outer: for await (const piece of source) {
      for (let off = 0; off < piece.length; off += FRAME_DATA_BYTES) {
        while (credits === 0 && !settled()) await waitForReader()
        if (settled()) break outer
        const part = piece.subarray(off, Math.min(piece.length, off + FRAME_DATA_BYTES))
        sent += part.length
        if (sent > size) throw new ReportWireError(`the envelope is longer than the ${size} bytes offered`)
        credits--
        await lp.write(part, { signal: timeoutSignal(opts) })
      }
    }
    if (!settled()) {
      if (sent !== size) throw new ReportWireError(`the envelope has ${sent} bytes, ${size} were offered`)
      await lp.write(new Uint8Array(0), { signal: timeoutSignal(opts) })
    }
    while (!settled()) await waitForReader()
    if (reply === undefined) throw failure
    ok = true
    return reply
  } finally {
    stopReader.abort()
    await reader
    if (ok) await stream.close({ signal: timeoutSignal(opts) }).catch(() => { stream.abort(new ReportWireError('close timed out')) })
    else stream.abort(failure instanceof Error ? failure : new ReportWireError('transfer abandoned'))
  }
}

/**
 * Recipient side: reads the offer, hands the envelope to `handler` as an
 * AsyncIterable (granting credit as the handler consumes it), writes the
 * handler's answer and closes. A handler that throws is answered with a
 * refusal (refusalOf). An offer over `maxBytes` is refused before any data
 * is read. Resolves with the answer sent (or meant to be sent).
 */
export async function receiveEnvelope (
  stream: Stream,
  opts: WireOptions & { maxBytes: number, tooLarge: (size: number) => Error },
  handler: (source: AsyncIterable<Uint8Array>, size: number) => Promise<Reply>
): Promise<Reply> {
  const lp = lpStream(stream, { maxDataLength: Math.max(FRAME_DATA_BYTES, 9), maxBufferSize: RECEIVE_BUFFER_BYTES })
  let reply: Reply
  try {
    const offer = (await readFrame(lp, opts)).subarray()
    if (offer.length !== 9 || offer[0] !== FRAME.offer) throw new ReportWireError('the first frame is not an offer')
    const size = readU64(offer, 1)
    if (size > opts.maxBytes) throw opts.tooLarge(size)
    let received = 0
    let consumed = 0
    const source = async function * (): AsyncGenerator<Uint8Array> {
      for (;;) {
        const f = await readFrame(lp, opts)
        if (f.byteLength === 0) {
          if (received !== size) throw new ReportWireError(`the envelope ended after ${received} of the ${size} bytes offered`)
          return
        }
        received += f.byteLength
        if (received > size) throw new ReportWireError(`the envelope is longer than the ${size} bytes offered`)
        for (const buf of f) yield buf
        if (++consumed % CREDIT_BATCH === 0) {
          const credit = new Uint8Array(5)
          credit[0] = FRAME.credit
          new DataView(credit.buffer).setUint32(1, CREDIT_BATCH)
          try {
            await lp.write(credit, { signal: timeoutSignal(opts) })
          } catch (err) {
            if (opts.signal?.aborted === true) throw err
            throw new ReportWireError('the sender closed the stream before the envelope ended', { cause: err })
          }
        }
      }
    }
    reply = await handler(source(), size)
  } catch (err) {
    reply = refusalOf(err)
    if (reply.type === 'refused' && reply.reason === 'internal') opts.onInternalError?.(err)
  }
  try {
    await lp.write(encodeReply(reply), { signal: timeoutSignal(opts) })
    await stream.close({ signal: timeoutSignal(opts) })
  } catch (err) {
    stream.abort(err instanceof Error ? err : new ReportWireError('could not answer'))
  }
  return reply
}
