/**
 * Postal addresses, rule set v1: modest and deterministic, not an address
 * parser (no geocoding, no re-ordering, no country or postcode rules).
 *
 *  1. drop format characters, NFKC, full case fold (ß→ss), drop combining
 *     diacritics (ü→u), NFC;
 *  2. apostrophes and periods are removed, every other run of whitespace
 *     (line breaks included), punctuation or symbols becomes one space;
 *  3. whole tokens found in ABBREVIATIONS_V1 are expanded (st → street).
 *     "st" is read as street even where it means saint: both holders apply
 *     the same rule, so matching is unaffected.
 * Changing the table changes canonical bytes: bump the kind's canonicalVersion in protocol/kinds.ts.
 */
import { InvalidIdentifierError } from './errors.js'
import { foldCase, isPrintableAscii, stripDiacriticsNFD, stripFormat, tokens } from './text.js'

export const ABBREVIATIONS_V1: ReadonlyMap<string, string> = new Map([
  ['st', 'street'], ['str', 'strasse'], ['rd', 'road'], ['ave', 'avenue'], ['av', 'avenue'],
  ['blvd', 'boulevard'], ['dr', 'drive'], ['ln', 'lane'], ['ct', 'court'], ['pl', 'place'],
  ['sq', 'square'], ['hwy', 'highway'], ['pkwy', 'parkway'], ['cres', 'crescent'],
  ['ter', 'terrace'], ['apt', 'apartment'], ['ste', 'suite'], ['fl', 'floor'],
  ['bldg', 'building'], ['rm', 'room']
])

export function canonicalAddress (s: string): string {
  const folded = isPrintableAscii(s)
    ? s.toLowerCase()
    : stripDiacriticsNFD(foldCase(stripFormat(s).normalize('NFKC'))).normalize('NFC')
  const words = tokens(folded)
  if (words.length === 0) throw new InvalidIdentifierError('postal-address', 'no_content', s.length)
  for (let i = 0; i < words.length; i++) {
    const full = ABBREVIATIONS_V1.get(words[i])
    if (full !== undefined) words[i] = full
  }
  return words.join(' ')
}
