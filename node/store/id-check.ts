/**
 * The start-up walk's entry-id check on a second thread.
 *
 * The walk (level.ts `checkLog`) must recompute every stored entry's id —
 * it is what proves the bytes are the ones that were signed — and at
 * 1,000,000 entries that hashing was a quarter of a node's start-up on one
 * thread (README "Start-up"). `IdCheckThread` hands each chunk the walk
 * reads to a worker thread (id-check-worker.ts), which answers with the
 * first value whose bytes do not hash to its stored id; the walk then
 * checks the links of that chunk with the stored ids, which are proved
 * equal to the recomputed ones up to that entry. The walk posts a chunk as
 * soon as LevelDB returns it and checks the chunk before, so hashing on
 * the worker overlaps the links, the replay and LevelDB's reads.
 *
 * The same comparison runs inline when the worker is not there: a store
 * whose logs never fill a chunk starts none (a thread costs more than it
 * saves there), and a worker that fails falls back to hashing inline, so
 * the check itself never depends on the thread.
 */
import type { Worker } from 'node:worker_threads'
import { entryId } from '../../protocol/log/index.js'
import { ID_BYTES } from '../../protocol/limits.js'
import { spawnSiblingWorker } from '../worker-thread.js'

/** One chunk: stored values (id ‖ entry bytes) back to back, `ends[i]` the end of value i. */
export interface IdCheckRequest { id: number, buf: ArrayBuffer, ends: Uint32Array }
export interface IdCheckReply { id: number, bad: number }

/**
 * Index of the first value longer than an id whose entry bytes do not hash
 * to the id stored before them; -1 when every one does. Shorter values are
 * the walk's to report (they hold no entry at all).
 */
export function firstBadId (buf: Uint8Array, ends: Uint32Array): number {
  let start = 0
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]
    if (end - start > ID_BYTES) {
      const id = entryId(buf.subarray(start + ID_BYTES, end))
      for (let j = 0; j < ID_BYTES; j++) if (id[j] !== buf[start + j]) return i
    }
    start = end
  }
  return -1
}

export class IdCheckThread {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (bad: number) => void, reject: (e: Error) => void }>()
  #next = 0
  #failed: Error | undefined

  constructor () {
    this.#worker = spawnSiblingWorker(import.meta.url, 'id-check-worker', null)
    this.#worker.unref()
    this.#worker.on('message', (m: IdCheckReply) => {
      const p = this.#pending.get(m.id)
      this.#pending.delete(m.id)
      p?.resolve(m.bad)
    })
    const fail = (e: Error): void => {
      this.#failed ??= e
      for (const p of this.#pending.values()) p.reject(e)
      this.#pending.clear()
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', code => { fail(new Error(`id-check worker exited with code ${code}`)) })
  }

  /** The index in `values` of the first bad stored id, or -1 (see firstBadId). Rejects when the thread failed. */
  async firstBad (values: Uint8Array[]): Promise<number> {
    if (this.#failed !== undefined) throw this.#failed
    let n = 0
    for (const v of values) n += v.length
    const buf = new Uint8Array(n)
    const ends = new Uint32Array(values.length)
    let off = 0
    for (let i = 0; i < values.length; i++) {
      buf.set(values[i], off)
      off += values[i].length
      ends[i] = off
    }
    const id = this.#next++
    const reply = new Promise<number>((resolve, reject) => { this.#pending.set(id, { resolve, reject }) })
    const msg: IdCheckRequest = { id, buf: buf.buffer, ends }
    this.#worker.postMessage(msg, [buf.buffer, ends.buffer])
    return await reply
  }

  async close (): Promise<void> {
    this.#failed ??= new Error('id-check thread closed')
    await this.#worker.terminate()
  }
}

/**
 * The walk's side of it, for one `checkChains`: starts the thread at the
 * first chunk of at least `from` values (0: never), and answers undefined
 * ("check inline") before that or once the thread failed.
 */
export class IdChecks {
  readonly #from: number
  #thread: IdCheckThread | undefined

  constructor (from: number) { this.#from = from }

  check (values: Uint8Array[]): Promise<number | undefined> | undefined {
    if (this.#thread === undefined) {
      if (this.#from <= 0 || values.length < this.#from) return undefined
      this.#thread = new IdCheckThread()
    }
    return this.#thread.firstBad(values).catch(() => undefined)
  }

  async close (): Promise<void> { await this.#thread?.close() }
}
