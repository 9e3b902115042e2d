import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { toHex, utf8 } from '../../../../../protocol/bytes.js'
import type { Kind } from '../../../../../protocol/kinds.js'
import { FINGERPRINT_KINDS, isLocalSuite, type FingerprintItem } from '../../../../../protocol/fingerprint/index.js'
import {
  createToprfSuite, fingerprintWithKey, guardianEvaluate, toprfFingerprint, toprfInput, type GuardianFault, type ToprfSuiteInit
} from '../../../../../protocol/fingerprint/toprf/index.js'
import { mulBase, randomScalar } from '../../../../../protocol/fingerprint/toprf/group.js'
import { blindInputs, combineEvaluations } from '../../../../../protocol/fingerprint/toprf/requester.js'
import { publicShare, reconstructSecret } from '../../../../../protocol/fingerprint/toprf/shamir.js'
import { dealInMemory, network, refs, subsets } from './helpers.js'

const EPOCH = 7
const item = (kind: Kind, s: string): FingerprintItem => ({ kind, canonical: utf8(s) })
const ITEMS = [item('email', 'anna.mueller@gmail.com'), item('phone', '+447700900123'), item('seller-account', 'amazon.de:A1B2C3D4E5F6G7')]
const hexes = (xs: readonly Uint8Array[]): string[] => xs.map(toHex)

const tg = fc.integer({ min: 1, max: 5 }).chain(g => fc.record({ g: fc.constant(g), t: fc.integer({ min: 1, max: g }) }))
const items = fc.array(fc.record({ kind: fc.constantFrom(...FINGERPRINT_KINDS), canonical: fc.uint8Array({ maxLength: 40 }) }), { minLength: 1, maxLength: 3 })

