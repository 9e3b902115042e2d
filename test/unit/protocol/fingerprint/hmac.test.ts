import assert from 'node:assert/strict'
import { createHmac, hkdfSync } from 'node:crypto'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { toHex, utf8 } from '../../../../protocol/bytes.js'
import { KIND_REGISTRY, type Kind } from '../../../../protocol/kinds.js'
import {
  createHmacSuite, createSuite, FINGERPRINT_KINDS, generateEpochKey, hmacKindKey, hmacKindKeyFor, isLocalSuite, kindDomain,
  type FingerprintItem, type LocalFingerprintSuite
} from '../../../../protocol/fingerprint/index.js'

/**
 * The documented construction, computed with OpenSSL instead of noble:
 * info = "hmac-sha256" || 0x00 || u32be(epoch) || u8(kindWire) || u16be(canonicalVersion).
 */
function referenceKindKey (key: Uint8Array, epoch: number, kind: Kind, canonicalVersion = KIND_REGISTRY[kind].canonicalVersion): Buffer {
  const info = Buffer.alloc(11 + 1 + 4 + 1 + 2)
  info.write('hmac-sha256', 0, 'utf8')
  info.writeUInt32BE(epoch, 12)
  info[16] = KIND_REGISTRY[kind].wire
  info.writeUInt16BE(canonicalVersion, 17)
  return Buffer.from(hkdfSync('sha256', key, Buffer.from('alliance-node/v1/fingerprint-key'), info, 32))
}
function reference (key: Uint8Array, epoch: number, kind: Kind, canonical: Uint8Array, canonicalVersion?: number): Uint8Array {
  return new Uint8Array(createHmac('sha256', referenceKindKey(key, epoch, kind, canonicalVersion)).update(canonical).digest())
}

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 3)
const PHONE = utf8('+14155552671')

