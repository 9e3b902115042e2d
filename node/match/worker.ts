/**
 * Worker thread entry of the match pool (lanes.ts starts it). Builds its
 * own fingerprint suite from the key in workerData (then wipes the copy),
 * attaches to the owner's blocklist index (shared memory, live), keeps its
 * own value cache, and answers batches in the order they come.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { BatchMatcher } from './batch.js'
import { laneCore, laneSuite, type LaneInit, type WorkerReply, type WorkerRequest } from './lanes.js'

const init = workerData as LaneInit
const port = parentPort
if (port === null) throw new Error('node/match/worker.ts runs as a worker thread only')

const suite = laneSuite(init)
init.key?.key.fill(0)
const core = laneCore(init, suite)
let batch: BatchMatcher | undefined

function reply (m: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer)
}

port.on('message', (m: WorkerRequest) => {
  if (m.t === 'scan') {
    batch = new BatchMatcher(core, m.cfg)
    return
  }
  if (m.t === 'learn') {
    core.table?.learn(m.learned)
    return
  }
  try {
    if (batch === undefined) throw new Error('batch before scan')
    const result = batch.run({ chunk: new Uint8Array(m.chunk, 0, m.length), starts: m.starts, ends: m.ends, lines: m.lines, ...(m.final !== undefined ? { final: m.final } : {}) })
    const transfer = result.seen === undefined ? [] : [result.seen.fps.buffer, result.seen.probes.buffer, result.seen.listing.buffer] as ArrayBuffer[]
    reply({ t: 'result', id: m.id, result }, transfer)
  } catch (err) {
    const e = err as Error
    reply({ t: 'error', id: m.id, error: { name: e.name ?? 'Error', message: e.message ?? String(err) } })
  }
})

reply({ t: 'ready' })
