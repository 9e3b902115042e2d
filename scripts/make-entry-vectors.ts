/**
 * Writes test/vectors/entries.json: entries, ids, segments and signatures made
 * with the RFC 8032 TEST 1 key (a published test key), so another
 * implementation can check its encoder, tagged hashes and signatures byte for
 * byte. Deterministic: Ed25519 signatures are. Run: npx tsx scripts/make-entry-vectors.ts
 */
import { writeFileSync } from 'node:fs'
import { fromHex, toHex } from '../protocol/bytes.js'
import { signerFromSeed } from '../protocol/ed25519.js'
import { appendSegment, signatureMessage } from '../protocol/log/index.js'
import type { Body } from '../protocol/types.js'

export const RFC8032_TEST1_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
export const ALLIANCE = 'vector-alliance'
export const TIME = 1_764_000_000_000

export function vectorBodies (): Body[] {
  const fp = (b: number): Uint8Array => new Uint8Array(32).fill(b)
  return [
    { type: 'attestation', fingerprint: fp(0x11), kind: 'phone', claim: 'counterfeit-seller', reason: 3, confidence: 95, evidenceDigest: fp(0xee), expires: TIME + 90 * 86_400_000, epoch: 1 },
    { type: 'opinion', fingerprint: fp(0x11), kind: 'phone', opinion: 'false-positive', expires: TIME + 86_400_000, noteDigest: new Uint8Array(0), epoch: 1 },
    { type: 'retraction', target: fp(0x22), fingerprint: fp(0x11), kind: 'phone', epoch: 1 },
    { type: 'attestation', fingerprint: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), kind: 'product-image', claim: 'infringing-listing', reason: 0, confidence: 0, evidenceDigest: new Uint8Array(0), expires: TIME + 1, epoch: 0 }
  ]
}

export function makeVectors (): unknown {
  const signer = signerFromSeed(fromHex(RFC8032_TEST1_SEED))
  const { entries, segment } = appendSegment({ signer, alliance: ALLIANCE, head: undefined, bodies: vectorBodies(), time: TIME })
  const single = appendSegment({ signer, alliance: ALLIANCE, head: { seq: 4, id: entries[3].id, time: TIME }, bodies: [vectorBodies()[0]], time: TIME + 1 })
  return {
    description: 'Entry encodings, ids (tagged SHA-256 "alliance-node/v1/entry-id"), and Ed25519 entry signatures. Key: RFC 8032 TEST 1.',
    alliance: ALLIANCE,
    authorSeed: RFC8032_TEST1_SEED,
    author: toHex(signer.publicKey),
    entries: entries.map(e => ({ seq: e.entry.seq, body: e.entry.body.type, bytes: toHex(e.bytes), id: toHex(e.id) })),
    segmentSignature: toHex(segment.signature),
    segmentSignedMessage: toHex(signatureMessage(ALLIANCE, entries[3].id)),
    single: { bytes: toHex(single.entries[0].bytes), id: toHex(single.entries[0].id), signature: toHex(single.segment.signature) }
  }
}

if (process.argv[1]?.endsWith('make-entry-vectors.ts') === true) {
  writeFileSync(new URL('../test/vectors/entries.json', import.meta.url), JSON.stringify(makeVectors(), null, 2) + '\n')
}
