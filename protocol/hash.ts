/**
 * Domain-separated hashing. Every hash and every signed message in the
 * protocol starts with a distinct tag, so a digest or signature made for one
 * purpose can never be replayed as another.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import * as crypto from 'node:crypto'
import { createHash, type Hash } from 'node:crypto'
import { utf8 } from './bytes.js'

/** Every tag the protocol uses, in one place so none is used twice. */
export const TAGS = {
  entryId: 'alliance-node/v1/entry-id',
  entrySignature: 'alliance-node/v1/entry-signature',
  rosterId: 'alliance-node/v1/roster-id',
  rosterSignature: 'alliance-node/v1/roster-signature',
  epochKeyCommitment: 'alliance-node/v1/epoch-key-commitment',
  fingerprintKey: 'alliance-node/v1/fingerprint-key',
  sealEpochKey: 'alliance-node/v1/seal-epoch-key',
  snapshot: 'alliance-node/v1/blocklist-snapshot',
  snapshotExcluded: 'alliance-node/v1/blocklist-snapshot-excluded-key',
  // toprf-ristretto255 (protocol/fingerprint/toprf)
  toprfInput: 'alliance-node/v1/toprf-input',
  toprfFingerprint: 'alliance-node/v1/toprf-fingerprint',
  toprfCommitments: 'alliance-node/v1/toprf-commitments',
  sealToprfShare: 'alliance-node/v1/seal-toprf-share',
  // reports (protocol/report)
  reportDigest: 'alliance-node/v1/report-digest',
  reportSignature: 'alliance-node/v1/report-signature',
  signedReportDigest: 'alliance-node/v1/signed-report-digest',
  reportSeal: 'alliance-node/v1/report-seal',
  reportContentKeyCommitment: 'alliance-node/v1/report-content-key-commitment',
  reportStreamKey: 'alliance-node/v1/report-stream-key',
  receiptDigest: 'alliance-node/v1/receipt-digest',
  receiptSignature: 'alliance-node/v1/receipt-signature',
  bundleDigest: 'alliance-node/v1/bundle-digest',
  bundleExportDigest: 'alliance-node/v1/bundle-export-digest',
  bundleExportSignature: 'alliance-node/v1/bundle-export-signature',
  // chain of custody of received reports (node/reports/custody.ts)
  custodyRecord: 'alliance-node/v1/custody-record',
  custodySignature: 'alliance-node/v1/custody-signature',
  // the node-local vault of raw values this node stated (node/services/vault.ts)
  vaultRecordId: 'alliance-node/v1/vault-record-id',
  vaultEncryption: 'alliance-node/v1/vault-encryption',
  // the node-local cache of online-suite fingerprints (node/services/fingerprint-cache.ts)
  fingerprintCache: 'alliance-node/v1/fingerprint-cache',
  // a node's start-up checkpoint of its consensus state (node/checkpoint)
  checkpoint: 'alliance-node/v1/start-up-checkpoint',
  // the platform pipeline's cache shared in Redis (node/pipeline/cache-key.ts): keys of canonical values, keys of raw cell texts
  pipelineCacheKey: 'alliance-node/v1/pipeline-cache-key',
  pipelineRawCacheKey: 'alliance-node/v1/pipeline-raw-cache-key'
} as const
export type Tag = typeof TAGS[keyof typeof TAGS]

/** The tag as prefix bytes: utf8(tag) || 0x00 (no tag is a prefix of another). */
export function tagPrefix (tag: Tag): Uint8Array {
  const t = utf8(tag)
  const out = new Uint8Array(t.length + 1)
  out.set(t)
  return out
}

const prefixes = new Map<Tag, Buffer>()
function prefixOf (tag: Tag): Buffer {
  let p = prefixes.get(tag)
  if (p === undefined) { p = Buffer.from(tagPrefix(tag)); prefixes.set(tag, p) }
  return p
}

/** crypto.hash (Node ≥ 20.12); undefined on older Node 20, where createHash serves. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => unknown }).hash
const SCRATCH = Buffer.allocUnsafe(64 * 1024)

/** SHA-256(utf8(tag) || 0x00 || data...), native OpenSSL for speed. */
export function taggedHash (tag: Tag, ...data: Uint8Array[]): Uint8Array {
  const p = prefixOf(tag)
  let n = p.length
  for (const d of data) n += d.length
  if (oneShot !== undefined && n <= SCRATCH.length) {
    // one-shot over a scratch copy: no Hash object per call (entry ids are hashed ~10^6 times in a catch-up)
    SCRATCH.set(p, 0)
    let off = p.length
    for (const d of data) { SCRATCH.set(d, off); off += d.length }
    const d = oneShot('sha256', SCRATCH.subarray(0, n), 'buffer') as unknown as Buffer
    // the digest's own 32-byte buffer (never a pooled slab): a plain view of it, not a second copy per entry id
    return d.byteOffset === 0 && d.buffer.byteLength === d.length ? new Uint8Array(d.buffer, 0, d.length) : new Uint8Array(d)
  }
  const h = createHash('sha256').update(p)
  for (const d of data) h.update(d)
  return new Uint8Array(h.digest())
}

/** An incremental tagged hash, for streams. */
export function taggedHasher (tag: Tag): Hash {
  return createHash('sha256').update(prefixOf(tag))
}

/** The message an Ed25519 key signs for a signed object: utf8(tag) || 0x00 || digest. */
export function signedMessage (tag: Tag, digest: Uint8Array): Uint8Array {
  const p = prefixOf(tag)
  const out = new Uint8Array(p.length + digest.length)
  out.set(p)
  out.set(digest, p.length)
  return out
}

/** Plain SHA-256, only for digests of opaque files (evidence), never for identifiers. */
export function fileDigest (data: Uint8Array): Uint8Array {
  return sha256(data)
}
