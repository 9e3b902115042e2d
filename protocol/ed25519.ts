/**
 * Ed25519 through node:crypto (OpenSSL): ~15× faster than a pure-JS
 * implementation here. Public keys are imported once (JWK import is ~13×
 * faster than DER) and cached as KeyObjects. Signing keys live in Signer
 * objects whose private material is not reachable from inspect/JSON.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { ProtocolError } from './errors.js'
import { toHex } from './bytes.js'

export class InvalidKeyError extends ProtocolError {
  constructor (why: string) {
    super('invalid_key', `invalid Ed25519 key: ${why}`)
    this.name = 'InvalidKeyError'
  }
}

/**
 * A public key that must never be accepted: a small-order point (with it,
 * R = identity and S = 0 "verify" for every message, so anyone could sign
 * as its owner) or a non-canonical encoding (one point, two byte strings).
 */
export class WeakKeyError extends ProtocolError {
  constructor (what: string, why: string) {
    super('weak_key', `${what} refused: ${why}`)
    this.name = 'WeakKeyError'
  }
}

/** Keys already found strong (bounded like the KeyObject cache). */
const strong = new Set<string>()

/**
 * Why `publicKey` is not a usable Ed25519 public key, or undefined if it is:
 * 32 bytes, the canonical encoding of a curve point (y < p, no sign bit on
 * x = 0), not of small order. Every honest key (a multiple of the base
 * point) passes.
 */
export function weakEd25519Key (publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== 32) return 'an Ed25519 public key is 32 bytes'
  const hex = toHex(publicKey)
  if (strong.has(hex)) return undefined
  let point
  try {
    point = ed25519.Point.fromBytes(publicKey, false) // strict: canonical encodings only (RFC 8032 §5.1.3)
  } catch {
    return 'not the canonical encoding of a curve point'
  }
  if (point.isSmallOrder()) return 'a point of small order (signatures by it would verify for any message)'
  if (strong.size >= MAX_CACHED_KEYS) strong.clear()
  strong.add(hex)
  return undefined
}

/** Throws WeakKeyError unless `publicKey` is a usable Ed25519 public key (`what` names it in the error). */
export function assertStrongEd25519Key (publicKey: Uint8Array, what: string): void {
  const why = weakEd25519Key(publicKey)
  if (why !== undefined) throw new WeakKeyError(what, why)
}

/** Something that signs with one Ed25519 key: the node's signing key, or a test key. */
export interface Signer {
  readonly publicKey: Uint8Array
  sign (message: Uint8Array): Uint8Array
}

/** PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

function b64url (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
}

/** A Signer from a 32-byte RFC 8032 seed. The seed is not kept; only an opaque KeyObject. */
export function signerFromSeed (seed: Uint8Array): Signer {
  if (seed.length !== 32) throw new InvalidKeyError('a seed is 32 bytes')
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const jwk = createPublicKey(priv).export({ format: 'jwk' })
  const publicKey = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))
  return new KeyObjectSigner(publicKey, priv)
}

export function generateSeed (): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

class KeyObjectSigner implements Signer {
  readonly publicKey: Uint8Array
  readonly #key: KeyObject
  constructor (publicKey: Uint8Array, key: KeyObject) {
    this.publicKey = publicKey
    this.#key = key
  }

  sign (message: Uint8Array): Uint8Array {
    return new Uint8Array(nodeSign(null, message, this.#key))
  }

  toJSON (): unknown { return { publicKey: toHex(this.publicKey) } }
  [Symbol.for('nodejs.util.inspect.custom')] (): string { return `Signer(${toHex(this.publicKey)})` }
}

/** Cached public KeyObjects by key hex. Bounded: the roster names at most MAX_MEMBERS × MAX_NODES_PER_MEMBER keys. */
const publicKeys = new Map<string, KeyObject>()
const MAX_CACHED_KEYS = 20_000

function publicKeyObject (publicKey: Uint8Array): KeyObject {
  const hex = toHex(publicKey)
  let k = publicKeys.get(hex)
  if (k === undefined) {
    if (publicKey.length !== 32) throw new InvalidKeyError('a public key is 32 bytes')
    const weak = weakEd25519Key(publicKey)
    if (weak !== undefined) throw new InvalidKeyError(weak)
    try {
      k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' })
    } catch {
      throw new InvalidKeyError('not a valid curve point')
    }
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear()
    publicKeys.set(hex, k)
  }
  return k
}

/**
 * True iff `signature` is a valid Ed25519 signature of `message` by `publicKey`;
 * never throws on bad input. Small-order and non-canonical keys never verify.
 */
export function verifySignature (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  let key: KeyObject
  try {
    key = publicKeyObject(publicKey)
  } catch {
    return false
  }
  return nodeVerify(null, message, key, signature)
}
