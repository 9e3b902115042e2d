/**
 * Status changes as they happen, for `alliance watch` and GET /v1/events:
 * the platform acts on a newly listed fingerprint the moment its node knows,
 * without polling.
 *
 * Each subscriber has its own bounded backlog. One that falls
 * MAX_WATCH_BACKLOG events behind (a stalled client) is ended with
 * WatchOverflowError, never allowed to grow the node's memory; it can
 * reconnect and read the blocklist to resynchronise. Nothing is replayed:
 * the feed starts at subscription.
 */
import { toHex } from '../protocol/bytes.js'
import type { StatusChange } from '../protocol/consensus/index.js'
import { NodeError } from './errors.js'
import type { StatusCause } from './ingest.js'
import type { StatusEvent, StatusName } from './service.js'

/** Events one subscriber may have waiting before it is cut off. */
export const MAX_WATCH_BACKLOG = 10_000

export class WatchOverflowError extends NodeError {
  constructor () {
    super('watch_overflow', `the watcher fell ${MAX_WATCH_BACKLOG} status changes behind and was ended; reconnect, and read the blocklist to catch up`)
    this.name = 'WatchOverflowError'
  }
}

export function statusEvent (change: StatusChange, cause: StatusCause, at: number, org?: string): StatusEvent {
  return { type: 'status', at: new Date(at).toISOString(), fingerprint: toHex(change.fingerprint), kind: change.kind ?? null, from: change.from, to: change.to, cause, org: org ?? null }
}

interface Subscriber {
  want: StatusName | 'absent' | undefined
  backlog: StatusEvent[]
  overflow: boolean
  wake: (() => void) | undefined
}

export class StatusFeed {
  readonly #subs = new Set<Subscriber>()

  get subscribers (): number { return this.#subs.size }

  /** Hands one change to every subscriber (O(subscribers); nothing when there are none). */
  emit (event: StatusEvent): void {
    for (const s of this.#subs) {
      if (s.overflow || (s.want !== undefined && event.to !== s.want)) continue
      if (s.backlog.length >= MAX_WATCH_BACKLOG) s.overflow = true
      else s.backlog.push(event)
      s.wake?.()
    }
  }

  /** Changes from now on (only those to `status`, if given) until `signal` aborts or the subscriber overflows. */
  async * subscribe (filter: { status?: StatusName | 'absent' } = {}, signal?: AbortSignal): AsyncGenerator<StatusEvent> {
    const sub: Subscriber = { want: filter.status, backlog: [], overflow: false, wake: undefined }
    this.#subs.add(sub)
    const onAbort = (): void => sub.wake?.()
    signal?.addEventListener('abort', onAbort)
    try {
      for (;;) {
        while (sub.backlog.length > 0) {
          if (signal?.aborted === true) return
          yield sub.backlog.shift() as StatusEvent
        }
        if (sub.overflow) throw new WatchOverflowError()
        if (signal?.aborted === true) return
        await new Promise<void>(resolve => { sub.wake = resolve })
        sub.wake = undefined
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.#subs.delete(sub)
    }
  }
}
