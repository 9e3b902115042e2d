/**
 * `alliance match`: the platform's daily scan (and brands' checks of their
 * own records). The running node reads the listings file, canonicalises and
 * fingerprints every identifier on this machine, looks each up in the live
 * blocklist and writes one decision per listing; raw identifiers never leave
 * the machine. `--since` lists the decisions made later for listings scanned
 * earlier, when one of their fingerprints became listed (no rescan).
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Option, type Command } from 'commander'
import type { ApiClient } from '../api/client.js'
import type { IgnoredColumn } from '../match/errors.js'
import type { MatchResultView } from '../service.js'
import { intInRange, leaf, type Context } from './common.js'
import { result, table, write, type CommonOptions } from './output.js'
import { progressBar } from './progress.js'

/** How often a terminal's progress bar asks the node how far the scan is. */
const PROGRESS_POLL_MS = 250

interface MatchOptions extends CommonOptions {
  listings?: string
  out?: string
  rejects?: string
  policy?: string
  workers?: number
  format?: 'csv' | 'jsonl'
  outputFormat?: 'jsonl' | 'csv'
  emit?: 'actions' | 'matches' | 'all'
  since?: string
  accountPlatform?: string
  strictColumns?: boolean
  force?: boolean
}

function ignoredText (ignored: IgnoredColumn[]): string {
  return ignored.map(c => c.suggestion !== undefined ? `${c.name} (did you mean ${c.suggestion}?)` : c.name).join(', ')
}

function summaryText (s: MatchResultView, out: string | undefined, rejects: string): string {
  const ignored = s.ignoredColumns
  const rows: Array<[string, string]> = [
    ['listings read', s.rows.toLocaleString('en-US')],
    ['block', s.decisions.block.toLocaleString('en-US')],
    ['screen', s.decisions.screen.toLocaleString('en-US')],
    ['none', s.decisions.none.toLocaleString('en-US')],
    ['invalid identifiers', `${s.invalid.identifiers.toLocaleString('en-US')}${s.invalid.identifiers > 0 ? ` (rows in ${rejects})` : ''}`],
    ['throughput', `${Math.round(s.listingsPerSecond).toLocaleString('en-US')} listings/s on ${s.workers} worker${s.workers === 1 ? '' : 's'}`]
  ]
  if (s.invalid.rows > 0) rows.splice(5, 0, ['unreadable rows', s.invalid.rows.toLocaleString('en-US')])
  // toprf: listings whose identifiers could not be fingerprinted (guardians unreachable, quota) are not decided
  if (s.undecided !== undefined && s.undecided.rows > 0) rows.splice(4, 0, ['NOT decided', `${s.undecided.rows.toLocaleString('en-US')} (${s.undecided.reason ?? 'not_fingerprinted'}; rows in ${rejects}; rescan once the guardians answer)`])
  if (ignored.length > 0) rows.push(['ignored columns', ignoredText(ignored)])
  return `${table(rows)}${out !== undefined ? `\ndecisions in ${resolve(out)}` : ''}`
}

/**
 * Runs `scan` while a progress bar on a terminal shows how far the node is
 * (GET /v1/match/progress every PROGRESS_POLL_MS); no bar and no polling
 * when stderr is not a terminal.
 */
async function withProgress<T> (ctx: Context, client: ApiClient, label: string, scan: Promise<T>): Promise<T> {
  if (!ctx.io.stderrIsTTY) return await scan
  const bar = progressBar(ctx.io, label)
  let done = false
  const poll = (async () => {
    while (!done) {
      await new Promise(resolve => setTimeout(resolve, PROGRESS_POLL_MS))
      if (done) break
      const p = await client.matchProgress().catch(() => null)
      if (p !== null && !done) bar.update(p.bytes, p.totalBytes, p.rows)
    }
  })()
  try {
    return await scan
  } finally {
    done = true
    await poll
    bar.stop()
  }
}

