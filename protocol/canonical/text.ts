/**
 * Unicode folding shared by the free-text kinds (names, postal addresses).
 * Each step is a documented, deterministic function of its input.
 */

/** Every format character (zero-width space and joiners, bidi controls, soft hyphen, BOM). */
const FORMAT_G = /\p{Cf}/gu

// The combining *diacritic* blocks only (Combining Diacritical Marks and
// their Extended/Supplement/for-Symbols/Half-Marks blocks). Not all of \p{M}:
// vowel signs of Indic and other scripts are marks too, and removing them
// would merge different names.
const DIACRITIC_G = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g

/** True when the string is printable ASCII only: the fast path skips Unicode normalisation. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/
export function isPrintableAscii (s: string): boolean {
  return PRINTABLE_ASCII.test(s)
}

/** Removes format characters (invisible, so never part of what a person reads). */
export function stripFormat (s: string): string {
  return s.replace(FORMAT_G, '')
}

/**
 * Full case folding, approximated as toUpperCase().toLowerCase() (locale
 * independent): unlike toLowerCase alone it folds ß→ss and the other
 * one-to-many foldings of Unicode's CaseFolding.txt. Two leftovers are
 * folded by hand: capital ẞ has no upper-case mapping and lowers to ß, and
 * toLowerCase writes Σ as final ς depending on the following character,
 * which is not stable once punctuation is removed.
 */
const FOLD_LEFTOVERS = /[ßς]/
const FOLD_LEFTOVERS_G = /[ßς]/g
export function foldCase (s: string): string {
  const f = s.toUpperCase().toLowerCase()
  return FOLD_LEFTOVERS.test(f) ? f.replace(FOLD_LEFTOVERS_G, (c) => c === 'ß' ? 'ss' : 'σ') : f
}

/** NFD, drop combining diacritics (é→e, ё→е, İ→i), and keep the rest decomposed. */
export function stripDiacriticsNFD (s: string): string {
  return s.normalize('NFD').replace(DIACRITIC_G, '')
}

/** Apostrophes and periods join their neighbours (O'Brien → obrien, J.P. → jp, St. → st). */
export const JOINING_PUNCTUATION_G = /['.`\u2018\u2019\u02bc]/g

/** Any other run of whitespace, punctuation or symbols separates tokens. */
export const SEPARATORS = /[\s\p{P}\p{S}]+/u

/** Splits into non-empty tokens after removing joining punctuation. */
export function tokens (s: string): string[] {
  const parts = s.replace(JOINING_PUNCTUATION_G, '').split(SEPARATORS)
  // split leaves one empty string at either end when the text starts or ends with a separator
  let start = 0
  let end = parts.length
  if (end > 0 && parts[0] === '') start = 1
  if (end > start && parts[end - 1] === '') end--
  return start === 0 && end === parts.length ? parts : parts.slice(start, end)
}
