/**
 * Canonical forms of counterfeiters' identifiers, per kind and versioned.
 *
 * Two members who hold the same identifier written differently get the same
 * canonical text (and so the same fingerprint); different identifiers keep
 * different texts. Input that is not a valid identifier of its kind throws
 * InvalidIdentifierError, never a best-effort guess.
 *
 * Every kind first applies the global rules of guard.ts (length cap,
 * well-formed text, no control characters, trim, non-empty), then its own
 * rule set, documented in its file. Test vectors: test/vectors/canonical.json.
 */
import type { CountryCode } from 'libphonenumber-js'
import { utf8 } from '../bytes.js'
import { KIND_REGISTRY, KINDS, type Kind } from '../kinds.js'
import { canonicalSellerAccount } from './account.js'
import { canonicalAddress } from './address.js'
import { canonicalDomain } from './domain.js'
import { canonicalEmail } from './email.js'
import { prepare } from './guard.js'
import { canonicalName } from './name.js'
import { canonicalPayment } from './payment.js'
import { canonicalPhone } from './phone.js'
import { canonicalProductImage } from './product-image.js'
import { canonicalUrl } from './url.js'

export { InvalidIdentifierError, INVALID_WHY, type InvalidWhy } from './errors.js'
export { MAX_RAW_IDENTIFIER_LENGTH } from './guard.js'

/**
 * Version of each kind's rule set: protocol/kinds.ts KIND_REGISTRY, the one
 * place it is written. Any change to a kind's rules that changes the
 * canonical text of some input bumps that kind's `canonicalVersion` there;
 * fingerprint suites hash it into every fingerprint of the kind, so members
 * on different versions get unrelated fingerprints rather than silently
 * missing matches.
 */
export const CANONICAL_VERSION: Readonly<Record<Kind, number>> = Object.freeze(
  Object.fromEntries(KINDS.map(k => [k, KIND_REGISTRY[k].canonicalVersion])) as Record<Kind, number>
)

export interface CanonicalOptions {
  /**
   * Country of phone numbers written without "+" or "00" (national format),
   * e.g. 'GB'. Without it such numbers are rejected with why 'no_country'.
   * @default undefined
   */
  defaultCountry?: CountryCode
}

const FREE_TEXT: ReadonlySet<Kind> = new Set(['name', 'postal-address'])

/** The canonical text of `raw` as an identifier of `kind`; throws InvalidIdentifierError. */
export function canonicalize (kind: Kind, raw: string, options?: CanonicalOptions): string {
  const s = prepare(kind, raw, FREE_TEXT.has(kind))
  switch (kind) {
    case 'email': return canonicalEmail(s)
    case 'phone': return canonicalPhone(s, options?.defaultCountry)
    case 'seller-account': return canonicalSellerAccount(s)
    case 'payment-account': return canonicalPayment(s)
    case 'domain': return canonicalDomain(s)
    case 'url': return canonicalUrl(s)
    case 'postal-address': return canonicalAddress(s)
    case 'name': return canonicalName(s)
    case 'product-image': return canonicalProductImage(s)
    default: throw new TypeError(`unknown identifier kind ${String(kind)}`)
  }
}

/** UTF-8 bytes of canonicalize(): what the fingerprint suite hashes. */
export function canonicalBytes (kind: Kind, raw: string, options?: CanonicalOptions): Uint8Array {
  return utf8(canonicalize(kind, raw, options))
}
