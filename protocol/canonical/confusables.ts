/**
 * Confusable skeleton for names, v1: Cyrillic and Greek letters that look
 * like Latin letters are mapped to those Latin letters.
 *
 * Source: Unicode TR39 `confusables.txt` (https://www.unicode.org/Public/security/latest/confusables.txt),
 * the MA entries whose source is Cyrillic or Greek and whose target is one
 * Latin letter. The table is applied to *case-folded* text, as TR39 advises
 * for case-insensitive comparison (skeleton of the case-folded string), so
 * that "НАТАША" and "Наташа" fold alike. Case folding first would lose the
 * capital-only look-alikes (Н→H, Т→T, К→K…), so a small letter whose own
 * TR39 entry has no Latin target takes its capital's target, lower-cased;
 * these rows are marked "(cap)". Where small and capital disagree
 * (Ν→N but ν→v, Υ→Y but υ→u) the small letter's own entry wins.
 *
 * Deliberately not folded (documented v1 limits):
 * - TR39 entries with digit targets (З→3, б→6) and multi-letter targets
 *   (Ы→bl, Ю→lO, Ӕ→AE); Latin digits are never folded (0/o, 1/l stay apart).
 * - TR39 maps capital I-like letters (І, Ӏ, Ι) to 'l' because its skeleton is
 *   case-sensitive and also maps Latin 'I' to 'l'; after case folding they
 *   are small і/ӏ/ι, which TR39 maps to 'i' like the Latin letter they imitate.
 * - Lunate sigma ϲ/Ϲ (TR39: c/C) is turned into σ by NFKC, which runs first,
 *   and so folds with σ to 'o'.
 * - Scripts other than Cyrillic and Greek (Armenian, Cherokee…).
 */

const PAIRS: ReadonlyArray<readonly [number, string]> = [
  // Greek (U+0370–U+03FF)
  [0x03B1, 'a'], // α GREEK SMALL LETTER ALPHA → a
  [0x03B2, 'b'], // β (cap) Β → B
  [0x03B3, 'y'], // γ GREEK SMALL LETTER GAMMA → y
  [0x03B5, 'e'], // ε (cap) Ε → E
  [0x03B6, 'z'], // ζ (cap) Ζ → Z
  [0x03B7, 'h'], // η (cap) Η → H
  [0x03B9, 'i'], // ι GREEK SMALL LETTER IOTA → i
  [0x03BA, 'k'], // κ (cap) Κ → K
  [0x03BC, 'm'], // μ (cap) Μ → M
  [0x03BD, 'v'], // ν GREEK SMALL LETTER NU → v (capital Ν → N loses)
  [0x03BF, 'o'], // ο GREEK SMALL LETTER OMICRON → o
  [0x03C1, 'p'], // ρ GREEK SMALL LETTER RHO → p
  [0x03C3, 'o'], // σ GREEK SMALL LETTER SIGMA → o
  [0x03C4, 't'], // τ (cap) Τ → T
  [0x03C5, 'u'], // υ GREEK SMALL LETTER UPSILON → u (capital Υ → Y loses)
  [0x03C7, 'x'], // χ (cap) Χ → X
  [0x03DD, 'f'], // ϝ (cap) Ϝ GREEK LETTER DIGAMMA → F
  [0x03F3, 'j'], // ϳ GREEK LETTER YOT → j (capital Ϳ → J agrees)
  [0x03FB, 'm'], // ϻ (cap) Ϻ GREEK CAPITAL LETTER SAN → M
  // Cyrillic (U+0400–U+052F)
  [0x0430, 'a'], // а CYRILLIC SMALL LETTER A → a
  [0x0432, 'b'], // в (cap) В → B
  [0x0433, 'r'], // г CYRILLIC SMALL LETTER GHE → r
  [0x0435, 'e'], // е CYRILLIC SMALL LETTER IE → e
  [0x043A, 'k'], // к (cap) К → K
  [0x043C, 'm'], // м (cap) М → M
  [0x043D, 'h'], // н (cap) Н → H
  [0x043E, 'o'], // о CYRILLIC SMALL LETTER O → o
  [0x0440, 'p'], // р CYRILLIC SMALL LETTER ER → p
  [0x0441, 'c'], // с CYRILLIC SMALL LETTER ES → c
  [0x0442, 't'], // т (cap) Т → T
  [0x0443, 'y'], // у CYRILLIC SMALL LETTER U → y
  [0x0445, 'x'], // х CYRILLIC SMALL LETTER HA → x
  [0x044C, 'b'], // ь (cap) Ь CYRILLIC CAPITAL LETTER SOFT SIGN → b
  [0x0455, 's'], // ѕ CYRILLIC SMALL LETTER DZE → s
  [0x0456, 'i'], // і CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I → i
  [0x0458, 'j'], // ј CYRILLIC SMALL LETTER JE → j
  [0x0461, 'w'], // ѡ CYRILLIC SMALL LETTER OMEGA → w
  [0x0475, 'v'], // ѵ CYRILLIC SMALL LETTER IZHITSA → v
  [0x04AF, 'y'], // ү CYRILLIC SMALL LETTER STRAIGHT U → y
  [0x04BB, 'h'], // һ CYRILLIC SMALL LETTER SHHA → h
  [0x04BD, 'e'], // ҽ CYRILLIC SMALL LETTER ABKHASIAN CHE → e
  [0x04CF, 'i'], // ӏ CYRILLIC SMALL LETTER PALOCHKA → i
  [0x0501, 'd'], // ԁ CYRILLIC SMALL LETTER KOMI DE → d
  [0x050D, 'g'], // ԍ (cap) Ԍ CYRILLIC CAPITAL LETTER KOMI SJE → G
  [0x051B, 'q'], // ԛ CYRILLIC SMALL LETTER QA → q
  [0x051D, 'w'] // ԝ CYRILLIC SMALL LETTER WE → w
]

const TABLE = new Map<string, string>(PAIRS.map(([cp, latin]) => [String.fromCharCode(cp), latin]))
const SOURCE_G = new RegExp(`[${PAIRS.map(([cp]) => `\\u${cp.toString(16).padStart(4, '0')}`).join('')}]`, 'g')

/** Maps the Cyrillic and Greek look-alikes in case-folded, NFD text to Latin. */
export function latinSkeleton (folded: string): string {
  return folded.replace(SOURCE_G, (c) => TABLE.get(c) as string)
}