describe('protocol/fingerprint hmac-sha256', () => {
  let suite: LocalFingerprintSuite
  beforeEach(() => { suite = createHmacSuite({ epoch: 5, key: KEY }) })

  it('equals node:crypto HMAC-SHA256 under the documented HKDF subkey, for every kind', () => {
    for (const kind of FINGERPRINT_KINDS) {
      assert.deepEqual(suite.fingerprint(kind, PHONE), reference(KEY, 5, kind, PHONE), kind)
      assert.deepEqual(hmacKindKey(KEY, 5, kind), new Uint8Array(referenceKindKey(KEY, 5, kind)), kind)
    }
  })

  it('equals node:crypto for arbitrary keys, epochs, kinds and canonical bytes', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.constantFrom(...FINGERPRINT_KINDS),
      fc.uint8Array({ maxLength: 300 }),
      (key, epoch, kind, canonical) => {
        const s = createHmacSuite({ epoch, key })
        assert.deepEqual(s.fingerprint(kind, canonical), reference(key, epoch, kind, canonical))
      }
    ), { numRuns: 200 })
  })

  it('changing a kind\'s canonical version changes every fingerprint of that kind (and only that kind\'s key)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.constantFrom(...FINGERPRINT_KINDS),
      fc.integer({ min: 1, max: 0xffff }),
      fc.uint8Array({ maxLength: 100 }),
      (key, epoch, kind, other, canonical) => {
        const { wire, canonicalVersion } = KIND_REGISTRY[kind]
        const s = createHmacSuite({ epoch, key })
        const fp = s.fingerprint(kind, canonical)
        // the suite derives under the registry's version...
        assert.deepEqual(hmacKindKeyFor(key, epoch, wire, canonicalVersion), hmacKindKey(key, epoch, kind))
        // ...and a node on any other version of the kind's rules gets other fingerprints
        if (other === canonicalVersion) return
        assert.notDeepEqual(reference(key, epoch, kind, canonical, other), fp)
        assert.notDeepEqual(hmacKindKeyFor(key, epoch, wire, other), hmacKindKey(key, epoch, kind))
      }
    ), { numRuns: 200 })
  })

  it('kindDomain is u8(kind wire number) || u16be(canonical version) from the registry, for fingerprinted kinds only', () => {
    for (const kind of FINGERPRINT_KINDS) {
      const { wire, canonicalVersion } = KIND_REGISTRY[kind]
      assert.deepEqual(kindDomain(kind), Uint8Array.of(wire, canonicalVersion >> 8, canonicalVersion & 0xff), kind)
    }
    assert.throws(() => kindDomain('product-image'), { name: 'UnsupportedKindError' })
    assert.throws(() => kindDomain('nope'), { name: 'UnsupportedKindError' })
  })

  it('separates kinds, epochs and keys for the same canonical bytes', () => {
    const seen = new Set<string>()
    for (const kind of FINGERPRINT_KINDS) seen.add(toHex(suite.fingerprint(kind, PHONE)))
    seen.add(toHex(createHmacSuite({ epoch: 6, key: KEY }).fingerprint('phone', PHONE)))
    const otherKey = KEY.slice(); otherKey[31] ^= 1
    seen.add(toHex(createHmacSuite({ epoch: 5, key: otherKey }).fingerprint('phone', PHONE)))
    assert.equal(seen.size, FINGERPRINT_KINDS.length + 2)
  })

  it('is deterministic across interleaved kinds (the scratch state is reset every call)', () => {
    const a1 = suite.fingerprint('email', utf8('a@example.com'))
    suite.fingerprint('phone', PHONE)
    suite.fingerprint('url', new Uint8Array(1000))
    assert.deepEqual(suite.fingerprint('email', utf8('a@example.com')), a1)
  })

  it('fingerprintInto writes 32 bytes in place at the offset, touches nothing else and returns nothing', () => {
    const out = new Uint8Array(100).fill(0xaa)
    const ret: unknown = suite.fingerprintInto('phone', PHONE, out, 40)
    assert.equal(ret, undefined)
    assert.deepEqual(out.subarray(40, 72), suite.fingerprint('phone', PHONE))
    assert.ok(out.subarray(0, 40).every(b => b === 0xaa))
    assert.ok(out.subarray(72).every(b => b === 0xaa))
    // Same buffer again, other slot: the earlier result stays intact.
    suite.fingerprintInto('email', PHONE, out, 0)
    assert.deepEqual(out.subarray(0, 32), suite.fingerprint('email', PHONE))
    assert.deepEqual(out.subarray(40, 72), suite.fingerprint('phone', PHONE))
  })

  it('fingerprintInto rejects offsets that do not fit', () => {
    const out = new Uint8Array(64)
    for (const offset of [-1, 33, 64, 1.5, Number.NaN]) {
      assert.throws(() => suite.fingerprintInto('phone', PHONE, out, offset), { name: 'RangeError' }, String(offset))
    }
    suite.fingerprintInto('phone', PHONE, out, 32)
  })

  it('fingerprintBatch equals fingerprint item by item, across slice boundaries', async () => {
    const items: FingerprintItem[] = []
    for (let i = 0; i < 10_000; i++) {
      items.push({ kind: FINGERPRINT_KINDS[i % FINGERPRINT_KINDS.length], canonical: utf8(`+4930${String(i).padStart(8, '0')}`) })
    }
    const out = await suite.fingerprintBatch(items)
    assert.equal(out.length, items.length)
    for (const i of [0, 1, 4095, 4096, 4097, 8191, 8192, 9999]) {
      assert.equal(out[i].length, 32)
      assert.deepEqual(out[i], suite.fingerprint(items[i].kind, items[i].canonical), String(i))
    }
    assert.deepEqual(await suite.fingerprintBatch([]), [])
  })

  it('fingerprintBatch honours an AbortSignal before and during the batch', async () => {
    const items = Array.from({ length: 50_000 }, (_, i): FingerprintItem => ({ kind: 'email', canonical: utf8(`u${i}@example.com`) }))
    await assert.rejects(suite.fingerprintBatch(items, { signal: AbortSignal.abort() }), { name: 'AbortError' })
    const ac = new AbortController()
    const p = suite.fingerprintBatch(items, { signal: ac.signal })
    setImmediate(() => ac.abort())
    await assert.rejects(p, { name: 'AbortError' })
  })

  it('refuses product-image and unknown kinds with UnsupportedKindError naming the batch position', async () => {
    assert.throws(() => suite.fingerprint('product-image', new Uint8Array(8)), { name: 'UnsupportedKindError' })
    assert.throws(() => suite.fingerprint('nope' as Kind, PHONE), { name: 'UnsupportedKindError' })
    await assert.rejects(
      suite.fingerprintBatch([{ kind: 'phone', canonical: PHONE }, { kind: 'product-image', canonical: PHONE }]),
      (err: Error & { index?: number }) => err.name === 'UnsupportedKindError' && err.index === 1
    )
    assert.throws(() => hmacKindKey(KEY, 0, 'product-image'), { name: 'UnsupportedKindError' })
  })

  it('an unknown kind that is really an identifier is not echoed into the error', () => {
    try {
      suite.fingerprint('alice.smith@example.com' as Kind, PHONE)
      assert.fail('expected a throw')
    } catch (err) {
      assert.equal((err as Error).name, 'UnsupportedKindError')
      assert.ok(!(err as Error).message.includes('alice'))
    }
  })

  it('validates key length and epoch with named errors', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      assert.throws(() => createHmacSuite({ epoch: 1, key: new Uint8Array(n) }), { name: 'InvalidEpochKeyError' }, String(n))
    }
    assert.throws(() => createHmacSuite({ epoch: 1, key: 'k'.repeat(32) as unknown as Uint8Array }), { name: 'InvalidEpochKeyError' })
    for (const e of [-1, 1.5, 2 ** 32, Number.NaN, Infinity]) {
      assert.throws(() => createHmacSuite({ epoch: e, key: KEY }), { name: 'InvalidEpochError' }, String(e))
    }
    createHmacSuite({ epoch: 0xffffffff, key: KEY })
  })

  it('never shows the key or a subkey in inspect, JSON, toString or errors', () => {
    const key = generateEpochKey()
    const s = createHmacSuite({ epoch: 9, key })
    const secrets = [key, ...FINGERPRINT_KINDS.map(k => hmacKindKey(key, 9, k))]
      .flatMap(b => [toHex(b), Buffer.from(b).toString('base64'), Array.from(b.subarray(0, 8)).join(', ')])
    const shown = [
      inspect(s), inspect(s, { showHidden: true, depth: Infinity, getters: true }), inspect({ s }, { depth: Infinity }),
      JSON.stringify(s), JSON.stringify({ s }), String(s), `${String(s)}`, Object.keys(s).join(','),
      JSON.stringify(Object.getOwnPropertyNames(s).map(n => (s as unknown as Record<string, unknown>)[n]))
    ]
    for (const text of shown) for (const secret of secrets) assert.ok(!text.includes(secret), `${text} leaks`)
    assert.deepEqual(JSON.parse(JSON.stringify(s)), { name: 'hmac-sha256', epoch: 9 })

    const shortKey = key.subarray(0, 31)
    try {
      createHmacSuite({ epoch: 9, key: shortKey })
      assert.fail('expected a throw')
    } catch (err) {
      const e = err as Error
      const text = [e.message, e.stack ?? '', JSON.stringify(e), inspect(e)].join('\n')
      for (const secret of secrets) assert.ok(!text.includes(secret))
    }
  })

  it('keeps no reference to the caller\'s key: wiping it afterwards changes nothing', () => {
    const key = KEY.slice()
    const s = createHmacSuite({ epoch: 5, key })
    key.fill(0)
    assert.deepEqual(s.fingerprint('phone', PHONE), reference(KEY, 5, 'phone', PHONE))
  })

  it('destroy() wipes the key state; later calls throw SuiteDestroyedError', async () => {
    const s = createHmacSuite({ epoch: 5, key: KEY })
    s.destroy()
    s.destroy()
    assert.throws(() => s.fingerprint('phone', PHONE), { name: 'SuiteDestroyedError' })
    assert.throws(() => s.fingerprintInto('phone', PHONE, new Uint8Array(32), 0), { name: 'SuiteDestroyedError' })
    await assert.rejects(s.fingerprintBatch([{ kind: 'phone', canonical: PHONE }]), { name: 'SuiteDestroyedError' })
  })

  it('is what createSuite builds for the roster name, and is local', () => {
    const s = createSuite({ name: 'hmac-sha256', epoch: 5, key: KEY })
    assert.ok(isLocalSuite(s))
    assert.equal(s.name, 'hmac-sha256')
    assert.equal(s.epoch, 5)
    assert.equal(s.outputLength, 32)
    assert.deepEqual(s.fingerprint('phone', PHONE), suite.fingerprint('phone', PHONE))
  })
})
