/**
 * The evidence service: spreads equivocation evidence, so every node holds
 * the same evidence and excludes the same keys from consensus
 * (protocol/consensus/exclusion.ts), whichever fork of a key's log reached
 * it and whether or not it ever sees the other fork.
 *
 * - Gossip: evidence this node finds or is sent is published on the
 *   alliance's evidence topic; the validator hands what arrives to the
 *   ingest pipeline, which checks both signatures and the fork before
 *   keeping anything (accept: new evidence, relayed on; ignore: a key
 *   already flagged; reject: evidence that proves nothing, which lowers the
 *   relayer's score). Gossip carries evidence up to the host's gossip
 *   message limit (1 MiB); larger evidence travels by sync alone.
 * - Sync: after every sync pull, the requester sends the keys it already
 *   holds evidence against and the responder answers with evidence against
 *   the others. Wire (`/alliance/<id>/evidence-sync/1.0.0`), length-prefixed
 *   frames: request = the known keys, 32 bytes each, concatenated (fixed
 *   layout, checked by its length); response = one frame holding a count
 *   byte n (0..MAX_EVIDENCE_PER_SYNC), then n frames, each an encoded
 *   Equivocation (the codec's limits). Then both sides close.
 */
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { toHex } from '../../protocol/bytes.js'
import { KEY_BYTES, MAX_EQUIVOCATION_BYTES, MAX_HEADS } from '../../protocol/limits.js'
import { NodeError } from '../errors.js'
import type { EvidenceOutcome, Ingestor } from '../ingest.js'
import type { ComponentLogger } from '../logger.js'
import type { GossipVerdict, Host } from '../net/host.js'
import { evidenceSyncProtocol, evidenceTopic } from '../protocols.js'

/** Evidence sent in one exchange: keys proved to equivocate are rare; the next sync brings the rest. */
export const MAX_EVIDENCE_PER_SYNC = 16
/** Known keys in one request: one per author key an alliance can hold (MAX_HEADS). */
export const MAX_EVIDENCE_REQUEST_BYTES = MAX_HEADS * KEY_BYTES
/** One exchange must finish within this time. */
export const EVIDENCE_SYNC_TIMEOUT_MS = 60_000

export class EvidenceSyncError extends NodeError {
  constructor (reason: string, why: string) {
    super(reason, `evidence sync: ${why}`)
    this.name = 'EvidenceSyncError'
  }
}

export interface EvidenceServiceComponents {
  host: Host
  ingestor: Ingestor
  alliance: string
  logger: ComponentLogger
}

export interface EvidencePullResult {
  accepted: number
  duplicate: number
  rejected: number
}

export class EvidenceService {
  readonly topic: string
  readonly protocol: string
  readonly #c: EvidenceServiceComponents
  #unsubscribe: (() => void) | undefined

  constructor (components: EvidenceServiceComponents) {
    this.#c = components
    this.topic = evidenceTopic(components.alliance)
    this.protocol = evidenceSyncProtocol(components.alliance)
  }

  async start (): Promise<void> {
    this.#unsubscribe = this.#c.host.subscribe(this.topic, async (_from, data) => await this.validate(data), () => {})
    await this.#c.host.handle(this.protocol, (stream) => {
      serveEvidence(stream, this.#c.ingestor, AbortSignal.timeout(EVIDENCE_SYNC_TIMEOUT_MS)).catch(err => {
        this.#c.logger.debug('evidence request failed', { error: (err as Error).message })
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 2 })
  }

  async stop (): Promise<void> {
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    await this.#c.host.unhandle(this.protocol).catch(() => undefined)
  }

  /** The verdict on one gossiped piece of evidence. */
  async validate (data: Uint8Array): Promise<GossipVerdict> {
    let out: EvidenceOutcome
    try {
      out = await this.#c.ingestor.ingestEvidence(data)
    } catch (err) {
      this.#c.logger.error('could not store gossiped evidence (this node\'s fault, not the peer\'s)', { error: (err as Error).message, name: (err as Error).name })
      return 'ignore'
    }
    return out.result === 'accepted' ? 'accept' : out.result === 'rejected' ? 'reject' : 'ignore'
  }

  /** Publishes evidence this node holds (a failed publish is fine: peers pull it with their next sync). */
  async publish (evidence: Uint8Array): Promise<void> {
    await this.#c.host.publish(this.topic, evidence).catch(err => {
      this.#c.logger.debug('evidence publish failed; peers will sync it', { error: (err as Error).message })
    })
  }

  /** Pulls the evidence `peer` holds against keys this node has not flagged yet. */
  async pull (peer: string, signal: AbortSignal): Promise<EvidencePullResult> {
    const stream = await this.#c.host.dialProtocol(peer, this.protocol, { signal })
    const result: EvidencePullResult = { accepted: 0, duplicate: 0, rejected: 0 }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_EQUIVOCATION_BYTES })
      const known = [...this.#c.ingestor.flagged.keys()].slice(0, MAX_HEADS).map(k => Buffer.from(k, 'hex'))
      await lp.write(Buffer.concat(known), { signal })
      const count = (await lp.read({ signal })).subarray()
      if (count.length !== 1 || count[0] > MAX_EVIDENCE_PER_SYNC) throw new EvidenceSyncError('bad_frame', 'the count frame is not one byte of at most MAX_EVIDENCE_PER_SYNC')
      for (let i = 0; i < count[0]; i++) {
        const out = await this.#c.ingestor.ingestEvidence((await lp.read({ signal })).subarray())
        result[out.result]++
        if (out.result === 'rejected') this.#c.logger.debug('evidence from a sync peer rejected', { peer, reason: out.reason })
      }
      await stream.close({ signal }).catch(() => undefined)
      return result
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }
}

/** Responder side: reads the keys the peer knows, sends evidence against the others. */
export async function serveEvidence (stream: Stream, ingestor: Ingestor, signal: AbortSignal): Promise<number> {
  const lp = lpStream(stream, { maxDataLength: MAX_EVIDENCE_REQUEST_BYTES })
  const req = (await lp.read({ signal })).subarray()
  if (req.length % KEY_BYTES !== 0) throw new EvidenceSyncError('bad_frame', `the request is not a list of ${KEY_BYTES}-byte keys`)
  const known = new Set<string>()
  for (let at = 0; at < req.length; at += KEY_BYTES) known.add(toHex(req.subarray(at, at + KEY_BYTES)))
  const evidence = await ingestor.evidenceFor(known, MAX_EVIDENCE_PER_SYNC)
  await lp.write(Uint8Array.of(evidence.length), { signal })
  for (const ev of evidence) await lp.write(ev, { signal })
  await stream.close({ signal })
  return evidence.length
}
