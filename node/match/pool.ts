/**
 * Scanning a listings file across cores: `createMatchPool` starts the lanes
 * once (worker threads attached to the shared blocklist index, each with its
 * own fingerprint suite and value cache), `pool.matchFile` scans a file or
 * stream, `matchFile` does both for one-off scans.
 *
 *   reader → chunker (main thread: bytes → shared chunks, records → lanes by seller)
 *          → lanes (workers: parse, canonicalise, fingerprint, look up, decide)
 *          → ordered writer (main thread: parts merged by line, decisions and
 *            rejects written in input order, chunk buffers recycled)
 *
 * Output order is input order: a chunk's decisions are written only when
 * every lane has answered for it, merged by line number. Memory is bounded
 * by the chunk pool (2 × lanes + 2 chunks in flight) whatever the input size.
 * The pool follows the index live: a change the owner applies is seen by the
 * next listing every lane matches (the daemon keeps one pool running).
 */
import { openListingsFile } from './listing-columns.js'
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import type { CountryCode } from 'libphonenumber-js'
import type { LocalFingerprintSuite } from '../../protocol/fingerprint/index.js'
import type { BlocklistIndex } from './blocklist-index.js'
import { jsonKeysOf, type BatchResult, type Emit, type InputFormat, type ScanConfig } from './batch.js'
import { Chunker, type Chunk } from './chunker.js'
import { checkRenames, IDENTIFIER_COLUMNS, routeColumnOf, type ColumnRenames } from './columns.js'
import { checkCoreOptions, MatchCore } from './core.js'
import { CSV_DECISION_HEADER, CSV_REJECT_HEADER, type OutputFormat, type Reject } from './decision.js'
import { MatcherConfigError } from './errors.js'
import { InlineLane, ThreadLane, laneSuite, type BatchMessage, type FingerprintKey, type Lane, type LaneInit } from './lanes.js'
import { LookupTable, resolveMisses, type ResolveFn } from './fp-lookup.js'
import { DEFAULT_POLICY, type Action, type MatchPolicy } from './policy.js'
import type { SeenStore } from './seen-store.js'

export interface MatchPoolInit {
  /** The blocklist index; the pool's workers read it live through shared memory. */
  index: BlocklistIndex
  /** Suite name, epoch and opened epoch key: each worker builds its own suite from it. Required when workers > 0. */
  key?: FingerprintKey
  /** A local suite, for workers: 0 (a suite object cannot cross threads). */
  suite?: LocalFingerprintSuite
  /**
   * An online suite (toprf-ristretto255), instead of `key`/`suite`: lanes
   * look fingerprints up in a table, and each chunk's misses are
   * fingerprinted here in one batch (fp-lookup.ts), e.g. through
   * FingerprintService's cached suite.
   */
  resolve?: ResolveFn
  /** Online suite: the most entries of each lane's lookup table. @default 4,000,000 */
  tableEntries?: number
  /** @default DEFAULT_POLICY (listed → block, disputed/candidate → screen) */
  policy?: MatchPolicy
  /** Country of phone numbers written without +/00. @default undefined (such numbers are invalid, why 'no_country') */
  defaultCountry?: CountryCode
  /** Prefix for bare seller account ids: `seller_account` "A1B2" is matched as "<accountPlatform>:A1B2". @default undefined (values must be "<platform>:<id>") */
  accountPlatform?: string
  /**
   * Worker threads. 0 matches in this thread.
   * @default os.availableParallelism()
   */
  workers?: number
  /**
   * Value-cache arena per lane, bytes (~90 B per distinct value: 64 MiB ≈ 700k values).
   * @default 67108864 (64 MiB)
   */
  cacheBytes?: number
}

export interface MatchFileOptions {
  /** @default from the file extension (.jsonl/.ndjson → jsonl), else csv */
  format?: InputFormat
  /** Our column names → the file's headers (JSONL keys), e.g. { email: 'seller_email' }. */
  columns?: ColumnRenames
  /** Where decisions go; none → only the summary. */
  out?: NodeJS.WritableStream
  /** @default 'jsonl' */
  outputFormat?: OutputFormat
  /** @default 'actions' (decisions with block or screen) */
  emit?: Emit
  /** Where rejects (invalid identifiers, rows without id) go, in `outputFormat` (JSONL, or CSV with a header). */
  rejects?: NodeJS.WritableStream
  /** Put the raw invalid value into each reject: for the platform's own rejects file only. @default false */
  rejectsIncludeValue?: boolean
  /** Records (fingerprint, listing) pairs of every valid identifier, for retroactive matching. */
  seen?: SeenStore
  /** Time recorded with seen pairs, ms. @default Date.now() at the start of the scan */
  scanTime?: number
  /** Called after each chunk is written. */
  onProgress?: (p: { rows: number, bytes: number, elapsedMs: number }) => void
  signal?: AbortSignal
  /**
   * Bytes per chunk (the longest record readable).
   * @default 1048576 (1 MiB)
   */
  chunkBytes?: number
  /** Rejects kept in the summary. @default 20 */
  sampleRejects?: number
  /** The policy for this scan (parsePolicy). @default the pool's */
  policy?: MatchPolicy
}

