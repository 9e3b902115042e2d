/**
 * verify: entries/s verified for bulk segments of 1,000 entries per signature
 * (decode with limits + canonical check, tagged id hash, chain, roster lookup,
 * body rules, one Ed25519 verify per segment). Baseline in the same run:
 * decodeEntry alone over the same bytes, so the ratio shows what chaining,
 * hashing and the signature add. Target ≥ 100,000 entries/s on one core.
 */
import '../node/polyfill.js'
import { decodeEntry } from '../protocol/codec/index.js'
import { appendSegment, verifySegment, type VerifyContext } from '../protocol/log/index.js'
import type { Body, Segment } from '../protocol/types.js'
import { makeAlliance, GENESIS_TIME } from '../test/helpers/alliance.js'
import { alternate, fmt, result, timeIt } from './_util.js'

const SEGMENTS = Number(process.env.SEGMENTS ?? 100)
const PER_SEGMENT = 1000
const T = GENESIS_TIME + 1000
const a = makeAlliance()
const signer = a.orgs[0].nodes[0].signer

const segments: Segment[] = []
let head
for (let s = 0; s < SEGMENTS; s++) {
  const bodies: Body[] = Array.from({ length: PER_SEGMENT }, (_, i) => {
    const fingerprint = new Uint8Array(32)
    new DataView(fingerprint.buffer).setUint32(0, s * PER_SEGMENT + i)
    return { type: 'attestation', fingerprint, kind: 'phone', claim: 'counterfeit-seller', reason: 1, confidence: 90, evidenceDigest: new Uint8Array(0), expires: T + 86_400_000 * 30, epoch: 1 }
  })
  const out = appendSegment({ signer, alliance: a.alliance, head, bodies, time: T })
  head = { seq: out.entries[out.entries.length - 1].entry.seq, id: out.entries[out.entries.length - 1].id, time: T }
  segments.push(out.segment)
}
const ctx: VerifyContext = { alliance: a.alliance, now: T, clockToleranceMs: 300_000, maxLifetimeMs: 365 * 86_400_000, orgAt: (k, t) => a.chain.orgAt(k, t) }
const total = SEGMENTS * PER_SEGMENT

const rates = alternate({
  verify: () => total / timeIt(() => { for (const s of segments) verifySegment(s, ctx) }),
  decodeOnly: () => total / timeIt(() => { for (const s of segments) for (const e of s.entries) decodeEntry(e) })
}, 5)

process.stdout.write(`bulk segments: ${SEGMENTS} × ${PER_SEGMENT} entries, one signature each\n`)
process.stdout.write(`  verifySegment     ${fmt(rates.verify)} entries/s\n`)
process.stdout.write(`  decodeEntry only  ${fmt(rates.decodeOnly)} entries/s (baseline)\n`)
process.stdout.write(`  ratio verify/decode ${(rates.verify / rates.decodeOnly).toFixed(2)}\n`)
result({ entries_per_s: Math.round(rates.verify), decode_only_per_s: Math.round(rates.decodeOnly), ratio_to_decode: Number((rates.verify / rates.decodeOnly).toFixed(2)) })
