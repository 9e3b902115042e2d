/**
 * Runs one decoder on inputs read from files, in a fresh process, and prints
 * one JSON line: for each input, the outcome (the error's name, or 'ok'),
 * the wall-clock and CPU time (this process, all threads) of each of RUNS
 * runs (the first from a collected heap, the others as a running node's) — on a shared machine the CPU time is the work, the wall time also
 * other processes' — and the peak growth of the
 * process's resident memory during the first run over its level just before
 * (garbage collected), sampled every millisecond by a worker thread. A fresh
 * process has no heap slack for the decode to hide in.
 *
 * Usage: node --expose-gc --import tsx decode-probe.ts <decoder> <file>...
 */
import '../../../node/polyfill.js'
import { readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { DECODERS } from '../../../protocol/codec/index.js'

const RUNS = 5
const maybeGc = (globalThis as { gc?: () => void }).gc
if (maybeGc === undefined) throw new Error('run with --expose-gc')
const gc: () => void = maybeGc

const SAMPLER = `
const { workerData } = require('node:worker_threads')
const ctl = new Int32Array(workerData.ctl)
const peak = new Float64Array(workerData.peak)
while (Atomics.load(ctl, 0) === 0) {
  const r = process.memoryUsage.rss()
  if (r > peak[0]) peak[0] = r
  Atomics.wait(ctl, 1, 0, 1)
}
`

async function main (): Promise<void> {
  const [name, ...files] = process.argv.slice(2)
  const decode = DECODERS[name as keyof typeof DECODERS] as (b: Uint8Array) => unknown
  if (decode === undefined) throw new Error(`no decoder ${name}`)
  const ctl = new SharedArrayBuffer(8)
  const peakBuf = new SharedArrayBuffer(8)
  const peak = new Float64Array(peakBuf)
  const sampler = new Worker(SAMPLER, { eval: true, workerData: { ctl, peak: peakBuf } })
  await new Promise(resolve => setTimeout(resolve, 50))
  const inputs = files.map(f => new Uint8Array(readFileSync(f)))
  // warm the decoder's code paths with each input once is exactly what must not happen before measuring memory;
  // warm it with a tiny invalid input instead
  try { decode(new Uint8Array([0x0a, 0x00])) } catch {}
  const out: Array<{ outcome: string, ms: number[], cpuMs: number[], rssGrowthMiB: number }> = []
  for (const input of inputs) {
    const ms: number[] = []
    const cpuMs: number[] = []
    let outcome = 'ok'
    let growth = 0
    for (let run = 0; run < RUNS; run++) {
      // memory is measured on the first run, from a collected heap; the later runs time a heap
      // that has grown as a running node's has (a forced collection shrinks the young generation)
      if (run === 0) gc()
      await new Promise(resolve => setTimeout(resolve, 5))
      const before = process.memoryUsage.rss()
      peak[0] = before
      await new Promise(resolve => setTimeout(resolve, 3))
      let result: unknown
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      try {
        result = decode(input)
        outcome = 'ok'
      } catch (err) {
        outcome = (err as Error).name
      }
      ms.push(performance.now() - t0)
      const c = process.cpuUsage(c0)
      cpuMs.push((c.user + c.system) / 1000)
      await new Promise(resolve => setTimeout(resolve, 3)) // let the sampler see the peak with the result still held
      if (run === 0) growth = (Math.max(peak[0], process.memoryUsage.rss()) - before) / 1048576
      result = undefined
      void result
    }
    out.push({ outcome, ms, cpuMs, rssGrowthMiB: growth })
  }
  Atomics.store(new Int32Array(ctl), 0, 1)
  await sampler.terminate()
  process.stdout.write(JSON.stringify(out) + '\n')
}

await main()
