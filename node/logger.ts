/**
 * Injected, namespaced, structured logger (STYLE.md §13).
 *
 * One event = one JSON line `{"t":ISO time,"level","component","msg",...ctx}`
 * handed to the sink. Components receive a `ComponentLogger` from
 * `logger.forComponent('net:host')`; nothing in node/ writes to the console.
 *
 * Key material must never reach a log line, so context is sanitised first:
 * - a field whose name looks like a secret (`key`, `privateKey`, `secret`,
 *   `token`, `password`, `seed`, ...; names starting with `public`/`pub` are
 *   exempt) is replaced by `'[redacted]'`, at any nesting depth;
 * - raw bytes (`Uint8Array`, `Buffer`) are never dumped: they are rendered as
 *   `'[N bytes]'`. Log a digest or id by converting it to hex yourself;
 * - errors become `{ name, message, reason? }`, bigints strings, objects with
 *   a `toJSON` (PeerId, Multiaddr, ...) their JSON form, cycles `'[circular]'`.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

export type LogContext = Record<string, unknown>

export interface ComponentLogger {
  error: (msg: string, ctx?: LogContext) => void
  warn: (msg: string, ctx?: LogContext) => void
  info: (msg: string, ctx?: LogContext) => void
  debug: (msg: string, ctx?: LogContext) => void
  /** True when events of this level are written (skip building costly ctx) */
  enabled: (level: LogLevel) => boolean
}

export interface Logger {
  forComponent: (name: string) => ComponentLogger
}

export interface LoggerInit {
  /**
   * Most verbose level written; `debug` includes everything.
   *
   * @default 'info'
   */
  level?: LogLevel
  /**
   * Receives each event as one JSON string without a trailing newline.
   *
   * @default writes the line plus '\n' to process.stderr
   */
  sink?: (line: string) => void
  /**
   * Clock for the `t` field (tests inject a fixed one).
   *
   * @default () => new Date()
   */
  now?: () => Date
}

const LEVEL_RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

/** Field names whose values are replaced by '[redacted]' (case-insensitive, matched at the end of the name) */
const SECRET_NAME = /(key|keys|secret|secrets|token|tokens|password|passphrase|seed|seeds|mnemonic|credential|credentials|authorization|cookie)$/i
/** Public halves are fine to log and useful when debugging roster problems */
const PUBLIC_NAME = /^pub(lic)?/i
/** Sanitising stops descending below this depth */
const MAX_DEPTH = 6

export const REDACTED = '[redacted]'

const defaults = {
  level: 'info' as LogLevel,
  sink: (line: string): void => { process.stderr.write(line + '\n') },
  now: (): Date => new Date()
}

export function createLogger (init: LoggerInit = {}): Logger {
  const opts = { ...defaults, ...stripUndefined(init) }
  if (!(opts.level in LEVEL_RANK)) {
    throw new TypeError(`unknown log level ${String(opts.level)}; use one of ${Object.keys(LEVEL_RANK).join(', ')}`)
  }
  const maxRank = LEVEL_RANK[opts.level]

  function write (level: LogLevel, component: string, msg: string, ctx?: LogContext): void {
    if (LEVEL_RANK[level] > maxRank) return
    const event: Record<string, unknown> = { t: opts.now().toISOString(), level, component, msg }
    if (ctx != null) {
      const clean = sanitise(ctx, 0, new WeakSet()) as Record<string, unknown>
      for (const [k, v] of Object.entries(clean)) {
        // ctx never overrides the envelope fields
        if (!(k in event)) event[k] = v
      }
    }
    let line: string
    try {
      line = JSON.stringify(event)
    } catch {
      line = JSON.stringify({ t: event.t, level, component, msg, logError: 'context not serialisable' })
    }
    try {
      opts.sink(line)
    } catch {
      // a failing log sink must never take the node down
    }
  }

  return {
    forComponent (name: string): ComponentLogger {
      return {
        error: (msg, ctx) => { write('error', name, msg, ctx) },
        warn: (msg, ctx) => { write('warn', name, msg, ctx) },
        info: (msg, ctx) => { write('info', name, msg, ctx) },
        debug: (msg, ctx) => { write('debug', name, msg, ctx) },
        enabled: (level) => LEVEL_RANK[level] <= maxRank
      }
    }
  }
}

/** A logger that drops everything (tests, library callers without logging) */
export function silentLogger (): Logger {
  return createLogger({ level: 'error', sink: () => {} })
}

/** True when a context field of this name is redacted */
export function isSecretFieldName (name: string): boolean {
  return SECRET_NAME.test(name) && !PUBLIC_NAME.test(name)
}

function sanitise (value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value == null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'function' || typeof value === 'symbol') return undefined
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message }
    const reason = (value as { reason?: unknown }).reason
    if (typeof reason === 'string') out.reason = reason
    return out
  }
  if (value instanceof Date) return value.toISOString()
  if (typeof value !== 'object') return String(value)
  if (seen.has(value)) return '[circular]'
  if (depth >= MAX_DEPTH) return '[truncated]'
  seen.add(value)
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      return sanitise(toJSON.call(value), depth + 1, seen)
    }
    if (Array.isArray(value)) {
      return value.map(v => sanitise(v, depth + 1, seen))
    }
    if (value instanceof Map) {
      return sanitise(Object.fromEntries(value), depth + 1, seen)
    }
    if (value instanceof Set) {
      return [...value].map(v => sanitise(v, depth + 1, seen))
    }
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretFieldName(k) ? REDACTED : sanitise(v, depth + 1, seen)
    }
    return out
  } finally {
    seen.delete(value)
  }
}

function stripUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
