/**
 * NodeService over the local HTTP API: what the CLI (and any Node.js
 * integration) uses to talk to a running daemon.
 *
 * `ApiClient.fromDir(dir)` reads `<dir>/api.json` (url, token, pid). No file,
 * a dead pid or nothing listening → DaemonNotRunningError. Error responses
 * → ApiRequestError carrying the HTTP status and the server's reason code.
 * Every request has a timeout; `blocklist()` streams, with an idle timeout
 * between chunks instead of one for the whole transfer.
 */
import { readApiInfo } from '../home.js'
import type { MatchSummary } from '../match/index.js'
import type { AttestItem, AttestResult, BlocklistRow, ExplainResult, NodeService, NodeStatus, RetractResult, StatusEvent, StatusName, RosterAdoption, FeedbackItem, OpinionResult, MatchRequestView, RetroDecisionView } from '../service.js'
import type { ReportDetail, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendRequest, ReportSendResult } from '../service.js'
import type { Kind } from '../../protocol/kinds.js'
import { ApiRequestError, ApiResponseError, DaemonNotRunningError } from './errors.js'
import { EVENTS_HEARTBEAT_MS } from './limits.js'

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

export class ApiClient implements NodeService {
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

  async status (): Promise<NodeStatus> {
    return await this.#json<NodeStatus>('GET', '/v1/status')
  }

  async feedback (item: FeedbackItem): Promise<OpinionResult> {
    return await this.#json<OpinionResult>('POST', '/v1/feedback', item)
  }

  async allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult> {
    return await this.#json<OpinionResult>('POST', '/v1/allow', item)
  }

  async match (req: MatchRequestView): Promise<MatchSummary> {
    // a scan of ten million listings takes minutes: no client-side time limit
    return await this.#json<MatchSummary>('POST', '/v1/match', req, 0)
  }

