/**
 * Named refusals of the web console (node/console). Each sets `name` and a
 * stable `reason`; the console answers them with `status` and
 * `{ error: reason, message }` (a page: an HTML page naming the reason).
 * They are about the browser's credentials, never about the node's state,
 * so they carry their own HTTP status instead of an ErrorCategory.
 */
import { NodeError, type ErrorCategory } from '../errors.js'

export type ConsoleRefusalReason =
  /** no session cookie, or one the node does not know (forged, expired, from before a restart) */
  | 'no_session'
  /** a login link that is unknown, already used or expired */
  | 'login_link_invalid'
  /** a POST without the x-csrf-token header */
  | 'csrf_missing'
  /** a POST whose x-csrf-token is not its session's */
  | 'csrf_mismatch'
  /** a POST from another origin (Origin header present and not this console's) */
  | 'cross_origin'
  /** a Host header that is not a loopback address (DNS rebinding) */
  | 'bad_host'
  /** an API route the console's sessions may not use (bearer token only) */
  | 'not_for_console'
  /** too many login links or sessions at once */
  | 'too_many_sessions'

const STATUS: Record<ConsoleRefusalReason, number> = {
  no_session: 401,
  login_link_invalid: 401,
  csrf_missing: 403,
  csrf_mismatch: 403,
  cross_origin: 403,
  bad_host: 421,
  not_for_console: 403,
  too_many_sessions: 503
}

export class ConsoleRefusedError extends NodeError {
  readonly status: number
  override readonly reason: ConsoleRefusalReason
  constructor (reason: ConsoleRefusalReason, message: string) {
    super(reason, message)
    this.name = 'ConsoleRefusedError'
    this.reason = reason
    this.status = STATUS[reason]
  }

  // answered by the console with `status`; only too_many_sessions reaches the API's error handler (from POST /v1/console/link)
  override get category (): ErrorCategory { return this.reason === 'too_many_sessions' ? 'unavailable' : 'input' }
}

/** POST /v1/console/link on a server that serves no console (an embedding that did not pass one). */
export class ConsoleDisabledError extends NodeError {
  constructor () {
    super('console_disabled', 'this API server serves no web console')
    this.name = 'ConsoleDisabledError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** The console's assets are missing from the installed package (a broken install). */
export class ConsoleAssetsError extends NodeError {
  constructor (why: string) {
    super('console_assets', `the web console's files are missing: ${why}; reinstall the package`)
    this.name = 'ConsoleAssetsError'
  }
}
