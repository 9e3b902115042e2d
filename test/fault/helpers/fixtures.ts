/**
 * Signed protocol data made with real members' keys, for fault tests that
 * play a member (honest, byzantine or hostile) without running its node.
 */
import { loadNodeKeys, type NodeKeys } from '../../../node/keys.js'
import type { AllianceNode } from '../../../node/alliance-node.js'
import { encodeSegment } from '../../../protocol/codec/index.js'
import { appendSegment, type LogEntry, type LogHead } from '../../../protocol/log/index.js'
import type { Signer } from '../../../protocol/ed25519.js'
import type { Attestation, Body, Segment } from '../../../protocol/types.js'
import type { TestNet } from '../../helpers/nodes.js'

export const DAY = 86_400_000
export const HOUR = 3_600_000

/** An attestation of a fingerprint derived from `n` (and `salt`, so forks can differ). */
export function attestation (n: number, expires: number, salt = 0): Attestation {
  const fingerprint = new Uint8Array(32)
  const v = new DataView(fingerprint.buffer)
  v.setUint32(0, salt)
  v.setUint32(4, n)
  fingerprint[31] = 0xfa // never the fingerprint of a real identifier
  return { type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 0, confidence: 90, evidenceDigest: new Uint8Array(0), expires, epoch: 1 }
}

export interface Signed {
  entries: LogEntry[]
  segment: Segment
  /** The encoded segment, as gossip carries it. */
  bytes: Uint8Array
}

/** A signed segment of `bodies` continuing `head` in `signer`'s log. */
export function signed (signer: Signer, alliance: string, head: LogHead | undefined, bodies: Body[], time: number): Signed {
  const { entries, segment } = appendSegment({ signer, alliance, head, bodies, time })
  return { entries, segment, bytes: encodeSegment(segment) }
}

export function tip (entries: LogEntry[]): LogHead {
  const l = entries[entries.length - 1]
  return { seq: l.entry.seq, id: l.id, time: l.entry.time }
}

/** Keys of every member of a test net, by org. */
export async function memberKeys (net: TestNet): Promise<Record<string, NodeKeys>> {
  const out: Record<string, NodeKeys> = {}
  for (const [org, dir] of Object.entries(net.dirs)) out[org] = await loadNodeKeys(dir)
  return out
}

/**
 * Writes `segments` signed segments of `size` attestations by `signer`
 * straight into `node` (through its ingest pipeline), continuing what the
 * node holds of that author. Returns every segment as sent.
 */
export async function feed (node: AllianceNode, signer: Signer, segments: number, size: number, opts: { time?: number, salt?: number } = {}): Promise<Signed[]> {
  const out: Signed[] = []
  const time = opts.time ?? Date.now()
  for (let i = 0; i < segments; i++) {
    const head = node.ingestor.headOf(signer.publicKey)
    const first = (head?.seq ?? 0) + 1
    const s = signed(signer, node.alliance, head, Array.from({ length: size }, (_, j) => attestation(first + j, time + 30 * DAY, opts.salt ?? 0)), time)
    const outcome = await node.ingestRaw(s.bytes, false)
    if (outcome.result !== 'accepted') throw new Error(`fixture segment not accepted: ${JSON.stringify(outcome)}`)
    out.push(s)
  }
  return out
}
