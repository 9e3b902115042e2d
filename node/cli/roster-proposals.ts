/**
 * `alliance roster propose | proposals | reasons`, and the reason vocabulary
 * options of `roster create` and `roster next`:
 *
 * - `--reason <code:name:description>` (repeatable) or `--reasons <file.json>`
 *   (`[{ "code": 1, "name": "counterfeit", "description": "…" }, …]`, or
 *   `{ "reasons": [ … ] }` as `GET /v1/reasons` answers) set the vocabulary;
 * - `propose` hands a partly signed version n+1 to the running node, which
 *   checks it and lists it (with who signed and who has not) until adopted;
 * - `proposals` lists them; `reasons` prints the vocabulary in force.
 */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { validateReasons } from '../../protocol/roster/reasons.js'
import type { Reason } from '../../protocol/types.js'
import { readConfig } from '../home.js'
import { readRosterFile } from '../roster-file.js'
import type { RosterProposalView } from '../service.js'
import { leaf, type Context } from './common.js'
import { plural, result, table, type CommonOptions } from './output.js'

/** The vocabulary `--reason` specs or a `--reasons` file give; undefined when neither is given. */
export async function reasonsOption (ctx: Context, specs: string[] | undefined, file: string | undefined): Promise<Reason[] | undefined> {
  if (specs !== undefined && file !== undefined) ctx.usage('give --reason or --reasons <file>, not both')
  let reasons: Reason[] | undefined
  if (specs !== undefined) {
    reasons = specs.map(spec => {
      const m = /^(\d{1,10}):([^:]+)(?::(.*))?$/s.exec(spec)
      if (m === null) ctx.usage(`--reason ${JSON.stringify(spec.slice(0, 80))} must be code:name:description, e.g. 7:grey-import:"Genuine goods imported outside the authorised channel"`)
      return { code: Number(m[1]), name: m[2], description: m[3] ?? '' }
    })
  } else if (file !== undefined) {
    let json: unknown
    try {
      json = JSON.parse(await readFile(file, 'utf8'))
    } catch {
      ctx.usage(`--reasons ${file} cannot be read as JSON`)
    }
    const list = Array.isArray(json) ? json : (json as { reasons?: unknown })?.reasons
    if (!Array.isArray(list)) ctx.usage(`--reasons ${file} must be a JSON array of { code, name, description } (or { "reasons": [...] })`)
    reasons = list.map((r, i) => {
      const o = r as Partial<Reason>
      if (typeof o?.code !== 'number' || typeof o.name !== 'string' || (o.description !== undefined && typeof o.description !== 'string')) ctx.usage(`--reasons ${file}: entry ${i + 1} needs a numeric code, a name and (optionally) a description`)
      return { code: o.code, name: o.name, description: o.description ?? '' }
    })
  }
  if (reasons !== undefined) {
    try {
      validateReasons(reasons)
    } catch (err) {
      ctx.usage((err as Error).message)
    }
  }
  return reasons
}

function proposalText (p: RosterProposalView): string {
  return [
    `roster v${p.version} (${p.id.slice(0, 16)}…), takes effect ${p.takesEffect}`,
    table([
      ['changes', p.changes.join('; ')],
      ['signed', p.signedBy.length > 0 ? p.signedBy.join(', ') : 'nobody yet'],
      ['needed', `${p.need} (${p.ready ? 'enough' : `${p.need - p.signedBy.length} more`})`],
      ['not signed', p.missing.length > 0 ? p.missing.join(', ') : 'none'],
      ['file', p.file]
    ]),
    p.ready ? `ready: alliance roster install <dir> ${p.file}` : `next: pass it to ${p.missing.join(', ')} (alliance roster sign <their dir> <file>), then propose it again`
  ].join('\n')
}

export function registerRosterProposals (roster: Command, ctx: Context): void {
  leaf(roster.command('propose')
    .summary('hand a partly signed roster version n+1 to the running node: it checks it and lists who signed and who has not until it is adopted')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .argument('<roster.json>', 'roster file drafted by `alliance roster next` (signatures merge with a proposal of the same version)'))
    .action(async (dir: string, path: string, opts: CommonOptions) => {
      await readConfig(dir)
      const file = await readRosterFile(path)
      const p = await (await ctx.client(dir)).proposeRoster(file)
      await result(ctx.io, opts, () => proposalText(p), p)
    })

  leaf(roster.command('proposals')
    .summary('roster versions waiting for signatures: what each changes, who signed, who has not')
    .argument('<dir>', 'node directory (its daemon must be running)'))
    .action(async (dir: string, opts: CommonOptions) => {
      const list = await (await ctx.client(dir)).rosterProposals()
      await result(ctx.io, opts, () => list.length === 0 ? 'no roster version is waiting for signatures' : [`${plural(list.length, 'proposal')}:`, ...list.map(proposalText)].join('\n\n'), { proposals: list })
    })

  leaf(roster.command('reasons')
    .summary('the reason vocabulary in force: what `attest --reason <name>` accepts')
    .argument('<dir>', 'node directory (its daemon must be running)'))
    .action(async (dir: string, opts: CommonOptions) => {
      const v = await (await ctx.client(dir)).reasons()
      await result(ctx.io, opts, () => [
        v.defaults ? 'reasons (the defaults: the roster names none)' : 'reasons (from the roster)',
        table(v.reasons.map(r => [`${r.name} (${r.code})`, r.description]))
      ].join('\n'), v)
    })
}
