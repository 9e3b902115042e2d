/**
 * A worker thread of the guardian pool (guardian-pool.ts): evaluates slices
 * of blinded-element batches with this node's share of a key epoch.
 *
 * The share never crosses postMessage: the worker opens
 * keys/toprf-share-<epoch>.key itself (as FingerprintService does), checks
 * it against the epoch's commitments, keeps it in a ToprfGuardian and
 * wipes it on `forget` or `close`.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createToprfGuardian, type ToprfGuardian } from '../../protocol/fingerprint/toprf/index.js'
import { readShareKey } from '../home.js'
import type { SliceReply, WorkerMessage } from './guardian-pool.js'

const { dir } = workerData as { dir: string }
const port = parentPort
if (port === null) throw new Error('guardian-worker: not started as a worker thread')

const guardians = new Map<number, Promise<ToprfGuardian>>()

async function guardianOf (epoch: number, index: number, commitments: Uint8Array[]): Promise<ToprfGuardian> {
  let g = guardians.get(epoch)
  if (g === undefined) {
    g = (async () => {
      const share = await readShareKey(dir, epoch)
      try {
        return createToprfGuardian({ epoch, index, share, commitments })
      } finally {
        share.fill(0)
      }
    })()
    guardians.set(epoch, g)
    g.catch(() => guardians.delete(epoch))
  }
  const guardian = await g
  if (guardian.index !== index) throw new Error(`guardian-worker: epoch ${epoch} is held at index ${guardian.index}, asked for ${index}`)
  return guardian
}

async function forget (epoch: number): Promise<void> {
  const g = guardians.get(epoch)
  guardians.delete(epoch)
  if (g !== undefined) (await g.catch(() => undefined))?.destroy()
}

port.on('message', (m: WorkerMessage) => {
  if (m.type === 'forget') { void forget(m.epoch); return }
  if (m.type === 'close') {
    void Promise.all([...guardians.keys()].map(forget)).then(() => port.close())
    return
  }
  void (async (): Promise<SliceReply> => {
    try {
      const g = await guardianOf(m.epoch, m.index, m.commitments)
      const n = m.blinded.length / 32
      const elements = Array.from({ length: n }, (_, j) => m.blinded.subarray(j * 32, (j + 1) * 32))
      const r = g.evaluateSlice(elements, m.offset)
      const evaluated = new Uint8Array(n * 32)
      r.evaluated.forEach((e, j) => evaluated.set(e, j * 32))
      return { id: m.id, evaluated, M: r.M }
    } catch (err) {
      const e = err as Error & { reason?: string, index?: number }
      return { id: m.id, error: { name: e.name, message: e.message, ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(typeof e.index === 'number' ? { index: e.index } : {}) } }
    }
  })().then(reply => {
    if ('evaluated' in reply) port.postMessage(reply, [reply.evaluated.buffer as ArrayBuffer])
    else port.postMessage(reply)
  })
})

port.postMessage({ type: 'ready' })
