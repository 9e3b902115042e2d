/**
 * Domains, rule set v1: the registrable domain (eTLD+1) of a host, in
 * lower-case ASCII (punycode), per the Public Suffix List with its private
 * section (tldts, allowPrivateDomains): Shop.Example.CO.UK → example.co.uk,
 * foo.blogspot.com stays foo.blogspot.com (each blog is its own site).
 *
 * Accepts a bare host ("shop.example.com", "bücher.de", "example.com.")
 * or a URL (anything with a scheme, "/", "?", "#", "@" or a port: parsed
 * with WHATWG URL, "http://" assumed without a scheme).
 * Rejected: IP addresses ('ip_address': they have no registrable domain;
 * the url kind carries them), hosts that are a public suffix or have none
 * ("co.uk", "localhost": 'no_registrable_domain'), hosts whose suffix is
 * not on the list ('unknown_suffix': typos such as example.con).
 * The list is the one tldts ships: members should run the same tldts
 * version, and a list update that changes a result is a version bump.
 */
import { domainToASCII } from 'node:url'
import { parse } from 'tldts'
import { InvalidIdentifierError } from './errors.js'

const URL_LIKE = /[/?#@:\\]/
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i
const TLDTS = { allowPrivateDomains: true, extractHostname: false } as const
// LDH labels of 1–63 characters (underscore tolerated, as in DNS names), 253 in all; no empty label
const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?'
const HOSTNAME = new RegExp(`^(?=.{1,253}$)(?:${LABEL}\\.)*${LABEL}$`)

export function canonicalDomain (s: string): string {
  let host: string
  if (URL_LIKE.test(s)) {
    try {
      host = new URL(HAS_SCHEME.test(s) ? s : 'http://' + s).hostname
    } catch {
      throw new InvalidIdentifierError('domain', 'not_domain', s.length)
    }
  } else {
    host = domainToASCII(s) // UTS 46: NFKC-style mapping, lower-case, punycode; '' when invalid
  }
  if (host.endsWith('.')) host = host.slice(0, -1)
  const p = parse(host, TLDTS)
  if (p.isIp === true) throw new InvalidIdentifierError('domain', 'ip_address', s.length)
  if (!HOSTNAME.test(host)) throw new InvalidIdentifierError('domain', 'not_domain', s.length)
  if (p.isIcann !== true && p.isPrivate !== true) {
    throw new InvalidIdentifierError('domain', p.domain === null ? 'no_registrable_domain' : 'unknown_suffix', s.length)
  }
  if (p.domain === null) throw new InvalidIdentifierError('domain', 'no_registrable_domain', s.length)
  return p.domain
}
