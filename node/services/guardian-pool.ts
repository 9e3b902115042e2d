/**
 * Guardian evaluation on every core (issue 11): a pool of worker threads
 * (guardian-worker.ts) that each hold this node's share of the epochs it
 * guards. One request of n blinded elements is cut into one slice per
 * worker; each worker computes its elements k_i·B_j and its part of the
 * batched DLEQ proof's composite M (the two multiplications per element);
 * the main thread adds the parts and makes the batch's one proof (three
 * multiplications per request). The answer is byte-for-byte what one
 * thread would send for the same proof randomness: the wire format does
 * not change.
 *
 * Workers start on the first request large enough to split (non-guardian
 * nodes never start one) and read the share file themselves; until they
 * have loaded (seconds under tsx), requests are evaluated on the calling
 * thread, so starting them never delays an answer. A worker that dies fails
 * its slices with GuardianWorkerError and is replaced on the next request.
 */
import type { Worker } from 'node:worker_threads'
import { InvalidBatchError, InvalidElementError, type ToprfEvaluation, type ToprfGuardian } from '../../protocol/fingerprint/toprf/index.js'
import { LinearCombination } from '../../protocol/fingerprint/toprf/group.js'
import { spawnSiblingWorker } from '../worker-thread.js'
import { GuardianWorkerError } from './errors.js'

/** Below this many elements per slice a request is not split (messages cost ~0.1 ms, one element ~0.3 ms). */
export const MIN_SLICE = 16

export type WorkerMessage =
  | { type: 'slice', id: number, epoch: number, index: number, commitments: Uint8Array[], blinded: Uint8Array, offset: number }
  | { type: 'forget', epoch: number }
  | { type: 'close' }

export type SliceReply =
  | { id: number, evaluated: Uint8Array, M: Uint8Array }
  | { id: number, error: { name: string, message: string, reason?: string, index?: number } }

interface Pending { resolve: (r: { evaluated: Uint8Array, M: Uint8Array }) => void, reject: (e: Error) => void }

class GuardianThread {
  readonly worker: Worker
  readonly pending = new Map<number, Pending>()
  dead = false
  ready = false
  readonly started: Promise<void>

  constructor (dir: string) {
    this.worker = spawnGuardianWorker(dir)
    let started!: () => void
    this.started = new Promise(resolve => { started = resolve })
    this.worker.on('message', (r: SliceReply | { type: 'ready' }) => {
      if ('type' in r) { this.ready = true; started(); return }
      const p = this.pending.get(r.id)
      if (p === undefined) return
      this.pending.delete(r.id)
      if ('error' in r) p.reject(rebuild(r.error))
      else p.resolve(r)
    })
    const die = (why: string): void => {
      this.dead = true
      started()
      for (const p of this.pending.values()) p.reject(new GuardianWorkerError(why))
      this.pending.clear()
    }
    this.worker.on('error', err => die(err.message))
    this.worker.on('exit', code => die(`exited with code ${code}`))
  }
}

function rebuild (e: { name: string, message: string, index?: number }): Error {
  if (e.name === 'InvalidElementError') return new InvalidElementError('blinded element', e.message.replace(/^blinded element( \d+)?: /, ''), e.index)
  if (e.name === 'InvalidBatchError') return new InvalidBatchError(e.message)
  return new GuardianWorkerError(`${e.name}: ${e.message}`)
}

function spawnGuardianWorker (dir: string): Worker {
  return spawnSiblingWorker(import.meta.url, 'guardian-worker', { dir })
}

export interface GuardianPoolInit {
  /** The node directory (the workers read keys/toprf-share-<epoch>.key from it). */
  dir: string
  /** Worker threads; 0 evaluates on the calling thread. */
  workers: number
}

export class GuardianPool {
  readonly workers: number
  readonly #dir: string
  #threads: GuardianThread[] = []
  #nextId = 0
  #closed = false
  #split = 0

