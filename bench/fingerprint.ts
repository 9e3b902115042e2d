/**
 * Fingerprinting throughput, one core.
 *
 *   (a) the hmac-sha256 suite's fast path, fingerprintInto, over ~1M
 *       already-canonical identifiers (E.164 phones, e-mails, seller accounts)
 *   (b) the ceiling: a bare loop of noble HMAC-SHA256 with the key state
 *       precomputed and cloned into a scratch object, one fixed key
 *   (c) when protocol/canonical exists: canonicalBytes + fingerprintInto over
 *       a raw mix (phones in mixed formats, e-mails with case/dots/tags)
 *
 * (a) and (b) run in alternating rounds (A B, B A, A B, ...) over the same
 * identifiers so machine noise hits both alike; the ratio is the median of
 * the per-round ratios. Targets: (a) >= 200k ids/s, a/b >= 0.8.
 *
 * Run: npx tsx bench/fingerprint.ts
 * The last line is `RESULT {json}` for bench/run.ts.
 */
import '../node/polyfill.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { performance } from 'node:perf_hooks'
import type { Kind } from '../protocol/kinds.js'
import { createHmacSuite } from '../protocol/fingerprint/index.js'

const N = 1_000_000
const ROUNDS = 12
const ROUND_SIZE = 250_000
const CANON_MAX_IDS = 200_000
const CANON_MAX_MS = 10_000

/** Deterministic PRNG (mulberry32) so every run fingerprints the same identifiers. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rnd = prng(0x5eed)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
const digits = (n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10); return s }

const FIRST = ['anna', 'ben', 'carla', 'david', 'eva', 'felix', 'li', 'maria', 'noah', 'olga', 'pierre', 'sara', 'tom', 'yuki', 'zoe']
const LAST = ['mueller', 'smith', 'garcia', 'rossi', 'nowak', 'dubois', 'tanaka', 'kim', 'silva', 'jensen', 'ivanova', 'oconnor']
const DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'web.de', 'gmx.de', 'proton.me', 'example-shop.cn', 'mail.ru', 'orange.fr', 'qq.com']
const MARKETS = ['amazon.de', 'amazon.com', 'ebay.de', 'aliexpress.com', 'etsy.com', 'shopee.sg', 'temu.com']
/**
 * Country code, a valid range prefix and the digits that follow it, for
 * numbers libphonenumber accepts (mostly mobile ranges, where counterfeit
 * sellers' numbers live).
 */
const PHONE_PLANS: ReadonlyArray<[string, readonly string[], number]> = [
  ['1', ['212', '213', '305', '312', '415', '617', '646', '702'], 7], // US: area code + 7
  ['44', ['74', '75', '77', '78', '79'], 8], // UK mobile
  ['49', ['151', '152', '160', '170', '171', '176'], 8], // DE mobile
  ['33', ['6', '7'], 8], // FR mobile
  ['86', ['138', '139', '150', '186', '188'], 8], // CN mobile
  ['91', ['98', '97', '90', '88', '70'], 8], // IN mobile
  ['55', ['119', '219'], 8], // BR mobile (São Paulo, Rio)
  ['81', ['90', '80'], 8], // JP mobile
  ['7', ['91', '92', '98'], 8] // RU mobile
]
function phoneParts (): [string, string] {
  const [cc, prefixes, n] = pick(PHONE_PLANS)
  let rest = digits(n)
  if (rest[0] < '2') rest = '5' + rest.slice(1) // e.g. NANP exchange codes and JP 090-xxxx start with 2-9
  return [cc, pick(prefixes) + rest]
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const sellerId = (): string => { let s = 'A'; for (let i = 0; i < 13; i++) s += ALNUM[Math.floor(rnd() * ALNUM.length)]; return s }

/** Already-canonical identifiers as the canonical layer would output them. */
function canonicalId (): { kind: Kind, text: string } {
  const r = rnd()
  if (r < 0.4) { const [cc, d] = phoneParts(); return { kind: 'phone', text: `+${cc}${d}` } }
  if (r < 0.8) return { kind: 'email', text: `${pick(FIRST)}.${pick(LAST)}${rnd() < 0.5 ? digits(2) : ''}@${pick(DOMAINS)}` }
  return { kind: 'seller-account', text: `${pick(MARKETS)}:${sellerId()}` }
}

/** Raw values for (c): phones in mixed formats, e-mails with case, dots and tags. */
function rawId (): { kind: Kind, raw: string } {
  const r = rnd()
  if (r < 0.4) {
    const [cc, d] = phoneParts()
    const fmt = pick([
      () => `+${cc}${d}`, () => `+${cc} ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`,
      () => `+${cc}-${d.slice(0, 3)}-${d.slice(3)}`, () => `+${cc} (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`
    ])
    return { kind: 'phone', raw: fmt() }
  }
  if (r < 0.8) {
    const first = pick(FIRST); const last = pick(LAST); const dom = pick(DOMAINS)
    const fmt = pick([
      () => `${first}.${last}@${dom}`, () => `${first[0].toUpperCase()}${first.slice(1)}.${last.toUpperCase()}@${dom.toUpperCase()}`,
      () => `${first}.${last}+shop${digits(2)}@${dom}`, () => ` ${first}${last}@${dom} `
    ])
    return { kind: 'email', raw: fmt() }
  }
  return { kind: 'seller-account', raw: `${pick(MARKETS)}:${sellerId()}` }
}

// --- identifiers, generated up front into one backing buffer -------------------------------
const enc = new TextEncoder()
const texts = Array.from({ length: N }, canonicalId)
const total = texts.reduce((n, t) => n + enc.encode(t.text).length, 0)
const backing = new Uint8Array(total)
const ids: Uint8Array[] = new Array(N)
const kinds: Kind[] = new Array(N)
{
  let o = 0
  for (let i = 0; i < N; i++) {
    const { written } = enc.encodeInto(texts[i].text, backing.subarray(o))
    ids[i] = backing.subarray(o, o + written)
    kinds[i] = texts[i].kind
    o += written
  }
}
texts.length = 0

const key = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff)
const suite = createHmacSuite({ epoch: 1, key })
const out = new Uint8Array(ROUND_SIZE * 32)

