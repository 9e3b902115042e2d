/**
 * The node's local HTTP API: NodeService over JSON, for the CLI and for
 * integrations (a brand's case system, the platform's pipeline).
 *
 * - Loopback only unless `allowNonLoopback` is set: requests carry raw
 *   identifiers and the token travels in clear over plain HTTP.
 * - Every route, /metrics and /openapi.json included, needs
 *   `authorization: Bearer <token>`; the token is compared in constant time
 *   (SHA-256 digests + timingSafeEqual) and never logged.
 * - Bodies and queries are validated with zod before the service is called;
 *   a bad one is a 400 `{ error: <reason>, message }` and changes nothing.
 * - Named errors from the service (with `name` and `reason`) become
 *   400/404/409/503 `{ error: reason, message }` (see `statusOfNamedError`);
 *   anything else is a 500 with a generic message, the detail goes to the log.
 * - GET /v1/blocklist streams rows from the service's AsyncIterable as they
 *   come (JSONL or CSV); it never holds the whole list.
 * - GET /v1/events streams status changes as NDJSON for as long as the
 *   client stays (heartbeats keep the connection honest); stop() ends them.
 * - URLs are never logged (explain's query carries a raw identifier): one
 *   info line per request with method, route pattern, status and duration.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { Readable } from 'node:stream'
import { fastify, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { ComponentLogger, Logger } from '../logger.js'
import type { BlocklistRow, NodeService, StatusEvent } from '../service.js'
import { BLOCKLIST_CSV_HEADER, CONTENT_TYPES, blocklistLine } from './blocklist-format.js'
import { InvalidApiConfigError, NonLoopbackHostError } from './errors.js'
import { EVENTS_HEARTBEAT_MS, MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_REPORT_BODY_BYTES, MIN_TOKEN_LENGTH, STOP_GRACE_MS } from './limits.js'
import type { MetricsRegistry } from './metrics.js'
import { openApiDocument } from './openapi.js'
import { allowBodySchema, eventsQuerySchema, matchBodySchema, retroQuerySchema, attestBodySchema, blocklistQuerySchema, describeIssues, feedbackBodySchema, parseExplainQuery, retractBodySchema, type BlocklistFormat } from './schemas.js'
import { reportExportBodySchema, reportIdParamsSchema, reportSendBodySchema } from './schemas.js'

export interface ApiServerInit {
  /** What the API exposes (the daemon, or a test double). */
  service: NodeService
  /** Bearer token every request must present. At least MIN_TOKEN_LENGTH characters. */
  token: string
  /**
   * Address to listen on.
   *
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * TCP port; 0 picks a free one (read the URL from start()).
   *
   * @default 0
   */
  port?: number
  /**
   * Permit a host that is not a loopback address. Only behind TLS or a firewall.
   *
   * @default false
   */
  allowNonLoopback?: boolean
  logger: Logger
  metrics: MetricsRegistry
}

export interface ApiServer {
  /** Starts listening; resolves with the base URL clients use (e.g. http://127.0.0.1:38123). */
  start: () => Promise<{ url: string }>
  /** Stops accepting requests, lets in-flight ones finish for up to STOP_GRACE_MS, then cuts connections. */
  stop: () => Promise<void>
}

/** Blocklist rows are sent in chunks of about this size: streaming without one write per row. */
const STREAM_CHUNK_CHARS = 16 * 1024

/** Status codes a named error may map to; anything else is a 500. */
const NAMED_ERROR_STATUSES = new Set([400, 404, 409, 503])

/** Reason patterns of named errors that mean "no such thing" (404), "conflicts with state" (409) or "not ready" (503). */
const NOT_FOUND = /(^|_)(not_found|unknown_fingerprint|no_such_[a-z_]+)$/
const CONFLICT = /(^|_)(conflict|exists|already_[a-z_]+|equivocation|duplicate)$/
const UNAVAILABLE = /(^|_)(not_ready|not_started|unavailable|shutting_down|store_not_open|host_not_started|no_roster|busy|overloaded|rate_limited)$/

interface NamedError { name: string, reason: string, message: string, statusCode?: unknown, httpStatus?: unknown }

