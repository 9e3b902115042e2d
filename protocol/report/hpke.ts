/**
 * Sealing a report's content key to each recipient node's X25519 box key
 * with HPKE (RFC 9180) base mode, the ciphersuite of
 * protocol/fingerprint/seal.ts:
 *   KEM  0x0020 DHKEM(X25519, HKDF-SHA256)
 *   KDF  0x0001 HKDF-SHA256
 *   AEAD 0x0003 ChaCha20-Poly1305
 * through @hpke/core (checked against RFC 9180 Appendix A.2.1 in
 * test/unit/protocol/report/crypto.test.ts). The KEM is @hpke/core's own
 * DhkemX25519HkdfSha256, which runs X25519 on WebCrypto (OpenSSL): ~4×
 * faster here than @hpke/dhkem-x25519's pure-JS one, and a report seals to
 * every node of every recipient org. Per recipient node:
 *
 *   (enc, ct) = SealBase(pkR, info, aad = "", pt = content key), with
 *   info = utf8("alliance-node/v1/report-seal") || 0x00 || utf8(alliance) || 0x00 || report id (16 bytes)
 *
 * The alliance id is NUL-free and the report id has a fixed length, so info
 * parses back unambiguously: a sealed key opens only for the alliance and
 * report it was sealed for. The header also carries a commitment to the
 * content key (tagged SHA-256 of key || report id) that a recipient checks
 * after opening: ChaCha20-Poly1305 is not key-committing, and the commitment
 * makes every recipient of one envelope open the same key, hence the same
 * plaintext.
 */
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { concatBytes, secretEqual, utf8 } from '../bytes.js'
import { ContentKeyError, InvalidBoxKeyError } from './errors.js'
import { KEY_BYTES, REPORT_ID_BYTES } from './limits.js'
import { REPORT_TAGS, reportTagPrefix, reportTaggedHash } from './tags.js'

/** HPKE algorithm identifiers of the report ciphersuite (RFC 9180 §7). */
export const REPORT_HPKE_SUITE = { mode: 0x00, kem: 0x0020, kdf: 0x0001, aead: 0x0003 } as const

export const hpkeSuite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305()
})

const EMPTY_AAD = new Uint8Array(0)

/** The HPKE `info` binding alliance and report id (see the module comment). */
export function reportSealInfo (alliance: string, reportId: Uint8Array): Uint8Array {
  if (alliance.length === 0 || alliance.includes('\u0000')) throw new TypeError('alliance must be non-empty and NUL-free')
  if (reportId.length !== REPORT_ID_BYTES) throw new TypeError(`a report id is ${REPORT_ID_BYTES} bytes`)
  return concatBytes(reportTagPrefix(REPORT_TAGS.reportSeal), utf8(alliance), Uint8Array.of(0), reportId)
}

/** Commitment to the content key, carried in clear in the envelope header. */
export function contentKeyCommitment (contentKey: Uint8Array, reportId: Uint8Array): Uint8Array {
  return reportTaggedHash(REPORT_TAGS.contentKeyCommitment, contentKey, reportId)
}

/**
 * SealBase(pkR, info, "", key). `ekm` (ephemeral key material) exists only
 * for known-answer tests and must never be passed otherwise: reusing it
 * reuses the ephemeral key.
 */
export async function sealContentKey (recipient: Uint8Array, info: Uint8Array, key: Uint8Array, ekm?: Uint8Array): Promise<{ enc: Uint8Array, ciphertext: Uint8Array }> {
  if (recipient.length !== KEY_BYTES) throw new InvalidBoxKeyError(`expected ${KEY_BYTES} bytes, got ${recipient.length}`)
  try {
    const recipientPublicKey = await hpkeSuite.kem.deserializePublicKey(recipient)
    const sender = await hpkeSuite.createSenderContext(ekm === undefined ? { recipientPublicKey, info } : { recipientPublicKey, info, ekm })
    const ct = await sender.seal(key, EMPTY_AAD)
    return { enc: new Uint8Array(sender.enc), ciphertext: new Uint8Array(ct) }
  } catch (err) {
    // Low-order points give an all-zero shared secret, which HPKE refuses.
    throw new InvalidBoxKeyError('a recipient box key is not a usable X25519 public key', { cause: err })
  }
}

/** OpenBase, then the commitment check (constant time). Throws ContentKeyError. */
export async function openContentKey (privateKey: Uint8Array, enc: Uint8Array, ciphertext: Uint8Array, info: Uint8Array, reportId: Uint8Array, commitment: Uint8Array): Promise<Uint8Array> {
  let key: Uint8Array
  try {
    const recipientKey = await hpkeSuite.kem.deserializePrivateKey(privateKey)
    key = new Uint8Array(await hpkeSuite.open({ recipientKey, enc, info }, ciphertext, EMPTY_AAD))
  } catch (err) {
    throw new ContentKeyError('the sealed key does not open with this node\'s box key for this alliance and report (tampered, or sealed for another context)', { cause: err })
  }
  if (key.length !== KEY_BYTES || !secretEqual(contentKeyCommitment(key, reportId), commitment)) {
    key.fill(0)
    throw new ContentKeyError('the opened key is not the one the envelope header commits to')
  }
  return key
}
