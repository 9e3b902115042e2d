import assert from 'node:assert/strict'
import {
  CLAIM_WIRE, CLAIMS, FINGERPRINT_DOMAINS, FINGERPRINT_KINDS, KIND_REGISTRY, KIND_WIRE, KINDS, MAX_KIND_WIRE,
  OPINION_WIRE, OPINIONS, ROLE_WIRE, ROLES, WireEnum, canonicalVersions
} from '../../../protocol/kinds.js'
import { enumName } from '../../../protocol/codec/wire.js'
import { descriptor } from '../../../protocol/pb/descriptor.js'

/**
 * Every wire number ever assigned, by enum: names that still exist and names
 * that were dropped. Append only: a dropped name stays here and its number
 * goes to the enum's retired list (and a `reserved` line in alliance.proto).
 */
const HISTORY: Record<string, Record<string, number>> = {
  Kind: { email: 1, phone: 2, 'seller-account': 3, 'payment-account': 4, domain: 5, url: 6, 'postal-address': 7, name: 8, 'product-image': 9 },
  Claim: { 'counterfeit-seller': 1, 'infringing-listing': 2, 'counterfeit-supplier': 3, accomplice: 4 },
  OpinionType: { confirmed: 1, removed: 2, 'false-positive': 3, 'dispute-upheld': 4, 'authorised-reseller': 5 },
  Role: { brand: 1, platform: 2, 'law-enforcement': 3 }
}

const ENUMS: Array<[WireEnum<string>, readonly string[], string]> = [
  [KIND_WIRE, KINDS, 'KIND'], [CLAIM_WIRE, CLAIMS, 'CLAIM'], [OPINION_WIRE, OPINIONS, 'OPINION'], [ROLE_WIRE, ROLES, 'ROLE']
]

type ProtoEnum = { values: Record<string, number>, reserved?: Array<[number, number] | string> }
const protoEnum = (name: string): ProtoEnum => (descriptor.nested.alliance.nested.v1.nested as unknown as Record<string, ProtoEnum>)[name]

describe('protocol/kinds identity registry', () => {
  for (const [e, names, prefix] of ENUMS) {
    describe(e.protoName, () => {
      it('numbers are unique, in range, and none is retired', () => {
        const numbers = e.entries().map(([, w]) => w)
        assert.equal(new Set(numbers).size, numbers.length)
        for (const w of numbers) assert.ok(Number.isInteger(w) && w >= 1, String(w))
        for (const r of e.retired) assert.ok(!numbers.includes(r), `retired ${r} is in use`)
        assert.deepEqual(e.names, names)
      })

      it('never reuses a number: every name keeps the number it was first given, and dropped names\' numbers are retired', () => {
        const history = HISTORY[e.protoName]
        for (const [name, w] of e.entries()) {
          assert.ok(name in history, `${name} is new: add it to HISTORY with a number never used before`)
          assert.equal(w, history[name], `${name} changed its number`)
        }
        for (const [name, w] of Object.entries(history)) {
          if (!e.has(name)) assert.ok(e.retired.includes(w), `${name} was dropped: retire ${w}`)
        }
        for (const r of e.retired) assert.ok(Object.values(history).includes(r), `retired ${r} was never assigned`)
      })

      it('matches alliance.proto: the same numbers, and its reserved numbers are the retired ones', () => {
        const p = protoEnum(e.protoName)
        const snake = (n: string): string => `${prefix}_${n.toUpperCase().replace(/-/g, '_')}`
        const expected = Object.fromEntries([[`${prefix}_UNSPECIFIED`, 0], ...e.entries().map(([n, w]) => [snake(n), w])])
        assert.deepEqual(p.values, expected)
        const reserved = (p.reserved ?? []).flatMap(r => typeof r === 'string' ? [] : Array.from({ length: r[1] - r[0] + 1 }, (_, i) => r[0] + i))
        assert.deepEqual(reserved.sort((a, b) => a - b), [...e.retired].sort((a, b) => a - b))
      })

      it('maps names and numbers both ways; 0, unknown and retired numbers have no name', () => {
        for (const [name, w] of e.entries()) {
          assert.equal(e.wireOf(name), w)
          assert.equal(e.nameOf(w), name)
        }
        for (const w of [0, -1, 1.5, 1000, ...e.retired]) assert.equal(e.nameOf(w), undefined)
        assert.throws(() => e.wireOf('nope'), { name: 'UnknownEnumNameError' })
      })
    })
  }

  it('kinds: explicit wire numbers, canonical version 1 to start, product-image alone not fingerprinted', () => {
    assert.deepEqual(Object.keys(KIND_REGISTRY), [...KINDS])
    for (const kind of KINDS) {
      const s = KIND_REGISTRY[kind]
      assert.equal(s.canonicalVersion, 1, kind)
      assert.equal(s.fingerprinted, kind !== 'product-image', kind)
      assert.ok(s.wire <= MAX_KIND_WIRE)
      assert.ok(Object.isFrozen(s))
    }
    assert.ok(Object.isFrozen(KIND_REGISTRY))
    assert.deepEqual(FINGERPRINT_KINDS, KINDS.filter(k => k !== 'product-image'))
  })

  it('exposes per fingerprinted kind what a suite binds into its derivation: wire number and canonical version', () => {
    assert.deepEqual(FINGERPRINT_DOMAINS.map(d => d.kind), FINGERPRINT_KINDS)
    for (const d of FINGERPRINT_DOMAINS) {
      assert.equal(d.kindWire, KIND_REGISTRY[d.kind].wire)
      assert.equal(d.canonicalVersion, KIND_REGISTRY[d.kind].canonicalVersion)
    }
    assert.deepEqual(canonicalVersions(), Object.fromEntries(FINGERPRINT_KINDS.map(k => [k, 1])))
  })

  it('a table that repeats, retires-and-reuses or overflows a number does not load (InvalidRegistryError)', () => {
    const cases: Array<[Record<string, number>, number[], number?]> = [
      [{ a: 1, b: 1 }, []],
      [{ a: 1, b: 2 }, [2]],
      [{ a: 0 }, []],
      [{ a: 1.5 }, []],
      [{ a: 256 }, [], MAX_KIND_WIRE],
      [{ a: 1 }, [3, 3]],
      [{ a: 1 }, [0]]
    ]
    for (const [table, retired, max] of cases) {
      assert.throws(() => new WireEnum('T', table, retired, max), { name: 'InvalidRegistryError' }, JSON.stringify([table, retired]))
    }
    assert.equal(new WireEnum('T', { a: 255 }, [7], MAX_KIND_WIRE).wireOf('a'), 255)
  })

  it('the codec decodes through the registry: a retired or unknown number is an InvalidFieldError, a current one its name', () => {
    const e = new WireEnum<'a' | 'c'>('T', { a: 1, c: 3 }, [2])
    assert.equal(enumName(e, 3, 'f'), 'c')
    for (const w of [0, 2, 4]) assert.throws(() => enumName(e, w, 'f'), { name: 'InvalidFieldError', field: 'f' }, String(w))
  })
})
