/** Nodes as real separate processes, and a small client for their HTTP API. */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../bin/alliance.js', import.meta.url))

/** Runs `alliance <args>` as an operator would; rejects with the exit code and stderr on failure. */
export async function cli (...args: string[]): Promise<{ stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      if (err !== null) reject(Object.assign(err, { stdout, stderr }))
      else resolve({ stdout, stderr })
    })
  })
}

export interface NodeProcess {
  child: ChildProcess
  url: string
  token: string
  stderr: () => string
}

/** BENCH_NODE_ARGS: extra node flags for spawned node processes (diagnosis, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
export function benchNodeArgs (): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
}

/** Node processes started here and not yet exited: killed if the test process exits first (mocha ending early, a crash). */
const live = new Set<ChildProcess>()
process.on('exit', () => { for (const c of live) c.kill('SIGKILL') })
/** Pids of the node processes started here that are still running. */
export function liveNodePids (): number[] {
  return [...live].map(c => c.pid as number)
}

/** How long a node process may take to say it is running (start-up under tsx on a loaded 2-core machine stays well below). */
export const READY_TIMEOUT_MS = 60_000

/**
 * `alliance start <dir>` as its own process; resolves once it says it is
 * running. A process that exits first, or is not running within
 * `readyTimeoutMs`, is killed and the promise rejects: no child outlives a
 * failed start.
 */
export async function spawnNode (dir: string, opts: { antiEntropySeconds?: number, logLevel?: string, env?: Record<string, string>, readyTimeoutMs?: number } = {}): Promise<NodeProcess> {
  const args = [...benchNodeArgs(), CLI, 'start', dir, '--log-level', opts.logLevel ?? 'warn', '--anti-entropy', String(opts.antiEntropySeconds ?? 2)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let err = ''
  let timer: NodeJS.Timeout | undefined
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const limit = opts.readyTimeoutMs ?? READY_TIMEOUT_MS
      timer = setTimeout(() => reject(Object.assign(new Error(`node process not running after ${limit} ms: ${err.slice(-2000)}`), { name: 'NodeNotReadyError' })), limit)
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString()
        if (err.length > 100_000) err = err.slice(-50_000)
        const m = /running; API (\S+)/.exec(err)
        if (m !== null) resolve(m[1])
      })
      child.once('exit', code => reject(new Error(`node process exited with ${String(code)} before it was ready: ${err.slice(-2000)}`)))
    })
    const { token } = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { token: string }
    return { child, url, token, stderr: () => err }
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    throw e
  } finally {
    clearTimeout(timer)
  }
}

export async function api<T> (p: NodeProcess, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${p.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${p.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as T
}

export async function stopNode (p: NodeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  // ended already (by itself, or killed before): its 'exit' has fired and would never fire again
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode
  const exited = new Promise<number | null>(resolve => p.child.once('exit', code => resolve(code)))
  p.child.kill(signal)
  return await exited
}
