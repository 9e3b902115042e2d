/**
 * `alliance match`: the platform's daily scan (and brands' checks of their
 * own records). The running node reads the listings file, canonicalises and
 * fingerprints every identifier on this machine, looks each up in the live
 * blocklist and writes one decision per listing; raw identifiers never leave
 * the machine. `--since` lists the decisions made later for listings scanned
 * earlier, when one of their fingerprints became listed (no rescan).
 */
import { OutputExistsError } from '../errors.js'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Option, type Command } from 'commander'
import type { MatchSummary } from '../match/index.js'
import { intInRange, leaf, type Context } from './common.js'
import { CliUsageError, InputFileError } from './errors.js'
import { classifyColumns, readListingsHeader, type IgnoredColumn } from './listings-columns.js'
import { result, table, write, type CommonOptions } from './output.js'

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

function summaryText (s: MatchSummary, out: string | undefined, rejects: string, ignored: IgnoredColumn[]): string {
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

/** The listings file exists and is a file: said here, before the node is asked (it would only log ENOENT). */
async function checkListings (path: string): Promise<void> {
  let st
  try {
    st = await stat(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new InputFileError(path, code === 'ENOENT' ? 'no such file' : `cannot be read (${String(code)})`)
  }
  if (!st.isFile()) throw new InputFileError(path, 'is not a file')
}

/** Where the node writes an output while the scan runs: renamed to `path` only when the scan succeeded. */
function partialName (path: string): string {
  return `${path}.partial-${process.pid}`
}

/** Renames `from` to `to` if it exists (the node writes no rejects file when it has none to write). */
async function publish (from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

export function registerMatch (program: Command, ctx: Context): void {
  leaf(program.command('match')
    .summary('scan listings against the consensus blocklist: one decision per listing (block / screen / none), explained')
    .argument('<dir>', 'node directory (its daemon must be running, on this machine)')
    .option('--listings <file|->', 'CSV with a header row, or JSONL (columns: listing_id, seller_account, email, phone, shop_url, domain, payment_account, address, seller_name); - reads stdin')
    .option('--out <decisions>', 'decisions file (default: stdout)')
    .option('--rejects <file>', 'invalid identifiers with row numbers (default: <out>.rejects.jsonl, or rejects.jsonl)')
    .option('--policy <policy.json>', 'status → action policy (default: listed → block, disputed or candidate → screen)')
    .option('--workers <n>', 'worker threads (default: the node\'s cores)', intInRange('--workers', 0, 256))
    .addOption(new Option('--format <fmt>', 'input format (default: from the extension)').choices(['csv', 'jsonl']))
    .addOption(new Option('--output-format <fmt>', 'decisions format').choices(['jsonl', 'csv']).default('jsonl'))
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
        } else {
          await checkListings(listings)
        }
        // a misspelt column is ignored by the matcher: say which, before anything is written
        const header = await readListingsHeader(listings, opts.format ?? (/\.(jsonl|ndjson)$/i.test(listings) ? 'jsonl' : 'csv'))
        const columns = header !== undefined ? classifyColumns(header) : { identifiers: [], ignored: [] }
        if (header !== undefined && columns.ignored.length > 0 && (opts.strictColumns === true || columns.identifiers.length === 0)) {
          throw new CliUsageError(`${opts.listings} has column${columns.ignored.length === 1 ? '' : 's'} the matcher does not know: ${ignoredText(columns.ignored)}${columns.identifiers.length === 0 ? ', and none it knows' : ' (--strict-columns)'}; known: listing_id, seller_account, email, phone, shop_url, domain, payment_account, address, seller_name`, 'unknown_columns')
        }
        const out = opts.out !== undefined ? resolve(opts.out) : join(scratch as string, 'decisions')
        const rejects = resolve(opts.rejects ?? (opts.out !== undefined ? `${opts.out}.rejects.jsonl` : 'rejects.jsonl'))
        // A failed scan must not leave files a pipeline could read as "nothing to block": the node writes
        // under temporary names, renamed to the real ones only once the whole scan succeeded.
        // the node writes under temporary names and the CLI renames them: the no-overwrite rule is the CLI's to keep here
        if (opts.force !== true) {
          for (const [what, path, named] of [['decisions file', out, opts.out !== undefined], ['rejects file', rejects, opts.out !== undefined || opts.rejects !== undefined]] as const) {
            if (named && await stat(path).then(() => true, () => false)) throw new OutputExistsError(what, path)
          }
        }
        const partialOut = partialName(out)
        const partialRejects = partialName(rejects)
        const summary = await client.match({
          listings,
          out: partialOut,
          rejects: partialRejects,
          ...(opts.format !== undefined ? { format: opts.format } : {}),
          outputFormat: opts.outputFormat,
          emit: opts.emit,
          ...(policy !== undefined ? { policy } : {}),
          ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
          ...(opts.accountPlatform !== undefined ? { accountPlatform: opts.accountPlatform } : {}),
          ...(opts.force === true ? { force: true } : {})
        }).catch(async (err: unknown) => {
          await rm(partialOut, { force: true })
          await rm(partialRejects, { force: true })
          throw err
        })
        await publish(partialOut, out)
        await publish(partialRejects, rejects)
        if (opts.out === undefined) await pipeline(createReadStream(out), ctx.io.stdout, { end: false })
        if (opts.out === undefined || opts.json !== true) {
          // decisions own stdout: the summary goes to stderr
          await write(ctx.io.stderr, (opts.json === true ? JSON.stringify({ ...summary, ignoredColumns: columns.ignored }) : summaryText(summary, opts.out, rejects, columns.ignored)) + '\n')
        } else {
          await result(ctx.io, opts, () => summaryText(summary, opts.out, rejects, columns.ignored), { ...summary, ignoredColumns: columns.ignored })
        }
      } finally {
        if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
      }
    })
}
