import assert from 'node:assert/strict'
import { ProtocolError } from '../../../../protocol/errors.js'
import { KINDS } from '../../../../protocol/kinds.js'
import {
  CANONICAL_VERSION, InvalidIdentifierError, MAX_RAW_IDENTIFIER_LENGTH, canonicalBytes, canonicalize
} from '../../../../protocol/canonical/index.js'

describe('canonical API', () => {
  it('has a rule version for every kind, starting at 1, that cannot be changed at run time', () => {
    assert.deepEqual(Object.keys(CANONICAL_VERSION).sort(), [...KINDS].sort())
    for (const kind of KINDS) assert.ok(Number.isInteger(CANONICAL_VERSION[kind]) && CANONICAL_VERSION[kind] >= 1)
    assert.ok(Object.isFrozen(CANONICAL_VERSION))
  })

  it('canonicalBytes is the UTF-8 of canonicalize', () => {
    assert.deepEqual(canonicalBytes('name', 'José Müller GmbH'), new TextEncoder().encode('jose muller'))
    assert.deepEqual(canonicalBytes('phone', '020 7946 0958', { defaultCountry: 'GB' }), new TextEncoder().encode('+442079460958'))
  })

  it('an invalid identifier is an InvalidIdentifierError naming kind and why, without echoing the value', () => {
    const secret = 'jane.doe.private'
    assert.throws(() => canonicalize('email', `${secret}@`), (err: unknown) => {
      assert.ok(err instanceof InvalidIdentifierError)
      assert.ok(err instanceof ProtocolError)
      assert.equal(err.name, 'InvalidIdentifierError')
      assert.equal(err.reason, 'invalid_identifier')
      assert.equal(err.kind, 'email')
      assert.equal(err.why, 'not_email')
      assert.equal(err.length, secret.length + 1)
      assert.ok(err.message.includes('email'))
      assert.ok(!err.message.includes(secret))
      return true
    })
  })

  it('accepts values up to MAX_RAW_IDENTIFIER_LENGTH and rejects longer ones as too_long', () => {
    const path = 'a'.repeat(MAX_RAW_IDENTIFIER_LENGTH - 'https://example.com/'.length)
    assert.equal(canonicalize('url', `https://example.com/${path}`), `https://example.com/${path}`)
    assert.throws(() => canonicalize('url', `https://example.com/${path}a`), { name: 'InvalidIdentifierError', why: 'too_long' })
    assert.throws(() => canonicalize('name', ' '.repeat(MAX_RAW_IDENTIFIER_LENGTH + 1)), { name: 'InvalidIdentifierError', why: 'too_long' })
  })

  it('every kind rejects empty input, control characters and unpaired surrogates', () => {
    for (const kind of KINDS) {
      assert.throws(() => canonicalize(kind, ' \t\n '), { name: 'InvalidIdentifierError', why: 'empty', kind })
      assert.throws(() => canonicalize(kind, 'a\u0000b'), { name: 'InvalidIdentifierError', why: 'bad_characters', kind })
      assert.throws(() => canonicalize(kind, 'a\u009bb'), { name: 'InvalidIdentifierError', why: 'bad_characters', kind })
      assert.throws(() => canonicalize(kind, 'ab\udc00'), { name: 'InvalidIdentifierError', why: 'bad_characters', kind })
    }
  })

  it('names and addresses drop invisible format characters; other kinds reject them', () => {
    assert.equal(canonicalize('name', 'Ni\u200bke\u202e'), 'nike')
    assert.equal(canonicalize('postal-address', '12\u00ad Main St'), '12 main street')
    assert.throws(() => canonicalize('seller-account', 'shopmart:Sel\u200bler'), { name: 'InvalidIdentifierError', why: 'bad_characters' })
    assert.throws(() => canonicalize('domain', 'exa\u200bmple.com'), { name: 'InvalidIdentifierError', why: 'bad_characters' })
  })

  it('a phone default country that libphonenumber does not know is a programming error, not an invalid identifier', () => {
    assert.throws(() => canonicalize('phone', '020 7946 0958', { defaultCountry: 'XX' as any }), TypeError)
  })
})