function runSuite (from: number, count: number): number {
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const j = from + i
    suite.fingerprintInto(kinds[j], ids[j], out, i * 32)
  }
  return count / ((performance.now() - t0) / 1000)
}

const bareState = hmac.create(sha256, key)
const bareScratch = bareState.clone()
const bareDigest = new Uint8Array(32)
let sink = 0
function runBare (from: number, count: number): number {
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const mac = bareState._cloneInto(bareScratch)
    mac.update(ids[from + i])
    mac.digestInto(bareDigest)
    sink ^= bareDigest[0]
  }
  return count / ((performance.now() - t0) / 1000)
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2 }

// --- (a) vs (b), interleaved -----------------------------------------------------------------
runSuite(0, 50_000); runBare(0, 50_000) // warm-up (JIT)
const a: number[] = []
const b: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  const from = (r * ROUND_SIZE) % (N - ROUND_SIZE + 1)
  if (r % 2 === 0) { a.push(runSuite(from, ROUND_SIZE)); b.push(runBare(from, ROUND_SIZE)) } else { b.push(runBare(from, ROUND_SIZE)); a.push(runSuite(from, ROUND_SIZE)) }
}
const idsPerS = median(a)
const bareIdsPerS = median(b)
const ratio = median(a.map((x, i) => x / b[i]))

// --- (c) with canonicalisation, when protocol/canonical exists -------------------------------
type CanonicalBytes = (kind: Kind, raw: string) => Uint8Array
let withCanon: number | null = null
let canonNote = ''
try {
  const spec = '../protocol/canonical/index.js'
  const mod = await import(spec) as { canonicalBytes?: CanonicalBytes }
  if (typeof mod.canonicalBytes !== 'function') throw Object.assign(new Error('protocol/canonical exports no canonicalBytes'), { code: 'NO_CANONICAL' })
  const canonicalBytes = mod.canonicalBytes
  const raws = Array.from({ length: CANON_MAX_IDS }, rawId)
  let rejected = 0
  const reasons = new Map<string, number>()
  let example = ''
  const fp = new Uint8Array(32)
  const t0 = performance.now()
  let done = 0
  for (; done < raws.length; done++) {
    if ((done & 1023) === 0 && performance.now() - t0 > CANON_MAX_MS) break
    const { kind, raw } = raws[done]
    let canonical: Uint8Array
    try {
      canonical = canonicalBytes(kind, raw)
    } catch (err) {
      rejected++
      const why = `${kind}:${String((err as { why?: string }).why ?? (err as Error).name)}`
      reasons.set(why, (reasons.get(why) ?? 0) + 1)
      if (example === '') example = JSON.stringify(raw)
      continue
    }
    suite.fingerprintInto(kind, canonical, fp, 0)
  }
  withCanon = done / ((performance.now() - t0) / 1000)
  const top = [...reasons].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([w, n]) => `${w} ${n}`).join(', ')
  canonNote = `${done.toLocaleString('en')} raw ids${rejected > 0 ? `, ${rejected} rejected (${top}; e.g. ${example})` : ''}`
} catch (err) {
  const code = (err as { code?: string }).code
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'NO_CANONICAL') throw err
  canonNote = `n/a: ${(err as Error).message.split('\n')[0]}`
}

// --- report ----------------------------------------------------------------------------------
const fmt = (n: number): string => Math.round(n).toLocaleString('en')
console.log(`fingerprint bench: node ${process.version}, ${N.toLocaleString('en')} canonical ids (40% phone, 40% email, 20% seller account), ${ROUNDS} interleaved rounds of ${ROUND_SIZE.toLocaleString('en')}`)
console.log('')
console.log('| measurement                                     | ids/s (median) | rounds (ids/s)')
console.log('| ----------------------------------------------- | -------------- | --------------')
console.log(`| (a) suite fingerprintInto (hmac-sha256)         | ${fmt(idsPerS).padStart(14)} | ${a.map(fmt).join(' ')}`)
console.log(`| (b) bare noble HMAC, cloned state, one key      | ${fmt(bareIdsPerS).padStart(14)} | ${b.map(fmt).join(' ')}`)
console.log(`| (c) canonicalBytes + fingerprintInto            | ${(withCanon === null ? 'n/a' : fmt(withCanon)).padStart(14)} | ${canonNote}`)
console.log('')
console.log(`ratio a/b (median of per-round ratios): ${ratio.toFixed(3)}   targets: a >= 200,000 ids/s ${idsPerS >= 200_000 ? 'met' : 'MISSED'}, a/b >= 0.8 ${ratio >= 0.8 ? 'met' : 'MISSED'}   (sink ${sink & 1})`)
console.log(`RESULT ${JSON.stringify({ ids_per_s: Math.round(idsPerS), ratio_to_bare: Math.round(ratio * 1000) / 1000, ids_per_s_with_canon: withCanon === null ? null : Math.round(withCanon) })}`)
