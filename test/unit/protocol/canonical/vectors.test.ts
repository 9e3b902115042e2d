import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import type { CountryCode } from 'libphonenumber-js'
import { CANONICAL_VERSION, canonicalize } from '../../../../protocol/canonical/index.js'
import type { Kind } from '../../../../protocol/kinds.js'

interface Vectors {
  version: number
  canonicalVersion: Record<Kind, number>
  equal: Array<{ kind: Kind, defaultCountry?: CountryCode, inputs: string[], canonical: string }>
  distinct: Array<{ kind: Kind, defaultCountry?: CountryCode, inputs: string[] }>
  invalid: Array<{ kind: Kind, defaultCountry?: CountryCode, input: string, why: string }>
}

const vectors: Vectors = JSON.parse(readFileSync(new URL('../../../vectors/canonical.json', import.meta.url), 'utf8'))

function show (s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

describe('canonical vectors (test/vectors/canonical.json)', () => {
  it('were written for the current rule versions', () => {
    assert.equal(vectors.version, 1)
    assert.deepEqual(vectors.canonicalVersion, CANONICAL_VERSION)
  })

  it('cover every kind with equal, distinct and invalid cases', () => {
    for (const kind of Object.keys(CANONICAL_VERSION) as Kind[]) {
      assert.ok(vectors.equal.some((v) => v.kind === kind), `no equal case for ${kind}`)
      assert.ok(vectors.distinct.some((v) => v.kind === kind), `no distinct case for ${kind}`)
      assert.ok(vectors.invalid.some((v) => v.kind === kind), `no invalid case for ${kind}`)
    }
  })

  describe('equal', () => {
    for (const v of vectors.equal) {
      it(`${v.kind}: ${show(v.canonical)}`, () => {
        const options = { defaultCountry: v.defaultCountry }
        for (const input of v.inputs) assert.equal(canonicalize(v.kind, input, options), v.canonical, `input ${show(input)}`)
        assert.equal(canonicalize(v.kind, v.canonical, options), v.canonical, 'canonical text is a fixed point')
      })
    }
  })

  describe('distinct', () => {
    for (const v of vectors.distinct) {
      it(`${v.kind}: ${v.inputs.map(show).join(' ≠ ')}`, () => {
        const out = v.inputs.map((input) => canonicalize(v.kind, input, { defaultCountry: v.defaultCountry }))
        assert.equal(new Set(out).size, out.length, `collision among ${out.map(show).join(', ')}`)
      })
    }
  })

  describe('invalid', () => {
    for (const v of vectors.invalid) {
      it(`${v.kind}: ${show(v.input)} → ${v.why}`, () => {
        assert.throws(() => canonicalize(v.kind, v.input, { defaultCountry: v.defaultCountry }), (err: any) => {
          assert.equal(err.name, 'InvalidIdentifierError')
          assert.equal(err.why, v.why)
          assert.equal(err.kind, v.kind)
          return true
        })
      })
    }
  })
})
