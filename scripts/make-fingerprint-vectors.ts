/**
 * Writes test/vectors/fingerprint.json: test vectors of the hmac-sha256
 * fingerprint suite (protocol/fingerprint/hmac.ts) and of epoch-key
 * commitments (protocol/fingerprint/epoch-key.ts).
 *
 * Computed with node:crypto (OpenSSL's HKDF, HMAC and SHA-256), not with the
 * implementation under test, from the construction written out below. Kind
 * wire numbers and canonical versions are the identity registry's
 * (protocol/kinds.ts): bumping a kind's canonical version makes the vectors
 * test fail until this script is run again, and every fingerprint of that
 * kind changes with it.
 *
 * Run: npx tsx scripts/make-fingerprint-vectors.ts
 * test/unit/protocol/fingerprint/vectors.test.ts fails if the committed file
 * is not what this script writes.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { KIND_REGISTRY, type Kind } from '../protocol/kinds.js'

const SUITE = 'hmac-sha256'
const SALT = 'alliance-node/v1/fingerprint-key'
const COMMITMENT_TAG = 'alliance-node/v1/epoch-key-commitment'

const K0 = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
const KF = 'ff'.repeat(32)
const K7 = '5c1b0e6f3a9d8e27c4b1f0a2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f506'

interface Case { description: string, epoch_key: string, epoch: number, kind: Kind, canonical: string }

const CASES: Case[] = [
  { description: 'email, key 00..1f, epoch 1', epoch_key: K0, epoch: 1, kind: 'email', canonical: 'alice.smith@example.com' },
  { description: 'phone (E.164), key 00..1f, epoch 1', epoch_key: K0, epoch: 1, kind: 'phone', canonical: '+14155552671' },
  { description: 'same phone, next epoch: unrelated output', epoch_key: K0, epoch: 2, kind: 'phone', canonical: '+14155552671' },
  { description: 'same phone, other key: unrelated output', epoch_key: KF, epoch: 1, kind: 'phone', canonical: '+14155552671' },
  { description: 'same bytes as the phone under another kind: unrelated output', epoch_key: K0, epoch: 1, kind: 'seller-account', canonical: '+14155552671' },
  { description: 'seller account', epoch_key: K7, epoch: 7, kind: 'seller-account', canonical: 'amazon.de:A2EUQ1WTGCTBG2' },
  { description: 'payment account (IBAN electronic format)', epoch_key: K7, epoch: 7, kind: 'payment-account', canonical: 'DE89370400440532013000' },
  { description: 'registrable domain (IDNA A-label)', epoch_key: K7, epoch: 7, kind: 'domain', canonical: 'xn--mnchen-3ya.de' },
  { description: 'url', epoch_key: K7, epoch: 7, kind: 'url', canonical: 'https://shop.example.com/p/12345' },
  { description: 'postal address', epoch_key: K7, epoch: 7, kind: 'postal-address', canonical: '10 downing street, london sw1a 2aa, gb' },
  { description: 'name with non-ASCII UTF-8, epoch 0', epoch_key: K7, epoch: 0, kind: 'name', canonical: 'müller gmbh' },
  { description: 'empty canonical bytes, epoch 0', epoch_key: K0, epoch: 0, kind: 'email', canonical: '' },
  { description: 'largest epoch 2^32-1', epoch_key: KF, epoch: 4294967295, kind: 'phone', canonical: '+447700900123' },
  { description: 'canonical longer than one SHA-256 block (64 bytes)', epoch_key: K0, epoch: 3, kind: 'url', canonical: 'https://counterfeit-shop.example.net/products/luxury-handbag-replica-2024?id=987654321' }
]

/** Same inputs as a registry case, under another canonical version: what a node on other canonical rules would derive. */
const VERSION_CASES: Array<{ description: string, of: number, canonical_version: number }> = [
  { description: 'the email case under canonical version 2: unrelated output', of: 0, canonical_version: 2 },
  { description: 'the phone case under canonical version 65535: unrelated output', of: 1, canonical_version: 65535 }
]

