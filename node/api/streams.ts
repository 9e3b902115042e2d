/**
 * How the server writes the two kinds of streamed answers of the route
 * table: an `export` (a finite list of rows, JSONL or CSV, never held whole)
 * and a `feed` (NDJSON for as long as the client stays, with heartbeats).
 */
import type { ComponentLogger } from '../logger.js'
import type { BlocklistFormat } from './schemas.js'
import { EVENTS_HEARTBEAT_MS } from './limits.js'

/** Rows are sent in chunks of about this size: streaming without one write per row. */
const STREAM_CHUNK_CHARS = 16 * 1024

/**
 * Export rows rendered in chunks. `first` was pulled before the response
 * started, so an error there still gets a proper status code; an error later
 * cuts the connection (the client sees a truncated transfer, never a short
 * list that looks complete).
 */
export async function * renderExport<T> (first: IteratorResult<T>, rows: AsyncIterator<T>, format: BlocklistFormat, csv: { header: string, line: (row: T) => string }, log: ComponentLogger): AsyncGenerator<string> {
  let r = first
  try {
    let buf = format === 'csv' ? csv.header : ''
    while (r.done !== true) {
      buf += format === 'csv' ? csv.line(r.value) : JSON.stringify(r.value) + '\n'
      if (buf.length >= STREAM_CHUNK_CHARS) {
        yield buf
        buf = ''
      }
      r = await rows.next()
    }
    if (buf.length > 0) yield buf
  } catch (err) {
    log.error('export stream failed; connection cut', { err })
    throw err
  } finally {
    if (r.done !== true) await rows.return?.()
  }
}

/**
 * A feed: a heartbeat line at once (the subscription is live), then one JSON
 * line per item, and a heartbeat line every EVENTS_HEARTBEAT_MS of quiet,
 * until the client goes away, the server stops, or the items end in an error
 * (then one last `{"type":"error"}` line names why: a named error's reason
 * and message, or a generic one).
 */
export async function * renderFeed (items: AsyncIterable<unknown>, signal: AbortSignal, log: ComponentLogger): AsyncGenerator<string> {
  const it = items[Symbol.asyncIterator]()
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
