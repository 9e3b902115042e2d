/** `alliance start`: the daemon in the foreground until SIGINT/SIGTERM. */
import { Option, type Command } from 'commander'
import { ApiClient } from '../api/client.js'
import { readApiInfo, readConfig } from '../home.js'
import { leaf, type Context } from './common.js'
import { DaemonStartError } from './errors.js'
import { write, type CommonOptions } from './output.js'

interface StartOptions extends CommonOptions {
  logLevel?: string
}

/** What node/alliance-node.ts exports; typed here so the CLI compiles whether or not that module exists yet. */
interface DaemonHandle { stop: () => Promise<void>, apiUrl: string }
type StartDaemon = (dir: string, opts: { logLevel?: string }) => Promise<DaemonHandle>

const DAEMON_MODULE = '../alliance-node.js'

async function loadStartDaemon (): Promise<StartDaemon> {
  let mod: { startDaemon?: unknown }
  try {
    mod = await import(DAEMON_MODULE) as { startDaemon?: unknown }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('alliance-node')) {
      throw new DaemonStartError('daemon_missing', 'this build has no daemon (node/alliance-node.ts is missing); update the installation', { cause: err })
    }
    throw err
  }
  if (typeof mod.startDaemon !== 'function') throw new DaemonStartError('daemon_missing', 'node/alliance-node.ts does not export startDaemon; update the installation')
  return mod.startDaemon as StartDaemon
}

/** A daemon answers for `dir` (any HTTP answer counts, even 401). */
async function alreadyRunning (dir: string): Promise<boolean> {
  const info = await readApiInfo(dir)
  if (info === undefined) return false
  try {
    await new ApiClient({ url: info.url, token: info.token, dir, timeoutMs: 2000 }).status()
    return true
  } catch (err) {
    return (err as Error).name === 'ApiRequestError'
  }
}

export function registerDaemon (program: Command, ctx: Context): void {
  leaf(program.command('start')
    .summary('run the node in the foreground; SIGINT/SIGTERM stop it cleanly')
    .argument('<dir>', 'node directory (with an installed roster)')
    .addOption(new Option('--log-level <lvl>', 'log verbosity (logs go to stderr as JSON lines)').choices(['error', 'warn', 'info', 'debug'])))
    .action(async (dir: string, opts: StartOptions) => {
      const config = await readConfig(dir)
      if (await alreadyRunning(dir)) throw new DaemonStartError('already_running', `a daemon is already running for ${dir}; stop it first (its API is in ${dir}/api.json)`)
      const startDaemon = await loadStartDaemon()

      // Listen before starting: a signal during start-up still stops cleanly afterwards.
      let signalled: (sig: NodeJS.Signals) => void = () => {}
      const stopRequested = new Promise<NodeJS.Signals>(resolve => { signalled = resolve })
      let stopping = false
      const onSignal = (sig: NodeJS.Signals): void => {
        if (stopping) {
          ctx.io.stderr.write(`alliance: second ${sig} while stopping; exiting now\n`)
          process.exit(130)
        }
        stopping = true
        signalled(sig)
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      try {
        const handle = await startDaemon(dir, opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {})
        await write(ctx.io.stderr, `node ${config.org} running; API ${handle.apiUrl}\n`)
        if (opts.json === true) await write(ctx.io.stdout, JSON.stringify({ org: config.org, apiUrl: handle.apiUrl, pid: process.pid }) + '\n')
        const sig = await stopRequested
        await write(ctx.io.stderr, `node ${config.org} stopping (${sig})\n`)
        await handle.stop()
        await write(ctx.io.stderr, `node ${config.org} stopped\n`)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}
