/**
 * Phone numbers, rule set v1: the E.164 form (+442079460958) of a number
 * that libphonenumber-js, with its full ("max") metadata, considers valid,
 * i.e. in an assigned range for its country. The full metadata costs no
 * measurable speed over the default set here (~55k parses/s either way)
 * and rejects numbers that only have a plausible length.
 *
 * Accepted input: digits with spaces, dashes, dots, slashes and
 * parentheses; one leading "+" (possibly inside an opening parenthesis);
 * a "tel:" prefix; the "00" international prefix. Letters (vanity numbers,
 * extensions, surrounding text) are rejected rather than guessed at: an
 * extension is not part of E.164, strip it before calling.
 * A number without "+" or "00" is national and needs
 * options.defaultCountry. With a defaultCountry, that country's own
 * international prefix is understood as well (0011 for AU, 011 for US);
 * "00…" that is not valid as dialled from there is read as "+…".
 */
import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max'
import { InvalidIdentifierError } from './errors.js'

const TEL_PREFIX = /^tel:/i
const PHONE_CHARS = /^\(?\+?[0-9\s().\/-]+$/
const LEADING_00 = /^[\s(]*00/

export function canonicalPhone (s: string, defaultCountry?: CountryCode): string {
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
    throw new TypeError(`defaultCountry ${String(defaultCountry)} is not a country libphonenumber-js knows`)
  }
  let n = s.normalize('NFKC')
  if (TEL_PREFIX.test(n)) n = n.slice(4).trim()
  if (!PHONE_CHARS.test(n)) throw new InvalidIdentifierError('phone', 'not_phone', s.length)
  const international = n.includes('+')
  if (international) return e164(n, s.length)
  const idd = LEADING_00.test(n)
  if (defaultCountry !== undefined) {
    const p = parse(n, defaultCountry)
    if (p?.isValid() === true) return p.number
    if (!idd) throw new InvalidIdentifierError('phone', p === undefined ? 'not_phone' : invalidWhy(p), s.length)
  } else if (!idd) {
    throw new InvalidIdentifierError('phone', 'no_country', s.length)
  }
  return e164('+' + n.replace(LEADING_00, ''), s.length)
}

function parse (n: string, country: CountryCode | undefined): PhoneNumber | undefined {
  try {
    return parsePhoneNumberWithError(n, country)
  } catch {
    return undefined // ParseError: NOT_A_NUMBER, INVALID_COUNTRY, TOO_SHORT, TOO_LONG
  }
}

/** An international number ("+…") to E.164, or the reason it is not one. */
function e164 (n: string, length: number): string {
  const p = parse(n, undefined)
  if (p === undefined) throw new InvalidIdentifierError('phone', 'not_phone', length)
  if (!p.isValid()) throw new InvalidIdentifierError('phone', invalidWhy(p), length)
  return p.number
}

/** Why a parsed number is not valid: a length its country never has, or a possible number outside the assigned ranges. */
function invalidWhy (p: PhoneNumber): 'not_e164' | 'unassigned_number' {
  return p.isPossible() ? 'unassigned_number' : 'not_e164'
}
