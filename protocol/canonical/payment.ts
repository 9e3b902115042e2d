/**
 * Payment accounts, rule set v1. Input syntax (prefixes are matched
 * case-insensitively; the canonical prefix is lower-case):
 *
 * | input                                  | canonical                           | rule                                              |
 * |----------------------------------------|-------------------------------------|---------------------------------------------------|
 * | `iban:<IBAN>` or a bare IBAN           | `iban:DE89370400440532013000`       | ibantools electronic format (no spaces or dashes, |
 * |                                        |                                     | upper-case), country format and mod-97 checksum   |
 * | `wallet:<chain>:<address>`             | `wallet:eth:0xabc…`                 | see wallet.ts (EVM, Bitcoin, generic)             |
 * | `card:<provider>:<token>`              | `card:stripe:pm_1Nx…`               | provider lower-cased; token kept as given (tokens |
 * |                                        |                                     | are case-sensitive opaque strings)                |
 *
 * Input without a prefix must be a valid IBAN. Raw card numbers (PANs) are
 * not a kind of their own: hold a provider token instead.
 */
import { ValidationErrorsIBAN, electronicFormatIBAN, validateIBAN } from 'ibantools'
import { InvalidIdentifierError, type InvalidWhy } from './errors.js'
import { canonicalWallet } from './wallet.js'

const PREFIX = /^(iban|wallet|card):/i
const IBAN_SEPARATORS_G = /[\s-]/g
const IBAN_SHAPE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/
const PROVIDER = /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$/
const TOKEN = /^[A-Za-z0-9._~+/=-]{4,256}$/

export function canonicalPayment (s: string): string {
  const n = s.normalize('NFKC')
  const m = PREFIX.exec(n)
  if (m === null) return 'iban:' + iban(n, s.length, true)
  const rest = n.slice(m[0].length).trim()
  switch (m[1].toLowerCase()) {
    case 'iban':
      return 'iban:' + iban(rest, s.length, false)
    case 'wallet': {
      const colon = rest.indexOf(':')
      if (colon < 0) throw fail('bad_chain', s)
      const w = canonicalWallet(rest.slice(0, colon).trim(), rest.slice(colon + 1).trim())
      if (!w.ok) throw fail(w.why, s)
      return 'wallet:' + w.chain + ':' + w.address
    }
    default: { // card
      const colon = rest.indexOf(':')
      const provider = colon < 0 ? '' : rest.slice(0, colon).trim().toLowerCase()
      if (!PROVIDER.test(provider)) throw fail('bad_provider', s)
      const token = rest.slice(colon + 1).trim()
      if (!TOKEN.test(token)) throw fail('bad_token', s)
      return 'card:' + provider + ':' + token
    }
  }
}

function iban (raw: string, length: number, bare: boolean): string {
  const e = electronicFormatIBAN(raw.replace(IBAN_SEPARATORS_G, '')) ?? ''
  if (!IBAN_SHAPE.test(e)) throw new InvalidIdentifierError('payment-account', bare ? 'unknown_format' : 'not_iban', length)
  const { valid, errorCodes } = validateIBAN(e, { allowQRIBAN: true })
  if (valid) return e
  // well-formed for its country but a checksum fails: a typo, worth telling apart
  const checksum = errorCodes.every((c) => c === ValidationErrorsIBAN.WrongIBANChecksum ||
    c === ValidationErrorsIBAN.WrongAccountBankBranchChecksum)
  throw new InvalidIdentifierError('payment-account', checksum ? 'bad_checksum' : 'not_iban', length)
}

function fail (why: InvalidWhy, s: string): InvalidIdentifierError {
  return new InvalidIdentifierError('payment-account', why, s.length)
}
