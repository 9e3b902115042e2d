/**
 * Fuzzing every decoder: random bytes and mutated valid messages. Only the
 * codec's named errors may come out — never a crash, a hang or another
 * exception. FUZZ_RUNS scales it (the soak run sets 1,000,000).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  CODEC_ERRORS, DECODERS, encodeEntry, encodeEquivocation, encodeRoster, encodeSegment, encodeSignedRoster,
  encodeSyncRequest, encodeSyncResponse
} from '../../../protocol/codec/index.js'
import * as arb from '../../helpers/arbitraries.js'
import { applyMutations, mutations } from '../../helpers/mutate.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)

const VALID: Record<keyof typeof DECODERS, fc.Arbitrary<Uint8Array>> = {
  entry: arb.entry.map(encodeEntry),
  roster: arb.roster.map(encodeRoster),
  signedRoster: arb.signedRoster.map(encodeSignedRoster),
  segment: arb.segment.map(encodeSegment),
  syncRequest: arb.syncRequest.map(encodeSyncRequest),
  syncResponse: arb.syncResponse.map(encodeSyncResponse),
  equivocation: arb.equivocation.map(encodeEquivocation)
}

function onlyNamedErrors (decode: (b: Uint8Array) => unknown, input: Uint8Array): void {
  try {
    decode(input)
  } catch (err) {
    if (!CODEC_ERRORS.some(E => err instanceof E)) {
      assert.fail(`unexpected ${(err as Error)?.name}: ${(err as Error)?.message}`)
    }
  }
}

describe('protocol/codec fuzz', function () {
  this.timeout(120_000)
  for (const [name, decode] of Object.entries(DECODERS) as Array<[keyof typeof DECODERS, (b: Uint8Array) => unknown]>) {
    it(`${name}: ${RUNS} random inputs raise only named errors`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), input => onlyNamedErrors(decode, input)), { numRuns: RUNS })
    })
    it(`${name}: ${RUNS} mutated valid messages raise only named errors`, () => {
      fc.assert(fc.property(VALID[name], mutations, (valid, ms) => onlyNamedErrors(decode, applyMutations(valid, ms))), { numRuns: RUNS })
    })
  }
})
