/**
 * Seller accounts on a platform, rule set v1: `<platform>:<id>`.
 *
 * - NFKC, then split at the first ":"; each part is trimmed.
 * - platform: lower-cased, `[a-z0-9.-]`, starting and ending with a letter
 *   or digit, at most 64 characters (a registry-style name such as
 *   "shopmart" or "shopmart.de").
 * - id: non-empty, no whitespace; further ":" are part of the id. Case is
 *   kept: some platforms' ids are case-sensitive (opaque base62 ids), and
 *   folding them would merge different sellers. A per-platform folding
 *   table is left for a later version.
 */
import { InvalidIdentifierError } from './errors.js'

const PLATFORM = /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$/
const WHITESPACE = /\s/u

export function canonicalSellerAccount (s: string): string {
  const n = s.normalize('NFKC')
  const colon = n.indexOf(':')
  if (colon < 0) throw new InvalidIdentifierError('seller-account', 'bad_format', s.length)
  const platform = n.slice(0, colon).trim().toLowerCase()
  const id = n.slice(colon + 1).trim()
  if (!PLATFORM.test(platform)) throw new InvalidIdentifierError('seller-account', 'bad_platform', s.length)
  if (id === '' || WHITESPACE.test(id)) throw new InvalidIdentifierError('seller-account', 'bad_id', s.length)
  return platform + ':' + id
}
