/**
 * The one place where errors become HTTP statuses.
 *
 * Every named error class (node/ and protocol/) carries a `category`
 * (protocol/errors.ts ErrorCategory): whose fault it is. The API answers a
 * named error of category input/not_found/conflict/unavailable with the
 * status below and `{ error: reason, message }`. Anything else — an
 * `internal` error, an error without a category, any other exception — is
 * a 500 with a generic message; the detail goes to the node's log only.
 */
import type { FastifyError } from 'fastify'
import { ERROR_CATEGORIES, type ErrorCategory } from '../../protocol/errors.js'

/** HTTP status of each category, with what openapi.json says about it. */
export const CATEGORY_STATUS: Readonly<Record<ErrorCategory, { status: number, doc: string }>> = Object.freeze({
  input: { status: 400, doc: 'Invalid body, query or path, or input the node refuses (nothing changed)' },
  not_found: { status: 404, doc: 'No such thing' },
  conflict: { status: 409, doc: 'Conflicts with the node\'s state' },
  unavailable: { status: 503, doc: 'The node cannot serve this now (starting, stopping, no roster, a rate limit): retry later' },
  internal: { status: 500, doc: 'Internal error (details in the node\'s log)' }
})

/** An error the API may show to the client: a reason, a message and a category that is not `internal`. */
export interface ClientFacingError { reason: string, message: string, category: Exclude<ErrorCategory, 'internal'> }

/** The error as the client may see it, or undefined if it must stay a generic 500. */
export function clientFacing (err: unknown): ClientFacingError | undefined {
  if (!(err instanceof Error)) return undefined
  const { reason, category } = err as { reason?: unknown, category?: unknown }
  if (typeof reason !== 'string' || typeof category !== 'string') return undefined
  if (!(ERROR_CATEGORIES as readonly string[]).includes(category) || category === 'internal') return undefined
  return { reason, message: err.message, category: category as ClientFacingError['category'] }
}

/** The status the API answers `err` with (500 for anything not client-facing). */
export function httpStatusOf (err: unknown): number {
  const e = clientFacing(err)
  return CATEGORY_STATUS[e?.category ?? 'internal'].status
}

/** Reason codes of the framework's own client errors (bad JSON, size, media type), by fastify error code. */
export function frameworkReason (err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'body_too_large'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported_media_type'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return 'invalid_body'
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return 'invalid_content_length'
    case 'FST_ERR_BAD_URL': return 'bad_url'
    default: return err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : 'bad_request'
  }
}
