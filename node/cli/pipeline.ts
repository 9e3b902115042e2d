/**
 * `alliance pipeline`: the platform's matching as a Redis Streams consumer
 * group (node/pipeline).
 *
 *   alliance pipeline <dir> --redis redis://host:6379 [--in listings] [--out decisions] [--group matchers] [--consumer <name>] [--batch 1000]
 *       a worker, in the foreground until SIGINT/SIGTERM; <dir> is the node
 *       directory (or any directory holding a copy of its api.json)
 *   alliance pipeline status <dir> --redis <url>
 *       workers, lag, pending, dead letters, decisions/s, blocklist version per worker
 *   alliance pipeline feed --redis <url> --listings <file|->
 *       a CSV/JSONL listings file into the input stream, one entry per listing
 */
import { readFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { ApiClient } from '../api/client.js'
import { createLogger, type LogLevel } from '../logger.js'
import { parsePolicy, readListings, type ListingRow } from '../match/index.js'
import { PipelineWorker, type NodeLink } from '../pipeline/worker.js'
import { connectRedis } from '../pipeline/redis.js'
import { readPipelineStatus, type PipelineStatus } from '../pipeline/status.js'
import { feedListings } from '../pipeline/producer.js'
import { intInRange, leaf, type Context } from './common.js'
import { parseDuration } from './duration.js'
import { result, table, write, type CommonOptions } from './output.js'

interface WorkerOptions extends CommonOptions {
  redis?: string
  prefix: string
  in: string
  out: string
  group: string
  consumer?: string
  batch: number
  inFlight: number
  policy?: string
  claimIdle: string
  maxDeliveries: number
  outMaxlen: number
  logLevel?: string
}

/** The node's API, re-read from <dir>/api.json when the node restarted (new URL or token). */
function nodeLink (dir: string): NodeLink {
  let client: Promise<ApiClient> | undefined
  const get = async (): Promise<ApiClient> => { client ??= ApiClient.fromDir(dir, { timeoutMs: 30_000 }); return await client }
  const retry = async <T>(call: (c: ApiClient) => Promise<T>): Promise<T> => {
    try {
      return await call(await get())
    } catch (err) {
      const e = err as { name?: string, status?: number }
      if (e.name !== 'DaemonNotRunningError' && !(e.name === 'ApiRequestError' && e.status === 401)) throw err
      client = undefined
      return await call(await get())
    }
  }
  return {
    attach: async (req) => await retry(async c => await c.pipelineAttach(req)),
    fingerprints: async (req) => await retry(async c => await c.pipelineFingerprints(req))
  }
}

function statusText (s: PipelineStatus): string {
  const lines: string[] = []
  lines.push(table([
    ['node', s.node !== null ? `publishing (epoch ${s.node.epoch}, version ${s.node.version})` : 'not publishing (no heartbeat in Redis)'],
    ['blocklist', s.blocklist !== null ? `${s.blocklist.entries.toLocaleString('en-US')} fingerprints, snapshot ${s.blocklist.snapshot}` : 'none published']
  ]))
  for (const g of s.groups) {
    lines.push('')
    lines.push(`group ${g.group}: ${g.input} → ${g.output}`)
    lines.push(table([
      ['lag', g.lag === null ? 'unknown' : g.lag.toLocaleString('en-US')],
      ['pending', g.pending.toLocaleString('en-US')],
      ['decisions', g.decisions.toLocaleString('en-US')],
      ['dead letters', g.deadLetters.toLocaleString('en-US')]
    ]))
    for (const w of g.workers) {
      lines.push(`  ${w.alive ? 'live' : 'dead'}  ${w.consumer}  ${w.perSecond.toLocaleString('en-US')}/s  decided ${w.decided.toLocaleString('en-US')}  version ${w.version} (epoch ${w.epoch})  rss ${w.rssMb} MB${(w as { adoptedBy?: string }).adoptedBy !== undefined ? `  adopted by ${(w as { adoptedBy?: string }).adoptedBy ?? ''}` : ''}`)
    }
  }
  if (s.groups.length === 0) lines.push('\nno consumer group yet (start a worker: alliance pipeline <dir> --redis <url>)')
  return lines.join('\n')
}

export function registerPipeline (program: Command, ctx: Context): void {
  // the worker's options belong to `pipeline` itself; positional options keep `pipeline status --redis` for `status`
  program.enablePositionalOptions()
  const cmd = program.command('pipeline')
    .enablePositionalOptions()
    .summary('the platform\'s matching on Redis Streams: a worker of a consumer group, its status, feeding listings')
    .description('Runs a pipeline worker: reads listings from a Redis stream (one entry per listing, fields as the columns of a listings file), decides each exactly as `alliance match` does, writes one decision per listing to the output stream. Any number of workers on any number of machines; the node publishes the blocklist to Redis when the first one attaches.')
  leaf(cmd
    .argument('<dir>', 'node directory (or a directory with a copy of its api.json): the worker fetches fingerprints through the node')
    .option('--redis <url>', 'redis://host:6379 (rediss:// for TLS); required')
    .option('--prefix <p>', 'prefix of the pipeline\'s own keys', 'alliance')
    .option('--in <stream>', 'listings stream', 'listings')
    .option('--out <stream>', 'decisions stream (dead letters go to <out>:dead)', 'decisions')
    .option('--group <name>', 'consumer group', 'matchers')
    .option('--consumer <name>', 'this worker\'s name in the group (default: <host>-<pid>); a restart under the same name resumes its seen listings')
    .option('--batch <n>', 'entries per read', intInRange('--batch', 1, 10_000), 1000)
    .option('--in-flight <n>', 'batches being committed at once', intInRange('--in-flight', 1, 16), 2)
    .option('--policy <policy.json>', 'status → action policy (every worker of a group must use the same)')
    .option('--claim-idle <duration>', 'entries pending this long on a worker are claimed by another', '30s')
    .option('--max-deliveries <n>', 'deliveries after which an entry is dead-lettered', intInRange('--max-deliveries', 1, 1000), 5)
    .option('--out-maxlen <n>', 'keep about this many decisions in the output stream (MAXLEN ~)', intInRange('--out-maxlen', 1000, 2 ** 40), 10_000_000)
    .addOption(new Option('--log-level <lvl>', 'log verbosity (JSON lines on stderr)').choices(['error', 'warn', 'info', 'debug']).default('info')))
    .action(async (dir: string, opts: WorkerOptions) => {
      // not a requiredOption: commander would demand it of `pipeline status` and `feed` too
      if (opts.redis === undefined) ctx.usage('give --redis <url> (redis://host:6379)')
      let policy
      if (opts.policy !== undefined) {
        let raw: unknown
        try { raw = JSON.parse(await readFile(opts.policy, 'utf8')) } catch { ctx.usage(`--policy ${opts.policy} cannot be read as JSON`) }
        policy = parsePolicy(raw)
      }
      const logger = createLogger({ level: (opts.logLevel ?? 'info') as LogLevel, sink: (line) => { ctx.io.stderr.write(line + '\n') } })
      const worker = new PipelineWorker({
        redis: opts.redis as string,
        prefix: opts.prefix,
        input: opts.in,
        output: opts.out,
        group: opts.group,
        ...(opts.consumer !== undefined ? { consumer: opts.consumer } : {}),
        batch: opts.batch,
        inFlight: opts.inFlight,
        claimIdleMs: parseDuration(opts.claimIdle),
        maxDeliveries: opts.maxDeliveries,
        outMaxLen: opts.outMaxlen,
        ...(policy !== undefined ? { policy } : {})
      }, { node: nodeLink(dir), logger: logger.forComponent('alliance:pipeline') })
      let signalled: (sig: NodeJS.Signals) => void = () => {}
      const stopRequested = new Promise<NodeJS.Signals>(resolve => { signalled = resolve })
      const onSignal = (sig: NodeJS.Signals): void => { signalled(sig) }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      try {
        await worker.start()
        await write(ctx.io.stderr, `pipeline worker ${worker.consumer} running; group ${opts.group}, ${opts.in} → ${opts.out}\n`)
        const sig = await stopRequested
        await write(ctx.io.stderr, `pipeline worker ${worker.consumer} stopping (${sig})\n`)
        await worker.stop()
        if (opts.json === true) await write(ctx.io.stdout, JSON.stringify({ consumer: worker.consumer, ...worker.stats }) + '\n')
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })

  leaf(cmd.command('status')
    .summary('workers, lag, pending, dead letters, decisions/s, blocklist version per worker (read from Redis)')
    .argument('[dir]', 'node directory (not needed: everything is read from Redis)')
    .requiredOption('--redis <url>', 'redis://host:6379')
    .option('--prefix <p>', 'prefix of the pipeline\'s keys', 'alliance'))
    .action(async (_dir: string | undefined, opts: CommonOptions & { redis: string, prefix: string }) => {
      const r = await connectRedis(opts.redis, { name: 'alliance-pipeline-status' })
      try {
        const s = await readPipelineStatus(r, opts.prefix)
        await result(ctx.io, opts, () => statusText(s), s)
      } finally {
        r.disconnect()
      }
    })

  leaf(cmd.command('feed')
    .summary('put a listings file (CSV with a header row, or JSONL) into the input stream, one entry per listing')
    .requiredOption('--redis <url>', 'redis://host:6379')
    .requiredOption('--listings <file|->', 'listings file; - reads stdin')
    .option('--in <stream>', 'listings stream', 'listings')
    .addOption(new Option('--format <fmt>', 'input format (default: from the extension)').choices(['csv', 'jsonl']))
    .option('--maxlen <n>', 'trim the stream to about this many entries (MAXLEN ~; default: no trimming)', intInRange('--maxlen', 1, 2 ** 40)))
    .action(async (opts: CommonOptions & { redis: string, listings: string, in: string, format?: 'csv' | 'jsonl', maxlen?: number }) => {
      const r = await connectRedis(opts.redis, { name: 'alliance-pipeline-feed' })
      let unreadable = 0
      try {
        async function * rows (): AsyncGenerator<ListingRow> {
          for await (const rec of readListings(opts.listings, opts.format !== undefined ? { format: opts.format } : {})) {
            if ('problem' in rec) { unreadable++; continue }
            yield rec.listing
          }
        }
        const n = await feedListings(r, opts.in, rows(), opts.maxlen !== undefined ? { maxLen: opts.maxlen } : {})
        await result(ctx.io, opts, () => `${n.toLocaleString('en-US')} listings added to ${opts.in}${unreadable > 0 ? ` (${unreadable} unreadable rows skipped)` : ''}`, { added: n, unreadable, stream: opts.in })
      } finally {
        r.disconnect()
      }
    })
}
