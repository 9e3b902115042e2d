/**
 * Named errors of the node's services (node/services/). Each sets `name`
 * (tests assert on it) and a stable `reason` (a metric label and the API's
 * error code); messages say what was wrong and what to do.
 */
import { NodeError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** The node directory cannot be opened as a running node yet (no roster installed, …). */
export class NotReadyError extends NodeError {
  constructor (why: string) {
    super('not_ready', why)
    this.name = 'NotReadyError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

export class InvalidRequestError extends NodeError {
  constructor (why: string) {
    super('invalid_request', why)
    this.name = 'InvalidRequestError'
  }

  override get category (): ErrorCategory { return 'input' }
}

export class UnknownFingerprintError extends NodeError {
  constructor () {
    super('not_found', 'no member has said anything about this fingerprint; feedback applies to fingerprints the alliance knows (see alliance blocklist / explain)')
    this.name = 'UnknownFingerprintError'
  }

  override get category (): ErrorCategory { return 'not_found' }
}

/**
 * The ingest pipeline refused this node's own entries. The category is the
 * refusal's: input for entries the request made invalid (a lifetime that
 * ends before the entry is made), unavailable for a roster rate limit or a
 * race with the log's state. Nothing was appended.
 */
export class OwnEntriesRefusedError extends NodeError {
  readonly #category: ErrorCategory
  constructor (reason: string, why: string, category: ErrorCategory = 'unavailable') {
    super(reason, `own entries were not accepted: ${why}`)
    this.name = 'OwnEntriesRefusedError'
    this.#category = category
  }

  // read from the class (no instance), it is the default
  override get category (): ErrorCategory { return #category in this ? this.#category : 'unavailable' }
}

/** No key of the wanted epoch is held here (not received yet, or destroyed at cut-over). */
export class EpochKeyUnavailableError extends NodeError {
  readonly epoch: number
  constructor (epoch: number, why: string) {
    super('epoch_key_unavailable', `no fingerprint key for epoch ${epoch} on this node: ${why}`)
    this.name = 'EpochKeyUnavailableError'
    this.epoch = epoch
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** The suite has no local fast path (an online suite): matching workers must use the batched interface. */
export class NoLocalSuiteError extends NodeError {
  constructor (suite: string) {
    super('no_local_suite', `fingerprint suite ${suite} computes online; it has no key a matching worker can hold`)
    this.name = 'NoLocalSuiteError'
  }
}

export class VaultError extends NodeError {
  constructor (reason: string, why: string) {
    super(reason, `vault: ${why}`)
    this.name = 'VaultError'
  }
}

/** A guardian worker thread failed (it could not open its share, or it died): the request is refused, the node keeps serving. */
export class GuardianWorkerError extends NodeError {
  constructor (why: string) {
    super('guardian_worker', `guardian worker: ${why}`)
    this.name = 'GuardianWorkerError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}
