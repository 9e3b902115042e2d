/**
 * For every decoder of protocol/codec, two inputs at its byte limit:
 * - `worst`: a valid message with as many elements as the limits allow,
 *   each as large as the byte limit then leaves room for (the most work a
 *   message the decoder accepts can ask for);
 * - `flood`: the byte limit filled with empty elements of the decoder's
 *   cheapest repeated field (what the pre-scan must refuse before
 *   protobufjs builds them: the attack of issue 12 item 2).
 * Built with the codec's own encoders (worst) or byte by byte (flood).
 */
import {
  encodeEntry, encodeEquivocation, encodeRoster, encodeSegment, encodeSignedRoster, encodeSyncRequest, encodeSyncResponse,
  type DECODERS
} from '../../../protocol/codec/index.js'
import * as L from '../../../protocol/limits.js'
import type { Head, Member, Roster, Segment } from '../../../protocol/types.js'

export type DecoderName = keyof typeof DECODERS

const filled = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte)

/** Protobuf varint bytes of n. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return out
}

/** `count` copies of one tagged empty field, wrapped by `wrap` outer (tag) levels. */
function repeated (tag: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 2)
  for (let i = 0; i < count; i++) { out[2 * i] = tag; out[2 * i + 1] = 0 }
  return out
}

/** `inner` as the length-delimited field `tag`, prefixed by `head` bytes. */
function wrap (head: number[], tag: number, inner: Uint8Array): Uint8Array {
  const pre = [...head, tag, ...varint(inner.length)]
  const out = new Uint8Array(pre.length + inner.length)
  out.set(pre)
  out.set(inner, pre.length)
  return out
}

const AUTHOR = filled(32, 7)

function worstSegment (entryBytes: number): Segment {
  return { entries: Array.from({ length: L.MAX_SEGMENT_ENTRIES }, (_, i) => filled(entryBytes, i % 251)), signature: filled(64, 1) }
}

/** The largest valid roster, encoded: every count at its limit, addresses as long as the byte limit then allows. */
function worstRosterBytes (): Uint8Array {
  const members: Member[] = []
  const perMember = Math.ceil(L.MAX_ROSTER_NODES / L.MAX_MEMBERS)
  let nodes = 0
  for (let m = 0; m < L.MAX_MEMBERS; m++) {
    const n = Math.min(perMember, L.MAX_ROSTER_NODES - nodes)
    nodes += n
    members.push({
      org: `org-${m}`,
      name: `Org ${m}`,
      roles: ['brand', 'platform', 'law-enforcement'],
      nodes: Array.from({ length: n }, (_, j) => ({ signKey: filled(32, (m + j) % 256), boxKey: filled(32, (m + j + 1) % 256), peerId: filled(38, (m + j + 2) % 256), addrs: [] }))
    })
  }
  const roster: Roster = {
    alliance: 'a'.repeat(L.MAX_ID_CHARS),
    version: 7,
    prev: filled(32, 3),
    time: 1_800_000_000_000,
    members,
    policy: { quorum: 2, governanceThreshold: 501, roleWeights: [], maxLifetimeMs: 1, rateLimitPerHour: 0, suite: 'hmac-sha256', epoch: 3, epochKeyCommitment: filled(32, 9), clockToleranceMs: 1, guardians: Array.from({ length: L.MAX_GUARDIANS }, (_, i) => ({ org: `org-${i}`, boxKey: filled(32, i % 256), index: i + 1 })), guardianThreshold: L.MAX_GUARDIANS, shareCommitments: Array.from({ length: L.MAX_GUARDIANS }, (_, i) => filled(32, i % 256)), quotas: Array.from({ length: L.MAX_QUOTAS }, (_, i) => ({ subject: `org-${i}`, perDay: 1e9 })), reasons: Array.from({ length: L.MAX_REASONS }, (_, i) => ({ code: i + 1, name: `reason-${i}`, description: 'd'.repeat(L.MAX_REASON_DESCRIPTION_CHARS) })) }
  }
  // lengthen the addresses until the next step would pass the roster's byte limit
  let best: Uint8Array | undefined
  for (let len = 1; ; len++) {
    for (const m of members) for (const n of m.nodes) n.addrs = Array.from({ length: L.MAX_ADDRS_PER_NODE }, (_, k) => `/dns4/${'h'.repeat(len)}/tcp/${4000 + k}`)
    try { best = encodeRoster(roster) } catch { break }
  }
  if (best === undefined) throw new Error('no roster fits its limit')
  return best
}

