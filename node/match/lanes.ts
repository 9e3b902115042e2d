/**
 * Lanes: where batches of records are matched. A `ThreadLane` is a worker
 * thread (worker.ts); an `InlineLane` runs the same code in this thread
 * (workers: 0, tests, small files). Both take the same messages, so a scan
 * gives the same decisions either way.
 * Workers start through node/worker-thread.ts (worker.js when compiled,
 * worker.ts through tsx's hooks otherwise: ~1.3 s per worker to load,
 * once per pool).
 */
import type { Worker } from 'node:worker_threads'
import type { CountryCode } from 'libphonenumber-js'
// suite.ts, not the fingerprint index: workers need no HPKE or epoch-key sealing code
import { createSuite, isLocalSuite, type FingerprintSuite, type LocalFingerprintSuite, type SuiteName } from '../../protocol/fingerprint/suite.js'
import { BlocklistIndex, type SharedBlocklist } from './blocklist-index.js'
import { BatchMatcher, type BatchResult, type ScanConfig } from './batch.js'
import { MatchCore } from './core.js'
import { MatchWorkerError } from './errors.js'
import { spawnSiblingWorker } from '../worker-thread.js'
import { LookupTable, type Learned } from './fp-lookup.js'
import type { MatchPolicy } from './policy.js'

/** The fingerprint key as the roster names it, with the opened epoch key. */
export interface FingerprintKey {
  /** Suite name from the roster policy (a suite with a local fast path). */
  suite: SuiteName
  epoch: number
  /** The 32-byte epoch key; copied into each worker, which wipes its copy once its suite holds the derived state. */
  key: Uint8Array
}

/** What a lane is built from (workerData for a thread). */
export interface LaneInit {
  index: SharedBlocklist
  /** A local suite's key; absent for an online suite, whose lanes look fingerprints up in a table the main thread fills (fp-lookup.ts). */
  key?: FingerprintKey
  /** Online suite: the most entries of each lane's lookup table. */
  tableEntries?: number
  policy: MatchPolicy
  defaultCountry?: CountryCode
  accountPlatform?: string
  cacheBytes: number
}

export interface BatchMessage {
  chunk: SharedArrayBuffer
  length: number
  starts: Int32Array
  ends: Int32Array
  lines: Float64Array
  /** Second pass over pending listings (online suites; batch.ts BatchRequest.final). */
  final?: { reason: string }
}

export interface Lane {
  /** Settings of the next scan (sent before its first batch). */
  scan: (cfg: ScanConfig) => void
  /** Online suites: fingerprints the main thread made for this lane's (or another's) misses; applies before the next batch. */
  learn: (l: Learned) => void
  run: (batch: BatchMessage) => Promise<BatchResult>
  close: () => Promise<void>
}

export type WorkerRequest =
  | { t: 'scan', cfg: ScanConfig }
  | { t: 'learn', learned: Learned }
  | ({ t: 'batch', id: number } & BatchMessage)
export type WorkerReply =
  | { t: 'ready' }
  | { t: 'result', id: number, result: BatchResult }
  | { t: 'error', id: number, error: { name: string, message: string } }

/** The core a lane runs; in a worker, `suite` is built from the key there (or is a lookup table, online suites). */
export function laneCore (init: Omit<LaneInit, 'key'>, suite: LocalFingerprintSuite | LookupTable, index?: BlocklistIndex): MatchCore {
  return new MatchCore({
    suite,
    index: index ?? BlocklistIndex.attach(init.index),
    policy: init.policy,
    defaultCountry: init.defaultCountry,
    accountPlatform: init.accountPlatform,
    cacheBytes: init.cacheBytes
  })
}

export class InlineLane implements Lane {
  readonly core: MatchCore
  #batch: BatchMatcher | undefined

  constructor (core: MatchCore) {
    this.core = core
  }

  scan (cfg: ScanConfig): void {
    this.#batch = new BatchMatcher(this.core, cfg)
  }

  learn (l: Learned): void {
    this.core.table?.learn(l)
  }

  async run (b: BatchMessage): Promise<BatchResult> {
    if (this.#batch === undefined) throw new MatchWorkerError('batch before scan')
    return this.#batch.run({ chunk: new Uint8Array(b.chunk, 0, b.length), starts: b.starts, ends: b.ends, lines: b.lines, ...(b.final !== undefined ? { final: b.final } : {}) })
  }

  async close (): Promise<void> {}
}

/** Starts worker.ts (or worker.js once compiled) with `init` as workerData. */
export function spawnMatchWorker (init: LaneInit): Worker {
  return spawnSiblingWorker(import.meta.url, 'worker', init)
}

export class ThreadLane implements Lane {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (r: BatchResult) => void, reject: (e: Error) => void }>()
  #nextId = 0
  #failed: Error | undefined
  #closing = false
  readonly ready: Promise<void>

  constructor (init: LaneInit) {
    this.#worker = spawnMatchWorker(init)
    let ready!: () => void
    let notReady!: (e: Error) => void
    this.ready = new Promise((resolve, reject) => { ready = resolve; notReady = reject })
    this.ready.catch(() => {})
    this.#worker.on('message', (m: WorkerReply) => {
      if (m.t === 'ready') {
        this.#worker.unref() // an idle pool does not keep the process alive
        return ready()
      }
      const p = this.#pending.get(m.id)
      if (p === undefined) return
      this.#pending.delete(m.id)
      if (this.#pending.size === 0) this.#worker.unref()
      if (m.t === 'result') p.resolve(m.result)
      else p.reject(new MatchWorkerError(`${m.error.name}: ${m.error.message}`))
    })
    const fail = (err: Error): void => {
      if (this.#failed !== undefined) return
      this.#failed = err
      notReady(err)
      for (const p of this.#pending.values()) p.reject(err)
      this.#pending.clear()
    }
    this.#worker.on('error', err => fail(new MatchWorkerError(err.message, { cause: err })))
    this.#worker.on('exit', code => { if (!this.#closing) fail(new MatchWorkerError(`the worker exited with code ${code}`)) })
  }

  scan (cfg: ScanConfig): void {
    this.#post({ t: 'scan', cfg })
  }

  learn (learned: Learned): void {
    this.#post({ t: 'learn', learned })
  }

  async run (b: BatchMessage): Promise<BatchResult> {
    if (this.#failed !== undefined) throw this.#failed
    const id = this.#nextId++
    const result = new Promise<BatchResult>((resolve, reject) => this.#pending.set(id, { resolve, reject }))
    this.#worker.ref() // busy: the answer must come before the process may exit
    this.#post({ t: 'batch', id, ...b }, [b.starts.buffer, b.ends.buffer, b.lines.buffer] as ArrayBuffer[])
    return await result
  }

  #post (m: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(m, transfer)
  }

  async close (): Promise<void> {
    this.#closing = true
    await this.#worker.terminate()
  }
}

/** A lane's suite: built from the key (local suites), or an empty lookup table (online suites). */
export function laneSuite (init: Pick<LaneInit, 'key' | 'tableEntries'>): LocalFingerprintSuite | LookupTable {
  return init.key !== undefined ? suiteFromKey(init.key) : new LookupTable(init.tableEntries)
}

export function suiteFromKey (key: FingerprintKey): LocalFingerprintSuite {
  const suite: FingerprintSuite = createSuite({ name: key.suite as string, epoch: key.epoch, key: key.key })
  if (!isLocalSuite(suite)) {
    suite.destroy()
    throw new MatchWorkerError(`fingerprint suite ${key.suite} has no local fast path; matching lanes need one`)
  }
  return suite
}
