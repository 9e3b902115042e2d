/**
 * The web console, served by the node's own HTTP API server (node/api/
 * server.ts calls `admit` from its auth hook and `register` when it builds
 * its routes). It adds no second API: the pages' scripts call the same
 * /v1 routes the CLI calls, authenticated by a session cookie instead of
 * the bearer token.
 *
 * - `alliance console <dir>` asks the node (bearer token) for a one-time
 *   login link (POST /v1/console/link). GET /console/login?token=… uses it up
 *   and sets the session cookie: HttpOnly, SameSite=Strict, Max-Age.
 *   Cookies ignore ports, so its name carries the API's port: two nodes on
 *   one machine keep separate sessions.
 * - A session may use only the /v1 routes the console needs (CONSOLE_OPERATIONS);
 *   never GET /v1/explain (a raw identifier in a URL), nor routes that name
 *   paths on the node's machine or change the roster.
 * - Every POST with a session needs `x-csrf-token` (the token the page got
 *   in a meta tag) and, if the browser sends an Origin, this console's.
 * - Requests with a session must name a loopback Host (DNS rebinding).
 * - Every answer carries a strict Content-Security-Policy (no inline script
 *   or style, nothing from another origin), nosniff, no referrer, no framing.
 * - Refusals are named (errors.ts): 401 no_session / login_link_invalid,
 *   403 csrf_missing / csrf_mismatch / cross_origin / not_for_console, 421 bad_host.
 * - Like the API, nothing here logs a URL, a token or a request body.
 */
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isLoopbackHost } from '../api/server.js'
import type { AnyRoute } from '../api/route-table.js'
import type { ComponentLogger } from '../logger.js'
import type { NodeService } from '../service.js'
import { ConsoleAssets, PAGES, type PageName } from './assets.js'
import { ConsoleRefusedError } from './errors.js'
import { ConsoleSessions, type ConsoleSessionsInit } from './sessions.js'
import { registerConsoleFiles, type ConsoleReports } from './files.js'

/** The /v1 operations a console session may call (by operationId); every other needs the bearer token. */
export const CONSOLE_OPERATIONS: ReadonlySet<string> = new Set([
  'status', 'roster', 'rosterProposals', 'reasons', 'metrics',
  'explainPost', 'attest', 'retract', 'allow', 'feedback',
  'blocklist', 'watch', 'matchRetro', 'matchRecent',
  'reportSend', 'reportOutbox', 'reportInbox', 'reportShow'
])

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'"
].join('; ')

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin'
}

export interface WebConsoleInit {
  sessions?: ConsoleSessionsInit
  /** @default the package's node/console/assets */
  assetsDir?: string
}

export interface WebConsoleComponents {
  service: NodeService
  /** Evidence files of reports held by the node (downloads on the report page). */
  reports: ConsoleReports
  /** The node directory: evidence uploaded for new reports, and bundles on their way to the browser, live under it. */
  dir: string
  logger: ComponentLogger
}

export type Admission = 'allowed' | 'refused' | 'none'

export interface WebConsole {
  /** Called by the API's auth hook for a request without a valid bearer token. */
  admit: (req: FastifyRequest, reply: FastifyReply) => Promise<Admission>
  /** Adds the console's pages, assets and downloads, and the security headers, to the API server. */
  register: (app: FastifyInstance, routes: readonly AnyRoute[]) => void
  /** The API's base URL, once it listens (login links are absolute). */
  listening: (url: string) => void
  /** A one-time login link. */
  issueLink: () => { url: string, expiresAt: string }
  readonly sessions: ConsoleSessions
}

/** The session cookie's value, from a Cookie header. */
function cookieValue (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function hostName (host: string | undefined): string {
  if (host === undefined) return ''
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host)
  return m === null ? '' : m[1]
}

