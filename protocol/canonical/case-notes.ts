/**
 * Which parts of each kind's canonical form are case-folded and which keep
 * their case: said to users by `alliance canonical` and the README, so a
 * member knows when "Shop1" and "shop1" are the same identifier. One line
 * per kind, in the words of that kind's rules (the files beside this one).
 */
import type { Kind } from '../kinds.js'

export const CASE_NOTES: Readonly<Record<Kind, string>> = {
  email: 'all lower-case, local part included (providers treat it case-insensitively); domain lower-case punycode',
  phone: 'digits only (E.164): no letters, so no case',
  'seller-account': 'platform lower-cased; the account id keeps its case (some platforms\' ids are case-sensitive)',
  'payment-account': 'prefix (iban:, wallet:, card:) lower-cased; IBAN upper-case; EVM addresses and bech32 lower-case; base58 addresses and card tokens keep their case',
  domain: 'lower-case ASCII (punycode)',
  url: 'scheme and host lower-case; path and query keep their case',
  'postal-address': 'fully case-folded (ß = ss), diacritics removed',
  name: 'fully case-folded (ß = ss), diacritics removed, look-alike letters mapped to Latin',
  'product-image': 'lower-case hex'
}