export interface MatchSummary {
  rows: number
  decisions: Record<Action, number>
  /** Listings with at least one matched identifier (whatever the action). */
  matched: number
  invalid: {
    /** Invalid identifiers (each also a reject). */
    identifiers: number
    /** Rows that could not be matched at all (no listing id, bad JSON). */
    rows: number
    byWhy: Record<string, number>
    byColumn: Record<string, number>
    /** The first rejects (never with raw values). */
    sample: Reject[]
  }
  identifiers: number
  /**
   * Online suites: listings not decided because an identifier could not be
   * fingerprinted (each is also a not_fingerprinted reject), with the
   * fingerprint service's reason (e.g. not_enough_guardians).
   */
  undecided: { rows: number, reason?: string }
  /** Online suites: distinct values the lanes did not know, fingerprinted through the node's cached suite. */
  resolved: number
  cache: { hits: number, misses: number, hitRate: number }
  bytes: number
  workers: number
  elapsedMs: number
  listingsPerSecond: number
}

export interface MatchPool {
  readonly workers: number
  matchFile: (input: ListingsInput, options?: MatchFileOptions) => Promise<MatchSummary>
  close: () => Promise<void>
}

/** A path ('-' = stdin), a readable stream, or any async iterable of bytes or text. */
export type ListingsInput = string | NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>

const DEFAULT_CACHE_BYTES = 64 << 20
const DEFAULT_CHUNK_BYTES = 1 << 20

export async function createMatchPool (init: MatchPoolInit): Promise<MatchPool> {
  const workers = init.workers ?? availableParallelism()
  if (!Number.isSafeInteger(workers) || workers < 0 || workers > 256) throw new MatcherConfigError('workers', 'must be an integer in 0..256')
  const cacheBytes = init.cacheBytes ?? DEFAULT_CACHE_BYTES
  checkCoreOptions({ ...init, cacheBytes })
  const policy = init.policy ?? DEFAULT_POLICY
  let lanes: Lane[]
  const online = init.key === undefined && init.suite === undefined && init.resolve !== undefined
  if (workers === 0) {
    const suite = init.suite ?? (init.key !== undefined || online ? laneSuite({ key: init.key, tableEntries: init.tableEntries }) : undefined)
    if (suite === undefined) throw new MatcherConfigError('suite', 'give a suite, a key or (online suites) resolve')
    lanes = [new InlineLane(new MatchCore({ suite, index: init.index, policy, defaultCountry: init.defaultCountry, accountPlatform: init.accountPlatform, cacheBytes }))]
  } else {
    if (init.key === undefined && !online) throw new MatcherConfigError('key', 'worker threads need the fingerprint key ({ suite, epoch, key }) or, for an online suite, resolve: a suite object cannot be sent to a thread')
    const laneInit: LaneInit = { index: init.index.share(), ...(init.key !== undefined ? { key: init.key } : { tableEntries: init.tableEntries }), policy, defaultCountry: init.defaultCountry, accountPlatform: init.accountPlatform, cacheBytes }
    const threads = Array.from({ length: workers }, () => new ThreadLane(laneInit))
    try {
      await Promise.all(threads.map(async t => await t.ready))
    } catch (err) {
      await Promise.all(threads.map(async t => await t.close()))
      throw err
    }
    lanes = threads
  }
  let busy = false
  return {
    workers,
    async matchFile (input, options = {}) {
      if (busy) throw new MatcherConfigError('matchFile', 'this pool is already scanning; scans of one pool run one at a time')
      busy = true
      try {
        return await scan(lanes, workers, input, options, policy, online ? init.resolve : undefined)
      } finally {
        busy = false
      }
    },
    async close () {
      await Promise.all(lanes.map(async l => await l.close()))
    }
  }
}

/** Starts a pool, scans one input, stops the pool. */
export async function matchFile (input: ListingsInput, options: MatchPoolInit & MatchFileOptions): Promise<MatchSummary> {
  const pool = await createMatchPool(options)
  try {
    return await pool.matchFile(input, options)
  } finally {
    await pool.close()
  }
}

function formatOf (input: ListingsInput, format?: InputFormat): InputFormat {
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'jsonl') throw new MatcherConfigError('format', 'must be csv or jsonl')
    return format
  }
  if (typeof input === 'string') {
    const ext = extname(input).toLowerCase()
    if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl'
  }
  return 'csv'
}