  constructor (init: GuardianPoolInit) {
    if (!Number.isInteger(init.workers) || init.workers < 0 || init.workers > 64) throw new RangeError(`guardian workers must be an integer in 0..64, got ${String(init.workers)}`)
    this.#dir = init.dir
    this.workers = init.workers
  }

  /** Requests answered by the worker threads (the others ran on the calling thread). */
  get splitRequests (): number {
    return this.#split
  }

  /** Threads running now (0 until the first request large enough to split). */
  get running (): number {
    return this.#threads.filter(t => !t.dead).length
  }

  /**
   * `guardian`'s answer to `blinded` (its epoch's `commitments` let a
   * worker check the share it opens). Small requests, a pool of 0 workers
   * and a closed pool evaluate on this thread.
   */
  async evaluate (guardian: ToprfGuardian, commitments: readonly Uint8Array[], blinded: readonly Uint8Array[]): Promise<ToprfEvaluation> {
    const n = blinded.length
    const slices = Math.min(this.workers, Math.floor(n / MIN_SLICE))
    if (this.#closed || slices < 2) return guardian.evaluate(blinded)
    this.#ensureThreads()
    if (!this.#threads.slice(0, slices).every(t => t.ready && !t.dead)) return guardian.evaluate(blinded)
    const per = Math.ceil(n / slices)
    const parts = await Promise.all(Array.from({ length: slices }, async (_, w) => {
      const offset = w * per
      const end = Math.min(n, offset + per)
      const bytes = new Uint8Array((end - offset) * 32)
      for (let j = offset; j < end; j++) {
        const b = blinded[j]
        if (!(b instanceof Uint8Array) || b.length !== 32) throw new InvalidElementError('blinded element', `expected 32 bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`, j)
        bytes.set(b, (j - offset) * 32)
      }
      return await this.#slice(this.#threads[w], { type: 'slice', id: 0, epoch: guardian.epoch, index: guardian.index, commitments: [...commitments], blinded: bytes, offset })
    }))
    const evaluated: Uint8Array[] = []
    for (const p of parts) for (let j = 0; j < p.evaluated.length / 32; j++) evaluated.push(p.evaluated.slice(j * 32, (j + 1) * 32))
    const M = new LinearCombination()
    for (const p of parts) M.addElement(p.M)
    this.#split++
    return { evaluated, proof: guardian.prove(M.value()) }
  }

  /** Starts the workers (if not yet) and resolves once they have loaded. */
  async ready (): Promise<void> {
    if (this.#closed || this.workers === 0) return
    this.#ensureThreads()
    await Promise.all(this.#threads.map(async t => await t.started))
  }

  /** Asks the workers to wipe the share of `epoch` (it was retired). */
  forget (epoch: number): void {
    for (const t of this.#threads) if (!t.dead) t.worker.postMessage({ type: 'forget', epoch } satisfies WorkerMessage)
  }

  async close (): Promise<void> {
    this.#closed = true
    const threads = this.#threads
    this.#threads = []
    await Promise.all(threads.map(async t => {
      if (t.dead) return
      const exited = new Promise<void>(resolve => t.worker.once('exit', () => resolve()))
      t.worker.postMessage({ type: 'close' } satisfies WorkerMessage)
      const timer = setTimeout(() => { void t.worker.terminate() }, 2000)
      await exited
      clearTimeout(timer)
    }))
  }

  #ensureThreads (): void {
    this.#threads = this.#threads.filter(t => !t.dead)
    while (this.#threads.length < this.workers) this.#threads.push(new GuardianThread(this.#dir))
  }

  async #slice (t: GuardianThread, m: Extract<WorkerMessage, { type: 'slice' }>): Promise<{ evaluated: Uint8Array, M: Uint8Array }> {
    const id = ++this.#nextId
    return await new Promise((resolve, reject) => {
      if (t.dead) { reject(new GuardianWorkerError('the worker is not running')); return }
      t.pending.set(id, { resolve, reject })
      t.worker.postMessage({ ...m, id }, [m.blinded.buffer as ArrayBuffer])
    })
  }
}