export function createWebConsole (init: WebConsoleInit, c: WebConsoleComponents): WebConsole {
  const sessions = new ConsoleSessions(init.sessions)
  const assets = new ConsoleAssets(init.assetsDir)
  const log = c.logger
  let base = ''
  let cookieName = 'alliance_console'
  /** `METHOD path` of the /v1 routes a session may use. */
  const permitted = new Set<string>()

  const sessionId = (req: FastifyRequest): string | undefined => cookieValue(req.headers.cookie, cookieName)

  /** Host, Origin and CSRF checks of a request that relies on its session; throws ConsoleRefusedError. */
  function checkSession (req: FastifyRequest, mutating: boolean): string {
    if (!isLoopbackHost(hostName(req.headers.host))) throw new ConsoleRefusedError('bad_host', 'the console answers only on a loopback address; open the link `alliance console` printed')
    const id = sessionId(req)
    sessions.session(id)
    if (mutating) {
      const origin = req.headers.origin
      if (origin !== undefined && origin !== 'null' && hostOf(origin) !== req.headers.host) throw new ConsoleRefusedError('cross_origin', 'a request from another site; use the console\'s own pages')
      if (origin === 'null') throw new ConsoleRefusedError('cross_origin', 'a request from an opaque origin; use the console\'s own pages')
      const csrf = req.headers['x-csrf-token']
      sessions.checkCsrf(id, Array.isArray(csrf) ? csrf[0] : csrf)
    }
    return id as string
  }

  function refuse (reply: FastifyReply, err: ConsoleRefusedError, asPage: boolean): FastifyReply {
    if (asPage && (err.reason === 'no_session' || err.reason === 'login_link_invalid')) {
      return reply.code(err.status).header('content-type', 'text/html; charset=utf-8').send(assets.page('signed-out', { csrf: '', reason: err.reason }))
    }
    return reply.code(err.status).send({ error: err.reason, message: err.message })
  }

  /** Runs a console route's body with its session checked; refusals answered by name. */
  function guarded (mutating: boolean, asPage: boolean, body: (req: FastifyRequest, reply: FastifyReply, session: { id: string, csrf: string }) => Promise<unknown>) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      let id: string
      let csrf: string
      try {
        id = checkSession(req, mutating)
        csrf = sessions.session(id).csrf
      } catch (err) {
        if (err instanceof ConsoleRefusedError) return refuse(reply, err, asPage)
        throw err
      }
      return await body(req, reply, { id, csrf })
    }
  }

  function sendPage (reply: FastifyReply, name: PageName, csrf: string): FastifyReply {
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(assets.page(name, { csrf }))
  }

  return {
    sessions,

    listening (url) {
      base = url
      const port = /:(\d+)$/.exec(url)?.[1]
      if (port !== undefined) cookieName = `alliance_console_${port}`
    },

    issueLink () {
      const { token, expiresAt } = sessions.issueLink()
      return { url: `${base}/console/login?token=${token}`, expiresAt: new Date(expiresAt).toISOString() }
    },

    async admit (req, reply) {
      const path = req.routeOptions.url
      // the console's own routes check sessions themselves (the login page has none yet)
      if (path !== undefined && (path === '/console' || path.startsWith('/console/'))) return 'allowed'
      if (sessionId(req) === undefined) return 'none'
      try {
        if (path === undefined || !permitted.has(`${req.method} ${path}`)) throw new ConsoleRefusedError('not_for_console', 'this route needs the bearer token (api.json); the console does not use it')
        checkSession(req, req.method !== 'GET' && req.method !== 'HEAD')
        return 'allowed'
      } catch (err) {
        if (!(err instanceof ConsoleRefusedError)) throw err
        log.debug('console request refused', { reason: err.reason, route: path ?? 'unmatched' })
        refuse(reply, err, false)
        return 'refused'
      }
    },

    register (app, routes) {
      for (const r of routes) if (CONSOLE_OPERATIONS.has(r.operationId)) permitted.add(`${r.method} ${r.path}`)

      app.addHook('onSend', async (req, reply, payload) => {
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v)
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
        return payload
      })

      app.get('/console/login', async (req, reply) => {
        const token = (req.query as Record<string, unknown>).token
        try {
          if (!isLoopbackHost(hostName(req.headers.host))) throw new ConsoleRefusedError('bad_host', 'the console answers only on a loopback address')
          const s = sessions.redeem(typeof token === 'string' ? token : '')
          log.info('console session opened', { expires: new Date(s.expiresAt).toISOString() })
          return await reply.code(303)
            .header('set-cookie', `${cookieName}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(sessions.sessionTtlMs / 1000)}`)
            .header('location', '/console/lookup')
            .send()
        } catch (err) {
          if (err instanceof ConsoleRefusedError) return refuse(reply, err, true)
          throw err
        }
      })

      app.post('/console/logout', guarded(true, false, async (req, reply, s) => {
        sessions.end(s.id)
        return await reply.code(200)
          .header('set-cookie', `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
          .send({ ok: true })
      }))

      app.get('/console/signed-out', async (_req, reply) => await reply.header('content-type', 'text/html; charset=utf-8').send(assets.page('signed-out', { csrf: '', reason: 'signed_out' })))
      app.get('/console', async (_req, reply) => await reply.code(303).header('location', '/console/lookup').send())
      app.get('/console/', async (_req, reply) => await reply.code(303).header('location', '/console/lookup').send())

      for (const name of Object.keys(PAGES) as PageName[]) {
        if (name === 'report' || name === 'signed-out') continue
        const url = name === 'new-report' ? '/console/outbox/new' : `/console/${name}`
        app.get(url, guarded(false, true, async (_req, reply, s) => sendPage(reply, name, s.csrf)))
      }
      app.get('/console/reports/:id', guarded(false, true, async (_req, reply, s) => sendPage(reply, 'report', s.csrf)))

      app.get('/console/assets/:file', async (req, reply) => {
        const a = assets.files.get((req.params as { file: string }).file)
        if (a === undefined) return await reply.code(404).send({ error: 'no_asset', message: 'no such console file' })
        if (req.headers['if-none-match'] === a.etag) return await reply.code(304).header('etag', a.etag).header('cache-control', 'no-cache').send()
        return await reply.header('content-type', a.type).header('etag', a.etag).header('cache-control', 'no-cache').send(a.body)
      })

      registerConsoleFiles(app, { guarded, service: c.service, reports: c.reports, tmpDir: join(c.dir, 'console', 'tmp'), uploadDir: join(c.dir, 'console', 'evidence'), logger: log })
    }
  }
}

function hostOf (origin: string): string | undefined {
  try {
    return new URL(origin).host
  } catch {
    return undefined
  }
}
