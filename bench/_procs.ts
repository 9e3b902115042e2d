/**
 * Helpers for benchmarks that run nodes as separate processes: cleanup of
 * child processes and temp folders (also on failure and Ctrl-C), RSS and CPU
 * of a process read from /proc, a keep-alive JSON client for hot polling
 * loops, and percentiles.
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { Agent, request } from 'node:http'

import { chosenRuntime, distIsFresh, ROOT } from '../bin/runtime.js'

const children = new Set<ChildProcess>()
const dirs = new Set<string>()
let installed = false

/** Registers a child process to be stopped at the end of the run, whatever happens. */
export function track<T extends ChildProcess> (child: T): T {
  if (child.exitCode === null && child.signalCode === null) {
    children.add(child)
    child.once('exit', () => children.delete(child))
  }
  return child
}

/** Registers a folder to be removed at the end of the run, whatever happens. */
export function trackDir (dir: string): string {
  dirs.add(dir)
  return dir
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild (child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** Stops every tracked child and removes every tracked folder. */
export async function cleanup (): Promise<void> {
  await Promise.all([...children].map(async c => await stopChild(c)))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs.clear()
}

function installCleanup (): void {
  if (installed) return
  installed = true
  const onSignal = (sig: NodeJS.Signals): void => {
    process.stderr.write(`\n${sig}: stopping child processes and removing temp folders\n`)
    cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  // last resort (an exit nobody planned): never leave processes or folders behind
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL')
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
}

/**
 * Runs a benchmark's body with cleanup installed; exits 1 on error. Exits
 * explicitly at the end: keep-alive sockets and libp2p timers must not keep
 * the process alive.
 */
export async function runBench (body: () => Promise<void>): Promise<never> {
  installCleanup()
  let code = 0
  try {
    await body()
  } catch (err) {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
    code = 1
  }
  await cleanup()
  process.exit(code)
}

export interface ProcMemory {
  /** Resident set size now, MiB. */
  rssMb: number
  /** Peak resident set size over the process's life (VmHWM), MiB. */
  hwmMb: number
}

/** RSS and peak RSS of a live process, from /proc/<pid>/status (Linux). */
export function procMemory (pid: number): ProcMemory {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN)
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 }
}

/** CPU time (user + system) a live process has used, seconds, from /proc/<pid>/stat. */
export function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): utime is field 14, stime field 15; clock ticks are 1/100 s on Linux
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Samples a process's RSS on an interval; the peak is also read from VmHWM, which misses nothing between samples. */
export class RssSampler {
  readonly samples: Array<{ t: number, mb: number }> = []
  #timer: NodeJS.Timeout | undefined
  #hwm = 0
  readonly #pid: number
  readonly #t0: number

  constructor (pid: number, intervalMs = 200, t0 = performance.now()) {
    this.#pid = pid
    this.#t0 = t0
    this.#timer = setInterval(() => this.sample(), intervalMs)
    this.sample()
  }

  sample (): void {
    try {
      const m = procMemory(this.#pid)
      this.samples.push({ t: (performance.now() - this.#t0) / 1000, mb: m.rssMb })
      this.#hwm = Math.max(this.#hwm, m.hwmMb)
    } catch {
      // the process is gone: keep what we have
    }
  }

  stop (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Largest sampled RSS, MiB. */
  get sampledPeakMb (): number {
    return this.samples.reduce((m, s) => Math.max(m, s.mb), 0)
  }

  /** Peak RSS over the process's whole life (VmHWM at the last sample), MiB. */
  get peakMb (): number {
    return Math.max(this.#hwm, this.sampledPeakMb)
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

/**
 * A JSON request to a node's HTTP API over a keep-alive socket (cheaper per
 * call than fetch, for loops that poll every few ms). GET without a body,
 * POST with one. Resolves with the parsed body; rejects on HTTP ≥ 400.
 */
export async function apiCall<T> (node: { url: string, token: string }, path: string, body?: unknown, raw = false): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return await new Promise<T>((resolve, reject) => {
    const req = request(`${node.url}${path}`, {
      agent,
      method: payload === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${node.token}`,
        ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {})
      }
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${path}: HTTP ${String(res.statusCode)} ${text.slice(0, 500)}`))
        else {
          try { resolve((raw ? text : JSON.parse(text)) as T) } catch (err) { reject(err) }
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** Value of a metric in a Prometheus text exposition: `name` alone, or with its labels as written, e.g. `x_total{result="ok"}`. */
export function metricValue (text: string, name: string): number | undefined {
  const escaped = name.replace(/[{}"\\]/g, c => `\\${c}`)
  const m = new RegExp(`^${escaped} ([0-9.e+-]+)`, 'm').exec(text)
  return m === null ? undefined : Number(m[1])
}

/** Nearest-rank percentile (p in 0..100) of unsorted numbers. */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p / 100 * sorted.length)))
  return sorted[rank - 1]
}

export { eventually, sleep } from '../test/helpers/wait.js'

export { wallMs } from './_clock.js'

export function say (s = ''): void {
  process.stdout.write(s + '\n')
}

/**
 * Node processes run as users run them: the compiled JavaScript in dist/
 * (bin/alliance.js picks it when it is fresh). Builds it first when it is
 * older than the sources, and says which runtime the processes use.
 */
/**
 * The compiled `dist/bench/<name>.js` of a bench worker process, built
 * first when dist/ is older than node/ and protocol/ or than `sources` (the
 * worker's own files under bench/, relative to it).
 */
export function compiledBenchWorker (name: string, sources: string[]): string {
  const compiled = `${ROOT}dist/bench/${name}.js`
  const mtime = (p: string): number => { try { return statSync(p).mtimeMs } catch { return 0 } }
  if (!distIsFresh() || mtime(compiled) < Math.max(...sources.map(f => mtime(`${ROOT}bench/${f}`)))) {
    say(`  dist/ is older than the sources of the nodes or of ${name}: npm run build`)
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) throw new Error('npm run build failed')
  }
  return compiled
}

export function compiledNodes (): string {
  if (process.env.ALLIANCE_RUNTIME === undefined && !distIsFresh()) {
    say('  dist/ is older than the sources: npm run build')
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) throw new Error('npm run build failed')
  }
  const runtime = chosenRuntime()
  say(`  node processes run ${runtime === 'dist' ? 'the compiled JavaScript in dist/' : 'the TypeScript sources through tsx (ALLIANCE_RUNTIME=tsx)'}`)
  return runtime
}