describe('protocol/fingerprint/toprf the threshold suite (network injected)', () => {
  it('every t-subset of g guardians gives the same fingerprints, equal to single-key evaluation under the reconstructed key', async () => {
    await fc.assert(fc.asyncProperty(tg, items, async ({ t, g }, xs) => {
      const d = dealInMemory(t, g, EPOCH)
      const k = reconstructSecret(d.shares.slice(0, t).map((share, i) => ({ index: i + 1, share })))
      assert.equal(toHex(k), toHex(d.key))
      const expected = xs.map(x => toHex(fingerprintWithKey(k, EPOCH, x.kind, x.canonical)))
      for (const subset of subsets(d.guardians, t)) {
        const { evaluate } = network(subset)
        const suite = createToprfSuite({ epoch: EPOCH, threshold: t, commitments: d.commitments, guardians: refs(subset), evaluate })
        assert.deepEqual(hexes(await suite.fingerprintBatch(xs)), expected, `guardians ${subset.map(x => x.index).join(',')}`)
      }
    }), { numRuns: 12 })
  })

  it('t−1 guardians\' evaluations, combined, never give the fingerprint', () => {
    fc.assert(fc.property(tg.filter(x => x.t >= 2), items, ({ t, g }, xs) => {
      const d = dealInMemory(t, g, EPOCH)
      const inputs = xs.map(x => toprfInput(x.kind, EPOCH, x.canonical))
      const expected = xs.map(x => toHex(fingerprintWithKey(d.key, EPOCH, x.kind, x.canonical)))
      for (const subset of subsets(d.guardians, t - 1)) {
        const batch = blindInputs(inputs)
        const answers = subset.map(guardian => ({ index: guardian.index, evaluated: guardian.evaluate(batch.blindedElements).evaluated }))
        const got = combineEvaluations(batch, answers).map(y => toHex(toprfFingerprint(y)))
        got.forEach((fp, j) => assert.notEqual(fp, expected[j]))
      }
    }), { numRuns: 12 })
  })

  it('with fewer than t guardians reachable it refuses the whole batch, naming the guardians that failed', async () => {
    const d = dealInMemory(2, 3, EPOCH)
    const down = async (): Promise<never> => { throw new Error('connection refused') }
    const { evaluate } = network(d.guardians, { g1: down, g3: down })
    const faults: GuardianFault[] = []
    const suite = createToprfSuite({ epoch: EPOCH, threshold: 2, commitments: d.commitments, guardians: refs(d.guardians), evaluate, onFault: f => faults.push(f) })
    await assert.rejects(suite.fingerprintBatch(ITEMS), (err: any) => {
      assert.equal(err.name, 'NotEnoughGuardiansError')
      assert.equal(err.needed, 2)
      assert.deepEqual(err.failures.map((f: any) => [f.guardianId, f.reason]).sort(), [['g1', 'request_failed'], ['g3', 'request_failed']])
      return true
    })
    assert.deepEqual(faults.map(f => f.guardianId).sort(), ['g1', 'g3'])
  })

  describe('a guardian that answers wrongly is detected, skipped, counted, and the result is still right', () => {
    const d = dealInMemory(2, 4, EPOCH)
    const expected = ITEMS.map(x => toHex(fingerprintWithKey(d.key, EPOCH, x.kind, x.canonical)))
    const cases: Record<string, [reason: string, (blinded: Uint8Array[], honest: () => { evaluated: Uint8Array[], proof: Uint8Array }) => Promise<{ evaluated: Uint8Array[], proof: Uint8Array }>]> = {
      'a wrong element (another valid point), honest-looking proof': ['bad_proof', async (_b, honest) => {
        const r = honest()
        return { ...r, evaluated: [mulBase(randomScalar()), ...r.evaluated.slice(1)] }
      }],
      'a wrong proof for the right elements': ['bad_proof', async (_b, honest) => {
        const r = honest()
        const proof = r.proof.slice()
        proof[5] ^= 1
        return { ...r, proof }
      }],
      'another guardian\'s correct answer (wrong share)': ['bad_proof', async (b) => d.guardians[3].evaluate(b)],
      'an evaluation with the whole key and a valid proof for the whole public key': ['bad_proof', async (b) => guardianEvaluate(d.key, mulBase(d.key), b)],
      'too few elements': ['bad_response', async (_b, honest) => { const r = honest(); return { ...r, evaluated: r.evaluated.slice(1) } }],
      'the identity element': ['bad_response', async (_b, honest) => { const r = honest(); return { ...r, evaluated: [new Uint8Array(32), ...r.evaluated.slice(1)] } }],
      'a truncated proof': ['bad_response', async (_b, honest) => { const r = honest(); return { ...r, proof: r.proof.subarray(0, 32) } }],
      'garbage': ['bad_response', async () => ({ nonsense: true }) as never],
      'an error (quota exceeded, timeout …)': ['request_failed', async () => { throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' }) }]
    }
    for (const [what, [reason, behaviour]] of Object.entries(cases)) {
      it(what, async () => {
        const { evaluate, calls } = network(d.guardians, { g1: behaviour })
        const faults: GuardianFault[] = []
        const suite = createToprfSuite({ epoch: EPOCH, threshold: 2, commitments: d.commitments, guardians: refs(d.guardians), evaluate, onFault: f => faults.push(f) })
        assert.deepEqual(hexes(await suite.fingerprintBatch(ITEMS)), expected)
        assert.deepEqual(faults.map(f => [f.guardianId, f.index, f.reason]), [['g1', 1, reason]])
        assert.ok(faults[0].error instanceof Error)
        assert.deepEqual([...calls.entries()].sort(), [['g1', 1], ['g2', 1], ['g3', 1]], 'g1 and g2 asked at once, g3 in g1\'s place, g4 never')
        // the next batch asks the faulty guardian last
        calls.clear()
        assert.deepEqual(hexes(await suite.fingerprintBatch(ITEMS)), expected)
        assert.deepEqual([...calls.keys()].sort(), ['g2', 'g3'])
      })
    }
  })

  it('big batches go out in requests of maxBatch elements, a faulty guardian is asked once per call, and outputs keep their order', async () => {
    const d = dealInMemory(2, 3, EPOCH)
    const xs = Array.from({ length: 23 }, (_, i) => item('email', `user${i}@example.com`))
    const sizes: number[] = []
    const { evaluate, calls } = network(d.guardians, { g2: async () => { throw new Error('down') } })
    const faults: GuardianFault[] = []
    const suite = createToprfSuite({
      epoch: EPOCH, threshold: 2, commitments: d.commitments, guardians: refs(d.guardians), maxBatch: 5, concurrency: 3,
      evaluate: async (id, b, s) => { sizes.push(b.length); return await evaluate(id, b, s) },
      onFault: f => faults.push(f)
    })
    const out = await suite.fingerprintBatch(xs)
    assert.deepEqual(hexes(out), xs.map(x => toHex(fingerprintWithKey(d.key, EPOCH, x.kind, x.canonical))))
    assert.ok(sizes.every(s => s <= 5))
    assert.equal(calls.get('g1'), 5)
    assert.equal(calls.get('g3'), 5)
    assert.ok((calls.get('g2') ?? 0) <= 3, 'at most the requests already under way asked g2')
    assert.equal(faults.length, calls.get('g2'))
  })

  it('never returns part of a batch: guardians that fail midway make the whole call reject', async () => {
    const d = dealInMemory(2, 3, EPOCH)
    const seen = new Map<string, number>()
    const failAfterFirst = async (_b: Uint8Array[], honest: () => { evaluated: Uint8Array[], proof: Uint8Array }, id = ''): Promise<{ evaluated: Uint8Array[], proof: Uint8Array }> => {
      seen.set(id, (seen.get(id) ?? 0) + 1)
      if ((seen.get(id) ?? 0) > 1) throw new Error('went down')
      return honest()
    }
    const { evaluate } = network(d.guardians, { g2: async (b, h) => await failAfterFirst(b, h, 'g2'), g3: async (b, h) => await failAfterFirst(b, h, 'g3') })
    const suite = createToprfSuite({ epoch: EPOCH, threshold: 2, commitments: d.commitments, guardians: refs(d.guardians), evaluate, maxBatch: 2, concurrency: 1 })
    const xs = Array.from({ length: 6 }, (_, i) => item('email', `u${i}@example.com`))
    await assert.rejects(suite.fingerprintBatch(xs), (err: any) => {
      assert.equal(err.name, 'NotEnoughGuardiansError')
      assert.deepEqual(err.failures.map((f: any) => f.guardianId).sort(), ['g2', 'g3'])
      return true
    })
  })

  it('refuses a kind it cannot fingerprint by index before asking anyone, and an aborted or destroyed suite by name', async () => {
    const d = dealInMemory(2, 3, EPOCH)
    const { evaluate, calls } = network(d.guardians, { g1: async (_b, honest) => { await new Promise(resolve => setTimeout(resolve, 50)); return honest() } })
    const suite = createToprfSuite({ epoch: EPOCH, threshold: 2, commitments: d.commitments, guardians: refs(d.guardians), evaluate })
    assert.equal(isLocalSuite(suite), false)
    await assert.rejects(suite.fingerprintBatch([ITEMS[0], item('product-image', 'ffff')]), (err: any) => err.name === 'UnsupportedKindError' && err.index === 1)
    await assert.rejects(suite.fingerprintBatch([{ kind: 'email', canonical: new Uint8Array(70_000) }]), (err: any) => err.name === 'InvalidOprfInputError' && err.index === 0)
    assert.equal(calls.size, 0)
    assert.deepEqual(await suite.fingerprintBatch([]), [])

    const ac = new AbortController()
    const p = suite.fingerprintBatch(ITEMS, { signal: ac.signal })
    setTimeout(() => ac.abort(new Error('stop')), 5)
    await assert.rejects(p, { message: 'stop' })
    await assert.rejects(suite.fingerprintBatch(ITEMS, { signal: AbortSignal.abort() }), { name: 'AbortError' })

    const q = suite.fingerprintBatch(ITEMS)
    setTimeout(() => suite.destroy(), 5)
    await assert.rejects(q, { name: 'SuiteDestroyedError' })
    await assert.rejects(suite.fingerprintBatch(ITEMS), { name: 'SuiteDestroyedError' })
  })

  it('validates its configuration by name', () => {
    const d = dealInMemory(2, 3, EPOCH)
    const { evaluate } = network(d.guardians)
    const base: ToprfSuiteInit = { epoch: EPOCH, threshold: 2, commitments: d.commitments, guardians: refs(d.guardians), evaluate }
    const bad = (over: Partial<ToprfSuiteInit>, name: string): void => assert.throws(() => createToprfSuite({ ...base, ...over }), { name }, JSON.stringify(Object.keys(over)))
    bad({ threshold: 3 }, 'InvalidThresholdError')
    bad({ guardians: refs(d.guardians).slice(0, 1) }, 'InvalidThresholdError')
    bad({ commitments: [] }, 'InvalidThresholdError')
    bad({ commitments: [d.commitments[0], new Uint8Array(32)], threshold: 2 }, 'InvalidElementError')
    bad({ guardians: [{ id: 'g1', index: 1 }, { id: 'g1', index: 2 }] }, 'InvalidGuardianError')
    bad({ guardians: [{ id: 'g1', index: 1 }, { id: 'g2', index: 1 }] }, 'InvalidGuardianError')
    bad({ guardians: [{ id: 'g1', index: 0 }, { id: 'g2', index: 2 }] }, 'InvalidGuardianError')
    bad({ guardians: [{ id: '', index: 1 }, { id: 'g2', index: 2 }] }, 'InvalidGuardianError')
    bad({ guardians: [{ id: 'g1', index: 1, publicShare: publicShare(d.commitments, 2) }, { id: 'g2', index: 2 }] }, 'InvalidGuardianError')
    bad({ epoch: 2 ** 32 }, 'InvalidEpochError')
    bad({ maxBatch: 0 }, 'RangeError')
    bad({ maxBatch: 5000 }, 'RangeError')
    const ok = createToprfSuite({ ...base, guardians: [{ id: 'g1', index: 1, publicShare: publicShare(d.commitments, 1) }, ...refs(d.guardians).slice(1)] })
    assert.equal(ok.name, 'toprf-ristretto255')
    assert.equal(ok.outputLength, 32)
    assert.equal(toHex(ok.publicKey), toHex(d.commitments[0]))
    assert.equal(inspect(ok), 'FingerprintSuite(toprf-ristretto255, epoch 7, 2 of 3 guardians)')
  })

  it('kind, epoch and canonical bytes are all bound: changing any gives an unrelated fingerprint', () => {
    const k = randomScalar()
    const fp = (kind: Kind, epoch: number, s: string): string => toHex(fingerprintWithKey(k, epoch, kind, utf8(s)))
    const base = fp('seller-account', 1, 'shop:123')
    assert.notEqual(fp('url', 1, 'shop:123'), base)
    assert.notEqual(fp('seller-account', 2, 'shop:123'), base)
    assert.notEqual(fp('seller-account', 1, 'shop:124'), base)
    assert.equal(fp('seller-account', 1, 'shop:123'), base)
  })
})
