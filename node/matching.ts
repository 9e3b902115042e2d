/**
 * The daemon's side of local matching (issue 4): a live blocklist index that
 * follows the consensus index, a worker pool that scans listings files on
 * this machine (raw identifiers never leave it), a memory of the
 * fingerprints of scanned listings, and retroactive decisions when a
 * fingerprint those listings carry becomes listed later.
 */
import { basename, isAbsolute, join } from 'node:path'
import { stat } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import type { CountryCode } from 'libphonenumber-js'
import type { ConsensusIndex } from '../protocol/consensus/index.js'
import {
  BlocklistIndex, DEFAULT_POLICY, MemorySeenStore, createMatchPool, escalates, parsePolicy, retroactiveDecisions,
  type Emit, type InputFormat, type MatchPolicy, type MatchPool, type MatchSummary, type OutputFormat, type RetroDecision
} from './match/index.js'
import { NodeError, OutputExistsError } from './errors.js'
import { checkListingsColumns } from './match/listing-columns.js'
import type { IgnoredColumn } from './match/errors.js'
import { SEEN_FILE } from './home.js'
import type { FingerprintService } from './services/fingerprints.js'
import type { StatusSubscriber, StatusUpdate } from './services/status-bus.js'
import type { ResolveFn } from './match/fp-lookup.js'
import { SeenSnapshotError, readSeenSnapshot, writeSeenSnapshot, type SeenContext } from './match/seen-snapshot.js'
import type { ErrorCategory } from './errors.js'
import { FileAccess } from './file-access.js'
import { discardOutputs, openOutputs, publishOutputs } from './matching-outputs.js'
import type { ComponentLogger } from './logger.js'
import type { RetroDecisionView, ScanView } from './service.js'

/** Scans remembered for GET /v1/match/recent (in memory: since the daemon started). */
export const MAX_RECENT_SCANS = 100

/** Values per fingerprintCanonical call of a scan's resolution: what is fingerprinted before a failure stays cached. One request (256, the suite's maxBatch) per guardian at a time: 2048 at once (several concurrent 256-element requests per guardian) ran past the guardians' 10 s request timeout on a loaded 2-core machine. */
export const RESOLVE_SLICE = 256

/**
 * How a scan under an online suite (toprf) fingerprints what its lanes do
 * not know: through the node's cached suite in slices of RESOLVE_SLICE;
 * once a slice fails (guardians unreachable, quota spent) the rest is
 * answered from the node's cache only, and the failure's reason returned.
 */
export function onlineResolver (fingerprints: FingerprintService, epoch: number): ResolveFn {
  return async items => {
    const fps: Array<Uint8Array | undefined> = []
    let failure: string | undefined
    for (let i = 0; i < items.length; i += RESOLVE_SLICE) {
      const slice = items.slice(i, i + RESOLVE_SLICE)
      if (failure === undefined) {
        try {
          fps.push(...await fingerprints.fingerprintCanonical(slice, { epoch }))
          continue
        } catch (err) {
          const e = err as Error & { reason?: string }
          failure = e.reason ?? e.name
        }
      }
      // what the node's cache holds is still decided
      fps.push(...fingerprints.cachedCanonical(slice, { epoch }))
    }
    return failure !== undefined ? { fps, failure } : { fps }
  }
}

/** Retroactive decisions kept for `match --since` queries (the oldest are dropped first). */
export const MAX_RETRO_DECISIONS = 1_000_000

export class MatchRequestError extends NodeError {
  constructor (why: string) {
    super('invalid_match_request', why)
    this.name = 'MatchRequestError'
  }

  override get category (): ErrorCategory { return 'input' }
}

export interface MatchRequest {
  /** Absolute path of the listings file on this machine (CSV with a header row, or JSONL). */
  listings: string
  /** Absolute path for decisions; omitted: decisions are not written (summary only). */
  out?: string
  /** Absolute path for rejected identifiers (JSONL, with row numbers and raw values: the platform's own file). */
  rejects?: string
  format?: InputFormat
  outputFormat?: OutputFormat
  /** @default 'actions' */
  emit?: Emit
  /** Status → action policy (JSON); @default listed → block, disputed/candidate → screen */
  policy?: unknown
  /** Worker threads (the pool is rebuilt when this changes). @default os.availableParallelism() */
  workers?: number
  /** Platform of bare seller ids: `seller_account` "A1B2" is matched as "<accountPlatform>:A1B2" (the pool is rebuilt when this changes). @default undefined (values must be "<platform>:<id>") */
  accountPlatform?: string
  /** Replace `out` and `rejects` if they exist. @default false: an existing file is refused (OutputExistsError) */
  force?: boolean
  /** Refuse a file with a column the matcher does not know (UnknownColumnsError). @default false (on anyway when no known identifier column is found) */
  strictColumns?: boolean
}

