/** `alliance roster create | sign | install | next` (and propose, proposals, reasons: roster-proposals.ts): build the roster, collect signatures, install and change it. */
import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { cardSchema, readConfig, writeJson, type MemberCard } from '../home.js'
import { sealHeldKey } from '../services/fingerprints.js'
import { loadNodeKeys } from '../keys.js'
import { ApiClient } from '../api/client.js'
import { createRosterFile, installRosterFile, installedRoster, nextRosterFile, parseRosterFile, readRosterFile, signRosterFile, signedRosterOf, type RosterFile } from '../roster-file.js'
import { decodeRoster } from '../../protocol/codec/index.js'
import { rosterVersionOf } from '../../protocol/roster/index.js'
import { parseQuota } from '../../protocol/roster/guardians.js'
import { HMAC_SHA256, SUITE_NAMES, TOPRF_RISTRETTO255 } from '../../protocol/fingerprint/index.js'
import type { Quota } from '../../protocol/types.js'
import { intInRange, leaf, type Context } from './common.js'
import { result, table, type CommonOptions } from './output.js'
import { registerRosterShow } from './roster-show.js'
import { reasonsOption, registerRosterProposals } from './roster-proposals.js'
import { issueLines } from '../issues.js'

const REASON_HELP = 'a reason of the vocabulary, code:name:description (repeat it; replaces the default vocabulary: counterfeit, trademark-infringement, copyright, design-right, unauthorised-reseller, fraud)'
const REASONS_HELP = 'the reason vocabulary from a JSON file: [{ "code": 1, "name": "counterfeit", "description": "…" }, …]'

interface CreateOptions extends CommonOptions {
  alliance: string
  quorum: number
  card: string[]
  out: string
  governance?: number
  force?: boolean
  suite: string
  guardians?: string[]
  threshold?: number
  quota?: string[]
  reason?: string[]
  reasons?: string
}

/** `--guardians a,b c` → ['a', 'b', 'c'] (commas or spaces). */
function orgList (values: string[] | undefined): string[] | undefined {
  return values === undefined ? undefined : values.flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
}

function quotas (ctx: Context, values: string[] | undefined): Quota[] | undefined {
  if (values === undefined) return undefined
  return values.map(v => parseQuota(v, (why) => ctx.usage(why)))
}

function guardianRows (r: { guardians?: unknown, threshold?: unknown, quotas?: unknown } | undefined): Array<[string, string]> {
  if (r === undefined || !Array.isArray(r.guardians)) return []
  const q = Object.entries((r.quotas ?? {}) as Record<string, number>).map(([k, v]) => `${k}=${v}/day`).join(', ')
  return [['guardians', `${String(r.threshold)} of ${r.guardians.length} (${r.guardians.join(', ')})`], ['quotas', q === '' ? 'none (unlimited)' : q]]
}

async function readCard (ctx: Context, file: string): Promise<MemberCard> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    ctx.usage(`card ${file} cannot be read as JSON; create it with: alliance card <dir> --out ${file}`)
  }
  const parsed = cardSchema.safeParse(json)
  if (!parsed.success) ctx.usage(`card ${file} is not a member card: ${issueLines(parsed.error.issues.slice(0, 3)).join('; ')}`)
  return parsed.data
}

/** The roster file in force on this node: from its daemon when one runs (it may hold a newer version), else the installed one. */
async function currentRosterFile (dir: string): Promise<RosterFile> {
  try {
    return parseRosterFile(await (await ApiClient.fromDir(dir)).roster())
  } catch (err) {
    if ((err as Error).name !== 'DaemonNotRunningError') throw err
    return (await installedRoster(dir)).file
  }
}

