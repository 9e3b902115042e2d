/**
 * NodeService over the local HTTP API: what the CLI (and any Node.js
 * integration) uses to talk to a running daemon.
 *
 * Its NodeService methods are made from the route table (routes.ts): each
 * route with a `client` binding gives the method it names, which builds the
 * request with the binding's `send`, checks the answer against the route's
 * output schema and hands it to `receive` (or, for streams, each line to
 * `row`). `request(operationId, parts)` reaches any JSON or text route.
 *
 * `ApiClient.fromDir(dir)` reads `<dir>/api.json` (url, token, pid). No file,
 * a dead pid or nothing listening → DaemonNotRunningError. Error responses
 * → ApiRequestError carrying the HTTP status and the server's reason code.
 * An answer that is not JSON or not of the route's shape → ApiResponseError.
 * Every request has a timeout; an `export` (blocklist) streams, with an idle
 * timeout between chunks instead of one for the whole transfer; a `feed`
 * (watch) runs until its signal aborts, and ends with ApiResponseError if
 * the daemon goes silent or ends it: a watcher never ends silently.
 */
import type { z } from 'zod'
import { readApiInfo } from '../home.js'
import type { NodeService } from '../service.js'
import { ApiRequestError, ApiResponseError, DaemonNotRunningError } from './errors.js'
import { EVENTS_HEARTBEAT_MS } from './limits.js'
import { type AnyExportRoute, type AnyFeedRoute, type AnyJsonRoute, type AnyRoute, type AnyTextRoute, type RequestParts, fillPath } from './route-table.js'
import { API_ROUTES } from './routes.js'
import { describeIssues } from './schemas.js'

export interface ApiClientInit {
  /** Base URL of the API, e.g. http://127.0.0.1:38123 */
  url: string
  /** Bearer token (from api.json). Never logged nor put in error messages. */
  token: string
  /**
   * The node directory, named in DaemonNotRunningError.
   *
   * @default the url
   */
  dir?: string
  /**
   * Timeout of a request, and the idle timeout between chunks of a blocklist stream (ms).
   *
   * @default 60000
   */
  timeoutMs?: number
  /**
   * Timeout of an attest request: a bulk upload is fingerprinted, signed and stored before the answer (ms).
   *
   * @default 600000
   */
  bulkTimeoutMs?: number
}

const defaults = { timeoutMs: 60_000, bulkTimeoutMs: 600_000 }

/** Errors of fetch() that mean nothing is listening at the URL. */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL'])

