/**
 * E-mail addresses, rule set v1.
 *
 *  1. NFKC (fullwidth letters typed on CJK keyboards become ASCII);
 *  2. the domain (after the last @) goes through UTS 46 / IDNA to
 *     lower-case ASCII punycode (`node:url` domainToASCII): bücher.de and
 *     xn--bcher-kva.de are one domain;
 *  3. the whole address must pass validator's isEmail (public domain with
 *     a TLD, no IP literal, no display name; UTF-8 local parts allowed);
 *  4. validator's normalizeEmail with its provider rules: Gmail dots and
 *     +tags removed and googlemail.com → gmail.com; +tags removed for
 *     Outlook/Hotmail/Live and iCloud, -tags for Yahoo; Yandex domains
 *     merged. Other domains keep their +tags (some hosts treat them as
 *     distinct mailboxes).
 *  5. everything lower-case, the local part included: RFC 5321 lets a host
 *     treat local parts case-sensitively, but practically none does and
 *     the industry matches addresses case-insensitively.
 */
import { domainToASCII } from 'node:url'
import validator from 'validator'
import { InvalidIdentifierError } from './errors.js'

// Spelled out so that a change of validator's defaults cannot change canonical bytes silently.
const IS_EMAIL = {
  allow_display_name: false,
  allow_utf8_local_part: true,
  require_tld: true,
  allow_ip_domain: false,
  domain_specific_validation: false,
  ignore_max_length: false
} as const

const NORMALIZE = {
  all_lowercase: true,
  gmail_lowercase: true,
  gmail_remove_dots: true,
  gmail_remove_subaddress: true,
  gmail_convert_googlemaildotcom: true,
  outlookdotcom_lowercase: true,
  outlookdotcom_remove_subaddress: true,
  yahoo_lowercase: true,
  yahoo_remove_subaddress: true,
  yandex_lowercase: true,
  yandex_convert_yandexru: true,
  icloud_lowercase: true,
  icloud_remove_subaddress: true
} as const

export function canonicalEmail (s: string): string {
  const n = s.normalize('NFKC')
  const at = n.lastIndexOf('@')
  if (at <= 0 || at === n.length - 1) throw new InvalidIdentifierError('email', 'not_email', s.length)
  const domain = domainToASCII(n.slice(at + 1))
  if (domain === '') throw new InvalidIdentifierError('email', 'not_email', s.length)
  const address = n.slice(0, at).toLowerCase() + '@' + domain
  if (!validator.isEmail(address, IS_EMAIL)) throw new InvalidIdentifierError('email', 'not_email', s.length)
  const normal = validator.normalizeEmail(address, NORMALIZE)
  // normalisation can empty a local part (".+x@gmail.com"); the result must itself be an address
  if (normal === false || (normal !== address && !validator.isEmail(normal, IS_EMAIL))) throw new InvalidIdentifierError('email', 'not_email', s.length)
  return normal
}
