/**
 * The one error canonicalisation throws. It names the kind and a short,
 * stable `why` code (a metric label and what tests assert on), and never
 * echoes the raw value: identifiers are personal data, so the message
 * carries at most the value's length.
 */
import { ProtocolError } from '../errors.js'
import type { Kind } from '../kinds.js'

/** Every `why` code with the human text of the message: what was wrong and what to do. */
export const INVALID_WHY = {
  empty: 'the value is empty',
  too_long: 'the value is longer than the maximum identifier length',
  bad_characters: 'the value contains control, format or unpaired surrogate characters; remove them',
  not_email: 'not a valid e-mail address (local@domain with a public domain)',
  not_phone: 'not a phone number: only digits, spaces, ( ) . - / and one leading + (or a tel: prefix) are accepted, without extension',
  no_country: 'a phone number without a leading + or 00 needs options.defaultCountry',
  not_e164: 'the phone number has a length no number of its country has',
  unassigned_number: 'the phone number is not in a range assigned to subscribers in its country (unallocated, or reserved e.g. for drama; or a digit missing or extra for that range)',
  bad_format: 'expected the form <platform>:<id>',
  bad_platform: 'the platform must be lower-case letters, digits, dots and dashes',
  bad_id: 'the account id must be non-empty and must not contain whitespace',
  unknown_format: 'not an IBAN and no known prefix (iban:, wallet:<chain>:, card:<provider>:)',
  not_iban: 'not a valid IBAN for its country (length or format)',
  bad_checksum: 'the checksum does not match; the value is mistyped',
  bad_chain: 'the chain name must be lower-case letters, digits and dashes',
  bad_address: 'not a valid wallet address for this chain',
  bad_provider: 'the card token provider must be lower-case letters, digits, dots and dashes',
  bad_token: 'the card token must be 4 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -',
  not_domain: 'not a host name or URL',
  ip_address: 'an IP address has no registrable domain; use the url kind for it',
  no_registrable_domain: 'the host is a public suffix or has no registrable domain',
  unknown_suffix: 'the host does not end in a known public suffix',
  not_url: 'not a parseable URL',
  bad_scheme: 'only http and https URLs are accepted',
  no_content: 'nothing is left after removing punctuation and ignorable words',
  not_hex: 'a perceptual hash must be given in hexadecimal',
  bad_length: 'a perceptual hash must be 16 or 64 hex digits (64 or 256 bits)'
} as const

export type InvalidWhy = keyof typeof INVALID_WHY

export class InvalidIdentifierError extends ProtocolError {
  readonly kind: Kind
  readonly why: InvalidWhy
  /** Length of the offending value in UTF-16 code units (never the value itself). */
  readonly length: number

  constructor (kind: Kind, why: InvalidWhy, length: number) {
    super('invalid_identifier', `invalid ${kind} identifier (${length} characters): ${INVALID_WHY[why]}`)
    this.name = 'InvalidIdentifierError'
    this.kind = kind
    this.why = why
    this.length = length
  }
}