/** A scan's summary, with the file's columns the matcher ignored (a misspelt `seller_acount` is reported, never silently skipped). */
export type MatchResult = MatchSummary & { ignoredColumns: IgnoredColumn[] }

/** The scan running now, for progress bars (GET /v1/match/progress). */
export interface MatchProgress {
  /** The listings file's name (no folder). */
  file: string
  /** Its size when the scan started. */
  totalBytes: number
  bytes: number
  rows: number
  startedAt: string
  elapsedMs: number
}

export interface MatchServiceInit {
  dir: string
  consensus: ConsensusIndex
  /** Where the scan lanes get their key (the decision epoch's). */
  fingerprints: FingerprintService
  defaultCountry?: string
  /** Worker threads for scans. @default os.availableParallelism() */
  workers?: number
  logger: ComponentLogger
  /** Which files requests may read and write. @default anywhere outside `dir` (node/file-access.ts) */
  files?: FileAccess
}

export class MatchService implements StatusSubscriber {
  readonly name = 'matcher'
  readonly index: BlocklistIndex
  /** Listings scanned so far (kept in <dir>/seen.bin across restarts: loadSeen, saved after each scan). */
  seen = new MemorySeenStore()
  readonly #init: MatchServiceInit
  readonly #log: ComponentLogger
  readonly #files: FileAccess
  readonly #retro: Array<RetroDecision & { at: number }> = []
  /** The latest scans, oldest first. */
  readonly #recent: ScanView[] = []
  #pool: Promise<MatchPool> | undefined
  #active: (Omit<MatchProgress, 'elapsedMs'> & { t0: number }) | undefined
  #policy: MatchPolicy = DEFAULT_POLICY
  #scans = 0
  #workers: number | undefined
  #accountPlatform: string | undefined
  #saving: Promise<void> = Promise.resolve()
  /** Suite and epoch the fingerprints in `seen` were made under: what seen.bin's header says. */
  #seenContext: SeenContext | undefined
  /** Suite and epoch of the current pool's lanes. */
  #poolContext: SeenContext | undefined

  constructor (init: MatchServiceInit) {
    this.#init = init
    this.#log = init.logger
    this.#files = init.files ?? new FileAccess({ nodeDir: init.dir })
    // a hash table: the order of the input does not matter, and sorting a million fingerprints took seconds of start-up
    this.index = BlocklistIndex.fromExplanations(init.consensus.entries({ unordered: true }))
    this.#workers = init.workers
  }

