/** Nodes as real separate processes, and a small client for their HTTP API. */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../bin/alliance.js', import.meta.url))

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

/** `alliance start <dir>` as its own process; resolves once it says it is running. */
export async function spawnNode (dir: string, opts: { antiEntropySeconds?: number, logLevel?: string, env?: Record<string, string> } = {}): Promise<NodeProcess> {
  const args = [...benchNodeArgs(), CLI, 'start', dir, '--log-level', opts.logLevel ?? 'warn', '--anti-entropy', String(opts.antiEntropySeconds ?? 2)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
  let err = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /running; API (\S+)/.exec(err)
      if (m !== null) resolve(m[1])
    })
    child.once('exit', code => reject(new Error(`node process exited with ${String(code)} before it was ready: ${err.slice(-2000)}`)))
  })
  const { token } = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { token: string }
  return { child, url, token, stderr: () => err }
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
  if (p.child.exitCode !== null) return p.child.exitCode
  const exited = new Promise<number | null>(resolve => p.child.once('exit', code => resolve(code)))
  p.child.kill(signal)
  return await exited
}
