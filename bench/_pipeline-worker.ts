/**
 * One pipeline worker process for bench/pipeline.ts: the real PipelineWorker,
 * its node link over HTTP to the bench's stand-in for the node's two
 * pipeline routes. On SIGTERM it stops and prints `STATS {json}` on stdout:
 * its CPU seconds from `running` on (cpuS: the listings' cost; the
 * in-process baseline also leaves out building its index), the CPU seconds
 * start-up took (startCpuS: loading modules and the blocklist snapshot) and
 * its peak RSS.
 * Before `running` it collects garbage once (the bench starts it with
 * --expose-gc): what loading the snapshot left behind is start-up's, not
 * the listings'. With PIPELINE_PROFILE_DIR set it profiles from `running`
 * to the end (the listings only) into <dir>/<consumer>.cpuprofile.
 * Args: <redis url> <node url> <consumer> <input> <output> <group>
 */
import '../node/polyfill.js'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { createLogger } from '../node/logger.js'
import { PipelineWorker, type NodeLink } from '../node/pipeline/worker.js'

const [redis, nodeUrl, consumer, input, output, group] = process.argv.slice(2)
const post = async <T>(path: string, body: unknown): Promise<T> => {
  const res = await fetch(nodeUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
  return await res.json() as T
}
const node: NodeLink = {
  attach: async (req) => await post('/v1/pipeline/attach', req),
  fingerprints: async (req) => await post('/v1/pipeline/fingerprints', req)
}
const logger = createLogger({ level: 'warn', sink: (l) => { process.stderr.write(l + '\n') } })
const worker = new PipelineWorker({ redis, input, output, group, consumer, claimIdleMs: 60_000 }, { node, logger: logger.forComponent('bench:worker') })
await worker.start()
;(globalThis as { gc?: () => void }).gc?.()
const profileDir = process.env.PIPELINE_PROFILE_DIR
const session = profileDir !== undefined ? new Session() : undefined
if (session !== undefined) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
const started = process.cpuUsage()
const cpu0 = process.cpuUsage()
process.stderr.write(`worker ${consumer} running\n`)
process.once('SIGTERM', () => {
  void (async () => {
    await worker.stop()
    const c = process.cpuUsage(cpu0)
    if (session !== undefined) {
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(join(profileDir as string, `${consumer}-${process.pid}.cpuprofile`), JSON.stringify(profile))
    }
    process.stdout.write(`STATS ${JSON.stringify({ consumer, cpuS: (c.user + c.system) / 1e6, startCpuS: (started.user + started.system) / 1e6, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...worker.stats })}\n`)
    process.exit(0)
  })()
})
