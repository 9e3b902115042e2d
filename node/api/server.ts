/**
 * The node's local HTTP API: NodeService over JSON, for the CLI and for
 * integrations (a brand's case system, the platform's pipeline).
 *
 * - Loopback only unless `allowNonLoopback` is set: requests carry raw
 *   identifiers and the token travels in clear over plain HTTP.
 * - Every route, /metrics and /openapi.json included, needs
 *   `authorization: Bearer <token>`; the token is compared in constant time
 *   (SHA-256 digests + timingSafeEqual) and never logged.
 * - The routes are those of the route table (routes.ts): each one's path
 *   params, query and body are validated with its zod schemas before the
 *   service is called; a bad one is a 400 `{ error: <reason>, message }`
 *   and changes nothing.
 * - Named errors become `{ error: reason, message }` with the status of
 *   their category (http-errors.ts: 400/404/409/503); anything else is a
 *   500 with a generic message, the detail goes to the log.
 * - `export` routes (GET /v1/blocklist) stream rows from the service's
 *   AsyncIterable as they come (JSONL or CSV); never the whole list at once.
 * - `feed` routes (GET /v1/events) stream NDJSON for as long as the client
 *   stays (heartbeats keep the connection honest); stop() ends them.
 * - URLs are never logged (explain's query carries a raw identifier): one
 *   info line per request with method, route pattern, status and duration.
 * - `inject()` answers a request in-process (fastify's inject, no socket):
 *   for tests that drive the real server many thousand times.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { Readable } from 'node:stream'
import { fastify, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type InjectOptions, type LightMyRequestResponse } from 'fastify'
import type { z } from 'zod'
import type { Logger } from '../logger.js'
import type { NodeService } from '../service.js'
import { CONTENT_TYPES } from './blocklist-format.js'
import { InvalidApiConfigError, NonLoopbackHostError, RequestInputError } from './errors.js'
import { CATEGORY_STATUS, clientFacing, frameworkReason } from './http-errors.js'
import { MAX_BODY_BYTES, MIN_TOKEN_LENGTH, STOP_GRACE_MS } from './limits.js'
import type { MetricsRegistry } from './metrics.js'
import { openApiDocument } from './openapi.js'
import type { AnyRoute, RouteContext } from './route-table.js'
import { API_ROUTES } from './routes.js'
import { describeIssues } from './schemas.js'
import { renderExport, renderFeed } from './streams.js'
import type { WebConsole } from '../console/server.js'

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
  /** The web console (node/console), served on the same address; without it, /console/* is 404 and POST /v1/console/link 503. */
  console?: WebConsole
}

export interface ApiServer {
  /** Starts listening; resolves with the base URL clients use (e.g. http://127.0.0.1:38123). */
  start: () => Promise<{ url: string }>
  /** Stops accepting requests, lets in-flight ones finish for up to STOP_GRACE_MS, then cuts connections. */
  stop: () => Promise<void>
  /** Answers one request in-process, through every hook, parser and handler, without a socket (the server need not be started). */
  inject: (opts: InjectOptions) => Promise<LightMyRequestResponse>
  /** Replaces the bearer token (`alliance api rotate-token`): the next request needs the new one. */
  setToken: (token: string) => void
}

export function isLoopbackHost (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h)
  return false
}

