import assert from 'node:assert/strict'
import fc from 'fast-check'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { canonicalize, type CanonicalOptions } from '../../../../protocol/canonical/index.js'
import { KINDS, type Kind } from '../../../../protocol/kinds.js'

/** Canonicalises, returning undefined for an InvalidIdentifierError and rethrowing anything else. */
function attempt (kind: Kind, raw: string, options?: CanonicalOptions): string | undefined {
  try {
    return canonicalize(kind, raw, options)
  } catch (err: any) {
    if (err?.name === 'InvalidIdentifierError' && err.kind === kind && typeof err.why === 'string') return undefined
    throw err
  }
}

// Characters that exercise the rules: separators, confusables, marks, invisible and broken text.
const TRICKY = [
  'a', 'B', 'z', '0', '1', '9', ' ', '\t', '\n', '.', ',', ':', ';', '@', '+', '-', '_', '/', '?', '#', '&', '=', '%', "'",
  '(', ')', '[', ']', 'ß', 'ẞ', 'é', 'E\u0301', 'İ', 'ı', 'ς', 'Σ', 'ϲ', 'Ϲ', 'а', 'А', 'Н', 'н', 'і', 'Ӏ', 'ν', 'Ν', 'Ё',
  'ｆ', '＠', '：', '\u200b', '\u202e', '\u00ad', '\ufeff', '\u0000', '\u0085', '\ud800', '\udfff', '😀', 'ﬁ', '\u1100\u1161',
  'ǅ', 'ŉ', 'ΐ', 'ᾳ', 'ǰ', '%7e', '%2F', 'xn--', 'www.', 'http://', 'https://', 'co.uk', '.com'
]
const PREFIXES: Record<Kind, string[]> = {
  email: ['', 'x@', 'a.b+c@gmail.com', '@example.com'],
  phone: ['', '+44', '+1 ', 'tel:', '00', '0'],
  'seller-account': ['', 'shopmart:', 'ShopMart :'],
  'payment-account': ['', 'iban:', 'DE89', 'wallet:eth:0x', 'wallet:btc:bc1', 'wallet:btc:1', 'wallet:x:', 'card:stripe:'],
  domain: ['', 'https://', 'shop.'],
  url: ['', 'https://', 'http://example.com/', '//'],
  'postal-address': [''],
  name: [''],
  'product-image': ['', 'abcdef0123456789', '0x']
}

function arbitraryText (kind: Kind): fc.Arbitrary<string> {
  return fc.tuple(
    fc.constantFrom(...PREFIXES[kind]),
    fc.oneof(
      fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 24 }),
      fc.string({ unit: 'binary', maxLength: 24 }),
      fc.string({ unit: 'grapheme', maxLength: 12 })
    )
  ).map(([p, s]) => p + s)
}

