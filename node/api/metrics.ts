/**
 * The node's Prometheus metrics, in a registry of its own (never prom-client's
 * global one, so several nodes and tests can share a process). The daemon
 * updates the named fields; the API serves `registry` at GET /metrics
 * (behind the bearer token like every route: scrape with
 * `authorization: Bearer <token>`, e.g. Prometheus `authorization.credentials_file`).
 *
 * Label values are small closed sets (rejection reasons, verdicts, route
 * patterns, status codes), never identifiers or peer ids.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export interface MetricsInit {
  /**
   * Prefix of the node's own metric names.
   *
   * @default 'alliance_'
   */
  prefix?: string
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event loop, GC) into this registry.
   *
   * @default true
   */
  processMetrics?: boolean
}

const defaults: Required<MetricsInit> = { prefix: 'alliance_', processMetrics: true }

export class MetricsRegistry {
  readonly registry: Registry
  /** Connected peers of the current roster. */
  readonly peers: Gauge
  /** Entries verified and stored. */
  readonly entriesApplied: Counter
  /** Entries refused, by named reason (label `reason`). */
  readonly entriesRejected: Counter<'reason'>
  /** Entries peers hold that this node lacks, as of the last head exchange. */
  readonly syncLagEntries: Gauge
  /** Sync runs by outcome (label `result`: ok, error, aborted...). */
  readonly syncRuns: Counter<'result'>
  /** toprf guardian: blinded elements asked of this node, by requesting org and result (ok, quota_exceeded, …). */
  readonly guardianEvaluations: Counter<'org' | 'result'>
  /** toprf requester: failed requests to a guardian, by guardian org and result (a refusal's reason, failed, bad_proof, bad_response). */
  readonly guardianRequests: Counter<'guardian' | 'result'>
  /** Online-suite fingerprint cache lookups, by result (hit, miss). */
  readonly fingerprintCache: Counter<'result'>
  /** Fingerprints per blocklist status (label `status`). */
  readonly blocklist: Gauge<'status'>
  /** Gossip messages by validator verdict (label `verdict`: accept, ignore, reject). */
  readonly gossipMessages: Counter<'verdict'>
  /** HTTP API requests (labels `route` pattern and response `status`). */
  readonly apiRequests: Counter<'route' | 'status'>
  /** Report deliveries attempted as author, by result (delivered, retry, refused, dropped). */
  readonly reportDeliveries: Counter<'result'>
  /** Report streams received as recipient, by result (stored, duplicate, or the refusal's reason code). */
  readonly reportsReceived: Counter<'result'>
  /** Report deliveries waiting in the outbox for a receipt. */
  readonly reportOutboxPending: Gauge
  /** Open GET /v1/events streams. */
  readonly eventWatchers: Gauge
  /** Status-bus deliveries that failed, by subscriber (the subscriber is then rebuilt from the whole blocklist). */
  readonly statusBusFailures: Counter<'subscriber'>
  /** Seconds the last start-up took, by what became of the checkpoint (node/startup.ts). */
  readonly startupSeconds: Gauge<'checkpoint' | 'reason'>

  /** Run before each scrape: gauges whose values are read from the node then, not kept up to date on the hot path. */
  readonly #beforeScrape: Array<() => void> = []

  constructor (init: MetricsInit = {}) {
    const opts = { ...defaults, ...Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) }
    const p = opts.prefix
    this.registry = new Registry()
    const registers = [this.registry]
    this.peers = new Gauge({ name: `${p}peers`, help: 'Connected peers of the current roster', registers })
    this.entriesApplied = new Counter({ name: `${p}entries_applied_total`, help: 'Log entries verified and stored', registers })
    this.entriesRejected = new Counter({ name: `${p}entries_rejected_total`, help: 'Log entries rejected, by reason', labelNames: ['reason'] as const, registers })
    this.syncLagEntries = new Gauge({ name: `${p}sync_lag_entries`, help: 'Entries held by peers and not yet by this node, at the last head exchange', registers })
    this.guardianEvaluations = new Counter({ name: `${p}guardian_evaluations_total`, help: 'toprf guardian: blinded elements asked of this node, by requesting org and result', labelNames: ['org', 'result'] as const, registers })
    this.guardianRequests = new Counter({ name: `${p}guardian_request_failures_total`, help: 'toprf: failed requests to a guardian, by guardian org and result', labelNames: ['guardian', 'result'] as const, registers })
    this.fingerprintCache = new Counter({ name: `${p}fingerprint_cache_lookups_total`, help: 'Online-suite fingerprint cache lookups, by result', labelNames: ['result'] as const, registers })
    this.syncRuns = new Counter({ name: `${p}sync_runs_total`, help: 'Sync runs, by result', labelNames: ['result'] as const, registers })
    this.blocklist = new Gauge({ name: `${p}blocklist_fingerprints`, help: 'Fingerprints on the consensus blocklist, by status', labelNames: ['status'] as const, registers })
    this.gossipMessages = new Counter({ name: `${p}gossip_messages_total`, help: 'Gossip messages validated, by verdict', labelNames: ['verdict'] as const, registers })
    this.apiRequests = new Counter({ name: `${p}api_requests_total`, help: 'Local HTTP API requests, by route and status code', labelNames: ['route', 'status'] as const, registers })
    this.reportDeliveries = new Counter({ name: `${p}report_deliveries_total`, help: 'Report delivery attempts as author, by result', labelNames: ['result'] as const, registers })
    this.reportsReceived = new Counter({ name: `${p}reports_received_total`, help: 'Report streams received as recipient, by result', labelNames: ['result'] as const, registers })
    this.reportOutboxPending = new Gauge({ name: `${p}report_outbox_pending`, help: 'Report deliveries waiting for a receipt', registers })
    this.eventWatchers = new Gauge({ name: `${p}event_watchers`, help: 'Open event streams (GET /v1/events, alliance watch)', registers })
    this.startupSeconds = new Gauge({ name: `${p}startup_seconds`, help: 'Seconds from open until the node could serve, by checkpoint use (used, absent, refused) and refusal reason', labelNames: ['checkpoint', 'reason'] as const, registers })
    this.statusBusFailures = new Counter({ name: `${p}status_bus_failures_total`, help: 'Blocklist updates a follower (matcher, watchers) failed to take; it was rebuilt from the whole blocklist', labelNames: ['subscriber'] as const, registers })
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry })
  }

  /**
   * Sets gauges from `read` at each scrape (`text()`), instead of after
   * every entry or attestation: a gauge nobody scrapes costs nothing, and
   * the gossip and attest paths do no metrics work beyond counters.
   */
  onScrape (read: () => void): void {
    this.#beforeScrape.push(read)
  }

  /** Prometheus text exposition of every metric in this registry. */
  async text (): Promise<string> {
    for (const read of this.#beforeScrape) read()
    return await this.registry.metrics()
  }

  get contentType (): string {
    return this.registry.contentType
  }
}

export function createMetrics (init?: MetricsInit): MetricsRegistry {
  return new MetricsRegistry(init)
}
