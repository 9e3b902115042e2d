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
import { pullSync, serveSync, type SyncComponents, type SyncResult } from '../../../node/sync.js'
import { decodeSyncResponse } from '../../../protocol/codec/index.js'
import { MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES } from '../../../protocol/limits.js'
import type { Segment, SyncResponse } from '../../../protocol/types.js'
import { memoryStreamPair } from './memory-stream.js'

/**
 * Error names a sync handler may end with on bad input: the protocol's
 * named errors, and the length-prefix and stream errors of @libp2p/utils.
 */
export const SYNC_ERROR_NAMES = new Set([
  'SyncError', 'OversizeError', 'MalformedMessageError', 'NonCanonicalEncodingError', 'InvalidFieldError', 'TooManyError',
  'UnexpectedEOFError', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError',
  'StreamResetError', 'StreamAbortedError', 'StreamClosedError', 'StreamStateError', 'AbortError', 'TimeoutError'
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
        ingest: async (segment: Segment, opts?: { requireSignature?: boolean }) => {
          const out = await ingestor.ingest(segment, opts)
          onOutcome(out, segment)
          return out
        },
        headOf: (author: Uint8Array) => ingestor.headOf(author)
      } as unknown as Ingestor
  return { store: node.store, ingestor: watched, alliance: node.alliance, logger: node.logger.forComponent('alliance:sync') }
}

/** Writes raw bytes, closes our write side, and never throws (the other end may have reset). */
async function sendRaw (stream: Stream, raw: Uint8Array[]): Promise<void> {
  try {
    for (const r of raw) if (!stream.send(r)) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
    await stream.close({ signal: AbortSignal.timeout(5000) })
  } catch {}
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
 * `raw` (frames or garbage), reads whatever comes back. The responder runs
 * exactly as the node's protocol handler runs it (abort on error).
 */
export async function askResponder (c: SyncComponents, raw: Uint8Array[], timeoutMs = 5000): Promise<ResponderRun> {
  const [client, server] = memoryStreamPair()
  const served = serveSync(server, c, AbortSignal.timeout(timeoutMs)).then(() => undefined, (err: Error) => {
    server.abort(err)
    return err
  })
  await sendRaw(client, raw)
  const frames: SyncResponse[] = []
  let readError: Error | undefined
  const lp = lpStream(client, { maxDataLength: MAX_SYNC_RESPONSE_BYTES, maxBufferSize: MAX_SYNC_RESPONSE_BYTES + 16 })
  try {
    for (;;) {
      const f = decodeSyncResponse((await lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray())
      frames.push(f)
      if (f.done) break
    }
  } catch (err) {
    readError = err as Error
  }
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
