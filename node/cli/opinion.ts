/**
 * `alliance feedback` (the platform's outcomes) and `alliance allow` (a
 * brand's authorised resellers): signed opinions on fingerprints. A
 * false positive, an upheld dispute or an authorised reseller moves a listed
 * fingerprint to disputed on every node; confirmations are counted in explain.
 */
import { Option, type Command } from 'commander'
import { KINDS, type Kind } from '../../protocol/kinds.js'
import { OUTCOMES, type OpinionResult, type Outcome } from '../service.js'
import { leaf, type Context } from './common.js'
import { parseDuration } from './duration.js'
import { result, type CommonOptions } from './output.js'

interface FeedbackOptions extends CommonOptions {
  fingerprint: string
  outcome: Outcome
  note?: string
  ttl?: string
}

interface AllowOptions extends CommonOptions {
  kind: Kind
  value: string
  ttl?: string
}

function text (r: OpinionResult): string {
  return `${r.opinion} recorded on ${r.fingerprint} (entry ${r.entryId.slice(0, 16)}…); status here: ${r.status}`
}

export function registerOpinion (program: Command, ctx: Context): void {
  leaf(program.command('feedback')
    .summary('record an outcome on a fingerprint: confirmed, removed, false-positive, dispute-upheld')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .requiredOption('--fingerprint <hex>', 'the fingerprint (64 hex digits) the outcome is about')
    .addOption(new Option('--outcome <outcome>', 'what happened').choices(OUTCOMES).makeOptionMandatory())
    .option('--note <text>', 'kept on this node; only its SHA-256 is shared')
    .option('--ttl <duration>', 'how long the opinion stands (e.g. 90d)'))
    .action(async (dir: string, opts: FeedbackOptions) => {
      if (!/^[0-9a-fA-F]{64}$/.test(opts.fingerprint)) ctx.usage('--fingerprint must be 64 hex digits')
      const ttlMs = opts.ttl !== undefined ? parseDuration(opts.ttl) : undefined
      const client = await ctx.client(dir)
      const r = await client.feedback({ fingerprint: opts.fingerprint.toLowerCase(), outcome: opts.outcome, ...(opts.note !== undefined ? { note: opts.note } : {}), ...(ttlMs !== undefined ? { ttlMs } : {}) })
      await result(ctx.io, opts, text(r), r)
    })

  leaf(program.command('allow')
    .summary('mark an identifier as your authorised reseller (a negative opinion: it cannot be listed while this stands)')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .addOption(new Option('--kind <kind>', 'identifier kind').choices(KINDS).makeOptionMandatory())
    .requiredOption('--value <raw>', 'the raw identifier (fingerprinted on your node)')
    .option('--ttl <duration>', 'how long the opinion stands (e.g. 365d)'))
    .action(async (dir: string, opts: AllowOptions) => {
      const ttlMs = opts.ttl !== undefined ? parseDuration(opts.ttl) : undefined
      const client = await ctx.client(dir)
      const r = await client.allow({ kind: opts.kind, value: opts.value, ...(ttlMs !== undefined ? { ttlMs } : {}) })
      await result(ctx.io, opts, text(r), r)
    })
}