function isNamedError (err: unknown): err is NamedError {
  return err instanceof Error && typeof (err as { reason?: unknown }).reason === 'string' && err.name !== 'Error'
}

/**
 * HTTP status of one of our named errors: an explicit `httpStatus` (400, 404,
 * 409 or 503) wins; otherwise by reason: not found → 404, conflict → 409,
 * not ready → 503, and everything else (invalid input, the common case) → 400.
 */
export function statusOfNamedError (err: { reason: string, httpStatus?: unknown }): number {
  if (typeof err.httpStatus === 'number' && NAMED_ERROR_STATUSES.has(err.httpStatus)) return err.httpStatus
  if (NOT_FOUND.test(err.reason)) return 404
  if (CONFLICT.test(err.reason)) return 409
  if (UNAVAILABLE.test(err.reason)) return 503
  return 400
}

/** Reason codes of the framework's own client errors (bad JSON, size, media type). */
function frameworkReason (err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'body_too_large'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported_media_type'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return 'invalid_body'
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return 'invalid_content_length'
    default: return err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : 'bad_request'
  }
}

export function isLoopbackHost (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h)
  return false
}

function validateInit (init: ApiServerInit): Required<Omit<ApiServerInit, 'service' | 'logger' | 'metrics'>> {
  const host = init.host ?? '127.0.0.1'
  const port = init.port ?? 0
  const allowNonLoopback = init.allowNonLoopback ?? false
  if (typeof init.token !== 'string' || init.token.length < MIN_TOKEN_LENGTH) throw new InvalidApiConfigError(`token must be a string of at least ${MIN_TOKEN_LENGTH} characters`)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidApiConfigError(`port ${String(port)} is not a TCP port (0-65535)`)
  if (host.length === 0) throw new InvalidApiConfigError('host is empty')
  if (!allowNonLoopback && !isLoopbackHost(host)) throw new NonLoopbackHostError(host)
  return { token: init.token, host, port, allowNonLoopback }
}

/** Constant-time bearer check: compares SHA-256 digests, so lengths never leak either. */
function bearerChecker (token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token, 'utf8').digest()
  return (header) => {
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : ''
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    return timingSafeEqual(digest, expected) && presented.length > 0
  }
}

class BadRequest extends Error {
  readonly reason: string
  constructor (reason: string, message: string) {
    super(message)
    this.name = 'BadRequest'
    this.reason = reason
  }
}

function parseOr400<T> (result: z.ZodSafeParseResult<T>, reason: string): T {
  if (!result.success) throw new BadRequest(reason, describeIssues(result.error))
  return result.data
}

/**
 * Blocklist rows rendered in chunks. `first` was pulled before the response
 * started, so an error there still gets a proper status code; an error later
 * cuts the connection (the client sees a truncated transfer, never a short
 * list that looks complete).
 */
async function * renderBlocklist (first: IteratorResult<BlocklistRow>, rows: AsyncIterator<BlocklistRow>, format: BlocklistFormat, log: ComponentLogger): AsyncGenerator<string> {
  let r = first
  try {
    let buf = format === 'csv' ? BLOCKLIST_CSV_HEADER : ''
    while (r.done !== true) {
      buf += blocklistLine(r.value, format)
      if (buf.length >= STREAM_CHUNK_CHARS) {
        yield buf
        buf = ''
      }
      r = await rows.next()
    }
    if (buf.length > 0) yield buf
  } catch (err) {
    log.error('blocklist stream failed; connection cut', { err })
    throw err
  } finally {
    if (r.done !== true) await rows.return?.()
  }
}

/**
 * GET /v1/events: a heartbeat line at once (the subscription is live), then
 * one JSON line per status change, and a heartbeat line every
 * EVENTS_HEARTBEAT_MS of quiet, until the client goes away, the server stops, or the
 * subscriber overflows (then one last `{"type":"error"}` line names why).
 */