  /**
   * Follows the status bus: every fingerprint whose explanation may have
   * changed, with its explanation, many at once (a segment): one write of
   * the shared index, and retroactive decisions only for changes that
   * escalate an action while some listing has been seen.
   */
  async onUpdates (updates: StatusUpdate[]): Promise<void> {
    const changes = this.index.applyAll(updates.map(u => u.explanation))
    const now = updates.length > 0 ? updates[updates.length - 1].at : 0
    if (this.seen.listings === 0) return
    for (const change of changes) {
      if (!escalates(change, this.#policy)) continue
      for await (const d of retroactiveDecisions(change, this.index, this.seen, this.#policy)) {
        this.#retro.push({ ...d, at: now })
        if (this.#retro.length > MAX_RETRO_DECISIONS) this.#retro.splice(0, this.#retro.length - MAX_RETRO_DECISIONS)
      }
    }
  }

  /** After a failed update: every fingerprint's explanation again, so the index cannot drift from the blocklist. */
  resync (): void {
    this.index.applyAll(this.#init.consensus.entries({ unordered: true }))
    this.#log.warn('matcher index rebuilt from the whole blocklist')
  }

  /**
   * Loads the seen listings of earlier scans (<dir>/seen.bin), so listings
   * scanned before a restart still get retroactive decisions. A damaged
   * snapshot, one of an unknown format, or one written under another
   * fingerprint suite, key epoch or canonical version (its fingerprints can
   * never match) is reported with a warning and left out: the node starts,
   * scans from now on are remembered, and the next scan's snapshot replaces
   * the file (match/seen-snapshot.ts).
   */
  async loadSeen (): Promise<void> {
    const path = join(this.#init.dir, SEEN_FILE)
    const t = performance.now()
    try {
      const expected = { suite: this.#init.fingerprints.view().suite, epoch: this.#init.fingerprints.decisionEpoch }
      const arrays = await readSeenSnapshot(path, expected)
      if (arrays === undefined) return
      this.seen = MemorySeenStore.fromArrays(arrays)
      this.#seenContext = expected
      this.#log.info('seen listings loaded', { listings: this.seen.listings, fingerprints: this.seen.fingerprints, ms: Math.round(performance.now() - t) })
    } catch (err) {
      if (!(err instanceof SeenSnapshotError)) throw err
      this.#log.warn('seen listings not loaded; retroactive decisions cover scans from now on', { reason: err.reason, why: err.message })
    }
  }

  /** Writes the seen listings to <dir>/seen.bin (one write at a time; atomic). */
  async #saveSeen (): Promise<void> {
    const context = this.#seenContext
    if (context === undefined) return
    const run = this.#saving.then(async () => {
      const t = performance.now()
      await writeSeenSnapshot(join(this.#init.dir, SEEN_FILE), this.seen.arrays(), context)
      this.#log.info('seen listings saved', { listings: this.seen.listings, ms: Math.round(performance.now() - t) })
    })
    this.#saving = run.catch(() => undefined)
    await run
  }

  /** The latest scans, newest first. */
  recentScans (): ScanView[] {
    return this.#recent.slice().reverse()
  }

  /** Retroactive decisions made at or after `since` (ms), with ISO times like every other answer. */
  retroSince (since: number): RetroDecisionView[] {
    return this.#retro.filter(d => d.at >= since).map(({ at, seenAt, ...d }) => ({ ...d, ...(seenAt !== undefined ? { seenAt: new Date(seenAt).toISOString() } : {}), decidedAt: new Date(at).toISOString() }))
  }

  async #getPool (): Promise<MatchPool> {
    if (this.#pool === undefined) {
      this.#pool = (async () => {
        const fingerprints = this.#init.fingerprints
        const common = {
          index: this.index,
          policy: this.#policy,
          defaultCountry: this.#init.defaultCountry as CountryCode | undefined,
          ...(this.#accountPlatform !== undefined ? { accountPlatform: this.#accountPlatform } : {}),
          ...(this.#workers !== undefined ? { workers: this.#workers } : {})
        }
        if (!fingerprints.isLocal()) {
          // online suite (toprf): lanes look fingerprints up; each chunk's misses go through the node's cache, then the guardians
          const epoch = fingerprints.decisionEpoch
          this.#poolContext = { suite: fingerprints.suiteOf(epoch).name, epoch }
          return await createMatchPool({ ...common, resolve: onlineResolver(fingerprints, epoch) })
        }
        const { key, ...suite } = await fingerprints.matcherKey()
        this.#poolContext = { suite: suite.suite, epoch: suite.epoch }
        try {
          return await createMatchPool({ ...common, key: { ...suite, key } })
        } finally {
          key.fill(0)
        }
      })()
      this.#pool.catch(() => { this.#pool = undefined })
    }
    return await this.#pool
  }

  /** The scan running now (rows and bytes read so far), or null. */
  progress (): MatchProgress | null {
    const a = this.#active
    if (a === undefined) return null
    const { t0, ...p } = a
    return { ...p, elapsedMs: Math.round(performance.now() - t0) }
  }

  /**
   * Scans a listings file; decisions and rejects go to files on this
   * machine, the summary comes back. Before anything is written, the
   * listings file is opened (ListingsFileError when it is missing or
   * unreadable) and its header checked (ignored columns reported, refused
   * with UnknownColumnsError when strict or when none is known). Outputs are
   * written under temporary names beside them and take their names only once
   * the whole scan succeeded: a failed scan leaves no decisions or rejects
   * file a pipeline could read as "nothing to block".
   */
  async match (req: MatchRequest): Promise<MatchResult> {
    for (const [name, p] of [['listings', req.listings], ['out', req.out], ['rejects', req.rejects]] as const) {
      if (p !== undefined && !isAbsolute(p)) throw new MatchRequestError(`${name} must be an absolute path on the node's machine`)
    }
    if (req.out !== undefined && req.out === req.rejects) throw new MatchRequestError('out and rejects must be different files')
    // the workers read the listings by path: the path is checked (never the node directory, never a symbolic link), not opened here
    const listings = await this.#files.check(req.listings, 'read', 'listings file')
    const format = req.format ?? (/\.(jsonl|ndjson)$/i.test(listings) ? 'jsonl' : 'csv')
    const columns = await checkListingsColumns(listings, format, req.strictColumns === true, req.listings)
    const force = req.force === true
    const targets: Array<[string, string]> = []
    if (req.out !== undefined) targets.push(['decisions file', req.out])
    if (req.rejects !== undefined) targets.push(['rejects file', req.rejects])
    for (const [what, path] of targets) {
      const final = await this.#files.check(path, 'write', what)
      if (!force && await stat(final).then(() => true, () => false)) throw new OutputExistsError(what, path)
    }
    const policy = req.policy !== undefined ? parsePolicy(req.policy) : DEFAULT_POLICY
    const workers = req.workers ?? this.#init.workers
    if (JSON.stringify(policy) !== JSON.stringify(this.#policy) || workers !== this.#workers || req.accountPlatform !== this.#accountPlatform) {
      // the pool's lanes compile the policy once: another policy or worker count gets a fresh pool
      const old = this.#pool
      this.#pool = undefined
      this.#policy = policy
      this.#workers = workers
      this.#accountPlatform = req.accountPlatform
      if (old !== undefined) await (await old).close()
    }
    const pool = await this.#getPool()
    this.#seenUnder(this.#poolContext as SeenContext)
    const outputs = await openOutputs(this.#files, targets)
    const out = req.out !== undefined ? outputs[0].fh.createWriteStream() : undefined
    const rejects = req.rejects !== undefined ? outputs[outputs.length - 1].fh.createWriteStream() : undefined
    const totalBytes = await stat(listings).then(st => st.size, () => 0)
    this.#active = { file: basename(req.listings), totalBytes, bytes: 0, rows: 0, startedAt: new Date().toISOString(), t0: performance.now() }
    let summary: MatchSummary
    try {
      try {
        summary = await pool.matchFile(listings, {
          format,
          ...(req.outputFormat !== undefined ? { outputFormat: req.outputFormat } : {}),
          emit: req.emit ?? 'actions',
          out,
          rejects,
          rejectsIncludeValue: true,
          seen: this.seen,
          onProgress: p => { if (this.#active !== undefined) { this.#active.rows = p.rows; this.#active.bytes = p.bytes } }
        })
      } finally {
        for (const s of [out, rejects]) {
          if (s === undefined) continue
          s.end()
          await finished(s).catch(() => undefined)
        }
      }
      await publishOutputs(outputs, force)
    } catch (err) {
      await discardOutputs(outputs)
      throw err
    } finally {
      this.#active = undefined
    }
    this.#scans++
    this.#recent.push({
      at: new Date().toISOString(),
      file: basename(req.listings),
      rows: summary.rows,
      decisions: { none: summary.decisions.none, screen: summary.decisions.screen, block: summary.decisions.block },
      matched: summary.matched,
      rejects: summary.invalid.identifiers + summary.invalid.rows,
      elapsedMs: Math.round(summary.elapsedMs)
    })
    if (this.#recent.length > MAX_RECENT_SCANS) this.#recent.splice(0, this.#recent.length - MAX_RECENT_SCANS)
    this.#log.info('scan done', { rows: summary.rows, block: summary.decisions.block, screen: summary.decisions.screen, perSecond: Math.round(summary.listingsPerSecond), ignoredColumns: columns.ignored.length })
    if (summary.undecided.rows > 0) this.#log.warn('listings not decided: some identifiers could not be fingerprinted', { rows: summary.undecided.rows, reason: summary.undecided.reason })
    // durable before the answer: a restart from here on still makes retroactive decisions for these listings
    await this.#saveSeen()
    return { ...summary, ignoredColumns: columns.ignored }
  }

  /**
   * Key-rotation cut-over: scans from now on fingerprint under the new
   * epoch. Listings remembered from earlier scans carry fingerprints of the
   * old epoch, which can never match again: they are dropped (the caller
   * records how many need a rescan).
   */
  async cutover (): Promise<void> {
    const old = this.#pool
    this.#pool = undefined
    if (old !== undefined) await (await old).close().catch(() => undefined)
    this.seen = new MemorySeenStore()
    this.#seenContext = { suite: this.#init.fingerprints.view().suite, epoch: this.#init.fingerprints.current }
    await this.#saveSeen()
  }

  /** The seen memory holds fingerprints of one suite and epoch only: scans under another start it afresh (its fingerprints could never match again). */
  #seenUnder (context: SeenContext): void {
    const had = this.#seenContext
    if (had !== undefined && (had.suite !== context.suite || had.epoch !== context.epoch) && this.seen.listings > 0) {
      this.#log.warn('seen listings of another fingerprint epoch dropped; retroactive decisions cover scans from now on', { was: had, now: context, listings: this.seen.listings })
      this.seen = new MemorySeenStore()
    }
    this.#seenContext = context
  }

  async close (): Promise<void> {
    const p = this.#pool
    this.#pool = undefined
    if (p !== undefined) await (await p).close().catch(() => undefined)
  }
}
