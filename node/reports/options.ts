/**
 * The report service's options (ReportServiceInit, defaults merged once and
 * validated: STYLE.md §5–6) and what it needs injected
 * (ReportServiceComponents).
 */
import type { Signer } from '../../protocol/ed25519.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { FileAccess } from '../file-access.js'
import type { ComponentLogger } from '../logger.js'
import type { Host } from '../net/host.js'
import { ReportServiceConfigError } from './errors.js'
import type { ReportStore } from './store/index.js'

export interface ReportServiceInit {
  /**
   * Largest total evidence of one report this node sends, in bytes. A larger
   * report is refused by `send` before anything is read or queued.
   *
   * @default 4294967296 (4 GiB)
   */
  maxReportBytes?: number
  /**
   * Largest envelope this node accepts from a sender, in bytes; a larger
   * offer is refused before any data is read. Envelopes carry the report
   * (≤ 4 MiB) and 0.04 % of framing on top of the evidence.
   *
   * @default 4362076160 (4 GiB + 64 MiB)
   */
  maxInboundBytes?: number
  /**
   * First retry delay of a delivery; doubles per failure up to `retryMaxDelayMs`.
   *
   * @default 1000
   */
  retryMinDelayMs?: number
  /**
   * Retry delay cap. Retries never stop while the recipient node is in the
   * roster; a recipient that connects is retried at once whatever the delay.
   *
   * @default 300000
   */
  retryMaxDelayMs?: number
  /**
   * Deliveries in flight at once, over all recipients.
   *
   * @default 4
   */
  maxConcurrentDeliveries?: number
  /**
   * Deliveries in flight at once to one recipient node (it accepts `maxInboundStreams`).
   *
   * @default 2
   */
  maxDeliveriesPerPeer?: number
  /**
   * Inbound report streams at once per connection.
   *
   * @default 4
   */
  maxInboundStreams?: number
  /**
   * A transfer with no progress for this long is aborted (and retried).
   *
   * @default 60000
   */
  idleTimeoutMs?: number
  /**
   * Time limit of dialling a recipient and opening a stream.
   *
   * @default 10000
   */
  dialTimeoutMs?: number
  /**
   * How often the outbox looks for deliveries whose retry time has come.
   *
   * @default 1000
   */
  tickMs?: number
}

export const REPORT_SERVICE_DEFAULTS: Readonly<Required<ReportServiceInit>> = {
  maxReportBytes: 4 * 1024 ** 3,
  maxInboundBytes: 4 * 1024 ** 3 + 64 * 1024 ** 2,
  retryMinDelayMs: 1000,
  retryMaxDelayMs: 300_000,
  maxConcurrentDeliveries: 4,
  maxDeliveriesPerPeer: 2,
  maxInboundStreams: 4,
  idleTimeoutMs: 60_000,
  dialTimeoutMs: 10_000,
  tickMs: 1000
}

/** The host methods the service uses (node/net/host.ts). */
export type ReportHost = Pick<Host, 'handle' | 'unhandle' | 'dialProtocol' | 'addEventListener' | 'removeEventListener'>

/** Counters the service updates (node/api/metrics.ts); labels are closed sets of results and reason codes. */
export interface ReportMetrics {
  reportDeliveries: { inc: (labels: { result: string }) => void }
  reportsReceived: { inc: (labels: { result: string }) => void }
  reportOutboxPending: { set: (value: number) => void }
}

/** What the service needs injected (STYLE.md §5). */
export interface ReportServiceComponents {
  /** The node directory: the service owns `<dir>/reports/`. */
  dir: string
  /** This node's org. */
  org: string
  /** The node's verified roster chain, read at each use (it grows with roster updates). */
  chain: () => RosterChain
  keys: {
    /** The node's Ed25519 signing key: signs reports, receipts, bundles and custody records. */
    sign: Signer
    /** The node's X25519 key pair: opens envelopes (`privateKey` is read once per envelope and wiped). */
    box: { publicKey: Uint8Array, readonly privateKey: Uint8Array }
  }
  host: ReportHost
  logger: ComponentLogger
  metrics?: ReportMetrics
  /** @default Date.now */
  clock?: () => number
  /** Where records live. @default the LevelDB at `<dir>/reports/db` */
  store?: ReportStore
  /** Jitter of retry delays, 0..1. @default Math.random */
  random?: () => number
  /** Which evidence files and bundle paths requests may use. @default anywhere outside `dir` (node/file-access.ts) */
  files?: FileAccess
}

/** Merges the defaults once and validates (ReportServiceConfigError). */
export function reportServiceOptions (init: ReportServiceInit = {}): Required<ReportServiceInit> {
  const o = { ...REPORT_SERVICE_DEFAULTS }
  for (const [k, v] of Object.entries(init) as Array<[keyof ReportServiceInit, unknown]>) {
    if (v !== undefined) (o as Record<string, unknown>)[k] = v
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new ReportServiceConfigError(k, `must be a positive whole number, got ${String(v)}`)
  }
  if (o.retryMaxDelayMs < o.retryMinDelayMs) throw new ReportServiceConfigError('retryMaxDelayMs', `must be ≥ retryMinDelayMs (${o.retryMinDelayMs})`)
  if (o.maxDeliveriesPerPeer > o.maxConcurrentDeliveries) throw new ReportServiceConfigError('maxDeliveriesPerPeer', `must be ≤ maxConcurrentDeliveries (${o.maxConcurrentDeliveries})`)
  return o
}
