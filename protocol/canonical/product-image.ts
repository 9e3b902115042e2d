/**
 * Product images, rule set v1: a perceptual hash (64-bit pHash/dHash or a
 * 256-bit hash such as PDQ) written in hex, 16 or 64 digits; canonical is
 * lower-case hex. Not keyed into a fingerprint (see DESIGN §3): matched by
 * Hamming distance, so no other folding applies.
 */
import { InvalidIdentifierError } from './errors.js'

const HEX = /^[0-9a-fA-F]+$/

export function canonicalProductImage (s: string): string {
  if (!HEX.test(s)) throw new InvalidIdentifierError('product-image', 'not_hex', s.length)
  if (s.length !== 16 && s.length !== 64) throw new InvalidIdentifierError('product-image', 'bad_length', s.length)
  return s.toLowerCase()
}