export function worstInput (name: DecoderName): Uint8Array {
  switch (name) {
    case 'entry': {
      const sealed = Array.from({ length: L.MAX_SEALED_KEYS }, (_, i) => ({ recipient: filled(32, i % 256), enc: filled(32, (i + 1) % 256), ciphertext: filled(L.MAX_SEALED_CIPHERTEXT_BYTES, (i + 2) % 256) }))
      return encodeEntry({ author: AUTHOR, seq: 2, prev: filled(32, 1), time: 1_800_000_000_000, body: { type: 'key-epoch', suite: 'hmac-sha256', epoch: 2, commitment: filled(32, 5), sealed } })
    }
    case 'roster': return worstRosterBytes()
    case 'signedRoster': {
      const signatures = Array.from({ length: L.MAX_ROSTER_SIGNATURES }, (_, i) => ({ key: filled(32, i % 256), signature: filled(64, (i + 3) % 256) }))
      return encodeSignedRoster({ roster: worstRosterBytes(), signatures })
    }
    case 'segment': return encodeSegment(worstSegment(Math.floor((L.MAX_SEGMENT_BYTES - 80) / L.MAX_SEGMENT_ENTRIES) - 3))
    case 'syncRequest': {
      const heads: Head[] = Array.from({ length: L.MAX_HEADS }, (_, i) => ({ author: filled(32, i % 256), seq: Number.MAX_SAFE_INTEGER - i, id: filled(32, (i + 1) % 256) }))
      return encodeSyncRequest({ alliance: 'a'.repeat(L.MAX_ID_CHARS), heads, maxEntries: 0xffffffff })
    }
    case 'syncResponse': {
      const segments: Segment[] = []
      const per = Math.floor(L.MAX_SYNC_RESPONSE_ENTRIES / L.MAX_SEGMENTS_PER_RESPONSE)
      let left = L.MAX_SYNC_RESPONSE_ENTRIES
      const entryBytes = Math.floor((L.MAX_SYNC_RESPONSE_BYTES - L.MAX_SEGMENTS_PER_RESPONSE * 72) / L.MAX_SYNC_RESPONSE_ENTRIES) - 3
      for (let s = 0; s < L.MAX_SEGMENTS_PER_RESPONSE; s++) {
        const n = s === L.MAX_SEGMENTS_PER_RESPONSE - 1 ? left : Math.min(per, left)
        left -= n
        segments.push({ entries: Array.from({ length: n }, (_, i) => filled(entryBytes, (s + i) % 251)), signature: filled(64, s % 256) })
      }
      return encodeSyncResponse({ segments, done: true })
    }
    case 'equivocation': {
      const seg = worstSegment(Math.floor((L.MAX_SEGMENT_BYTES - 80) / L.MAX_SEGMENT_ENTRIES) - 3)
      return encodeEquivocation({ a: seg, b: { ...seg, signature: filled(64, 2) } })
    }
  }
}

/** Fills `limit` bytes (less `reserve`) with empty copies of a repeated field, nested under `path` (tags of enclosing fields). */
function flood (limit: number, path: number[], tag: number, reserve = 16): Uint8Array {
  const headroom = reserve + path.length * 6
  let inner = repeated(tag, Math.floor((limit - headroom) / 2))
  for (let i = path.length - 1; i >= 0; i--) inner = wrap([], path[i], inner)
  return inner
}

export function floodInput (name: DecoderName): Uint8Array {
  switch (name) {
    case 'entry': return flood(L.MAX_ENTRY_BYTES, [0x72], 0x22) // entry.keyEpoch (14) ⊃ sealed (4)
    case 'roster': return flood(L.MAX_ROSTER_BYTES, [], 0x2a) // roster.members (5)
    case 'signedRoster': return flood(L.MAX_ENTRY_BYTES, [], 0x12) // signatures (2)
    case 'segment': return flood(L.MAX_SEGMENT_BYTES, [], 0x0a) // entries (1)
    case 'syncRequest': return flood(L.MAX_SYNC_REQUEST_BYTES, [], 0x12) // heads (2)
    case 'syncResponse': {
      // the attack: ~4 million empty entries, spread over segments so no one segment is over its own limit
      const perSegment = L.MAX_SEGMENT_ENTRIES
      const segment = wrap([], 0x0a, repeated(0x0a, perSegment))
      const n = Math.floor((L.MAX_SYNC_RESPONSE_BYTES - 16) / segment.length)
      const out = new Uint8Array(n * segment.length)
      for (let i = 0; i < n; i++) out.set(segment, i * segment.length)
      return out
    }
    case 'equivocation': return flood(L.MAX_EQUIVOCATION_BYTES, [0x0a], 0x0a) // a (1) ⊃ entries (1)
  }
}
