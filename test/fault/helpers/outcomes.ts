/**
 * The named outcomes and rejection reasons bad input may produce. Anything
 * else coming out of a handler (a TypeError, a store error, an unnamed
 * reason) is a bug the fuzz targets report.
 */
import assert from 'node:assert/strict'
import type { IngestOutcome } from '../../../node/ingest.js'

/** Reasons that blame the input: codec limits, log verification, ingest policy. */
export const INPUT_REASONS = new Set([
  // protocol/codec
  'oversize', 'malformed', 'non_canonical', 'invalid_field', 'too_many',
  // protocol/log
  'bad_signature', 'broken_chain', 'seq_gap', 'future_time', 'time_reversal', 'unknown_author', 'mixed_authors',
  'invalid_lifetime', 'unsigned', 'invalid_evidence',
  // node/ingest
  'rate_limited', 'pending_overflow', 'fork'
])

export type ResultName = IngestOutcome['result']

/** Asserts `out` is one of `allowed` and, when rejected, names an input reason. Returns a counter key. */
export function checkOutcome (out: IngestOutcome, allowed: readonly ResultName[], what: string): string {
  assert.ok(allowed.includes(out.result), `${what}: unexpected outcome ${JSON.stringify(out.result)} (${out.result === 'rejected' ? out.reason : ''})`)
  if (out.result === 'rejected') {
    assert.ok(INPUT_REASONS.has(out.reason), `${what}: rejected with an unnamed reason ${JSON.stringify(out.reason)}: ${out.message}`)
    return `rejected:${out.reason}`
  }
  return out.result
}

/** Counts keys into a plain record. */
export function tally (into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1
}
