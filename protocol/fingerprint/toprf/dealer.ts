/**
 * Dealing the toprf key: the roster step that opens an epoch generates the
 * OPRF key k, Shamir-splits it among the g guardians with threshold t,
 * publishes Feldman commitments, seals each share to its guardian's X25519
 * box key, and forgets k. Nobody ever holds k again; each guardian holds
 * one share and checks it against the commitments when it opens it.
 *
 * Sealing reuses the HPKE construction of ../seal.ts (RFC 9180 base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, empty aad)
 * with its own info (byte-exact):
 *
 *   info = utf8("alliance-node/v1/seal-toprf-share") || 0x00
 *          || utf8(alliance) || 0x00 || u32be(epoch) || u8(index)
 *          || commitmentsDigest(epoch, commitments)
 *
 *   commitmentsDigest = SHA-256( utf8("alliance-node/v1/toprf-commitments") || 0x00
 *                                || u32be(epoch) || u8(t) || C_0 || … || C_{t-1} )
 *
 * so a sealed share opens only for its alliance, epoch, guardian index and
 * exactly the commitments it was dealt with. The plaintext is the 32-byte
 * share (a scalar, little-endian).
 */
import { bytesEqual, concatBytes, toHex, utf8 } from '../../bytes.js'
import { TAGS, tagPrefix, taggedHash } from '../../hash.js'
import type { SealedKey } from '../../types.js'
import { InvalidBoxKeyError } from '../errors.js'
import { assertContextString, assertEpoch, u32be } from '../params.js'
import { assertBoxKeyPair, hpkeOpenWith, hpkeSealTo } from '../seal.js'
import { InvalidGuardianError, NotAShareholderError, ShareOpenError } from './errors.js'
import { assertScalar, randomScalar, wipe } from './group.js'
import { assertCommitments, assertIndex, assertShare, assertThreshold, splitSecret } from './shamir.js'

/** One guardian's share, sealed to its box key. */
export interface SealedShare extends SealedKey {
  /** The guardian's index, 1..g: the x at which its share evaluates the polynomial. */
  index: number
}

/** What the dealer publishes (in the roster's key-epoch entry). Nothing in it is secret. */
export interface ToprfDeal {
  epoch: number
  threshold: number
  /** k·G, equal to commitments[0]. */
  publicKey: Uint8Array
  /** Feldman commitments C_0..C_{t-1}. */
  commitments: Uint8Array[]
  /** sealedShares[i] is guardian i+1's share. */
  sealedShares: SealedShare[]
}

/** SHA-256 digest binding an epoch's commitments (see the module comment); also a short id for the deal. */
export function commitmentsDigest (epoch: number, commitments: readonly Uint8Array[]): Uint8Array {
  assertEpoch(epoch)
  assertCommitments(commitments)
  return taggedHash(TAGS.toprfCommitments, u32be(epoch), Uint8Array.of(commitments.length), ...commitments)
}

/** The HPKE info of guardian `index`'s sealed share (see the module comment). */
export function shareSealInfo (alliance: string, epoch: number, index: number, commitments: readonly Uint8Array[]): Uint8Array {
  assertContextString('alliance', alliance)
  assertIndex(index)
  return concatBytes(tagPrefix(TAGS.sealToprfShare), utf8(alliance), Uint8Array.of(0), u32be(epoch), Uint8Array.of(index), commitmentsDigest(epoch, commitments))
}

export interface DealToprfKeyArgs {
  alliance: string
  epoch: number
  /** t: how many guardians must answer; 1 <= t <= g. */
  threshold: number
  /** The guardians' X25519 box public keys; guardian i (1-based) is guardians[i - 1]. Each once. */
  guardians: Uint8Array[]
}

/**
 * Generates a fresh OPRF key, splits it t-of-g, seals each share to its
 * guardian and wipes the key, the polynomial and the plaintext shares.
 * Throws InvalidThresholdError, InvalidBoxKeyError (bad or repeated
 * guardian key), InvalidContextError, InvalidEpochError before any secret
 * exists.
 */
export async function dealToprfKey (args: DealToprfKeyArgs): Promise<ToprfDeal> {
  assertContextString('alliance', args.alliance)
  assertEpoch(args.epoch)
  const g = Array.isArray(args.guardians) ? args.guardians.length : 0
  assertThreshold(args.threshold, g)
  const seen = new Set<string>()
  args.guardians.forEach((boxKey, i) => {
    if (!(boxKey instanceof Uint8Array) || boxKey.length !== 32) throw new InvalidBoxKeyError(`guardian ${i + 1}: expected a 32-byte X25519 public key`)
    const id = toHex(boxKey)
    if (seen.has(id)) throw new InvalidBoxKeyError(`guardian ${i + 1} repeats an earlier guardian's box key`)
    seen.add(id)
  })

  const key = randomScalar()
  const { commitments, shares } = splitSecret(key, args.threshold, g)
  wipe(key)
  try {
    const sealedShares: SealedShare[] = []
    for (let i = 1; i <= g; i++) {
      const info = shareSealInfo(args.alliance, args.epoch, i, commitments)
      const sealed = await hpkeSealTo(args.guardians[i - 1], info, shares[i - 1], `guardian ${i}`)
      sealedShares.push({ index: i, ...sealed })
    }
    return { epoch: args.epoch, threshold: args.threshold, publicKey: commitments[0], commitments, sealedShares }
  } finally {
    wipe(...shares)
  }
}

export interface OpenToprfShareArgs {
  alliance: string
  epoch: number
  /** The epoch's published commitments (roster). */
  commitments: readonly Uint8Array[]
  /** The epoch's sealed shares (roster). */
  sealedShares: readonly SealedShare[]
  /** This guardian node's X25519 box key pair. */
  recipientPrivateKey: Uint8Array
  recipientPublicKey: Uint8Array
}

/**
 * Finds the share sealed to this box key, opens it, and checks it against
 * the commitments (Feldman). Resolves with the guardian's index and share
 * (the caller keeps it in a 0600 file and wipes copies). Throws
 * NotAShareholderError, ShareOpenError (tampered, or another alliance,
 * epoch, index or commitments), ShareMismatchError (the dealer dealt a
 * share inconsistent with the commitments), InvalidBoxKeyError.
 */
export async function openToprfShare (args: OpenToprfShareArgs): Promise<{ index: number, share: Uint8Array }> {
  assertEpoch(args.epoch)
  assertCommitments(args.commitments)
  assertBoxKeyPair(args.recipientPrivateKey, args.recipientPublicKey)
  const mine = args.sealedShares.filter(s => bytesEqual(s.recipient, args.recipientPublicKey))
  if (mine.length === 0) throw new NotAShareholderError()
  if (mine.length > 1) throw new InvalidGuardianError('the box key holds more than one share of the epoch; the deal is malformed')
  const sealed = mine[0]
  assertIndex(sealed.index)
  const opened = await hpkeOpenWith(args.recipientPrivateKey, sealed, shareSealInfo(args.alliance, args.epoch, sealed.index, args.commitments))
  if ('error' in opened) throw new ShareOpenError({ cause: opened.error })
  const share = opened.plaintext
  try {
    assertScalar(share, 'key share', true)
    assertShare(sealed.index, share, args.commitments)
  } catch (err) {
    wipe(share)
    throw err
  }
  return { index: sealed.index, share }
}