function validateInit (init: ApiServerInit): Required<Omit<ApiServerInit, 'service' | 'logger' | 'metrics' | 'console'>> {
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

/** The signal of a route that is not a feed: such a request is never cut short by the server. */
const NEVER = new AbortController().signal

/** A request part checked against its route's schema (no schema: the part is ignored). */
function parsePart (schema: z.ZodType | undefined, value: unknown, reason: string): unknown {
  if (schema === undefined) return undefined
  const result = schema.safeParse(value)
  if (!result.success) throw new RequestInputError(reason, describeIssues(result.error))
  return result.data
}

export function createApiServer (init: ApiServerInit): ApiServer {
  const opts = validateInit(init)
  const { service, metrics } = init
  const log = init.logger.forComponent('api')
  let authorised = bearerChecker(opts.token)
  let app: FastifyInstance | undefined
  /** Open event streams, ended when the server stops (they never end by themselves). */
  const watching = new Set<AbortController>()

  function build (): FastifyInstance {
    const a = fastify({
      logger: false,
      bodyLimit: MAX_BODY_BYTES,
      return503OnClosing: true,
      exposeHeadRoutes: false,
      // a URL the router cannot decode (bad percent-encoding): our error shape, and never the URL echoed
      // (the onResponse hook does not run for these: they are logged and counted here)
      frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
        void reply.code(400).send({ error: frameworkReason(err), message: 'the URL is not valid (bad percent-encoding?); nothing was done' })
        requestDone(req.method, 'unmatched', 400, 0)
      }
    })

    a.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (authorised(req.headers.authorization)) return
      // a console page, or a /v1 call of the console with its session cookie (node/console/server.ts)
      const admission = await init.console?.admit(req, reply) ?? 'none'
      if (admission === 'refused') return reply
      if (admission === 'none') {
        return reply.code(401).header('www-authenticate', 'Bearer realm="alliance-node"')
          .send({ error: 'unauthorized', message: 'missing or wrong bearer token; it is in <node dir>/api-token' })
      }
    })

    a.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      requestDone(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime)
    })

    a.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
      const route = req.routeOptions.url ?? 'unmatched'
      const shown = clientFacing(err)
      if (shown !== undefined) {
        const status = CATEGORY_STATUS[shown.category].status
        if (!(err instanceof RequestInputError)) log.debug('request refused', { route, status, err })
        return reply.code(status).send({ error: shown.reason, message: shown.message })
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

    init.console?.register(a, API_ROUTES)
    for (const route of API_ROUTES) {
      a.route({
        method: route.method,
        url: route.path,
        ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
        handler: async (req, reply) => await serve(route, req, reply)
      })
    }

    return a
  }

  /** The one info line per request (route pattern, never the URL) and its count. */
  function requestDone (method: string, route: string, status: number, ms: number): void {
    metrics.apiRequests.inc({ route, status: String(status) })
    log.info('request', { method, route, status, ms: Math.round(ms) })
  }

  /** One request of `route`: its input checked, then served as the route says. */
  async function serve (route: AnyRoute, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const input = {
      params: parsePart(route.params, req.params, route.invalidParams ?? 'invalid_params'),
      query: parsePart(route.query, req.query, 'invalid_query'),
      body: parsePart(route.body, req.body, 'invalid_body')
    }
    const ctx: RouteContext = { service, metrics, openapi: openApiDocument, signal: NEVER, console: init.console }
    switch (route.response) {
      case 'json':
        return await route.serve(input, ctx)
      case 'text': {
        const { contentType, text } = await route.serve(input, ctx)
        return await reply.header('content-type', contentType).send(text)
      }
      case 'export': {
        const { rows, format } = await route.serve(input, ctx)
        const it = (rows as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        const first = await it.next()
        return await reply.code(200)
          .header('content-type', CONTENT_TYPES[format as keyof typeof CONTENT_TYPES])
          .header('cache-control', 'no-store')
          .send(Readable.from(renderExport(first, it, format, route.csv, log), { objectMode: false }))
      }
      case 'feed': {
        const ctl = new AbortController()
        watching.add(ctl)
        metrics.eventWatchers.set(watching.size)
        req.raw.once('close', () => ctl.abort())
        reply.raw.once('close', () => {
          ctl.abort()
          watching.delete(ctl)
          metrics.eventWatchers.set(watching.size)
        })
        const items = await route.serve(input, { ...ctx, signal: ctl.signal }) as AsyncIterable<unknown>
        return await reply.code(200)
          .header('content-type', 'application/x-ndjson')
          .header('cache-control', 'no-store')
          .header('connection', 'close') // the connection ends with the stream: stop() never waits on an idle keep-alive
          .send(Readable.from(renderFeed(items, ctl.signal, log), { objectMode: false }))
      }
    }
  }

  /** The app inject() uses while the server is not started. */
  let injectApp: FastifyInstance | undefined


  return {
    setToken (token: string) {
      if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) throw new InvalidApiConfigError(`token must be a string of at least ${MIN_TOKEN_LENGTH} characters`)
      authorised = bearerChecker(token)
    },
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
      init.console?.listening(url)
      log.info('API listening', { url, loopback: isLoopbackHost(opts.host) })
      return { url }
    },

    async stop () {
      await injectApp?.close()
      injectApp = undefined
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
    },

    async inject (opts) {
      const a = app ?? (injectApp ??= build())
      return await a.inject(opts)
    }
  }
}
