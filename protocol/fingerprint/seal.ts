/**
 * Sealing the epoch key to every member's X25519 box key with HPKE
 * (RFC 9180), base mode, ciphersuite
 *   KEM  0x0020 DHKEM(X25519, HKDF-SHA256)
 *   KDF  0x0001 HKDF-SHA256
 *   AEAD 0x0003 ChaCha20-Poly1305
 * through @hpke/core (checked against RFC 9180 Appendix A.2.1 in the tests).
 *
 * Per recipient: (enc, ciphertext) = SealBase(pkR, info, aad = "", pt = epochKey), with
 *
 *   info = utf8("alliance-node/v1/seal-epoch-key") || 0x00 || utf8(alliance) || 0x00
 *          || utf8(suite) || u32be(epoch)
 *
 * alliance and suite are non-empty and NUL-free, so info parses back
 * unambiguously (suite is everything between the second NUL and the last
 * four bytes). A sealed key therefore opens only for the alliance, suite and
 * epoch it was sealed for. After opening, the key is checked against the
 * roster's epoch-key commitment.
 */
import { CipherSuite, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519'
import { x25519 } from '@noble/curves/ed25519.js'
import { bytesEqual, concatBytes, toHex, utf8 } from '../bytes.js'
import { TAGS, tagPrefix } from '../hash.js'
import type { SealedKey } from '../types.js'
import { verifyEpochKeyCommitment } from './epoch-key.js'
import { CommitmentMismatchError, InvalidBoxKeyError, NotARecipientError, SealOpenError } from './errors.js'
import { assertContextString, assertEpoch, assertEpochKey, BOX_KEY_BYTES, EPOCH_KEY_BYTES, u32be } from './params.js'

/** HPKE algorithm identifiers of the sealing ciphersuite (RFC 9180 §7). */
export const SEAL_HPKE_SUITE = { mode: 0x00, kem: 0x0020, kdf: 0x0001, aead: 0x0003 } as const

const hpke = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305()
})

const EMPTY_AAD = new Uint8Array(0)

/** The HPKE `info` binding alliance, suite and epoch (see the module comment). */
export function sealInfo (alliance: string, suite: string, epoch: number): Uint8Array {
  assertContextString('alliance', alliance)
  assertContextString('suite', suite)
  assertEpoch(epoch)
  return concatBytes(tagPrefix(TAGS.sealEpochKey), utf8(alliance), Uint8Array.of(0), utf8(suite), u32be(epoch))
}

export interface SealEpochKeyArgs {
  alliance: string
  suite: string
  epoch: number
  /** The 32-byte epoch key. */
  key: Uint8Array
  /** Members' X25519 box public keys (roster `NodeKey.boxKey`), each once. */
  recipients: Uint8Array[]
}

/** Seals `key` to every recipient; one `SealedKey` per recipient, in order. */
export async function sealEpochKey (args: SealEpochKeyArgs): Promise<SealedKey[]> {
  const info = sealInfo(args.alliance, args.suite, args.epoch)
  assertEpochKey(args.key)
  const seen = new Set<string>()
  args.recipients.forEach((r, i) => {
    assertBoxKey(r, `recipient ${i}`)
    const id = toHex(r)
    if (seen.has(id)) throw new InvalidBoxKeyError(`recipient ${i} repeats an earlier recipient`)
    seen.add(id)
  })
  const sealed: SealedKey[] = []
  for (const [i, r] of args.recipients.entries()) sealed.push(await hpkeSealTo(r, info, args.key, `recipient ${i}`))
  return sealed
}

/**
 * One HPKE SealBase of `plaintext` to X25519 public key `recipient` under
 * `info`, with this module's ciphersuite and an empty aad. Shared with
 * other sealed secrets (toprf key shares) that bring their own tagged info.
 * Throws InvalidBoxKeyError (naming `what`) for keys HPKE refuses.
 */
