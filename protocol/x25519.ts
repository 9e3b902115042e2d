/**
 * X25519 box keys (cards, rosters, sealed epoch keys, reports): refuse the
 * public keys that make a Diffie-Hellman result predictable. A small-order
 * u-coordinate gives the all-zero (or a known) shared secret whatever the
 * other side's private key; a non-canonical one (top bit set, or u ≥ p) is
 * a second spelling of another key. The list is libsodium's
 * (`has_small_order`): every u of order 1, 2, 4 or 8 on the curve and its
 * twist, below 2^255 + 19. Honest keys (from a clamped scalar) never match.
 */
import { WeakKeyError } from './ed25519.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

const SMALL_ORDER: Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(hex)

/** p = 2^255 - 19, little-endian. */
const P = hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')

/** Whether the little-endian 255-bit number `a` is below `b`. */
function below (a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (a[i] !== b[i]) return a[i] < b[i]
  }
  return false
}

/** Why `publicKey` is not a usable X25519 public key, or undefined if it is. */
export function weakX25519Key (publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== 32) return 'an X25519 public key is 32 bytes'
  if ((publicKey[31] & 0x80) !== 0 || !below(publicKey, P)) return 'not the canonical encoding of a u-coordinate (top bit set, or u ≥ 2^255 - 19)'
  for (const s of SMALL_ORDER) {
    let same = true
    for (let i = 0; i < 32 && same; i++) same = publicKey[i] === s[i]
    if (same) return 'a point of small order (every shared secret with it is known)'
  }
  return undefined
}

/** Throws WeakKeyError unless `publicKey` is a usable X25519 public key. */
export function assertStrongX25519Key (publicKey: Uint8Array, what: string): void {
  const why = weakX25519Key(publicKey)
  if (why !== undefined) throw new WeakKeyError(what, why)
}