async function * renderEvents (events: AsyncIterable<StatusEvent>, signal: AbortSignal, log: ComponentLogger): AsyncGenerator<string> {
  const it = events[Symbol.asyncIterator]()
  let next = it.next() // subscribes now
  try {
    // a first heartbeat at once: it sends the response head, and tells the client it is subscribed
    yield JSON.stringify({ type: 'heartbeat', at: new Date().toISOString() }) + '\n'
    for (;;) {
      let beat: NodeJS.Timeout | undefined
      const r = await Promise.race([next, new Promise<'beat'>(resolve => { beat = setTimeout(() => resolve('beat'), EVENTS_HEARTBEAT_MS) })])
      clearTimeout(beat)
      if (signal.aborted) return
      if (r === 'beat') {
        yield JSON.stringify({ type: 'heartbeat', at: new Date().toISOString() }) + '\n'
        continue
      }
      if (r.done === true) return
      yield JSON.stringify(r.value) + '\n'
      next = it.next()
    }
  } catch (err) {
    if (!signal.aborted) {
      const e = err as { reason?: string, message?: string }
      log.warn('event stream ended', { reason: e.reason ?? 'error' })
      yield JSON.stringify({ type: 'error', error: e.reason ?? 'internal_error', message: e.reason !== undefined ? e.message : 'the event stream failed' }) + '\n'
    }
  } finally {
    await it.return?.()
  }
}

