/**
 * Ed25519 through node:crypto (OpenSSL): ~15× faster than a pure-JS
 * implementation here. Public keys are imported once (JWK import is ~13×
 * faster than DER) and cached as KeyObjects. Signing keys live in Signer
 * objects whose private material is not reachable from inspect/JSON.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { ProtocolError } from './errors.js'
import { toHex } from './bytes.js'

export class InvalidKeyError extends ProtocolError {
  constructor (why: string) {
    super('invalid_key', `invalid Ed25519 key: ${why}`)
    this.name = 'InvalidKeyError'
  }
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

/** True iff `signature` is a valid Ed25519 signature of `message` by `publicKey`; never throws on bad input. */
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
