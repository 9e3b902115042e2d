/**
 * Real parts for pipeline tests: a redis-server of its own per test (free
 * port on 127.0.0.1, a temporary directory, no persistence), stopped after;
 * pipeline workers as `alliance pipeline` processes; reading streams back.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../../node/home.js'
import { connectRedis, type Redis } from '../../../node/pipeline/redis.js'

const CLI = fileURLToPath(new URL('../../../bin/alliance.js', import.meta.url))

export interface RedisServer {
  url: string
  port: number
  child: ChildProcess
  client: () => Promise<Redis>
  stop: () => Promise<void>
}

/** `redis-server --port <free> --bind 127.0.0.1 --dir <tmp> --save ""`; resolves once it accepts connections. */
export async function startRedis (): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-redis-'))
  const port = await freePort('127.0.0.1')
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('Ready to accept connections')) resolve()
    })
    child.once('error', reject)
    child.once('exit', code => reject(new Error(`redis-server exited with ${String(code)}: ${out.slice(-1000)}`)))
  })
  const url = `redis://127.0.0.1:${port}`
  const clients: Redis[] = []
  return {
    url,
    port,
    child,
    client: async () => { const c = await connectRedis(url, { name: 'test' }); clients.push(c); return c },
    stop: async () => {
      for (const c of clients) c.disconnect()
      if (child.exitCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export interface WorkerProcess {
  child: ChildProcess
  consumer: string
  stderr: () => string
}

/** `alliance pipeline <dir> --redis <url> ...` as its own process; resolves once it says it is running. */
export async function spawnWorker (dir: string, redisUrl: string, consumer: string, extra: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'pipeline', dir, '--redis', redisUrl, '--consumer', consumer, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes(`pipeline worker ${consumer} running`)) resolve()
    })
    child.once('exit', code => reject(new Error(`worker ${consumer} exited with ${String(code)} before it was ready: ${err.slice(-2000)}`)))
  })
  return { child, consumer, stderr: () => err }
}

export async function stopWorker (w: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return w.child.exitCode
  const exited = new Promise<number | null>(resolve => w.child.once('exit', code => resolve(code)))
  w.child.kill(signal)
  return await exited
}

/** Every entry of a stream as [id, fields as a string map]. */
export async function readStream (r: Redis, key: string): Promise<Array<{ id: string, f: Record<string, string> }>> {
  const out: Array<{ id: string, f: Record<string, string> }> = []
  let from = '-'
  for (;;) {
    const rows = await r.xrange(key, from, '+', 'COUNT', 10_000)
    if (rows.length === 0) return out
    for (const [id, fields] of rows) {
      const f: Record<string, string> = {}
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1]
      out.push({ id, f })
    }
    from = `(${rows[rows.length - 1][0]}`
  }
}

export async function eventually (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