/** Random case per character, as two holders might type the same text. */
const recase = (s: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((up) => Array.from(s, (c, i) => (up[i] ?? false) ? c.toUpperCase() : c.toLowerCase()).join(''))

const spaces = fc.constantFrom(' ', '  ', '\t', ' \n ', '\u00a0', '\u3000')

describe('canonical properties', function () {
  this.timeout(20000)

  for (const kind of KINDS) {
    it(`${kind}: arbitrary text is canonical or an InvalidIdentifierError, and canonical text is a fixed point`, () => {
      fc.assert(fc.property(arbitraryText(kind), fc.constantFrom(undefined, 'GB', 'US'), (raw, cc) => {
        const options = cc === undefined ? undefined : { defaultCountry: cc as 'GB' | 'US' }
        const c = attempt(kind, raw, options)
        if (c !== undefined) assert.equal(canonicalize(kind, c, options), c, `not idempotent for ${JSON.stringify(raw)}`)
      }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 400) })
    })
  }

  it('name: initials joined from lone combining marks come out in canonical order (fast-check counterexample)', () => {
    // U+1D157 U+1D165 U+309B: NFKC gives a symbol, a mark (ccc 216), a space and a mark (ccc 8);
    // the two one-mark tokens are joined as initials, which must be NFC again.
    const c = canonicalize('name', '\u{1D157}\u{1D165}\u309B')
    assert.equal(c, '\u3099\u{1D165}')
    assert.equal(canonicalize('name', c), c)
    assert.equal(canonicalize('name', 'か ゙'), 'が')
  })

  it('name: case, spacing and confusable variants agree', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdeghijkmnoprstuvwxyzéüøßаеосрхіνοκт'), minLength: 1, maxLength: 8 })
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), fc.array(spaces, { minLength: 4, maxLength: 4 }), (words, gaps) => {
      const plain = words.join(' ')
      const c = canonicalize('name', plain)
      assert.equal(canonicalize('name', c), c)
      assert.equal(canonicalize('name', plain.toUpperCase()), c)
      assert.equal(canonicalize('name', ' ' + words.map((w, i) => w + (gaps[i] ?? ' ')).join('')), c)
    }), { numRuns: 300 })
  })

  it('postal-address: case, spacing and punctuation variants agree', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdefghilmnorstuvwyz0123456789éüß'), minLength: 1, maxLength: 8 })
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), fc.constantFrom(', ', ' - ', '\n', '  '), (words, sep) => {
      const c = canonicalize('postal-address', words.join(' '))
      assert.equal(canonicalize('postal-address', c), c)
      assert.equal(canonicalize('postal-address', words.join(sep).toUpperCase()), c)
    }), { numRuns: 300 })
  })

  it('email: case and surrounding whitespace do not matter; Gmail dots and tags do not either', () => {
    const local = fc.stringMatching(/^[a-z0-9]{1,6}(\.[a-z0-9]{1,6}){0,2}$/)
    const domain = fc.constantFrom('example.com', 'shop.example.co.uk', 'bücher.de', 'outlook.com', 'gmail.com')
    fc.assert(fc.property(local, domain, fc.stringMatching(/^[a-z0-9]{1,5}$/), (l, d, tag) => {
      const c = canonicalize('email', `${l}@${d}`)
      assert.equal(canonicalize('email', c), c)
      assert.equal(canonicalize('email', ` ${l.toUpperCase()}@${d.toUpperCase()}\t`), c)
      if (d === 'gmail.com') assert.equal(canonicalize('email', `${l}+${tag}@googlemail.com`), c.replaceAll('.', '').replace('gmailcom', 'gmail.com'))
    }), { numRuns: 300 })
  })

  it('phone: separators, 00 prefix and tel: give the same E.164', () => {
    const numbers = ['+442079460958', '+12015550123', '+4930901820', '+33142685300', '+819012345678', '+5511961234567']
    fc.assert(fc.property(fc.constantFrom(...numbers), fc.array(fc.constantFrom('', ' ', '-', '.', ' - '), { minLength: 16, maxLength: 16 }), fc.constantFrom('+', '00', 'tel:+'), (e164, seps, lead) => {
      const digits = e164.slice(1)
      const written = lead + Array.from(digits, (d, i) => d + (i < digits.length - 1 ? seps[i] : '')).join('')
      assert.equal(canonicalize('phone', written), e164)
      assert.equal(canonicalize('phone', written, { defaultCountry: 'GB' }), e164)
    }), { numRuns: 300 })
  })

  it('domain: host case, subdomains and URL form give the same registrable domain', () => {
    // names of 6+ random letters, so that none is itself a private public suffix (uk.com, eu.com…)
    const name = fc.stringMatching(/^[a-z][a-z0-9]{5,10}$/)
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/)
    fc.assert(fc.property(name, fc.array(label, { maxLength: 3 }), fc.constantFrom('com', 'co.uk', 'de', 'blogspot.com', 'com.au'), (name, subs, suffix) => {
      const registrable = `${name}.${suffix}`
      const host = [...subs, registrable].join('.')
      assert.equal(canonicalize('domain', registrable), registrable)
      assert.equal(canonicalize('domain', host.toUpperCase()), registrable)
      assert.equal(canonicalize('domain', `https://${host}/a?b#c`), registrable)
    }), { numRuns: 300 })
  })

  it('url: host case, parameter order, tracking parameters and fragments do not matter', () => {
    const seg = fc.stringMatching(/^[a-zA-Z0-9_-]{1,8}$/)
    const param = fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.stringMatching(/^[a-zA-Z0-9 ]{0,4}$/))
    fc.assert(fc.property(seg, fc.array(seg, { maxLength: 3 }), fc.uniqueArray(param, { maxLength: 4, selector: (p) => p[0] }), (host, path, params) => {
      const tracked = params.filter(([k]) => k !== 'igshid')
      const base = `${host.toLowerCase()}.example.com/${path.join('/')}`
      const q = (ps: Array<[string, string]>): string => ps.length === 0 ? '' : '?' + new URLSearchParams(ps).toString()
      const c = canonicalize('url', base + q(tracked))
      assert.equal(canonicalize('url', c), c)
      const shuffled = [...tracked].reverse().concat([['utm_source', 'x'], ['fbclid', 'y']])
      assert.equal(canonicalize('url', `HTTP://${host.toUpperCase()}.EXAMPLE.com/${path.join('/')}/${q(shuffled)}#frag`), c)
    }), { numRuns: 300 })
  })

  it('seller-account: platform case and spaces around the colon do not matter; id case does', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/), (platform, id) => {
      const c = canonicalize('seller-account', `${platform}:${id}`)
      assert.equal(c, `${platform}:${id}`)
      assert.equal(canonicalize('seller-account', ` ${platform.toUpperCase()} : ${id} `), c)
    }), { numRuns: 300 })
  })

  it('payment-account: IBAN spacing and case, and Ethereum address case (EIP-55 or not), do not matter', () => {
    const ibans = ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300']
    fc.assert(fc.property(fc.constantFrom(...ibans), fc.array(fc.constantFrom('', ' ', '-'), { minLength: 34, maxLength: 34 }), (iban, seps) => {
      const written = Array.from(iban, (ch, i) => ch + seps[i]).join('').toLowerCase()
      assert.equal(canonicalize('payment-account', written), `iban:${iban}`)
    }), { numRuns: 200 })
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
      const lower = Buffer.from(bytes).toString('hex')
      const hash = keccak_256(new TextEncoder().encode(lower))
      const eip55 = Array.from(lower, (ch, i) => ((hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 15) >= 8 ? ch.toUpperCase() : ch).join('')
      const c = `wallet:eth:0x${lower}`
      assert.equal(canonicalize('payment-account', c), c)
      assert.equal(canonicalize('payment-account', `wallet:eth:0x${eip55}`), c)
      assert.equal(canonicalize('payment-account', `wallet:ethereum:0x${lower.toUpperCase()}`), c)
    }), { numRuns: 200 })
  })

  it('product-image: hex case does not matter', () => {
    fc.assert(fc.property(fc.constantFrom(8, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), fc.boolean(), (bytes, upper) => {
      const hex = Buffer.from(bytes).toString('hex')
      assert.equal(canonicalize('product-image', upper ? hex.toUpperCase() : hex), hex)
    }), { numRuns: 200 })
  })

  it('name: per-character case changes agree, in any script', () => {
    fc.assert(fc.property(fc.constantFrom('Acme Trading', 'José Müller', 'Наташа Иванова', 'Straße Ltd').chain((s) => recase(s).map((v) => [s, v] as const)), ([s, v]) => {
      assert.equal(canonicalize('name', v), canonicalize('name', s))
    }), { numRuns: 200 })
  })
})
