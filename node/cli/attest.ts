/**
 * `alliance attest` (one identifier, or a CSV/JSONL file as one bulk segment
 * with one signature) and `alliance retract`. Raw identifiers go to the local
 * daemon only; it fingerprints them and only fingerprints leave the node.
 */
import { basename } from 'node:path'
import { Option, type Command } from 'commander'
import { CLAIMS, KINDS, type Claim, type Kind } from '../../protocol/kinds.js'
import { MAX_BULK_BODY_BYTES } from '../api/limits.js'
import type { AttestItem, AttestResult } from '../service.js'
import { intInRange, leaf, reasonArg, type Context } from './common.js'
import { parseDuration } from './duration.js'
import { CommandFailedError } from './errors.js'
import { readIdentifiersFile, type IdentifiersFormat } from './identifiers-file.js'
import { plural, result, write, type CommonOptions } from './output.js'
import { progressBar } from './progress.js'

interface AttestOptions extends CommonOptions {
  kind?: Kind
  value?: string
  reason?: number | string
  ttl?: string
  claim?: Claim
  confidence?: number
  file?: string
  inputFormat?: IdentifiersFormat
  strict?: boolean
}

interface RetractOptions extends CommonOptions {
  kind: Kind
  value: string
}

/** One rejected row of a file, by line. */
export interface RejectedRow { line: number, kind: string, why: string, message: string }

/**
 * Maps the service's answer (indexes into the items sent) back to the file's
 * lines: `lines[i]` is the line of `items[i]`. Accepted fingerprints come in
 * request order, skipping rejected items.
 */
export function mapToLines (res: AttestResult, lines: number[]): { rejected: RejectedRow[], accepted: Array<{ line: number, fingerprint: string }> } {
  const rejectedIdx = new Set<number>()
  const rejected: RejectedRow[] = []
  for (const r of res.rejected) {
    rejectedIdx.add(r.index)
    rejected.push({ line: lines[r.index] ?? -1, kind: r.kind, why: r.why, message: r.message })
  }
  rejected.sort((a, b) => a.line - b.line)
  const accepted: Array<{ line: number, fingerprint: string }> = []
  let f = 0
  for (let i = 0; i < lines.length && f < res.fingerprints.length; i++) {
    if (!rejectedIdx.has(i)) accepted.push({ line: lines[i], fingerprint: res.fingerprints[f++] })
  }
  return { rejected, accepted }
}

async function attestFile (ctx: Context, dir: string, file: string, opts: AttestOptions): Promise<void> {
  const bar = progressBar(ctx.io, `reading ${basename(file)}`)
  let parsed
  try {
    parsed = await readIdentifiersFile(file, { ...(opts.inputFormat !== undefined ? { format: opts.inputFormat } : {}), onProgress: bar.update })
  } finally {
    bar.stop()
  }
  const { items, lines } = parsed
  const bodyBytes = Buffer.byteLength(JSON.stringify({ items }))
  if (bodyBytes > MAX_BULK_BODY_BYTES) {
    ctx.usage(`${file}: ${plural(items.length, 'identifier')} make a ${Math.ceil(bodyBytes / 2 ** 20)} MiB request, over the ${MAX_BULK_BODY_BYTES / 2 ** 20} MiB limit of one bulk segment; split the file`)
  }
  const client = await ctx.client(dir)
  if (ctx.io.stderrIsTTY && opts.json !== true) await write(ctx.io.stderr, `sending ${plural(items.length, 'identifier')} to the node (one bulk segment, one signature)…\n`)
  const res = await client.attest(items)
  const { rejected, accepted } = mapToLines(res, lines)
  await result(ctx.io, opts, () => {
    const out = [`attested ${accepted.length} of ${plural(items.length, 'identifier')} from ${file}: ${plural(res.entries, 'entry', 'entries')} in one signed bulk segment`]
    if (rejected.length > 0) {
      out.push(`rejected ${rejected.length}:`)
      for (const r of rejected.slice(0, 50)) out.push(`  line ${r.line}: ${r.kind} ${r.why}: ${r.message}`)
      if (rejected.length > 50) out.push(`  and ${rejected.length - 50} more (use --json for all)`)
    }
    return out.join('\n')
  }, { file, total: items.length, accepted: accepted.length, entries: res.entries, rejected, fingerprints: accepted })
  if (accepted.length === 0) throw new CommandFailedError('nothing_attested', `no identifier of ${file} was accepted; see the rejected lines above`)
  if (opts.strict === true && rejected.length > 0) throw new CommandFailedError('rows_rejected', `${plural(rejected.length, 'line')} of ${file} rejected (--strict)`)
}