function causeCode (err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 4 && e !== undefined && e !== null; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

function isTimeout (err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
}

/** True unless the process certainly does not exist (a pid we may not signal still exists). */
function pidAlive (pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** The NodeService methods, installed from the route table (see the static block below). */
export interface ApiClient extends NodeService {}

export class ApiClient {
  readonly url: string
  readonly #token: string
  readonly #dir: string
  readonly #timeoutMs: number
  readonly #bulkTimeoutMs: number

  constructor (init: ApiClientInit) {
    this.url = init.url.replace(/\/+$/, '')
    this.#token = init.token
    this.#dir = init.dir ?? this.url
    this.#timeoutMs = init.timeoutMs ?? defaults.timeoutMs
    this.#bulkTimeoutMs = init.bulkTimeoutMs ?? defaults.bulkTimeoutMs
  }

  /** A client for the daemon of node directory `dir`, from `<dir>/api.json`. */
  static async fromDir (dir: string, opts: Omit<ApiClientInit, 'url' | 'token' | 'dir'> = {}): Promise<ApiClient> {
    const info = await readApiInfo(dir)
    if (info === undefined || typeof info.url !== 'string' || typeof info.token !== 'string' || !pidAlive(info.pid)) {
      throw new DaemonNotRunningError(dir)
    }
    return new ApiClient({ ...opts, url: info.url, token: info.token, dir })
  }

  /**
   * Any JSON or text route of the table by its operationId (e.g. 'metrics',
   * 'openapi', 'explain' for GET /v1/explain): the answer checked against the
   * route's output schema (text routes: the text). Streams have their methods.
   */
  async request (operationId: string, parts: RequestParts = {}): Promise<unknown> {
    const route = API_ROUTES.find(r => r.operationId === operationId)
    if (route === undefined) throw new TypeError(`no route ${operationId} in the route table`)
    if (route.response === 'text') return await this.#text(route, parts)
    if (route.response !== 'json') throw new TypeError(`${operationId} streams: use the ApiClient method it binds, or GET it yourself`)
    return await this.#json(route, parts, this.#timeoutMs)
  }

  static {
    for (const route of API_ROUTES) {
      if (route.response === 'json' && route.client !== undefined) ApiClient.#bindJson(route, route.client)
      if (route.response === 'export' && route.client !== undefined) ApiClient.#bindExport(route, route.client)
      if (route.response === 'feed' && route.client !== undefined) ApiClient.#bindFeed(route, route.client)
    }
  }

  static #install (name: string, fn: (this: ApiClient, ...args: unknown[]) => unknown): void {
    Object.defineProperty(ApiClient.prototype, name, { value: fn, writable: true, configurable: true })
  }

  static #bindJson (route: AnyJsonRoute, b: NonNullable<AnyJsonRoute['client']>): void {
    ApiClient.#install(b.method, async function (this: ApiClient, ...args: unknown[]) {
      const timeout = b.timeout === 'bulk' ? this.#bulkTimeoutMs : b.timeout === 'none' ? 0 : this.#timeoutMs
      return b.receive(await this.#json(route, b.send(...args), timeout))
    })
  }

  /** Rows as they arrive (JSONL parsed line by line); a transfer cut short throws ApiResponseError. */
  static #bindExport (route: AnyExportRoute, b: NonNullable<AnyExportRoute['client']>): void {
    ApiClient.#install(b.method, async function * (this: ApiClient, ...args: unknown[]) {
      const parts = b.send(...args)
      const what = `${route.method} ${route.path}`
      let complete = false
      for await (const { text, line } of this.#lines(target(route, parts), what, this.#timeoutMs)) {
        if (text === undefined) { complete = true; break }
        yield b.row(parseLine(text, line, route.output, what))
      }
      if (!complete) throw new ApiResponseError(`${what} ended mid-line; the export is incomplete`)
    })
  }

  /**
   * Items as the daemon sees them, until the request's signal aborts (then it
   * ends quietly). The daemon sends a heartbeat every EVENTS_HEARTBEAT_MS;
   * silence for three of them is a dead connection, and the daemon ending
   * the stream (stopping, or this watcher fell too far behind) is an
   * ApiResponseError too.
   */
  static #bindFeed (route: AnyFeedRoute, b: NonNullable<AnyFeedRoute['client']>): void {
    ApiClient.#install(b.method, async function * (this: ApiClient, ...args: unknown[]) {
      const parts = b.send(...args)
      const signal = parts.signal
      const what = `${route.method} ${route.path}`
      try {
        for await (const { text, line } of this.#lines(target(route, parts), what, 3 * EVENTS_HEARTBEAT_MS, signal)) {
          if (text === undefined) {
            if (signal?.aborted === true) return
            throw new ApiResponseError(`the daemon ended ${what} (it is stopping?); start again once it runs`)
          }
          const item = parseFeedLine(text, line, route.output, what)
          if (item !== undefined) yield b.row(item)
        }
      } catch (err) {
        if (signal?.aborted === true) return
        throw err
      }
    })
  }

  /**
   * Lines of an NDJSON response as they arrive; a last `{ text: undefined }`
   * marks a complete transfer (ending on a newline). Silence for `idleMs`, or
   * a transfer cut short, is an ApiResponseError naming `what`.
   */
  async * #lines (path: string, what: string, idleMs: number, outer?: AbortSignal): AsyncGenerator<{ text: string | undefined, line: number }> {
    const ctl = new AbortController()
    const onOuter = (): void => ctl.abort()
    outer?.addEventListener('abort', onOuter)
    let stalled = false
    let timer = setTimeout(() => { stalled = true; ctl.abort() }, idleMs)
    const rearm = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => { stalled = true; ctl.abort() }, idleMs)
    }
    try {
      if (outer?.aborted === true) return
      const res = await this.#fetch('GET', path, undefined, ctl.signal)
      if (res.body === null) throw new ApiResponseError(`${what} response has no body`)
      const reader = res.body.getReader()
      const decoder = new TextDecoder('utf-8', { fatal: true })
      let pending = ''
      let line = 0
      try {
        while (true) {
          let chunk: ReadableStreamReadResult<Uint8Array>
          try {
            chunk = await reader.read()
          } catch (err) {
            throw new ApiResponseError(stalled ? `${what} stalled for ${idleMs} ms` : `${what} was cut short; what it carried is incomplete`, { cause: err })
          }
          rearm()
          pending += chunk.done === true ? decoder.decode() : decoder.decode(chunk.value, { stream: true })
          let nl: number
          while ((nl = pending.indexOf('\n')) >= 0) {
            const text = pending.slice(0, nl)
            pending = pending.slice(nl + 1)
            line++
            if (text.length > 0) yield { text, line }
          }
          if (chunk.done === true) break
        }
      } finally {
        await reader.cancel().catch(() => {})
      }
      if (pending.length === 0) yield { text: undefined, line }
    } finally {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onOuter)
      ctl.abort() // a reader that stopped early hangs up now (the daemon drops its subscription at once)
    }
  }

  /** A JSON route's answer, checked against its output schema. `timeoutMs` 0: no time limit (long scans). */
  async #json (route: AnyJsonRoute, parts: RequestParts, timeoutMs: number): Promise<unknown> {
    const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : new AbortController().signal
    const res = await this.#fetch(route.method, target(route, parts), route.body !== undefined ? parts.body : undefined, signal)
    let body: unknown
    try {
      body = await res.json()
    } catch (err) {
      if (isTimeout(err)) throw new ApiResponseError(`no complete answer within ${timeoutMs} ms`, { cause: err })
      throw new ApiResponseError(`${route.method} ${route.path} did not return JSON`, { cause: err })
    }
    checkShape(route.output, body, `${route.method} ${route.path}`)
    return body
  }

  async #text (route: AnyTextRoute, parts: RequestParts): Promise<string> {
    const res = await this.#fetch(route.method, target(route, parts), undefined, AbortSignal.timeout(this.#timeoutMs))
    try {
      return await res.text()
    } catch (err) {
      throw new ApiResponseError(`${route.method} ${route.path} was cut short`, { cause: err })
    }
  }

  async #fetch (method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json, application/x-ndjson' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal })
    } catch (err) {
      if (isTimeout(err)) throw new ApiResponseError(`the daemon did not answer ${method} ${path.split('?')[0]} in time`, { cause: err })
      const code = causeCode(err)
      if (code !== undefined && NOT_LISTENING.has(code)) throw new DaemonNotRunningError(this.#dir, { cause: err })
      throw new ApiResponseError(`request ${method} ${path.split('?')[0]} failed (${code ?? (err as Error).message})`, { cause: err })
    }
    if (!res.ok) throw await errorFrom(res)
    return res
  }

  /** Never show the token, even when inspected. */
  toJSON (): Record<string, string> {
    return { url: this.url, dir: this.#dir }
  }
}