/** The input as bytes; a file that cannot be opened is a ListingsFileError naming it (not ENOENT from a stream). */
async function open (input: ListingsInput): Promise<AsyncIterable<Uint8Array | string>> {
  if (typeof input === 'string') return input === '-' ? process.stdin : (await openListingsFile(input)).createReadStream({ highWaterMark: 1 << 20 })
  return input as AsyncIterable<Uint8Array | string>
}

async function write (stream: NodeJS.WritableStream | undefined, text: string): Promise<void> {
  if (stream === undefined || text === '') return
  if (!stream.write(text)) await new Promise<void>(resolve => stream.once('drain', resolve))
}

/** A bounded pool of equal SharedArrayBuffers. */
class BufferPool {
  readonly #free: SharedArrayBuffer[] = []
  readonly #waiting: Array<(b: SharedArrayBuffer) => void> = []
  #made = 0

  constructor (readonly size: number, readonly max: number) {}

  async acquire (): Promise<SharedArrayBuffer> {
    const b = this.#free.pop()
    if (b !== undefined) return b
    if (this.#made < this.max) {
      this.#made++
      return new SharedArrayBuffer(this.size)
    }
    return await new Promise(resolve => this.#waiting.push(resolve))
  }

  release (b: SharedArrayBuffer): void {
    const w = this.#waiting.shift()
    if (w !== undefined) w(b)
    else this.#free.push(b)
  }
}

async function scan (lanes: Lane[], workers: number, input: ListingsInput, o: MatchFileOptions, defaultPolicy: MatchPolicy, resolve?: ResolveFn): Promise<MatchSummary> {
  checkRenames(o.columns)
  const format = formatOf(input, o.format)
  const output = o.outputFormat ?? 'jsonl'
  if (output !== 'jsonl' && output !== 'csv') throw new MatcherConfigError('outputFormat', 'must be jsonl or csv')
  const emit = o.emit ?? 'actions'
  if (emit !== 'actions' && emit !== 'matches' && emit !== 'all') throw new MatcherConfigError('emit', 'must be actions, matches or all')
  const chunkBytes = o.chunkBytes ?? DEFAULT_CHUNK_BYTES
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 4096 || chunkBytes > 1 << 30) throw new MatcherConfigError('chunkBytes', 'must be an integer in 4096..2^30')
  const t0 = performance.now()
  const scanTime = o.scanTime ?? Date.now()
  const jsonKeys = jsonKeysOf(o.columns)
  const routeId = routeColumnOf(IDENTIFIER_COLUMNS.map((_, i) => i))
  const buffers = new BufferPool(chunkBytes, 2 * lanes.length + 2)
  const chunker = new Chunker({
    format, lanes: lanes.length, chunkBytes, renames: o.columns, jsonRouteKey: jsonKeys.columns[routeId],
    acquire: async () => await buffers.acquire()
  })
  const summary: MatchSummary = {
    rows: 0,
    decisions: { block: 0, screen: 0, none: 0 },
    matched: 0,
    invalid: { identifiers: 0, rows: 0, byWhy: {}, byColumn: {}, sample: [] },
    identifiers: 0,
    undecided: { rows: 0 },
    resolved: 0,
    cache: { hits: 0, misses: 0, hitRate: 0 },
    bytes: 0,
    workers,
    elapsedMs: 0,
    listingsPerSecond: 0
  }
  const sampleRejects = o.sampleRejects ?? 20
  let started = false
  if (output === 'csv') {
    await write(o.out, CSV_DECISION_HEADER)
    await write(o.rejects, CSV_REJECT_HEADER)
  }

  // online suites: one chunk's misses are fingerprinted at a time (the node's cache answers repeats), then its pending listings run again
  let resolving: Promise<unknown> = Promise.resolve()
  const secondPass = async (chunk: Chunk, records: Array<Pick<BatchMessage, 'starts' | 'ends' | 'lines'>>, parts: BatchResult[]): Promise<BatchResult[]> => {
    if (resolve === undefined || parts.every(p => p.pending === undefined)) return parts
    const run = resolving.then(async () => await resolveMisses(parts.flatMap(p => p.misses !== undefined ? [p.misses] : []), resolve))
    resolving = run.catch(() => undefined)
    const { learned, failure } = await run
    summary.resolved += learned.fps.length
    if (learned.fps.length > 0) for (const lane of lanes) lane.learn(learned)
    if (failure !== undefined) summary.undecided.reason ??= failure
    const reason = failure ?? 'not_fingerprinted'
    const again = await Promise.all(parts.map(async (p, i) => {
      if (p.pending === undefined) return undefined
      const r = records[i]
      const at = p.pending
      return await lanes[i].run({
        chunk: chunk.buffer,
        length: chunk.length,
        starts: Int32Array.from(at, k => r.starts[k]),
        ends: Int32Array.from(at, k => r.ends[k]),
        lines: Float64Array.from(at, k => r.lines[k]),
        final: { reason }
      })
    }))
    return [...parts, ...again.filter((x): x is BatchResult => x !== undefined)]
  }

