/**
 * Running the node as a service: `alliance start --detach` (the daemon in
 * the background, its log in a file), `alliance stop` (SIGTERM, then wait
 * until it has exited) and `alliance api rotate-token` (a new bearer token;
 * a running daemon takes it on SIGHUP). Under systemd, run `alliance start`
 * in the foreground instead (deploy/alliance.service).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { ApiClient } from '../api/client.js'
import { API_TOKEN_FILE, readApiInfo, readConfig, rotateApiToken, type NodeConfig } from '../home.js'
import { LAUNCHER } from '../version.js'
import { intInRange, leaf, type Context } from './common.js'
import { DaemonStartError, DaemonStopError } from './errors.js'
import { result, type CommonOptions } from './output.js'

/** How long `start --detach` waits for the background daemon to say it is running. */
const DETACH_READY_MS = 120_000
const POLL_MS = 100

/** A process exists and is not a zombie (a daemon whose parent is gone may stay one until reaped). */
export function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc: kill(pid, 0) is all we know
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** The last non-empty line of a log file (what a failed start printed), at most 300 characters. */
async function lastLine (file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const lines = text.split('\n').filter(l => l.trim() !== '')
  return (lines.at(-1) ?? '(the log is empty)').slice(0, 300)
}

export interface DetachOptions { logLevel?: string, antiEntropy?: string, logFile?: string }

/**
 * `alliance start --detach`: the same `alliance start` as a background
 * process in its own session, stdout and stderr appended to the log file;
 * returns once its API answers. A daemon that exits or is not running in
 * time is reported with its log's last line (and a late one is stopped).
 */
export async function startDetached (dir: string, config: NodeConfig, opts: DetachOptions & CommonOptions, ctx: Context): Promise<void> {
  const logFile = resolve(opts.logFile ?? join(dir, 'node.log'))
  const args = [LAUNCHER, 'start', resolve(dir)]
  if (opts.logLevel !== undefined) args.push('--log-level', opts.logLevel)
  if (opts.antiEntropy !== undefined) args.push('--anti-entropy', opts.antiEntropy)
  const fd = openSync(logFile, 'a', 0o600)
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: process.env })
  closeSync(fd)
  const pid = child.pid
  if (pid === undefined) throw new DaemonStartError('spawn_failed', `could not start a background process for ${dir}`)
  let exit: string | undefined
  child.once('exit', (code, signal) => { exit = signal ?? String(code) })
  child.unref()

  const deadline = Date.now() + DETACH_READY_MS
  for (;;) {
    if (exit !== undefined) throw new DaemonStartError('exited', `the node exited (${exit}) before it was running; ${logFile} ends with: ${await lastLine(logFile)}`)
    const info = await readApiInfo(dir)
    if (info?.pid === pid) {
      const ok = await new ApiClient({ url: info.url, token: info.token, dir, timeoutMs: 2000 }).status().then(() => true, () => false)
      if (ok) {
        await result(ctx.io, opts, [
          `node ${config.org} running in the background (pid ${pid}); API ${info.url}`,
          `log: ${logFile}`,
          `stop it with: alliance stop ${dir}`
        ].join('\n'), { org: config.org, apiUrl: info.url, pid, log: logFile })
        return
      }
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM')
      throw new DaemonStartError('not_ready', `the node was not running after ${DETACH_READY_MS / 1000} s; stopped it. ${logFile} ends with: ${await lastLine(logFile)}`)
    }
    await sleep(POLL_MS)
  }
}

interface StopOptions extends CommonOptions { timeout: number }

export function registerService (program: Command, ctx: Context): void {
  leaf(program.command('stop')
    .summary('stop the running daemon of <dir> (SIGTERM) and wait until it has exited')
    .argument('<dir>', 'node directory')
    .option('--timeout <seconds>', 'how long to wait for it to exit', intInRange('--timeout', 1, 3600), 60))
    .action(async (dir: string, opts: StopOptions) => {
      const config = await readConfig(dir)
      const client = await ctx.client(dir) // DaemonNotRunningError (exit 3) when there is none
      const info = await readApiInfo(dir)
      const pid = info?.pid
      // Signal only a process proven to be this node: api.json left by a killed daemon may name a pid reused since.
      const answers = await client.status().then(() => true, () => false)
      if (typeof pid !== 'number' || !answers) {
        throw new DaemonStopError('not_answering', `the process named in ${join(dir, 'api.json')} (pid ${String(pid)}) does not answer on the node's API; not signalling it. If it is the node, stop it yourself`)
      }
      process.kill(pid, 'SIGTERM')
      const deadline = Date.now() + opts.timeout * 1000
      while (processAlive(pid)) {
        if (Date.now() > deadline) throw new DaemonStopError('still_running', `node ${config.org} (pid ${pid}) is still stopping after ${opts.timeout} s; wait, or raise --timeout`)
        await sleep(POLL_MS)
      }
      await result(ctx.io, opts, `node ${config.org} stopped (pid ${pid})`, { org: config.org, pid, stopped: true })
    })

  const api = program.command('api').summary('the local HTTP API: its bearer token')
  leaf(api.command('rotate-token')
    .summary('replace <dir>/api-token (0600) with a fresh token; a running daemon takes it at once')
    .argument('<dir>', 'node directory'))
    .action(async (dir: string, opts: CommonOptions) => {
      const config = await readConfig(dir)
      const info = await readApiInfo(dir)
      // the daemon proven to be this node before the token changes (as for stop)
      const running = info !== undefined && processAlive(info.pid) &&
        await new ApiClient({ url: info.url, token: info.token, dir, timeoutMs: 5000 }).status().then(() => true, () => false)
      const token = await rotateApiToken(dir)
      const file = join(resolve(dir), API_TOKEN_FILE)
      if (!running) {
        await result(ctx.io, opts, `new API token in ${file}; the daemon uses it from its next start`, { org: config.org, file, daemon: 'not_running' })
        return
      }
      process.kill(info.pid, 'SIGHUP')
      const fresh = new ApiClient({ url: info.url, token, dir, timeoutMs: 2000 })
      const deadline = Date.now() + 10_000
      while (!await fresh.status().then(() => true, () => false)) {
        if (Date.now() > deadline) throw new DaemonStopError('reload_failed', `the new token is in ${file} but the running daemon (pid ${info.pid}) did not take it within 10 s; restart it`)
        await sleep(POLL_MS)
      }
      await result(ctx.io, opts, `new API token in ${file}; the running daemon (pid ${info.pid}) accepts only the new one now`, { org: config.org, file, daemon: 'reloaded' })
    })
}
