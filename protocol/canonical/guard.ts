/**
 * Rules every kind applies before its own: a length cap, well-formed text,
 * no control characters, and trimming. Kept in one place so that no kind
 * can forget one.
 */
import { InvalidIdentifierError } from './errors.js'
import type { Kind } from '../kinds.js'

/**
 * Longest raw identifier accepted, in UTF-16 code units. The longest
 * legitimate kind is a URL, and 2048 is the de-facto URL limit (sitemaps,
 * older browsers, most CDNs); the cap also bounds the work one hostile row
 * can cost on the hot path (NFKC can expand text up to 18-fold).
 */
export const MAX_RAW_IDENTIFIER_LENGTH = 2048

// C0 and C1 controls and DEL; tab, line feed and carriage return are
// whitespace (multi-line postal addresses) and are handled by each kind.
const CONTROL_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/
// Format characters: zero-width space/joiners, bidi controls, soft hyphen…
// (The rare IDN labels that need ZWJ/ZWNJ must then be given in punycode.)
const FORMAT_RE = /\p{Cf}/u

/**
 * Checks the global rules and returns the trimmed value.
 * `allowFormat`: kinds that fold free text (names, addresses) strip format
 * characters themselves; every other kind rejects them, since an invisible
 * character inside an e-mail address or account id is never legitimate.
 */
export function prepare (kind: Kind, raw: string, allowFormat: boolean): string {
  if (raw.length > MAX_RAW_IDENTIFIER_LENGTH) throw new InvalidIdentifierError(kind, 'too_long', raw.length)
  const s = raw.trim()
  if (s === '') throw new InvalidIdentifierError(kind, 'empty', raw.length)
  if (!s.isWellFormed() || CONTROL_RE.test(s) || (!allowFormat && FORMAT_RE.test(s))) {
    throw new InvalidIdentifierError(kind, 'bad_characters', raw.length)
  }
  return s
}