export function registerMatch (program: Command, ctx: Context): void {
  leaf(program.command('match')
    .summary('scan listings against the consensus blocklist: one decision per listing (block / screen / none), explained')
    .argument('<dir>', 'node directory (its daemon must be running, on this machine)')
    .option('--listings <file|->', 'CSV with a header row, or JSONL (columns: listing_id, seller_account, email, phone, shop_url, domain, payment_account, address, seller_name); - reads stdin')
    .option('--out <decisions>', 'decisions file (default: stdout)')
    .option('--rejects <file>', 'invalid identifiers with row numbers, in the decisions\' format (default: <out>.rejects.jsonl or .csv, or rejects.jsonl in the current folder)')
    .option('--policy <policy.json>', 'status → action policy (default: listed → block, disputed or candidate → screen)')
    .option('--workers <n>', 'worker threads (default: the node\'s cores)', intInRange('--workers', 0, 256))
    .addOption(new Option('--format <fmt>', 'input format (default: from the extension)').choices(['csv', 'jsonl']))
    .addOption(new Option('--output-format <fmt>', 'decisions and rejects format').choices(['jsonl', 'csv']).default('jsonl'))
    .addOption(new Option('--emit <which>', 'which listings get a line').choices(['actions', 'matches', 'all']).default('actions'))
    .option('--strict-columns', 'refuse a file with a column the matcher does not know (on by default when no known identifier column is found)')
    .option('--account-platform <name>', 'platform of bare seller ids in seller_account ("A1B2" is matched as <name>:A1B2)')
    .option('--force', 'replace the decisions and rejects files if they exist (default: refuse)')
    .option('--since <time>', 'instead of scanning: decisions made since <time> (ISO or ms) for listings scanned earlier'))
    .action(async (dir: string, opts: MatchOptions) => {
      const client = await ctx.client(dir)
      if (opts.since !== undefined) {
        const since = /^\d+$/.test(opts.since) ? Number(opts.since) : Date.parse(opts.since)
        if (!Number.isFinite(since)) ctx.usage('--since must be an ISO time or ms since the epoch')
        const decisions = await client.matchRetro(since)
        for (const d of decisions) await write(ctx.io.stdout, JSON.stringify(d) + '\n')
        if (opts.json !== true) await write(ctx.io.stderr, `${decisions.length} retroactive decision${decisions.length === 1 ? '' : 's'} since ${new Date(since).toISOString()}\n`)
        return
      }
      if (opts.listings === undefined) ctx.usage('give --listings <file|-> (or --since <time>)')
      let policy: unknown
      if (opts.policy !== undefined) {
        try { policy = JSON.parse(await readFile(opts.policy, 'utf8')) } catch { ctx.usage(`--policy ${opts.policy} cannot be read as JSON`) }
      }
      // stdin and stdout pass through private temporary files: the node reads and writes files on this machine
      const scratch = (opts.listings === '-' || opts.out === undefined) ? await mkdtemp(join(tmpdir(), 'alliance-match-')) : undefined
      try {
        let listings = resolve(opts.listings)
        if (opts.listings === '-') {
          listings = join(scratch as string, opts.format === 'jsonl' ? 'stdin.jsonl' : 'stdin.csv')
          await pipeline(process.stdin, createWriteStream(listings, { mode: 0o600 }))
        }
        const out = opts.out !== undefined ? resolve(opts.out) : join(scratch as string, 'decisions')
        const ext = opts.outputFormat === 'csv' ? 'csv' : 'jsonl'
        const rejects = resolve(opts.rejects ?? (opts.out !== undefined ? `${opts.out}.rejects.${ext}` : `rejects.${ext}`))
        // The node checks the file (missing: 400 listings_missing; columns it does not know: reported, or refused
        // with unknown_columns) before writing anything, and writes decisions and rejects under temporary names
        // that take their real names only once the whole scan succeeded: a failed scan leaves no outputs.
        const summary = await withProgress(ctx, client, `scanning ${basename(listings)}`, client.match({
          listings,
          out,
          rejects,
          ...(opts.format !== undefined ? { format: opts.format } : {}),
          outputFormat: opts.outputFormat,
          emit: opts.emit,
          ...(policy !== undefined ? { policy } : {}),
          ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
          ...(opts.accountPlatform !== undefined ? { accountPlatform: opts.accountPlatform } : {}),
          ...(opts.strictColumns === true ? { strictColumns: true } : {}),
          // decisions to stdout with the default rejects file: that file is replaced at each run, as before (the decisions file is a fresh scratch file)
          ...(opts.force === true || (opts.out === undefined && opts.rejects === undefined) ? { force: true } : {})
        }))
        if (opts.out === undefined) await pipeline(createReadStream(out), ctx.io.stdout, { end: false })
        if (opts.out === undefined || opts.json !== true) {
          // decisions own stdout: the summary goes to stderr
          await write(ctx.io.stderr, (opts.json === true ? JSON.stringify(summary) : summaryText(summary, opts.out, rejects)) + '\n')
        } else {
          await result(ctx.io, opts, () => summaryText(summary, opts.out, rejects), summary)
        }
      } finally {
        if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
      }
    })
}