  // chunks in flight, written strictly in order
  let writing: Promise<void> = Promise.resolve()
  let failure: unknown
  const flush = async (chunk: Chunk, results: Promise<BatchResult[]>): Promise<void> => {
    try {
      await flushParts(chunk, await results)
    } finally {
      buffers.release(chunk.buffer) // also on failure, so the reader is never left waiting for a buffer
    }
  }
  const flushParts = async (chunk: Chunk, parts: BatchResult[]): Promise<void> => {
    let outs: string
    let rejects: string
    if (parts.length === 1) {
      outs = parts[0].outs.join('')
      rejects = parts[0].rejects.join('')
    } else {
      outs = merge(parts.map(p => [p.outLines, p.outs]))
      rejects = merge(parts.map(p => [p.rejectLines, p.rejects]))
    }
    for (const p of parts) accumulate(summary, p, sampleRejects)
    if (o.seen !== undefined) {
      for (const p of parts) if (p.seen !== undefined && p.seen.listingIds.length > 0) await o.seen.addBatch({ ...p.seen, time: scanTime })
    }
    await write(o.out, outs)
    await write(o.rejects, rejects)
    summary.bytes = chunk.bytes
    o.onProgress?.({ rows: summary.rows, bytes: summary.bytes, elapsedMs: performance.now() - t0 })
  }

  try {
    for await (const chunk of chunker.chunks(await open(input))) {
      o.signal?.throwIfAborted()
      if (failure !== undefined) throw failure
      if (!started) {
        const layout = chunker.layout
        const cfg: ScanConfig = {
          format,
          listingIdField: layout?.listingIdField ?? -1,
          fieldOf: layout === undefined ? [] : Array.from(layout.fieldOf),
          jsonKeys,
          output,
          emit,
          seen: o.seen !== undefined,
          rejectsIncludeValue: o.rejectsIncludeValue === true,
          sampleRejects,
          policy: o.policy ?? defaultPolicy
        }
        for (const lane of lanes) lane.scan(cfg)
        started = true
      }
      // the records' arrays are transferred to the lanes: an online suite's second pass needs its own copy
      const records = resolve === undefined ? [] : chunk.parts.map(p => ({ starts: p.starts.slice(), ends: p.ends.slice(), lines: p.lines.slice() }))
      const first = Promise.all(chunk.parts.map(async (part, i) => await lanes[i].run({ chunk: chunk.buffer, length: chunk.length, ...part })))
      const results = resolve === undefined ? first : first.then(async parts => await secondPass(chunk, records, parts))
      results.catch(() => {})
      writing = writing.then(async () => await flush(chunk, results))
      writing.catch(err => { failure ??= err })
    }
    await writing
  } catch (err) {
    await writing.catch(() => {})
    throw err
  }
  summary.elapsedMs = performance.now() - t0
  summary.listingsPerSecond = summary.rows / (summary.elapsedMs / 1000)
  summary.cache.hitRate = summary.identifiers === 0 ? 0 : summary.cache.hits / Math.max(1, summary.cache.hits + summary.cache.misses)
  return summary
}

function accumulate (s: MatchSummary, p: BatchResult, sampleRejects: number): void {
  s.rows += p.rows
  s.decisions.none += p.actions[0]
  s.decisions.screen += p.actions[1]
  s.decisions.block += p.actions[2]
  s.matched += p.matched
  s.invalid.identifiers += p.invalidIdentifiers
  s.invalid.rows += p.badRows
  for (const [k, v] of Object.entries(p.byWhy)) s.invalid.byWhy[k] = (s.invalid.byWhy[k] ?? 0) + v
  for (const [k, v] of Object.entries(p.byColumn)) s.invalid.byColumn[k] = (s.invalid.byColumn[k] ?? 0) + v
  for (const r of p.sample) if (s.invalid.sample.length < sampleRejects) s.invalid.sample.push(r)
  s.identifiers += p.identifiers
  s.undecided.rows += p.undecided
  s.cache.hits += p.cacheHits
  s.cache.misses += p.cacheMisses
}

/** Merges per-lane outputs (each sorted by line) into one text in line order. */
function merge (parts: Array<[number[], string[]]>): string {
  const pos = parts.map(() => 0)
  let out = ''
  for (;;) {
    let best = -1
    for (let i = 0; i < parts.length; i++) {
      if (pos[i] < parts[i][0].length && (best < 0 || parts[i][0][pos[i]] < parts[best][0][pos[best]])) best = i
    }
    if (best < 0) return out
    out += parts[best][1][pos[best]++]
  }
}
