/**
 * The strict parser (protocol/codec/strict-parse.ts) against the reference
 * path it replaced (protobufjs decode, then the re-encoding check): for valid
 * messages, mutated valid messages and random bytes, both accept with equal
 * results or both refuse with a named codec error. FUZZ_RUNS scales it.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  CODEC_ERRORS, DECODERS, encodeEntry, encodeEquivocation, encodeRoster, encodeSegment, encodeSignedRoster,
  encodeSyncRequest, encodeSyncResponse, withReferenceDecoding
} from '../../../protocol/codec/index.js'
import * as arb from '../../helpers/arbitraries.js'
import { applyMutations, mutations } from '../../helpers/mutate.js'

const RUNS = Math.max(1000, Math.floor(Number(process.env.FUZZ_RUNS ?? 10_000) / 2))

const VALID: Record<keyof typeof DECODERS, fc.Arbitrary<Uint8Array>> = {
  entry: arb.entry.map(encodeEntry),
  roster: arb.roster.map(encodeRoster),
  signedRoster: arb.signedRoster.map(encodeSignedRoster),
  segment: arb.segment.map(encodeSegment),
  syncRequest: arb.syncRequest.map(encodeSyncRequest),
  syncResponse: arb.syncResponse.map(encodeSyncResponse),
  equivocation: arb.equivocation.map(encodeEquivocation)
}

type Outcome = { ok: true, value: unknown } | { ok: false, name: string }

function outcome (decode: () => unknown): Outcome {
  try {
    return { ok: true, value: decode() }
  } catch (err) {
    if (!CODEC_ERRORS.some(E => err instanceof E)) throw err
    return { ok: false, name: (err as Error).name }
  }
}

function agree (decode: (b: Uint8Array) => unknown, input: Uint8Array): void {
  const strict = outcome(() => decode(input))
  const reference = outcome(() => withReferenceDecoding(() => decode(input)))
  assert.equal(strict.ok, reference.ok, `strict ${strict.ok ? 'accepts' : `refuses (${(strict as { name: string }).name})`}, reference ${reference.ok ? 'accepts' : `refuses (${(reference as { name: string }).name})`}`)
  if (strict.ok && reference.ok) assert.deepStrictEqual(strict.value, reference.value)
}

describe('protocol/codec strict parser = protobufjs + re-encoding check', function () {
  this.timeout(120_000)
  for (const [name, decode] of Object.entries(DECODERS) as Array<[keyof typeof DECODERS, (b: Uint8Array) => unknown]>) {
    it(`${name}: valid and mutated messages, ${RUNS} each: same verdict, same values`, () => {
      fc.assert(fc.property(VALID[name], valid => { agree(decode, valid) }), { numRuns: RUNS })
      fc.assert(fc.property(VALID[name], mutations, (valid, ms) => { agree(decode, applyMutations(valid, ms)) }), { numRuns: RUNS })
    })
  }
  it('random bytes: same verdict for every decoder', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), input => {
      for (const decode of Object.values(DECODERS) as Array<(b: Uint8Array) => unknown>) agree(decode, input)
    }), { numRuns: RUNS })
  })
})
