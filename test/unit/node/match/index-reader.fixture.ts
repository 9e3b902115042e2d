/** Worker side of the blocklist-index concurrency test: reads one fingerprint until told to stop. */
import { parentPort, workerData } from 'node:worker_threads'
import { BlocklistIndex, type SharedBlocklist } from '../../../../node/match/index.js'

const { shared, fp, stop } = workerData as { shared: SharedBlocklist, fp: Uint8Array, stop: Int32Array }
const view = BlocklistIndex.attach(shared)
let reads = 0
let wrong = 0
parentPort?.postMessage({ t: 'reading' })
while (Atomics.load(stop, 0) === 0) {
  if (view.statusCode(fp) !== 2) wrong++
  if (view.explain(fp)?.orgs[0] !== 'a') wrong++
  reads++
}
parentPort?.postMessage({ t: 'done', reads, wrong })