function info (epoch: number, kindWire: number, canonicalVersion: number): Buffer {
  const b = Buffer.alloc(SUITE.length + 1 + 4 + 1 + 2)
  b.write(SUITE, 0, 'utf8')
  b.writeUInt32BE(epoch, SUITE.length + 1)
  b.writeUInt8(kindWire, SUITE.length + 5)
  b.writeUInt16BE(canonicalVersion, SUITE.length + 6)
  return b
}

function vector (c: Case, canonicalVersion: number, description = c.description): Record<string, unknown> {
  const { wire } = KIND_REGISTRY[c.kind]
  const inf = info(c.epoch, wire, canonicalVersion)
  const kindKey = Buffer.from(hkdfSync('sha256', Buffer.from(c.epoch_key, 'hex'), Buffer.from(SALT, 'utf8'), inf, 32))
  const canonical = Buffer.from(c.canonical, 'utf8')
  return {
    description,
    suite: SUITE,
    epoch_key: c.epoch_key,
    epoch: c.epoch,
    kind: c.kind,
    kind_wire: wire,
    canonical_version: canonicalVersion,
    canonical: c.canonical,
    canonical_hex: canonical.toString('hex'),
    hkdf_info_hex: inf.toString('hex'),
    kind_key: kindKey.toString('hex'),
    fingerprint: createHmac('sha256', kindKey).update(canonical).digest('hex')
  }
}

function commitment (key: string, epoch: number): Record<string, unknown> {
  const e = Buffer.alloc(4)
  e.writeUInt32BE(epoch)
  const digest = createHash('sha256')
    .update(COMMITMENT_TAG, 'utf8').update(Buffer.of(0)).update(SUITE, 'utf8').update(Buffer.of(0)).update(e).update(Buffer.from(key, 'hex'))
    .digest('hex')
  return { epoch_key: key, suite: SUITE, epoch, commitment: digest }
}

export function makeFingerprintVectors (): unknown {
  return {
    description: 'Test vectors for the hmac-sha256 fingerprint suite of alliance-node (protocol/fingerprint/hmac.ts). Made by scripts/make-fingerprint-vectors.ts with node:crypto (OpenSSL) HKDF and HMAC, independently of the implementation under test.',
    construction: [
      'kind_wire, canonical_version = the kind\'s entry in the identity registry (protocol/kinds.ts KIND_REGISTRY)',
      'info = utf8("hmac-sha256") || 0x00 || u32be(epoch) || u8(kind_wire) || u16be(canonical_version)',
      'kind_key = HKDF-SHA256(ikm = epoch_key, salt = utf8("alliance-node/v1/fingerprint-key"), info, L = 32)',
      'fingerprint = HMAC-SHA256(kind_key, utf8(canonical))'
    ],
    registry: Object.fromEntries(Object.entries(KIND_REGISTRY).filter(([, s]) => s.fingerprinted).map(([k, s]) => [k, { kind_wire: s.wire, canonical_version: s.canonicalVersion }])),
    vectors: CASES.map(c => vector(c, KIND_REGISTRY[c.kind].canonicalVersion)),
    other_canonical_versions: {
      description: 'Registry cases recomputed under another canonical version of the kind: a node on other canonical rules derives other fingerprints.',
      vectors: VERSION_CASES.map(v => vector(CASES[v.of], v.canonical_version, v.description))
    },
    epoch_key_commitment: {
      construction: 'commitment = SHA-256(utf8("alliance-node/v1/epoch-key-commitment") || 0x00 || utf8(suite) || 0x00 || u32be(epoch) || epoch_key)',
      vectors: [commitment(K0, 1), commitment(KF, 4294967295), commitment(K7, 7)]
    }
  }
}

export function renderFingerprintVectors (): string {
  return JSON.stringify(makeFingerprintVectors(), null, 2) + '\n'
}

if (process.argv[1]?.endsWith('make-fingerprint-vectors.ts') === true) {
  writeFileSync(new URL('../test/vectors/fingerprint.json', import.meta.url), renderFingerprintVectors())
}