export function createApiServer (init: ApiServerInit): ApiServer {
  const opts = validateInit(init)
  const { service, metrics } = init
  const log = init.logger.forComponent('api')
  const authorised = bearerChecker(opts.token)
  let app: FastifyInstance | undefined
  /** Open event streams, ended when the server stops (they never end by themselves). */
  const watching = new Set<AbortController>()

  function build (): FastifyInstance {
    const a = fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, return503OnClosing: true, exposeHeadRoutes: false })

    a.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (!authorised(req.headers.authorization)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="alliance-node"')
          .send({ error: 'unauthorized', message: 'missing or wrong bearer token; the daemon writes it to <node dir>/api.json' })
      }
    })

    a.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      const route = req.routeOptions.url ?? 'unmatched'
      metrics.apiRequests.inc({ route, status: String(reply.statusCode) })
      log.info('request', { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) })
    })

    a.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
      const route = req.routeOptions.url ?? 'unmatched'
      if (err instanceof BadRequest) {
        return reply.code(400).send({ error: err.reason, message: err.message })
      }
      if (isNamedError(err)) {
        const status = statusOfNamedError(err)
        log.debug('request refused', { route, status, err })
        return reply.code(status).send({ error: err.reason, message: err.message })
      }
      const fe = err as FastifyError
      if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return reply.code(fe.statusCode).send({ error: frameworkReason(fe), message: fe.message })
      }
      log.error('request failed', { route, err })
      return reply.code(500).send({ error: 'internal', message: 'internal error in the node; details are in its log' })
    })

    a.setNotFoundHandler(async (req: FastifyRequest, reply: FastifyReply) => {
      return reply.code(404).send({ error: 'no_route', message: `no route ${req.method} ${req.url.split('?')[0]}; see GET /openapi.json` })
    })

    a.get('/v1/status', async () => await service.status())

    a.post('/v1/attest', { bodyLimit: MAX_BULK_BODY_BYTES }, async (req) => {
      const body = parseOr400(attestBodySchema.safeParse(req.body), 'invalid_body')
      return await service.attest(body.items)
    })

    a.post('/v1/retract', async (req) => {
      const body = parseOr400(retractBodySchema.safeParse(req.body), 'invalid_body')
      return await service.retract(body)
    })

    a.post('/v1/feedback', async (req) => {
      return await service.feedback(parseOr400(feedbackBodySchema.safeParse(req.body), 'invalid_body'))
    })

    a.post('/v1/allow', async (req) => {
      return await service.allow(parseOr400(allowBodySchema.safeParse(req.body), 'invalid_body'))
    })

    a.get('/v1/explain', async (req) => {
      return await service.explain(parseOr400(parseExplainQuery(req.query), 'invalid_query'))
    })

    // The same with the identifier in a body, so it stays out of URLs (proxies, shell history).
    a.post('/v1/explain', async (req) => {
      return await service.explain(parseOr400(parseExplainQuery(req.body), 'invalid_body'))
    })

    a.get('/v1/blocklist', async (req, reply) => {
      const q = parseOr400(blocklistQuerySchema.safeParse(req.query), 'invalid_query')
      const rows = service.blocklist(q.status !== undefined ? { status: q.status } : {})[Symbol.asyncIterator]()
      const first = await rows.next()
      const body = Readable.from(renderBlocklist(first, rows, q.format, log), { objectMode: false })
      return reply.code(200)
        .header('content-type', CONTENT_TYPES[q.format])
        .header('cache-control', 'no-store')
        .send(body)
    })

    a.get('/v1/events', async (req, reply) => {
      const q = parseOr400(eventsQuerySchema.safeParse(req.query), 'invalid_query')
      const ctl = new AbortController()
      watching.add(ctl)
      metrics.eventWatchers.set(watching.size)
      req.raw.once('close', () => ctl.abort())
      reply.raw.once('close', () => {
        ctl.abort()
        watching.delete(ctl)
        metrics.eventWatchers.set(watching.size)
      })
      const events = service.watch(q.status !== undefined ? { status: q.status } : {}, ctl.signal)
      const body = Readable.from(renderEvents(events, ctl.signal, log), { objectMode: false })
      return reply.code(200)
        .header('content-type', 'application/x-ndjson')
        .header('cache-control', 'no-store')
        .header('connection', 'close') // the connection ends with the stream: stop() never waits on an idle keep-alive
        .send(body)
    })

    a.post('/v1/match', async (req) => {
      return await service.match(parseOr400(matchBodySchema.safeParse(req.body), 'invalid_body'))
    })

    a.get('/v1/match/retro', async (req) => {
      return { decisions: await service.matchRetro(parseOr400(retroQuerySchema.safeParse(req.query), 'invalid_query').since) }
    })

    a.get('/v1/roster', async () => await service.roster())

    a.post('/v1/roster', async (req) => await service.adoptRoster(req.body))

    // Infringement reports (DESIGN.md §7). Refusals (recipient, evidence, size) are named errors → 400, and queue nothing.
    a.post('/v1/reports', { bodyLimit: MAX_REPORT_BODY_BYTES }, async (req) => {
      return await service.reportSend(parseOr400(reportSendBodySchema.safeParse(req.body), 'invalid_body'))
    })

    a.get('/v1/reports/outbox', async () => await service.reportOutbox())

    a.get('/v1/reports/inbox', async () => await service.reportInbox())

    a.get('/v1/reports/:id', async (req) => {
      return await service.reportShow(parseOr400(reportIdParamsSchema.safeParse(req.params), 'invalid_report_id').id)
    })

    a.post('/v1/reports/:id/export', async (req) => {
      const { id } = parseOr400(reportIdParamsSchema.safeParse(req.params), 'invalid_report_id')
      return await service.reportExport(id, parseOr400(reportExportBodySchema.safeParse(req.body), 'invalid_body').out)
    })

    a.get('/metrics', async (_req, reply) => {
      const text = await metrics.text()
      return reply.header('content-type', metrics.contentType).send(text)
    })

    a.get('/openapi.json', async () => openApiDocument())

    return a
  }

  return {
    async start () {
      if (app !== undefined) throw new InvalidApiConfigError('the API server is already started')
      const a = build()
      try {
        await a.listen({ host: opts.host, port: opts.port })
      } catch (err) {
        await a.close().catch(() => {})
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
          throw new InvalidApiConfigError(`cannot listen on ${opts.host}:${opts.port} (${code}); set api.port in the node's config.json to a free port, or 0 for any`, { cause: err })
        }
        throw err
      }
      app = a
      const addr = a.server.address()
      if (addr === null || typeof addr === 'string') throw new InvalidApiConfigError('the server has no TCP address')
      let host = addr.address
      if (host === '0.0.0.0') host = '127.0.0.1'
      if (host === '::') host = '::1'
      const url = `http://${isIP(host) === 6 ? `[${host}]` : host}:${addr.port}`
      log.info('API listening', { url, loopback: isLoopbackHost(opts.host) })
      return { url }
    },

    async stop () {
      const a = app
      if (a === undefined) return
      app = undefined
      const force = setTimeout(() => { a.server.closeAllConnections() }, STOP_GRACE_MS)
      force.unref()
      for (const ctl of watching) ctl.abort()
      try {
        await a.close()
      } finally {
        clearTimeout(force)
      }
    }
  }
}
