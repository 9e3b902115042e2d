/**
 * Delivery policy as pure functions (STYLE.md §8): when to retry, which
 * refusals are final, and how a report's deliveries sum up.
 */

/**
 * Delay before attempt `attempts + 1` after `attempts` failures: exponential
 * from `minMs`, capped at `maxMs`, with ±20 % jitter from `random` (0..1) so
 * a sender's retries to many recipients, or many senders' retries to one
 * recipient that comes back, do not move in lockstep.
 */
export function backoffDelay (attempts: number, minMs: number, maxMs: number, random: number): number {
  const exp = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempts - 1, 40)))
  const jittered = exp * (0.8 + 0.4 * Math.min(1, Math.max(0, random)))
  return Math.round(Math.min(maxMs, Math.max(minMs, jittered)))
}

/**
 * Reasons of a recipient's refusal that no retry of the same envelope can
 * change: the envelope is not for that node, conflicts with what it holds,
 * or is itself damaged. Everything else (busy, a clock ahead of the
 * recipient's, a roster version it lacks yet, internal errors, timeouts) is
 * retried with backoff.
 */
export const FINAL_REFUSALS: ReadonlySet<string> = new Set([
  'not_addressed', 'report_id_conflict', 'content_key', 'envelope_mismatch', 'bad_report_signature',
  'decryption_failed', 'bad_format', 'truncated', 'too_large', 'evidence_digest_mismatch', 'evidence_size_mismatch',
  'malformed', 'non_canonical', 'invalid_field', 'oversize', 'too_many', 'invalid_report'
])

export function isFinalRefusal (reason: string): boolean {
  return FINAL_REFUSALS.has(reason)
}

export const DELIVERY_STATES = ['pending', 'delivered', 'refused', 'dropped'] as const
/** State of one (report, recipient node) delivery. */
export type DeliveryState = typeof DELIVERY_STATES[number]

/** A report's state in the outbox, from its deliveries. */
export type OutboxState = 'queued' | 'partial' | 'delivered' | 'failed'

/**
 * `delivered` when every delivery has a verified receipt; `queued` while
 * none has and some are still being tried; `partial` when some have and
 * others are pending or failed; `failed` when none has and none is pending.
 */
export function outboxState (states: DeliveryState[]): OutboxState {
  const delivered = states.filter(s => s === 'delivered').length
  const pending = states.filter(s => s === 'pending').length
  if (states.length > 0 && delivered === states.length) return 'delivered'
  if (delivered === 0) return pending > 0 ? 'queued' : 'failed'
  return 'partial'
}
