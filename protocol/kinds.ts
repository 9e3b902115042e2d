/**
 * Names of the enumerations on the wire. TypeScript code uses the string
 * names; the codec maps them to and from the wire numbers of alliance.proto.
 */

export const KINDS = [
  'email', 'phone', 'seller-account', 'payment-account', 'domain', 'url',
  'postal-address', 'name', 'product-image'
] as const
export type Kind = typeof KINDS[number]

export const CLAIMS = ['counterfeit-seller', 'infringing-listing', 'counterfeit-supplier', 'accomplice'] as const
export type Claim = typeof CLAIMS[number]

export const OPINIONS = ['confirmed', 'removed', 'false-positive', 'dispute-upheld', 'authorised-reseller'] as const
export type OpinionType = typeof OPINIONS[number]

export const ROLES = ['brand', 'platform', 'law-enforcement'] as const
export type Role = typeof ROLES[number]

/** Whether an opinion supports listing (positive) or stands against it (negative). */
export function opinionStance (opinion: OpinionType): 'positive' | 'negative' {
  return opinion === 'confirmed' || opinion === 'removed' ? 'positive' : 'negative'
}

/** Wire number of a name: its index + 1 (0 is UNSPECIFIED on the wire). */
export function toWire<T extends string> (names: readonly T[], name: T): number {
  const i = names.indexOf(name)
  if (i < 0) throw new TypeError(`unknown enum name ${String(name)}`)
  return i + 1
}

/** Name of a wire number, or undefined for 0/unknown numbers. */
export function fromWire<T extends string> (names: readonly T[], n: number): T | undefined {
  return n >= 1 && n <= names.length ? names[n - 1] : undefined
}

export function isKind (s: string): s is Kind {
  return (KINDS as readonly string[]).includes(s)
}
export function isRole (s: string): s is Role {
  return (ROLES as readonly string[]).includes(s)
}
