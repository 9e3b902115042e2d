/** `alliance start`: the daemon in the foreground until SIGINT/SIGTERM (SIGHUP re-reads the API token), or in the background with --detach. */
import { Option, type Command } from 'commander'
import { ApiClient } from '../api/client.js'
import { readApiInfo, readConfig } from '../home.js'
import { leaf, type Context } from './common.js'
import { CliUsageError, DaemonStartError } from './errors.js'
import { errorLine, write, type CommonOptions } from './output.js'
import { startDetached } from './service.js'

interface StartOptions extends CommonOptions {
  logLevel?: string
  antiEntropy?: string
  detach?: boolean
  logFile?: string
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
    .summary('run the node in the foreground (SIGINT/SIGTERM stop it cleanly), or in the background with --detach')
    .argument('<dir>', 'node directory (with an installed roster)')
    .addOption(new Option('--log-level <lvl>', 'log verbosity (logs go to stderr as JSON lines)').choices(['error', 'warn', 'info', 'debug']))
    .option('--anti-entropy <seconds>', 'pull from every connected peer this often (default 30)')
    .option('--detach', 'run in the background and return once it is running; stop it with alliance stop <dir>')
    .option('--log-file <file>', 'with --detach: where its output goes (appended; default <dir>/node.log)'))
    .action(async (dir: string, opts: StartOptions) => {
      const config = await readConfig(dir)
      if (await alreadyRunning(dir)) throw new DaemonStartError('already_running', `a daemon is already running for ${dir}; stop it first (alliance stop ${dir})`)
      const antiEntropyIntervalMs = opts.antiEntropy !== undefined ? Number(opts.antiEntropy) * 1000 : undefined
      if (antiEntropyIntervalMs !== undefined && !(antiEntropyIntervalMs >= 100)) throw new CliUsageError('--anti-entropy must be a number of seconds, at least 0.1')
      if (opts.logFile !== undefined && opts.detach !== true) throw new CliUsageError('--log-file goes with --detach (in the foreground, logs go to stderr)')
      if (opts.detach === true) {
        await startDetached(dir, config, opts, ctx)
        return
      }
      // loaded here, not at the top: libp2p takes a second to load and only `start` needs it
      const { startDaemon } = await import('../daemon.js')

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
      // SIGHUP (alliance api rotate-token): re-read <dir>/api-token; one arriving during start-up is applied after it
      let handle: Awaited<ReturnType<typeof startDaemon>> | undefined
      let hupPending = false
      const reload = (): void => {
        if (handle === undefined) { hupPending = true; return }
        handle.reloadToken().catch(err => { ctx.io.stderr.write(`${errorLine(err)}\n`) })
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      process.on('SIGHUP', reload)
      try {
        handle = await startDaemon(dir, { logLevel: opts.logLevel, antiEntropyIntervalMs })
        if (hupPending) reload()
        await write(ctx.io.stderr, `node ${config.org} running; API ${handle.apiUrl}\n`)
        if (opts.json === true) await write(ctx.io.stdout, JSON.stringify({ org: config.org, apiUrl: handle.apiUrl, pid: process.pid }) + '\n')
        const sig = await stopRequested
        await write(ctx.io.stderr, `node ${config.org} stopping (${sig})\n`)
        await handle.stop()
        await write(ctx.io.stderr, `node ${config.org} stopped\n`)
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        process.off('SIGHUP', reload)
      }
    })
}
