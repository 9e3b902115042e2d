/** `alliance roster create | sign | install`: build the genesis roster, collect every org's signature, install it. */
import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { cardSchema, readConfig, writeJson, type MemberCard } from '../home.js'
import { loadNodeKeys } from '../keys.js'
import { createRosterFile, installRosterFile, readRosterFile, signRosterFile } from '../roster-file.js'
import { intInRange, leaf, type Context } from './common.js'
import { result, table, type CommonOptions } from './output.js'

interface CreateOptions extends CommonOptions {
  alliance: string
  quorum: number
  card: string[]
  out: string
  governance?: number
  force?: boolean
}

async function readCard (ctx: Context, file: string): Promise<MemberCard> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    ctx.usage(`card ${file} cannot be read as JSON; create it with: alliance card <dir> --out ${file}`)
  }
  const parsed = cardSchema.safeParse(json)
  if (!parsed.success) ctx.usage(`card ${file} is not a member card: ${parsed.error.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return parsed.data
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

export function registerRoster (program: Command, ctx: Context): void {
  const roster = program.command('roster').description('build, sign and install the alliance roster')

  leaf(roster.command('create')
    .summary('build the genesis roster from member cards (unsigned; seals a fresh epoch key to every member)')
    .requiredOption('--alliance <id>', 'alliance id')
    .requiredOption('--quorum <k>', 'distinct orgs that must vouch for a fingerprint to list it', intInRange('--quorum', 1, 1000))
    .requiredOption('--card <file...>', 'member card files (alliance card <dir> --out <file>), one per node')
    .requiredOption('--out <roster.json>', 'where to write the roster')
    .option('--governance <n>', 'orgs needed to approve the next roster version (default: a majority)', intInRange('--governance', 1, 1000))
    .option('--force', 'overwrite --out if it exists'))
    .action(async (opts: CreateOptions) => {
      if (opts.force !== true && await exists(opts.out)) ctx.usage(`${opts.out} exists (it may carry signatures); choose another --out or pass --force`)
      const cards: MemberCard[] = []
      for (const f of opts.card) cards.push(await readCard(ctx, f))
      const orgs = [...new Set(cards.map(c => c.org))]
      if (opts.quorum > orgs.length) ctx.usage(`--quorum ${opts.quorum} is more than the ${orgs.length} member orgs`)
      if (opts.governance !== undefined && opts.governance > orgs.length) ctx.usage(`--governance ${opts.governance} is more than the ${orgs.length} member orgs`)
      const file = await createRosterFile({
        alliance: opts.alliance,
        quorum: opts.quorum,
        cards,
        ...(opts.governance !== undefined ? { governanceThreshold: opts.governance } : {})
      })
      await writeJson(opts.out, file)
      await result(ctx.io, opts, () => [
        `roster ${opts.alliance} v1 written to ${opts.out}`,
        table([['members', `${orgs.length} (${orgs.join(', ')})`], ['nodes', String(cards.length)], ['quorum', String(opts.quorum)], ['epoch key', `${file.keyEpoch.suite} epoch ${file.keyEpoch.epoch}, sealed to every node`]]),
        `next: every member signs it in turn: alliance roster sign <dir> ${opts.out}`
      ].join('\n'), { out: resolve(opts.out), summary: file.summary, members: orgs })
    })

  leaf(roster.command('sign')
    .summary('add this org\'s signature to a roster file, in place')
    .argument('<dir>', 'node directory of the signing org')
    .argument('<roster.json>', 'roster file'))
    .action(async (dir: string, path: string, opts: CommonOptions) => {
      await readConfig(dir)
      const keys = await loadNodeKeys(dir)
      const signed = signRosterFile(await readRosterFile(path), keys.sign)
      await writeJson(path, signed.file)
      const done = signed.missing.length === 0
      await result(ctx.io, opts, () => [
        `signed by ${signed.org}`,
        table([['signed', signed.signedBy.join(', ')], ['missing', done ? 'none' : signed.missing.join(', ')]]),
        done ? `all members have signed; install it on every node: alliance roster install <dir> ${path}` : `next: pass ${path} on to ${signed.missing.join(', ')}`
      ].join('\n'), { org: signed.org, signedBy: signed.signedBy, missing: signed.missing, complete: done })
    })

  leaf(roster.command('install')
    .summary('verify a fully signed roster, open this node\'s epoch key, install both')
    .argument('<dir>', 'node directory')
    .argument('<roster.json>', 'roster file signed by every member'))
    .action(async (dir: string, path: string, opts: CommonOptions) => {
      const config = await readConfig(dir)
      const keys = await loadNodeKeys(dir)
      const v = await installRosterFile(dir, await readRosterFile(path), keys)
      const r = v.roster
      await result(ctx.io, opts, () => [
        `installed roster ${r.alliance} v${r.version} in ${dir}`,
        table([['members', `${r.members.length} (${r.members.map(m => m.org).join(', ')})`], ['quorum', String(r.policy.quorum)], ['epoch key', `${r.policy.suite} epoch ${r.policy.epoch} (opened and checked)`]]),
        `next: alliance start ${dir}`
      ].join('\n'), { org: config.org, alliance: r.alliance, version: r.version, members: r.members.map(m => m.org), quorum: r.policy.quorum, suite: r.policy.suite, epoch: r.policy.epoch })
    })
}
