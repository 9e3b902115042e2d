/**
 * Named errors of the local HTTP API (server and client). Each sets `name`
 * (tests assert on it) and a stable `reason` (a snake_case code that is also
 * the `error` field of an API error response).
 */
import { NodeError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** The API was asked to listen on a non-loopback address without `allowNonLoopback`. */
export class NonLoopbackHostError extends NodeError {
  readonly host: string
  constructor (host: string) {
    super('non_loopback_host', `refusing to serve the API on ${host}: it is not a loopback address, and the API carries raw identifiers and a bearer token over plain HTTP. Use 127.0.0.1, or set allowNonLoopback if a TLS proxy or firewall protects it`)
    this.name = 'NonLoopbackHostError'
    this.host = host
  }
}

/** The API server's options failed validation at start-up. */
export class InvalidApiConfigError extends NodeError {
  constructor (why: string, options?: ErrorOptions) {
    super('invalid_api_config', `invalid API configuration: ${why}`, options)
    this.name = 'InvalidApiConfigError'
  }
}

/** No daemon answers for a node directory (no api.json, a dead pid, or nothing listening). */
export class DaemonNotRunningError extends NodeError {
  readonly dir: string
  constructor (dir: string, options?: ErrorOptions) {
    super('daemon_not_running', `no daemon is running for ${dir}; start it with: alliance start ${dir}`, options)
    this.name = 'DaemonNotRunningError'
    this.dir = dir
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** The daemon answered a request with an error response. `reason` is the response's `error` field. */
export class ApiRequestError extends NodeError {
  readonly status: number
  constructor (status: number, reason: string, message: string) {
    super(reason, message)
    this.name = 'ApiRequestError'
    this.status = status
  }
}

/** The daemon's response could not be read: not JSON, not the expected shape, or cut off mid-stream. */
export class ApiResponseError extends NodeError {
  constructor (why: string, options?: ErrorOptions) {
    super('bad_response', `unreadable response from the daemon: ${why}`, options)
    this.name = 'ApiResponseError'
  }
}

/** A request's path, query or body failed its route's schema (reason invalid_body, invalid_query, invalid_report_id…). Nothing reached the service. */
export class RequestInputError extends NodeError {
  constructor (reason: string, why: string) {
    super(reason, why)
    this.name = 'RequestInputError'
  }

  override get category (): ErrorCategory { return 'input' }
}