  async matchRetro (since: number): Promise<RetroDecisionView[]> {
    return (await this.#json<{ decisions: RetroDecisionView[] }>('GET', `/v1/match/retro?since=${since}`)).decisions
  }

  async roster (): Promise<unknown> {
    return await this.#json<unknown>('GET', '/v1/roster')
  }

  async adoptRoster (file: unknown): Promise<RosterAdoption> {
    return await this.#json<RosterAdoption>('POST', '/v1/roster', file)
  }

  async attest (items: AttestItem[]): Promise<AttestResult> {
    return await this.#json<AttestResult>('POST', '/v1/attest', { items }, this.#bulkTimeoutMs)
  }

  async retract (item: { kind: Kind, value: string }): Promise<RetractResult> {
    return await this.#json<RetractResult>('POST', '/v1/retract', { kind: item.kind, value: item.value })
  }

  /** Hashing and encrypting large evidence happens before the answer: the bulk timeout applies. */
  async reportSend (req: ReportSendRequest): Promise<ReportSendResult> {
    return await this.#json<ReportSendResult>('POST', '/v1/reports', { to: req.to, report: req.report, evidence: req.evidence }, this.#bulkTimeoutMs)
  }

  async reportOutbox (): Promise<ReportOutboxItem[]> {
    return await this.#json<ReportOutboxItem[]>('GET', '/v1/reports/outbox')
  }

  async reportInbox (): Promise<ReportInboxItem[]> {
    return await this.#json<ReportInboxItem[]>('GET', '/v1/reports/inbox')
  }

  async reportShow (id: string): Promise<ReportDetail> {
    return await this.#json<ReportDetail>('GET', `/v1/reports/${encodeURIComponent(id)}`)
  }

  /** The bundle is written by the daemon, at `outPath` on its machine. */
  async reportExport (id: string, outPath: string): Promise<ReportExportResult> {
    return await this.#json<ReportExportResult>('POST', `/v1/reports/${encodeURIComponent(id)}/export`, { out: outPath }, this.#bulkTimeoutMs)
  }

  /** Sent as POST so a raw identifier never appears in a URL. */
  async explain (query: { kind: Kind, value: string } | { fingerprint: string }): Promise<ExplainResult> {
    const body = 'fingerprint' in query ? { fingerprint: query.fingerprint } : { kind: query.kind, value: query.value }
    return await this.#json<ExplainResult>('POST', '/v1/explain', body)
  }

  /** Rows as they arrive (JSONL parsed line by line); a transfer cut short throws ApiResponseError. */
  async * blocklist (filter: { status?: StatusName } = {}): AsyncGenerator<BlocklistRow> {
    const qs = new URLSearchParams({ format: 'jsonl' })
    if (filter.status !== undefined) qs.set('status', filter.status)
    let complete = false
    for await (const { text, line } of this.#lines(`/v1/blocklist?${qs.toString()}`, 'the blocklist stream', this.#timeoutMs)) {
      if (text === undefined) { complete = true; break }
      yield parseRow(text, line)
    }
    if (!complete) throw new ApiResponseError('the blocklist stream ended mid-line; the export is incomplete')
  }

  /**
   * Status changes as the daemon sees them, until `signal` aborts (then it
   * ends quietly). The daemon sends a heartbeat every EVENTS_HEARTBEAT_MS;
   * silence for three of them is a dead connection, and the daemon ending
   * the stream (stopping, or this watcher fell too far behind) is an
   * ApiResponseError too: a watcher never ends silently.
   */
  async * watch (filter: { status?: StatusName | 'absent' } = {}, signal?: AbortSignal): AsyncGenerator<StatusEvent> {
    const qs = new URLSearchParams()
    if (filter.status !== undefined) qs.set('status', filter.status)
    try {
      for await (const { text, line } of this.#lines(`/v1/events?${qs.toString()}`, 'the event stream', 3 * EVENTS_HEARTBEAT_MS, signal)) {
        if (text === undefined) {
          if (signal?.aborted === true) return
          throw new ApiResponseError('the daemon ended the event stream (it is stopping?); watch again once it runs')
        }
        const event = parseEvent(text, line)
        if (event !== undefined) yield event
      }
    } catch (err) {
      if (signal?.aborted === true) return
      throw err
    }
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

  /** `timeoutMs` 0: no time limit (long scans). */
  async #json<T> (method: string, path: string, body?: unknown, timeoutMs = this.#timeoutMs): Promise<T> {
    const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : new AbortController().signal
    const res = await this.#fetch(method, path, body, signal)
    try {
      return await res.json() as T
    } catch (err) {
      if (isTimeout(err)) throw new ApiResponseError(`no complete answer within ${timeoutMs} ms`, { cause: err })
      throw new ApiResponseError(`${method} ${path} did not return JSON`, { cause: err })
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

async function errorFrom (res: Response): Promise<ApiRequestError> {
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: unknown, message?: unknown }
    if (typeof body.error === 'string' && typeof body.message === 'string') return new ApiRequestError(res.status, body.error, body.message)
  } catch {}
  return new ApiRequestError(res.status, `http_${res.status}`, `the daemon answered HTTP ${res.status}`)
}

function parseRow (text: string, line: number): BlocklistRow {
  let row: unknown
  try {
    row = JSON.parse(text)
  } catch (err) {
    throw new ApiResponseError(`blocklist line ${line} is not JSON`, { cause: err })
  }
  if (typeof row !== 'object' || row === null || typeof (row as BlocklistRow).fingerprint !== 'string' || typeof (row as BlocklistRow).status !== 'string') {
    throw new ApiResponseError(`blocklist line ${line} is not a blocklist row`)
  }
  return row as BlocklistRow
}

/** A status event, or undefined for a heartbeat line. */
function parseEvent (text: string, line: number): StatusEvent | undefined {
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch (err) {
    throw new ApiResponseError(`event line ${line} is not JSON`, { cause: err })
  }
  const type = (event as { type?: unknown } | null)?.type
  if (type === 'heartbeat') return undefined
  if (type === 'error') {
    const e = event as { error?: unknown, message?: unknown }
    throw new ApiResponseError(`the daemon ended the event stream: ${typeof e.message === 'string' ? e.message : String(e.error)}`)
  }
  if (type !== 'status' || typeof (event as StatusEvent).fingerprint !== 'string') throw new ApiResponseError(`event line ${line} is not a status event`)
  return event as StatusEvent
}