export async function hpkeSealTo (recipient: Uint8Array, info: Uint8Array, plaintext: Uint8Array, what: string): Promise<SealedKey> {
  assertBoxKey(recipient, what)
  let out: { enc: ArrayBuffer, ct: ArrayBuffer }
  try {
    const recipientPublicKey = await hpke.kem.deserializePublicKey(recipient)
    out = await hpke.seal({ recipientPublicKey, info }, plaintext, EMPTY_AAD)
  } catch (err) {
    // Low-order points give an all-zero shared secret, which HPKE refuses.
    throw new InvalidBoxKeyError(`${what} is not a usable X25519 public key`, { cause: err })
  }
  return { recipient: Uint8Array.from(recipient), enc: new Uint8Array(out.enc), ciphertext: new Uint8Array(out.ct) }
}

/**
 * Checks an X25519 key pair (lengths, and that the private key belongs to
 * the public key); throws InvalidBoxKeyError.
 */
export function assertBoxKeyPair (privateKey: Uint8Array, publicKey: Uint8Array): void {
  assertBoxKey(privateKey, 'private key')
  assertBoxKey(publicKey, 'public key')
  if (!bytesEqual(x25519.getPublicKey(privateKey), publicKey)) {
    throw new InvalidBoxKeyError('the private key does not belong to the public key')
  }
}

/** HPKE OpenBase of one sealed copy under `info`; resolves undefined when it does not open (wrong key, tampered, other info). */
export async function hpkeOpenWith (privateKey: Uint8Array, sealed: Pick<SealedKey, 'enc' | 'ciphertext'>, info: Uint8Array): Promise<{ plaintext: Uint8Array } | { error: unknown }> {
  try {
    const recipientKey = await hpke.kem.deserializePrivateKey(privateKey)
    return { plaintext: new Uint8Array(await hpke.open({ recipientKey, enc: sealed.enc, info }, sealed.ciphertext, EMPTY_AAD)) }
  } catch (err) {
    return { error: err }
  }
}

export interface OpenEpochKeyArgs {
  alliance: string
  suite: string
  epoch: number
  /** The key epoch's sealed copies (roster `KeyEpoch.sealed`). */
  sealed: SealedKey[]
  /** This node's X25519 box key pair. */
  recipientPrivateKey: Uint8Array
  recipientPublicKey: Uint8Array
  /** The roster policy's epoch-key commitment. */
  commitment: Uint8Array
}

/**
 * Finds the copy sealed to this node, opens it and checks it against the
 * commitment (constant time). Throws NotARecipientError, SealOpenError
 * (wrong key, tampered, other alliance/suite/epoch), CommitmentMismatchError,
 * or InvalidBoxKeyError when the key pair does not match.
 */
export async function openEpochKey (args: OpenEpochKeyArgs): Promise<Uint8Array> {
  const info = sealInfo(args.alliance, args.suite, args.epoch)
  assertBoxKeyPair(args.recipientPrivateKey, args.recipientPublicKey)
  const mine = args.sealed.find(s => bytesEqual(s.recipient, args.recipientPublicKey))
  if (mine === undefined) throw new NotARecipientError()

  const opened = await hpkeOpenWith(args.recipientPrivateKey, mine, info)
  if ('error' in opened) throw new SealOpenError({ cause: opened.error })
  const key = opened.plaintext
  if (key.length !== EPOCH_KEY_BYTES || !verifyEpochKeyCommitment(key, args.suite, args.epoch, args.commitment)) {
    key.fill(0)
    throw new CommitmentMismatchError()
  }
  return key
}

/** A fresh X25519 box key pair (noble, OS randomness). */
export function generateBoxKeyPair (): { publicKey: Uint8Array, privateKey: Uint8Array } {
  const { secretKey, publicKey } = x25519.keygen()
  return { publicKey, privateKey: secretKey }
}

function assertBoxKey (k: Uint8Array, what: string): void {
  if (!(k instanceof Uint8Array) || k.length !== BOX_KEY_BYTES) {
    throw new InvalidBoxKeyError(`${what}: expected ${BOX_KEY_BYTES} bytes, got ${k instanceof Uint8Array ? k.length : typeof k}`)
  }
}
