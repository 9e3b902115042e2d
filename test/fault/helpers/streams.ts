/**
 * Both ends of the sync protocol over in-memory stream pairs (the same
 * `Stream` type libp2p hands the node, without the network): what a fuzzer
 * needs to play requester against the node's responder, and responder
 * against the node's requester.
 */
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type { AllianceNode } from '../../../node/alliance-node.js'
import type { IngestOutcome, Ingestor } from '../../../node/ingest.js'
import { SYNC_ACK, SYNC_READ_BUFFER_BYTES, pullSync, serveSync, type SyncComponents, type SyncResult } from '../../../node/sync.js'
import { decodeSyncResponse } from '../../../protocol/codec/index.js'
import { MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES } from '../../../protocol/limits.js'
import type { Segment, SyncResponse } from '../../../protocol/types.js'
import { memoryStreamPair } from './memory-stream.js'

/**
 * Error names a sync handler may end with on bad input: the protocol's
 * named errors, and the length-prefix and stream errors of @libp2p/utils.
 * Not AbortError or TimeoutError: a handler that waits until its time limit
 * has hung, whatever the input.
 */
export const SYNC_ERROR_NAMES = new Set([
  'SyncError', 'OversizeError', 'MalformedMessageError', 'NonCanonicalEncodingError', 'InvalidFieldError', 'TooManyError',
  'UnexpectedEOFError', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError',
  'StreamResetError', 'StreamAbortedError', 'StreamClosedError', 'StreamStateError'
])

/** A varint length prefix and `data`: one frame as the protocol writes it. */
export function frame (data: Uint8Array): Uint8Array {
  const prefix: number[] = []
  let n = data.length
  while (n >= 0x80) { prefix.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  prefix.push(n)
  const out = new Uint8Array(prefix.length + data.length)
  out.set(prefix)
  out.set(data, prefix.length)
  return out
}

/** The sync components of a node, with every ingest outcome passed through `onOutcome` first. */
export function syncComponents (node: AllianceNode, onOutcome?: (out: IngestOutcome, segment: Segment) => void): SyncComponents {
  const ingestor = node.ingestor
  const watched = onOutcome === undefined
    ? ingestor
    : {
        ingest: async (segment: Segment, opts?: { requireSignature?: boolean, from?: string }) => {
          const out = await ingestor.ingest(segment, opts)
          onOutcome(out, segment)
          return out
        },
        headOf: (author: Uint8Array, from?: string) => ingestor.headOf(author, from)
      } as unknown as Ingestor
  return { store: node.store, ingestor: watched, alliance: node.alliance, logger: node.logger.forComponent('alliance:sync') }
}

/**
 * Sends a request as a fuzzer would: a request that is exactly one frame
 * leaves our side open (acks go on it); anything else is closed after it, so
 * a responder waiting for more bytes sees the end at once.
 */
export async function sendRequest (stream: Stream, raw: Uint8Array[]): Promise<void> {
  if (isOneFrame(raw)) await sendWithoutClosing(stream, raw)
  else await sendRaw(stream, raw)
}

/** True when `raw` is exactly one length-prefixed frame, nothing before or after. */
function isOneFrame (raw: Uint8Array[]): boolean {
  const b = raw.length === 1 ? raw[0] : Uint8Array.from(raw.flatMap(r => [...r]))
  let n = 0
  let mul = 1
  for (let i = 0; i < b.length && i < 10; i++) {
    n += (b[i] & 0x7f) * mul
    if ((b[i] & 0x80) === 0) return i + 1 + n === b.length
    mul *= 128
  }
  return false
}

/** Writes raw bytes and never throws (the other end may have reset). */
async function sendWithoutClosing (stream: Stream, raw: Uint8Array[]): Promise<void> {
  try {
    for (const r of raw) if (!stream.send(r)) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
  } catch {}
}

/** Writes raw bytes, closes our write side, and never throws (the other end may have reset). */
async function sendRaw (stream: Stream, raw: Uint8Array[]): Promise<void> {
  await sendWithoutClosing(stream, raw)
  try {
    await stream.close({ signal: AbortSignal.timeout(5000) })
  } catch {}
}

/**
 * Reads response frames as a requester does: acknowledges each frame that is
 * not the last (sync 1.1.0 flow control), stops at `done`. Returns the frames
 * read and the error that ended the reading, if any.
 */
export async function readResponse (stream: Stream, timeoutMs: number): Promise<{ frames: SyncResponse[], error?: Error }> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_RESPONSE_BYTES, maxBufferSize: SYNC_READ_BUFFER_BYTES })
  const frames: SyncResponse[] = []
  try {
    for (;;) {
      const f = decodeSyncResponse((await lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray())
      frames.push(f)
      if (f.done) return { frames }
      await lp.write(SYNC_ACK, { signal: AbortSignal.timeout(timeoutMs) })
    }
  } catch (err) {
    return { frames, error: err as Error }
  }
}

export interface ResponderRun {
  /** What the responder ended with (undefined: served normally). */
  error?: Error
  /** Frames the requester side read before `done`, an error or the end. */
  frames: SyncResponse[]
  readError?: Error
}

/**
 * Plays requester against `node`'s responder on an in-memory stream: sends
 * `raw` (frames or garbage), reads whatever comes back, acknowledging frames
 * as a requester does. The responder runs exactly as the node's protocol
 * handler runs it (abort on error).
 */
export async function askResponder (c: SyncComponents, raw: Uint8Array[], timeoutMs = 5000): Promise<ResponderRun> {
  const [client, server] = memoryStreamPair()
  const served = serveSync(server, c, AbortSignal.timeout(timeoutMs)).then(() => undefined, (err: Error) => {
    server.abort(err)
    return err
  })
  await sendRequest(client, raw)
  const { frames, error: readError } = await readResponse(client, timeoutMs)
  const error = await served
  client.abort(new Error('fuzz run over'))
  return { error, frames, readError }
}

export interface RequesterRun {
  error?: Error
  result?: SyncResult
}

/**
 * Plays responder against `node`'s requester on an in-memory stream: waits
 * for its request, then sends `raw` (frames or garbage) and closes.
 */
export async function feedRequester (c: SyncComponents, raw: Uint8Array[], timeoutMs = 5000): Promise<RequesterRun> {
  const [client, server] = memoryStreamPair()
  const pulled = pullSync(client, 'fuzz-responder', c, AbortSignal.timeout(timeoutMs)).then(result => ({ result }), (err: Error) => {
    client.abort(err)
    return { error: err }
  })
  const lp = lpStream(server, { maxDataLength: MAX_SYNC_REQUEST_BYTES })
  try {
    await lp.read({ signal: AbortSignal.timeout(timeoutMs) })
    await sendRaw(lp.unwrap(), raw)
  } catch {}
  const out = await pulled
  server.abort(new Error('fuzz run over'))
  return out
}
