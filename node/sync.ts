/**
 * The sync protocol (`/alliance/<id>/sync/1.0.0`): "here are my heads, send
 * what I lack". The requester sends its heads; the responder streams the
 * missing entries of every author, cut into segments that end at the
 * author's signed entries, in length-prefixed frames of bounded size, and
 * ends with `done`. Each frame is ingested as it arrives, so an interrupted
 * sync keeps what it got and the next one resumes from the new heads.
 *
 * A responder that holds a different entry at the requester's head seq
 * (equivocation) sends from that seq, so the requester sees the conflict;
 * where the requester holds more of a log than the responder, the responder
 * sends its own signed head entry, so a fork below the requester's head is
 * seen by the requester too (both sides of a fork detect it, whichever of
 * them pulls).
 */
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { bytesEqual, toHex } from '../protocol/bytes.js'
import {
  decodeSyncRequest, decodeSyncResponse, encodeSyncRequest, encodeSyncResponse
} from '../protocol/codec/index.js'
import { MAX_SEGMENT_ENTRIES, MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES } from '../protocol/limits.js'
import type { Head, Segment } from '../protocol/types.js'
import type { IngestOutcome, Ingestor } from './ingest.js'
import type { ComponentLogger } from './logger.js'
import type { Store } from './store/types.js'
import { NodeError } from './errors.js'

/**
 * 1.1.0: the requester acknowledges each frame and the responder sends the
 * next only then. Yamux grants window on receipt, not on reading, so without
 * acks a responder outruns a requester that is busy verifying and storing,
 * and the stream overflows. The requester acknowledges a frame as soon as it
 * has read it, before ingesting it: the responder reads and sends frame n+1
 * while frame n is verified and stored, and the requester holds at most two
 * frames (SYNC_READ_BUFFER_BYTES). Acknowledging after ingest (stop and wait)
 * left each side idle while the other worked: ~16% of the catch-up's time.
 */
export { SYNC_PROTOCOL_VERSION, syncProtocol } from './protocols.js'
/** The acknowledgement the requester sends after reading a frame that was not the last. */
export const SYNC_ACK = Uint8Array.of(1)

/** Entries per response frame when the requester does not say (and the most it may ask for). */
export const DEFAULT_SYNC_BATCH = 5000
export const MAX_SYNC_BATCH = MAX_SEGMENT_ENTRIES
/** Entry bytes per frame, leaving headroom under MAX_SYNC_RESPONSE_BYTES for framing. */
export const SYNC_FRAME_ENTRY_BYTES = MAX_SYNC_RESPONSE_BYTES - 256 * 1024
/**
 * What the requester buffers of the responder's stream: one largest frame
 * plus one more in flight. @libp2p/utils' default (4 MiB) would cut off any
 * frame between 4 MiB and the protocol's MAX_SYNC_RESPONSE_BYTES, which a
 * log holding large roster entries produces, and that sync could then never
 * complete. Yamux grants window on receipt, not on reading, so this is the
 * bound on what a responder can make us hold.
 */
export const SYNC_READ_BUFFER_BYTES = 2 * MAX_SYNC_RESPONSE_BYTES
/** A whole sync exchange must finish within this time. */
export const SYNC_TIMEOUT_MS = 5 * 60_000

export class SyncError extends NodeError {
  constructor (reason: string, why: string) {
    super(reason, `sync: ${why}`)
    this.name = 'SyncError'
  }
}

export interface SyncResult {
  peer: string
  frames: number
  accepted: number
  rejected: number
  gaps: number
  equivocations: number
}

export interface SyncComponents {
  store: Store
  ingestor: Ingestor
  alliance: string
  logger: ComponentLogger
}

