/** `alliance start`: the daemon in the foreground until SIGINT/SIGTERM. */
import { Option, type Command } from 'commander'
import { ApiClient } from '../api/client.js'
import { readApiInfo, readConfig } from '../home.js'
import { leaf, type Context } from './common.js'
import { CliUsageError, DaemonStartError } from './errors.js'
import { write, type CommonOptions } from './output.js'

interface StartOptions extends CommonOptions {
  logLevel?: string
  antiEntropy?: string
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
    .addOption(new Option('--log-level <lvl>', 'log verbosity (logs go to stderr as JSON lines)').choices(['error', 'warn', 'info', 'debug']))
    .option('--anti-entropy <seconds>', 'pull from every connected peer this often (default 30)'))
    .action(async (dir: string, opts: StartOptions) => {
      const config = await readConfig(dir)
      if (await alreadyRunning(dir)) throw new DaemonStartError('already_running', `a daemon is already running for ${dir}; stop it first (its API is in ${dir}/api.json)`)
      const antiEntropyIntervalMs = opts.antiEntropy !== undefined ? Number(opts.antiEntropy) * 1000 : undefined
      if (antiEntropyIntervalMs !== undefined && !(antiEntropyIntervalMs >= 100)) throw new CliUsageError('--anti-entropy must be a number of seconds, at least 0.1')
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
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      try {
        const handle = await startDaemon(dir, { logLevel: opts.logLevel, antiEntropyIntervalMs })
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