async function attestOne (ctx: Context, dir: string, opts: AttestOptions & { kind: Kind, value: string }): Promise<void> {
  const item: AttestItem = { kind: opts.kind, value: opts.value }
  if (opts.reason !== undefined) item.reason = opts.reason
  if (opts.ttl !== undefined) item.ttlMs = parseDuration(opts.ttl)
  if (opts.claim !== undefined) item.claim = opts.claim
  if (opts.confidence !== undefined) item.confidence = opts.confidence
  const client = await ctx.client(dir)
  const res = await client.attest([item])
  const rej = res.rejected[0]
  if (rej !== undefined || res.fingerprints.length === 0) {
    ctx.usage(`the node rejected the ${opts.kind} value: ${rej?.message ?? 'no fingerprint returned'}${rej !== undefined ? ` (${rej.why})` : ''}`)
  }
  // The node caps a lifetime at the roster's maximum: say so when that happened to the --ttl given.
  let expires: string | null | undefined
  let capped = false
  if (item.ttlMs !== undefined) {
    const status = await client.status()
    const mine = (await client.explain({ fingerprint: res.fingerprints[0] })).positive.find(v => v.org === status.org)
    expires = mine?.expires
    if (expires !== undefined && expires !== null && Date.parse(expires) < Date.parse(mine?.time ?? '') + item.ttlMs - 1000) {
      capped = true
      await write(ctx.io.stderr, `alliance: notice: --ttl ${opts.ttl ?? ''} is beyond the roster's maximum lifetime; the attestation expires ${expires}\n`)
    }
  }
  await result(ctx.io, opts, `attested ${opts.kind}: fingerprint ${res.fingerprints[0]}`, { kind: opts.kind, fingerprint: res.fingerprints[0], entries: res.entries, ...(expires !== undefined ? { expires, capped } : {}) })
}

export function registerAttest (program: Command, ctx: Context): void {
  leaf(program.command('attest')
    .summary('attest one identifier, or a CSV/JSONL file of them as one signed bulk segment')
    .description('Attest counterfeiters\' identifiers. Raw values go to your own node only; it fingerprints them and only fingerprints leave it.\n' +
      'A file (--file) is CSV with a header row naming at least kind,value (optional: reason — a name or code —, ttl, claim, confidence) or JSONL with the same fields; ' +
      'every row is checked first (bad rows are listed by line and nothing is sent), then the whole file is one request, one bulk segment, one signature.')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .addOption(new Option('--kind <kind>', 'identifier kind').choices(KINDS))
    .option('--value <raw>', 'the raw identifier')
    .option('--reason <name|code>', 'why: a reason of the roster\'s vocabulary, by name (counterfeit, trademark-infringement, …; alliance roster reasons <dir> lists them) or code', reasonArg('--reason'))
    .option('--ttl <duration>', 'lifetime, e.g. 90d, 12h, 30m (default 90d, capped by the roster)')
    .addOption(new Option('--claim <claim>', 'what is claimed (default counterfeit-seller)').choices(CLAIMS))
    .option('--confidence <n>', 'confidence 0..100 (default 100)', intInRange('--confidence', 0, 100))
    .option('--file <path>', 'identifiers file (.csv or .jsonl)')
    .addOption(new Option('--input-format <format>', 'file format if the extension does not say').choices(['csv', 'jsonl']))
    .option('--strict', 'exit 1 if the node rejects any row'))
    .action(async (dir: string, opts: AttestOptions) => {
      if (opts.file !== undefined) {
        if (opts.kind !== undefined || opts.value !== undefined) ctx.usage('give either --file or --kind with --value, not both')
        for (const flag of ['reason', 'ttl', 'claim', 'confidence'] as const) {
          if (opts[flag] !== undefined) ctx.usage(`--${flag} applies to a single identifier; in a file, put it in a "${flag}" column`)
        }
        await attestFile(ctx, dir, opts.file, opts)
        return
      }
      if (opts.kind === undefined || opts.value === undefined) ctx.usage('give --kind and --value, or --file <identifiers.csv|.jsonl>')
      if (opts.ttl !== undefined) parseDuration(opts.ttl) // fail before contacting the daemon
      await attestOne(ctx, dir, { ...opts, kind: opts.kind, value: opts.value })
    })

  leaf(program.command('retract')
    .summary('withdraw your org\'s attestation of an identifier')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .addOption(new Option('--kind <kind>', 'identifier kind').choices(KINDS).makeOptionMandatory())
    .requiredOption('--value <raw>', 'the raw identifier'))
    .action(async (dir: string, opts: RetractOptions) => {
      const client = await ctx.client(dir)
      const res = await client.retract({ kind: opts.kind, value: opts.value })
      await result(ctx.io, opts, res.retracted > 0
        ? `retracted ${plural(res.retracted, 'attestation')} of ${opts.kind} fingerprint ${res.fingerprint}`
        : `nothing to retract: your org has no standing attestation of ${opts.kind} fingerprint ${res.fingerprint}`, res)
    })
}
