/**
 * Named errors of the consensus rule and index. Each sets `name` (tests
 * assert on it) and a stable `reason` (a metric label). They signal a bug in
 * the caller (a malformed statement or policy), never bad network input:
 * entries are verified before statements are extracted from them. Hence
 * their category is `internal`, not the `input` of other protocol errors.
 */
import { ProtocolError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** A statement is malformed: the caller built it wrongly. */
export class InvalidStatementError extends ProtocolError {
  constructor (reason: string, message: string) {
    super(reason, `invalid consensus statement: ${message}`)
    this.name = 'InvalidStatementError'
  }

  override get category (): ErrorCategory { return 'internal' }
}

/** A consensus policy is unusable (quorum or a weight out of range). */
export class InvalidPolicyError extends ProtocolError {
  constructor (reason: string, message: string) {
    super(reason, `invalid consensus policy: ${message}; fix the roster policy (quorum is a positive integer, role weights are non-negative integers)`)
    this.name = 'InvalidPolicyError'
  }

  override get category (): ErrorCategory { return 'internal' }
}

/** A clock value is not a number. */
export class InvalidTimeError extends ProtocolError {
  constructor (value: number) {
    super('invalid_time', `consensus time must be a number of ms, got ${String(value)}`)
    this.name = 'InvalidTimeError'
  }

  override get category (): ErrorCategory { return 'internal' }
}

/** An index image (a node's start-up checkpoint) does not describe a valid index: it is refused whole. */
export class InvalidImageError extends ProtocolError {
  constructor (message: string) {
    super('bad_image', `invalid consensus index image: ${message}`)
    this.name = 'InvalidImageError'
  }

  override get category (): ErrorCategory { return 'internal' }
}
