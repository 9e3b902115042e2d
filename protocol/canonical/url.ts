/**
 * URLs, rule set v1. WHATWG URL parsing, then:
 *
 * - "https://" is assumed when there is no scheme ("//host/…" and
 *   "host:8080/…" included; "user:pw@host" without a scheme reads as scheme "user");
 *   only http and https are accepted, and **http is written as https**:
 *   the same listing is served under both, and holders record either;
 * - host lower-case ASCII (punycode) as URL gives it, trailing dot removed;
 *   "www." is kept (a different host);
 * - user name and password dropped (never part of what is listed, and
 *   "https://brand.example@evil.example/" is evil.example);
 * - port dropped when it is the default (80 or 443), fragment dropped;
 * - path: dot segments resolved and non-ASCII percent-encoded by URL;
 *   percent-escapes of unreserved characters decoded (%7E → ~) and the
 *   others written with upper-case hex (RFC 3986 §6.2.2); trailing slashes
 *   removed except for the root path; case kept;
 * - query: tracking parameters (TRACKING_PARAMS_V1, utm_*) removed, the
 *   rest sorted by name then value and re-encoded as
 *   application/x-www-form-urlencoded (so "%20" and "+" agree); an empty
 *   query is removed.
 * Canonical text: https://host[:port]/path[?query].
 */
import { InvalidIdentifierError } from './errors.js'

/** Click and campaign identifiers that never change the page (compared lower-cased; any utm_* too). */
export const TRACKING_PARAMS_V1: ReadonlySet<string> = new Set([
  'fbclid', 'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'msclkid', 'yclid', 'twclid',
  'ttclid', 'li_fat_id', 'igshid', 'mc_cid', 'mc_eid', '_ga', '_gl', '_hsenc', '_hsmi',
  'mkt_tok', 'srsltid'
])

// "scheme:" not followed by a digit (which would make it host:port); "http:host" is valid WHATWG
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:(?![0-9])/i
const PERCENT_G = /%[0-9a-fA-F]{2}/g
const UNRESERVED = /[A-Za-z0-9\-._~]/
const TRAILING_SLASHES = /\/+$/

export function canonicalUrl (s: string): string {
  const input = HAS_SCHEME.test(s) ? s : (s.startsWith('//') ? 'https:' + s : 'https://' + s)
  let u: URL
  try {
    u = new URL(input)
  } catch {
    throw new InvalidIdentifierError('url', 'not_url', s.length)
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new InvalidIdentifierError('url', 'bad_scheme', s.length)
  let host = u.hostname
  if (host.endsWith('.')) host = host.slice(0, -1)
  if (host === '' || host.endsWith('.')) throw new InvalidIdentifierError('url', 'not_url', s.length)
  // u.port is '' for the scheme's default; 443 is https's default once http is written as https
  const port = u.port === '' || u.port === '443' ? '' : ':' + u.port

  let path = u.pathname
  if (path.includes('%')) path = path.replace(PERCENT_G, normalisePercent)
  if (path.length > 1 && path.endsWith('/')) path = path.replace(TRAILING_SLASHES, '') || '/'

  return 'https://' + host + port + path + query(u)
}

function normalisePercent (escape: string): string {
  const c = String.fromCharCode(parseInt(escape.slice(1), 16))
  return UNRESERVED.test(c) ? c : escape.toUpperCase()
}

function query (u: URL): string {
  if (u.search === '') return ''
  const kept: Array<[string, string]> = []
  for (const [k, v] of u.searchParams) {
    const lower = k.toLowerCase()
    if (!lower.startsWith('utm_') && !TRACKING_PARAMS_V1.has(lower)) kept.push([k, v])
  }
  if (kept.length === 0) return ''
  kept.sort(compareParams)
  return '?' + new URLSearchParams(kept).toString()
}

function compareParams (a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0
}
