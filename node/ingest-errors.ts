/**
 * The ingest pipeline's named errors (node/ingest.ts): each a ProtocolError
 * with a reason, answered as 'rejected' and counted by that reason.
 */
import { ProtocolError, type ErrorCategory } from '../protocol/errors.js'
import { RATE_CATCHUP_HOURS } from './ingest-limits.js'

export class RateLimitError extends ProtocolError {
  /** 'time': more than the limit dated in one hour; 'arrival': more than RATE_CATCHUP_HOURS × the limit arrived here in this hour */
  readonly by: 'time' | 'arrival'
  constructor (org: string, limit: number, by: 'time' | 'arrival' = 'time') {
    super('rate_limited', by === 'time'
      ? `org ${org} exceeded the roster's limit of ${limit} entries per hour`
      : `org ${org} sent more than ${RATE_CATCHUP_HOURS} hours' worth of its limit (${limit} entries per hour) within one hour; the rest is taken in the next hour`)
    this.name = 'RateLimitError'
    this.by = by
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/**
 * An entry of a key the roster dropped, arriving after the removal (plus
 * REMOVED_KEY_GRACE_MS), dated before it: backdated with a rotated-out key,
 * or too late to tell apart from that. Refused, never stored.
 */
export class RemovedKeyError extends ProtocolError {
  readonly removedAt: number
  constructor (seq: number, removedAt: number) {
    super('key_removed', `entry seq ${seq} is signed by a key the roster dropped at ${new Date(removedAt).toISOString()}; its entries are no longer taken in, whatever time they claim`)
    this.name = 'RemovedKeyError'
    this.removedAt = removedAt
  }
}

export class PendingOverflowError extends ProtocolError {
  /** Which room was full: one author's from one peer, one peer's, or all peers' together. */
  readonly scope: 'author' | 'peer' | 'total'
  constructor (limit: number, scope: 'author' | 'peer' | 'total' = 'total') {
    super('pending_overflow', `more than ${limit} entries arrived without a signature covering them (${scope === 'total' ? 'from all peers' : scope === 'peer' ? 'from this peer' : 'of one author from this peer'}); dropped`)
    this.name = 'PendingOverflowError'
    this.scope = scope
  }
}

/** Equivocation evidence against a key no roster version lists: nothing to exclude, not kept. */
export class EvidenceAuthorError extends ProtocolError {
  constructor () {
    super('unknown_author', 'equivocation evidence names a key that no roster version lists; not kept')
    this.name = 'EvidenceAuthorError'
  }
}

export class ForkError extends ProtocolError {
  constructor (seq: number) {
    super('fork', `entry at seq ${seq} conflicts with the entry we hold, and no signed evidence could be built`)
    this.name = 'ForkError'
  }
}
