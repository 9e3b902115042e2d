/**
 * Named errors of the report service (node/reports). Each sets `name` (tests
 * assert on it) and a stable `reason` (the API's `error` field, a metric
 * label, and on the wire the reason of a refusal). Messages name files,
 * orgs and report ids, never report content: it is confidential.
 *
 * Refusals of `send` (unknown or non-law-enforcement recipient, invalid
 * input, oversize report) come from protocol/report with their own names;
 * the ones here are those only the node can tell (files, limits, state).
 */
import { NodeError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** An evidence file named in a send request is missing, not a regular file, or unreadable. Nothing was queued. */
export class EvidenceFileError extends NodeError {
  readonly file: string
  constructor (file: string, why: string, options?: ErrorOptions) {
    super('evidence_file', `evidence file ${file} ${why}; nothing was queued`, options)
    this.name = 'EvidenceFileError'
    this.file = file
  }

  override get category (): ErrorCategory { return 'input' }
}

/** The report's evidence is over this node's limit (ReportServiceInit.maxReportBytes). Nothing was queued. */
export class ReportTooLargeError extends NodeError {
  readonly bytes: number
  readonly limit: number
  constructor (bytes: number, limit: number) {
    super('oversize', `the report's evidence is ${bytes} bytes, over this node's limit of ${limit} bytes; split it into several reports (nothing was queued)`)
    this.name = 'ReportTooLargeError'
    this.bytes = bytes
    this.limit = limit
  }

  override get category (): ErrorCategory { return 'input' }
}

/** A send request is malformed in a way the input schema cannot see (relative evidence path, no recipient…). */
export class InvalidReportRequestError extends NodeError {
  constructor (why: string) {
    super('invalid_report_request', `${why}; nothing was queued`)
    this.name = 'InvalidReportRequestError'
  }

  override get category (): ErrorCategory { return 'input' }
}

/** Several members sent this node a report with this id: name the author. */
export class AmbiguousReportIdError extends NodeError {
  readonly authors: string[]
  constructor (id: string, authors: string[]) {
    super('ambiguous_report_id', `reports with id ${id} came from ${authors.join(', ')}; name the author`)
    this.name = 'AmbiguousReportIdError'
    this.authors = authors
  }

  override get category (): ErrorCategory { return 'input' }
}

/** No report with this id in this node's outbox or inbox. */
export class ReportNotFoundError extends NodeError {
  readonly id: string
  constructor (id: string) {
    super('report_not_found', `no report ${id} in this node's outbox or inbox (alliance report outbox / inbox list them)`)
    this.name = 'ReportNotFoundError'
    this.id = id
  }

  override get category (): ErrorCategory { return 'not_found' }
}

/** `export` would overwrite a file: bundles are evidence, never replaced silently. */
export class ExportTargetExistsError extends NodeError {
  readonly path: string
  constructor (path: string) {
    super('already_exists', `${path} already exists; choose another --out (an evidence bundle is never overwritten)`)
    this.name = 'ExportTargetExistsError'
    this.path = path
  }

  override get category (): ErrorCategory { return 'conflict' }
}

/** The evidence of a report cannot be bundled: the author's original files changed or are gone. */
export class EvidenceUnavailableError extends NodeError {
  readonly file: string
  constructor (file: string, why: string, options?: ErrorOptions) {
    super('evidence_changed', `evidence ${file} ${why}`, options)
    this.name = 'EvidenceUnavailableError'
    this.file = file
  }

  override get category (): ErrorCategory { return 'input' }
}

/** The report service's options failed validation at start-up. */
export class ReportServiceConfigError extends NodeError {
  readonly field: string
  constructor (field: string, why: string) {
    super('invalid_report_config', `invalid report service configuration: ${field} ${why}`)
    this.name = 'ReportServiceConfigError'
    this.field = field
  }
}

/** The service was used before start() or after stop(). */
export class ReportServiceNotStartedError extends NodeError {
  constructor () {
    super('not_started', 'the report service is not running (the node is starting or stopping)')
    this.name = 'ReportServiceNotStartedError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** The report store was used before open() or after close() (the service is starting or stopping). */
export class ReportStoreNotOpenError extends NodeError {
  constructor (operation: string) {
    super('report_store_not_open', `cannot ${operation}: the report store is not open (the node is starting or stopping)`)
    this.name = 'ReportStoreNotOpenError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** A record in the report store is not JSON or not of its record's shape (disk damage, or a foreign write). */
export class ReportStoreCorruptError extends NodeError {
  /** where: sublevel/key */
  readonly key: string
  constructor (key: string, why: string, options?: ErrorOptions) {
    super('report_store_corrupt', `the report store record ${key} is damaged (${why}); it is kept as found. Move <node dir>/reports/db aside to start with an empty outbox and inbox, or restore it from a backup`, options)
    this.name = 'ReportStoreCorruptError'
    this.key = key
  }
}

// ---------------------------------------------------------------- recipient-side refusals (travel on the wire)

/** A delivery with a report id this node already holds with different content. */
export class ReportIdConflictError extends NodeError {
  constructor (id: string) {
    super('report_id_conflict', `this node already holds report ${id} with different content; a report id is never reused`)
    this.name = 'ReportIdConflictError'
  }

  override get category (): ErrorCategory { return 'conflict' }
}

/** The same report is being received on another stream right now: try again later. */
export class ReportBusyError extends NodeError {
  constructor (id: string) {
    super('busy', `report ${id} is being received on another stream; retry later`)
    this.name = 'ReportBusyError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** An inbound envelope is larger than this node accepts (ReportServiceInit.maxInboundBytes). */
export class EnvelopeTooLargeError extends NodeError {
  constructor (bytes: number, limit: number) {
    super('too_large', `an envelope of ${bytes} bytes is over this node's limit of ${limit} bytes`)
    this.name = 'EnvelopeTooLargeError'
  }

  override get category (): ErrorCategory { return 'input' }
}

// ---------------------------------------------------------------- the wire

/** The peer broke the report transfer protocol (frame type, order, size, credit). */
export class ReportWireError extends NodeError {
  constructor (why: string, options?: ErrorOptions) {
    super('bad_frame', `report transfer: ${why}`, options)
    this.name = 'ReportWireError'
  }

  override get category (): ErrorCategory { return 'input' }
}

/** The recipient refused a delivery; `reason` is its reason code. */
export class DeliveryRefusedError extends NodeError {
  readonly permanent: boolean
  constructor (reason: string, message: string, permanent: boolean) {
    super(reason, `refused by the recipient: ${message}`)
    this.name = 'DeliveryRefusedError'
    this.permanent = permanent
  }
}

// ---------------------------------------------------------------- offline verification

/** `alliance report verify`: the bundle does not verify. `failures` name each failing part (evidence:<name>, report_signature, receipt:<org>…). */
export class BundleVerificationError extends NodeError {
  readonly failures: Array<{ part: string, reason: string, detail: string }>
  constructor (failures: Array<{ part: string, reason: string, detail: string }>, first: string) {
    super('bundle_verification_failed', `bundle verification failed: ${first}${failures.length > 1 ? ` (and ${failures.length - 1} more failure${failures.length > 2 ? 's' : ''})` : ''}`)
    this.name = 'BundleVerificationError'
    this.failures = failures
  }

  override get category (): ErrorCategory { return 'input' }
}