/** Responder side: answers one sync request on `stream`. */
export async function serveSync (stream: Stream, c: SyncComponents, signal: AbortSignal): Promise<{ entries: number }> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_REQUEST_BYTES })
  const req = decodeSyncRequest((await lp.read({ signal })).subarray())
  if (req.alliance !== c.alliance) throw new SyncError('wrong_alliance', `peer asked for alliance ${req.alliance}`)
  const batch = Math.min(req.maxEntries > 0 ? req.maxEntries : DEFAULT_SYNC_BATCH, MAX_SYNC_BATCH)
  const theirs = new Map<string, Head>(req.heads.map(h => [toHex(h.author), h]))

  let segments: Segment[] = []
  let frameEntries = 0
  let frameBytes = 0
  let sent = 0
  const flush = async (done: boolean): Promise<void> => {
    await lp.write(encodeSyncResponse({ segments, done }), { signal })
    segments = []
    frameEntries = 0
    frameBytes = 0
    if (!done) {
      // flow control: the next frame only once the requester has read this one
      const ack = (await lp.read({ signal })).subarray()
      if (ack.length !== 1 || ack[0] !== SYNC_ACK[0]) throw new SyncError('bad_ack', 'peer sent something other than a frame acknowledgement')
    }
  }

  for (const head of c.store.heads()) {
    const their = theirs.get(toHex(head.author))
    if (their !== undefined && their.seq > head.seq) {
      // They hold more of this log than we do. Show them our signed head: if
      // their entry at that seq differs, the author signed two histories and
      // only they can see it (we cannot compare ids we were never sent).
      const [ours] = await c.store.range(head.author, head.seq, 1)
      if (ours?.signature === undefined) continue
      if (frameEntries + 1 > batch || frameBytes + ours.bytes.length + 4 > SYNC_FRAME_ENTRY_BYTES) {
        sent += frameEntries
        await flush(false)
      }
      segments.push({ entries: [ours.bytes], signature: ours.signature })
      frameEntries++
      frameBytes += ours.bytes.length + 4
      continue
    }
    let from = (their?.seq ?? 0) + 1
    if (their !== undefined && their.seq <= head.seq) {
      const ours = await c.store.idAt(head.author, their.seq)
      if (ours !== undefined && !bytesEqual(ours, their.id)) from = their.seq
    }
    let run: Uint8Array[] = []
    while (from <= head.seq) {
      const room = batch - frameEntries
      const entries = await c.store.range(head.author, from, room, SYNC_FRAME_ENTRY_BYTES - frameBytes)
      if (entries.length === 0) {
        if (frameEntries === 0) throw new SyncError('store', `no entries of ${toHex(head.author).slice(0, 12)} from seq ${from}`)
        if (run.length > 0) { segments.push({ entries: run, signature: new Uint8Array(0) }); run = [] }
        await flush(false)
        continue
      }
      for (const e of entries) {
        run.push(e.bytes)
        frameEntries++
        frameBytes += e.bytes.length + 4
        if (e.signature !== undefined) {
          segments.push({ entries: run, signature: e.signature })
          run = []
        }
      }
      from = entries[entries.length - 1].seq + 1
      if (frameEntries >= batch || frameBytes >= SYNC_FRAME_ENTRY_BYTES) {
        if (run.length > 0) { segments.push({ entries: run, signature: new Uint8Array(0) }); run = [] }
        sent += frameEntries
        await flush(false)
      }
    }
    if (run.length > 0) segments.push({ entries: run, signature: new Uint8Array(0) })
  }
  sent += frameEntries
  await flush(true)
  await stream.close({ signal })
  return { entries: sent }
}

/** Requester side: pulls what `stream`'s peer has and we lack, ingesting frame by frame. */
export async function pullSync (stream: Stream, peer: string, c: SyncComponents, signal: AbortSignal): Promise<SyncResult> {
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_RESPONSE_BYTES, maxBufferSize: SYNC_READ_BUFFER_BYTES })
  const heads: Head[] = []
  for (const h of c.store.heads()) {
    const mine = c.ingestor.headOf(h.author, peer) ?? h
    heads.push({ author: h.author, seq: mine.seq, id: mine.id })
  }
  await lp.write(encodeSyncRequest({ alliance: c.alliance, heads, maxEntries: DEFAULT_SYNC_BATCH }), { signal })
  const result: SyncResult = { peer, frames: 0, accepted: 0, rejected: 0, gaps: 0, equivocations: 0 }
  for (;;) {
    const frame = decodeSyncResponse((await lp.read({ signal })).subarray())
    result.frames++
    // the next frame travels (into lp's bounded buffer) while this one is ingested
    if (!frame.done) await lp.write(SYNC_ACK, { signal })
    for (const segment of frame.segments) {
      const out: IngestOutcome = await c.ingestor.ingest(segment, { from: peer })
      if (out.result === 'accepted') result.accepted += out.applied
      else if (out.result === 'rejected') {
        result.rejected++
        c.logger.debug('sync entry rejected', { peer, reason: out.reason })
      } else if (out.result === 'gap') result.gaps++
      else if (out.result === 'equivocation') result.equivocations++
    }
    if (frame.done) break
  }
  await stream.close({ signal }).catch(() => undefined)
  return result
}
