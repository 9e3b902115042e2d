/**
 * Person or company names, rule set v1.
 *
 *  1. drop format characters (zero-width, bidi), NFKC (fullwidth and
 *     mathematical letters, ligatures);
 *  2. full case fold, drop combining diacritics (é→e), confusable skeleton
 *     (Cyrillic/Greek look-alikes → Latin, see confusables.ts), NFC;
 *  3. apostrophes and periods are removed, every other run of whitespace,
 *     punctuation or symbols becomes one space;
 *  4. runs of one-letter tokens are joined (J P Morgan = J.P. Morgan = JP Morgan),
 *     and the joined text is NFC again (marks brought together are reordered);
 *  5. trailing legal-form tokens (ltd, gmbh, inc, …) are dropped, but
 *     never the first token.
 * Printable-ASCII input takes a fast path that skips step 1–2's Unicode work.
 */
import { InvalidIdentifierError } from './errors.js'
import { latinSkeleton } from './confusables.js'
import { foldCase, isPrintableAscii, stripDiacriticsNFD, stripFormat, tokens } from './text.js'

/** Legal-form words dropped from the end of a name (after periods are removed: S.A. → sa). */
export const COMPANY_SUFFIXES_V1: ReadonlySet<string> = new Set([
  'ltd', 'limited', 'llc', 'llp', 'lp', 'inc', 'incorporated', 'corp', 'corporation',
  'co', 'company', 'plc', 'gmbh', 'ag', 'kg', 'ug', 'sa', 'sas', 'sarl', 'srl', 'spa',
  'bv', 'nv', 'pty', 'pte', 'oy', 'ab', 'kk'
])

export function canonicalName (s: string): string {
  const ascii = isPrintableAscii(s)
  const folded = ascii
    ? s.toLowerCase()
    : latinSkeleton(stripDiacriticsNFD(foldCase(stripFormat(s).normalize('NFKC')))).normalize('NFC')
  const words = joinInitials(tokens(folded))
  let end = words.length
  while (end > 1 && COMPANY_SUFFIXES_V1.has(words[end - 1])) end--
  if (end === 0) throw new InvalidIdentifierError('name', 'no_content', s.length)
  const name = (end === words.length ? words : words.slice(0, end)).join(' ')
  // Joining initials can put two combining marks (or a letter and a mark)
  // side by side that were separated: NFC again so the result is a fixed point.
  return ascii ? name : name.normalize('NFC')
}

function isSingleCodePoint (t: string): boolean {
  return t.length === 1 || (t.length === 2 && (t.codePointAt(0) as number) > 0xffff)
}

/** Joins each run of two or more one-letter tokens into one token. */
function joinInitials (words: string[]): string[] {
  let i = 0
  while (i < words.length - 1 && !(isSingleCodePoint(words[i]) && isSingleCodePoint(words[i + 1]))) i++
  if (i >= words.length - 1) return words // common case: nothing to join, no allocation
  const out = words.slice(0, i)
  while (i < words.length) {
    if (!isSingleCodePoint(words[i])) { out.push(words[i++]); continue }
    let run = words[i++]
    while (i < words.length && isSingleCodePoint(words[i])) run += words[i++]
    out.push(run)
  }
  return out
}
