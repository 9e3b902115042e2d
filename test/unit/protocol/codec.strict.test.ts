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

/** A protobuf varint (any value below 2^53). */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 128) { out.push((n % 128) | 128); n = Math.floor(n / 128) }
  out.push(n)
  return out
}
const tagged = (no: number, wire: number, body: number[]): number[] => [...varint(no * 8 + wire), ...body]
const num = (no: number, v: number | undefined): number[] => v === undefined ? [] : tagged(no, 0, varint(v))
const len = (no: number, b: number[] | undefined): number[] => b === undefined ? [] : tagged(no, 2, [...varint(b.length), ...b])
const bytesOf = (n: number, fill: number): number[] => new Array<number>(n).fill(fill)

/**
 * Entries laid out as canonical attestation entries, each field absent, at
 * its bounds or just past them (lengths, enum numbers, uint32 and safe
 * integer limits, confidence), with a chance of a stray extra field: what the
 * fast path reads must get the reference path's verdict.
 */
/** Mostly `valid`, sometimes one of `others`. */
function mostly<T> (valid: T[], others: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...others) })
}

/**
 * Entries laid out as canonical attestation entries, each field mostly
 * valid, sometimes absent, at its bounds or just past them (lengths, enum
 * numbers, uint32 and safe-integer limits, confidence), sometimes with a
 * stray extra field: what the fast path reads must get the reference path's
 * verdict.
 */
const attestationEntryBytes: fc.Arbitrary<Uint8Array> = fc.record({
  authorLength: mostly([32], [31, 33, 0]),
  seq: mostly([1, 2, 127, 128, 2 ** 53 - 1], [undefined, 0, 2 ** 53]),
  prevLength: mostly([-1], [undefined, 32, 0, 31, 33]), // -1: 32 bytes when seq > 1, absent otherwise
  time: mostly([1, 1_772_000_000_000, 2 ** 53 - 1], [undefined, 0, 2 ** 53]),
  fingerprintLength: mostly([32], [0, 7, 7, 8, 31, 33]),
  kind: mostly([1, 2, 3, 9, 9, 9], [undefined, 0, 10, 200, 2 ** 31, 2 ** 32]),
  claim: mostly([1, 2, 3, 4], [undefined, 0, 5, 2 ** 31]),
  reason: mostly([undefined, 1, 2 ** 32 - 1], [0, 2 ** 32]),
  confidence: mostly([undefined, 1, 100], [0, 101, 127, 128]),
  evidenceLength: mostly([undefined, 32], [0, 31, 33]),
  expires: mostly([undefined, 1, 1_772_100_000_000, 2 ** 53 - 1], [0, 2 ** 53]),
  epoch: mostly([undefined, 1, 2 ** 32 - 1], [0, 2 ** 32]),
  extra: mostly([undefined], [9, 11, 16])
}).map(f => {
  const attestation = [
    ...len(1, bytesOf(f.fingerprintLength, 5)), ...num(2, f.kind), ...num(3, f.claim), ...num(4, f.reason), ...num(5, f.confidence),
    ...len(6, f.evidenceLength === undefined ? undefined : bytesOf(f.evidenceLength, 6)), ...num(7, f.expires), ...num(8, f.epoch)
  ]
  const prevLength = f.prevLength === -1 ? (f.seq !== undefined && f.seq > 1 ? 32 : undefined) : f.prevLength
  return Uint8Array.from([
    ...len(1, bytesOf(f.authorLength, 1)), ...num(2, f.seq), ...len(3, prevLength === undefined ? undefined : bytesOf(prevLength, 2)), ...num(4, f.time),
    ...len(10, attestation), ...(f.extra === undefined ? [] : num(f.extra, 1))
  ])
})

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
  it(`attestation entries with every field at and past its bounds (the decoder's fast path), ${5 * RUNS}: same verdict, same values`, () => {
    const decodeEntry = DECODERS.entry
    fc.assert(fc.property(attestationEntryBytes, input => { agree(decodeEntry, input) }), { numRuns: 5 * RUNS })
  })
  it('random bytes: same verdict for every decoder', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), input => {
      for (const decode of Object.values(DECODERS) as Array<(b: Uint8Array) => unknown>) agree(decode, input)
    }), { numRuns: RUNS })
  })
})