function versionOf (file: RosterFile): number {
  return decodeRoster(signedRosterOf(file).roster).version
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

  registerRosterShow(roster, ctx)

  leaf(roster.command('create')
    .summary('build the genesis roster from member cards (unsigned; seals a fresh epoch key to every member)')
    .requiredOption('--alliance <id>', 'alliance id')
    .requiredOption('--quorum <k>', 'distinct orgs that must vouch for a fingerprint to list it', intInRange('--quorum', 1, 1000))
    .requiredOption('--card <file...>', 'member card files (alliance card <dir> --out <file>), one per node')
    .requiredOption('--out <roster.json>', 'where to write the roster')
    .option('--governance <n>', 'orgs needed to approve the next roster version (default: a majority)', intInRange('--governance', 1, 1000))
    .option('--suite <name>', `fingerprint suite: ${SUITE_NAMES.join(' or ')}`, HMAC_SHA256)
    .option('--guardians <org...>', `${TOPRF_RISTRETTO255}: orgs whose nodes hold the key's shares (comma or space separated)`)
    .option('--threshold <t>', `${TOPRF_RISTRETTO255}: guardians needed to fingerprint (default: a majority of them)`, intInRange('--threshold', 1, 255))
    .option('--quota <subject=N/day...>', `${TOPRF_RISTRETTO255}: evaluations per UTC day per guardian for an org, a role or * (default *=1000000/day)`)
    .option('--reason <code:name:description...>', REASON_HELP)
    .option('--reasons <file.json>', REASONS_HELP)
    .option('--force', 'overwrite --out if it exists'))
    .action(async (opts: CreateOptions) => {
      const reasons = await reasonsOption(ctx, opts.reason, opts.reasons)
      if (!(SUITE_NAMES as readonly string[]).includes(opts.suite)) ctx.usage(`--suite ${opts.suite} is not a suite this node implements: ${SUITE_NAMES.join(', ')}`)
      if (opts.suite !== TOPRF_RISTRETTO255 && (opts.guardians !== undefined || opts.threshold !== undefined || opts.quota !== undefined)) ctx.usage(`--guardians, --threshold and --quota need --suite ${TOPRF_RISTRETTO255}`)
      if (opts.suite === TOPRF_RISTRETTO255 && opts.guardians === undefined) ctx.usage(`--suite ${TOPRF_RISTRETTO255} needs --guardians <org>,<org>,… (the orgs whose nodes hold the key's shares)`)
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
        ...(opts.governance !== undefined ? { governanceThreshold: opts.governance } : {}),
        policy: { suite: opts.suite, ...(reasons !== undefined ? { reasons } : {}) },
        ...(opts.suite === TOPRF_RISTRETTO255 ? { guardians: orgList(opts.guardians), threshold: opts.threshold, quotas: quotas(ctx, opts.quota) } : {})
      })
      const sum = file.summary as { guardians?: string[], threshold?: number, quotas?: Record<string, number> } | undefined
      await writeJson(opts.out, file)
      await result(ctx.io, opts, () => [
        `roster ${opts.alliance} v1 written to ${opts.out}`,
        table([['members', `${orgs.length} (${orgs.join(', ')})`], ['nodes', String(cards.length)], ['quorum', String(opts.quorum)], ['epoch key', opts.suite === TOPRF_RISTRETTO255 ? `${file.keyEpoch.suite} epoch ${file.keyEpoch.epoch}: shares sealed to the guardians; no node holds the key` : `${file.keyEpoch.suite} epoch ${file.keyEpoch.epoch}, sealed to every node`], ...guardianRows(sum)]),
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
      const file = await readRosterFile(path)
      // version n+1 is approved by the orgs of version n: the one this node holds
      const approvers = versionOf(file) > 1 ? rosterVersionOf(signedRosterOf(await currentRosterFile(dir))) : undefined
      const signed = signRosterFile(file, keys.sign, approvers)
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
      const file = await readRosterFile(path)
      if (versionOf(file) > 1) {
        // a roster update goes through the running node, which checks it against the version it holds and spreads it
        const adopted = await (await ApiClient.fromDir(dir)).adoptRoster(file)
        await result(ctx.io, opts, () => adopted.changed
          ? `roster v${adopted.version} adopted by ${config.org}; it spreads to every node through the alliance's logs`
          : `${config.org} already holds roster v${adopted.version}`, { org: config.org, ...adopted })
        return
      }
      const keys = await loadNodeKeys(dir)
      const v = await installRosterFile(dir, file, keys)
      const r = v.roster
      await result(ctx.io, opts, () => [
        `installed roster ${r.alliance} v${r.version} in ${dir}`,
        table([['members', `${r.members.length} (${r.members.map(m => m.org).join(', ')})`], ['quorum', String(r.policy.quorum)], ['epoch key', `${r.policy.suite} epoch ${r.policy.epoch} (opened and checked)`]]),
        `next: alliance start ${dir}`
      ].join('\n'), { org: config.org, alliance: r.alliance, version: r.version, members: r.members.map(m => m.org), quorum: r.policy.quorum, suite: r.policy.suite, epoch: r.policy.epoch })
    })

  leaf(roster.command('next')
    .summary('draft roster version n+1 from the version in force: remove or add members, change the quorum (unsigned)')
    .argument('<dir>', 'node directory (its daemon, if running, supplies the version in force)')
    .requiredOption('--out <roster.json>', 'where to write the draft')
    .option('--remove <org...>', 'orgs to remove')
    .option('--add-card <file...>', 'member cards of nodes to add')
    .option('--quorum <k>', 'new quorum', intInRange('--quorum', 1, 1000))
    .option('--governance <n>', 'new governance threshold', intInRange('--governance', 1, 1000))
    .option('--rotate-key', 'open a new fingerprint key epoch, sealed only to the members of the new version (always when removing a member)')
    .option('--guardians <org...>', `${TOPRF_RISTRETTO255}, with --rotate-key: the new epoch's guardians (default: the current ones still members)`)
    .option('--threshold <t>', `${TOPRF_RISTRETTO255}, with --rotate-key: guardians needed in the new epoch`, intInRange('--threshold', 1, 255))
    .option('--quota <subject=N/day...>', `${TOPRF_RISTRETTO255}: replace the daily quotas`)
    .option('--reason <code:name:description...>', 'replace the reason vocabulary (a code kept keeps its name; repeat it)')
    .option('--reasons <file.json>', REASONS_HELP)
    .option('--force', 'overwrite --out if it exists'))
    .action(async (dir: string, opts: CommonOptions & { out: string, remove?: string[], addCard?: string[], quorum?: number, governance?: number, rotateKey?: boolean, force?: boolean, guardians?: string[], threshold?: number, quota?: string[], reason?: string[], reasons?: string }) => {
      await readConfig(dir)
      const reasons = await reasonsOption(ctx, opts.reason, opts.reasons)
      if (opts.force !== true && await exists(opts.out)) ctx.usage(`${opts.out} exists (it may carry signatures); choose another --out or pass --force`)
      const current = await currentRosterFile(dir)
      const version = rosterVersionOf(signedRosterOf(current))
      const add: MemberCard[] = []
      for (const f of opts.addCard ?? []) add.push(await readCard(ctx, f))
      const rotateKey = opts.rotateKey === true
      const next = await nextRosterFile(version, current, {
        remove: opts.remove,
        add,
        ...(opts.quorum !== undefined ? { quorum: opts.quorum } : {}),
        ...(opts.governance !== undefined ? { governanceThreshold: opts.governance } : {}),
        sealForNewcomers: async (recipients) => await sealHeldKey(dir, { alliance: version.roster.alliance, policy: version.roster.policy, recipients }),
        rotateKey,
        ...(opts.guardians !== undefined ? { guardians: orgList(opts.guardians) } : {}),
        ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
        ...(opts.quota !== undefined ? { quotas: quotas(ctx, opts.quota) } : {}),
        ...(reasons !== undefined ? { reasons } : {})
      })
      await writeJson(opts.out, next)
      const need = version.roster.policy.governanceThreshold
      const epoch = version.roster.policy.epoch + (rotateKey ? 1 : 0)
      const removing = (opts.remove ?? []).length > 0
      await result(ctx.io, opts, () => [
        `roster v${version.roster.version + 1} drafted in ${opts.out}`,
        rotateKey
          ? `fingerprint key: new epoch ${epoch}, sealed only to the members of v${version.roster.version + 1}; once installed every node moves to it, re-attests from its vault and destroys epoch ${epoch - 1} at cut-over`
          : removing ? `warning: the removed org keeps the key of epoch ${epoch} and can still reverse fingerprints made under it; add --rotate-key` : `fingerprint key: epoch ${epoch} unchanged`,
        `next: ${need} of the ${version.roster.members.length} orgs of v${version.roster.version} sign it (alliance roster sign <dir> ${opts.out}); alliance roster propose <dir> ${opts.out} shows it, with who signed, on the node's console until it is adopted; once signed, one of them runs: alliance roster install <dir> ${opts.out}`
      ].join('\n'), { out: resolve(opts.out), version: version.roster.version + 1, approvalsNeeded: need, epoch, rotateKey })
    })

  registerRosterProposals(roster, ctx)
}
