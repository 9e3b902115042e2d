/**
 * Synthetic counterfeiter identifiers, deterministic from a seed: the same
 * identifier written the way different people write it (phone formats, e-mail
 * case, dots and +tags, URL vs domain), so the demo and tests exercise
 * canonicalisation for real. Phones are generated in a valid UK mobile
 * range (Ofcom's 07700 900xxx drama range is rejected as unassigned by
 * strict validation), so any resemblance to a real subscriber is chance;
 * e-mail and shop names are made up.
 */
import type { Kind } from '../protocol/kinds.js'

/** Small, fast, seedable PRNG (mulberry32). Not for cryptography. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface Counterfeiter {
  id: number
  phone: string
  email: string
  account: string
  domain: string
}

export function counterfeiter (id: number): Counterfeiter {
  const n = String(id % 1_000_000).padStart(6, '0')
  const block = 7400 + (Math.floor(id / 1_000_000) % 100)
  return {
    id,
    phone: `+44 ${block} ${n}`,
    email: `seller.${id}@gmail.com`,
    account: `shopmart:cf_${id}`,
    // a shop on a platform subdomain: myshopify.com is a private public suffix, so each shop is its own registrable domain
    domain: `cheap-brand-${id}.myshopify.com`
  }
}

/** The same identifier as another person would write it. */
export function variant (kind: Kind, canonicalish: string, rnd: () => number): string {
  const r = rnd()
  switch (kind) {
    case 'phone': {
      const digits = canonicalish.replace(/\D/g, '').slice(2) // national part
      return r < 0.33 ? `0${digits.slice(0, 4)} ${digits.slice(4)}` : r < 0.66 ? `0044-${digits.slice(0, 4)}-${digits.slice(4)}` : `(0${digits.slice(0, 4)}) ${digits.slice(4, 7)} ${digits.slice(7)}`
    }
    case 'email': {
      const [local, domain] = canonicalish.split('@')
      return r < 0.5 ? `${local.replace('.', '').toUpperCase()}+shop@${domain}` : `${local}@GoogleMail.com`
    }
    case 'domain':
      return r < 0.5 ? `https://www.${canonicalish}/sale?utm_source=x` : canonicalish.toUpperCase()
    default:
      return canonicalish
  }
}

export interface AttestRow { kind: Kind, value: string }

/** Rows a brand would attest for the counterfeiters `ids`, each identifier in that brand's own notation. */
export function brandRows (ids: number[], seed: number, kinds: Kind[] = ['phone', 'email', 'seller-account', 'domain']): AttestRow[] {
  const rnd = prng(seed)
  const rows: AttestRow[] = []
  for (const id of ids) {
    const c = counterfeiter(id)
    const byKind: Partial<Record<Kind, string>> = { phone: c.phone, email: c.email, 'seller-account': c.account, domain: c.domain }
    for (const kind of kinds) {
      const v = byKind[kind]
      if (v !== undefined) rows.push({ kind, value: rnd() < 0.5 ? v : variant(kind, v, rnd) })
    }
  }
  return rows
}

export function range (from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}