/** The path and query of a request: params filled in, undefined query values left out. */
function target (route: AnyRoute, parts: RequestParts): string {
  const path = fillPath(route.path, parts.params)
  const query = Object.entries(parts.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined)
  return query.length > 0 ? `${path}?${new URLSearchParams(query).toString()}` : path
}

/** The answer must be of the route's shape (extra fields are allowed: a newer daemon may add some). */
function checkShape (schema: z.ZodType, value: unknown, what: string): void {
  const r = schema.safeParse(value)
  if (!r.success) throw new ApiResponseError(`${what} answered an unexpected shape (${describeIssues(r.error, 3)}); is the daemon a different version?`)
}

async function errorFrom (res: Response): Promise<ApiRequestError> {
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: unknown, message?: unknown }
    if (typeof body.error === 'string' && typeof body.message === 'string') return new ApiRequestError(res.status, body.error, body.message)
  } catch {}
  return new ApiRequestError(res.status, `http_${res.status}`, `the daemon answered HTTP ${res.status}`)
}

function parseJsonLine (text: string, line: number, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ApiResponseError(`${what}: line ${line} is not JSON`, { cause: err })
  }
}

/** One line of an export: a row of the route's shape. */
function parseLine (text: string, line: number, schema: z.ZodType, what: string): unknown {
  const row = parseJsonLine(text, line, what)
  checkShape(schema, row, `${what}, line ${line},`)
  return row
}

/** One line of a feed: an item of the route's shape, or undefined for a heartbeat; an error line ends the feed with ApiResponseError. */
function parseFeedLine (text: string, line: number, schema: z.ZodType, what: string): unknown {
  const item = parseJsonLine(text, line, what)
  const type = (item as { type?: unknown } | null)?.type
  if (type === 'heartbeat') return undefined
  if (type === 'error') {
    const e = item as { error?: unknown, message?: unknown }
    throw new ApiResponseError(`the daemon ended ${what}: ${typeof e.message === 'string' ? e.message : String(e.error)}`)
  }
  checkShape(schema, item, `${what}, line ${line},`)
  return item
}
