/** `alliance blocklist | watch | explain | status`: read the running node's state. */
import { Option, type Command } from 'commander'
import { KINDS, type Kind } from '../../protocol/kinds.js'
import { BLOCKLIST_CSV_HEADER, blocklistLine } from '../api/blocklist-format.js'
import { BLOCKLIST_FORMATS, STATUS_NAMES, type BlocklistFormat } from '../api/schemas.js'
import type { BlocklistRow, ExplainResult, NodeStatus, QuotaDayView, StatusEvent, StatusName, VoteView } from '../service.js'
import { intInRange, leaf, type Context } from './common.js'
import { plural, result, table, write, type CommonOptions } from './output.js'

interface BlocklistOptions extends CommonOptions {
  status?: StatusName
  format?: BlocklistFormat
}

interface WatchOptions extends CommonOptions {
  status?: StatusName | 'absent'
  count?: string
}

interface ExplainOptions extends CommonOptions {
  kind?: Kind
  value?: string
  fingerprint?: string
}

function humanRow (r: BlocklistRow): string {
  const orgs = r.orgs.map(o => r.reasons[o] !== undefined ? `${o} (${r.reasons[o]})` : o).join(', ')
  return `${r.status.padEnd(9)}  ${(r.kind ?? '?').padEnd(15)}  ${r.fingerprint}  ${orgs}${r.expires !== null ? `  until ${r.expires}` : ''}\n`
}

function humanEvent (e: StatusEvent): string {
  const cause = e.cause === 'entry' ? `entry by ${e.org ?? 'an org no longer in the roster'}` : e.cause === 'time' ? 'expiry' : 'roster change'
  return `${e.at}  ${e.from.padEnd(9)} → ${e.to.padEnd(9)}  ${(e.kind ?? '?').padEnd(15)}  ${e.fingerprint}  (${cause})\n`
}

/** A vote's reason as people read it: its name, else its code. */
export function reasonText (r: VoteView['reason']): string {
  return r === null ? '' : r.name ?? `reason code ${r.code} (not in the roster's vocabulary)`
}

function vote (v: VoteView): string {
  return `${v.org} (${v.source}${v.reason !== null ? `: ${reasonText(v.reason)}` : ''}, ${v.time}${v.expires !== null ? `, expires ${v.expires}` : ''}, entry ${v.entryId.slice(0, 16)}…)`
}

function explainText (e: ExplainResult): string {
  const lines = [
    `${e.fingerprint}${e.kind !== null ? ` (${e.kind})` : ''}: ${e.status}`,
    table([
      ['weight', `${e.weight} of quorum ${e.quorum}`],
      ['for', e.positive.length > 0 ? e.positive.map(vote).join('\n' + ' '.repeat(2 + 'confirmations'.length + 2)) : 'none'],
      ['against', e.negative.length > 0 ? e.negative.map(vote).join('\n' + ' '.repeat(2 + 'confirmations'.length + 2)) : 'none'],
      ['confirmations', String(e.confirmations)],
      ['changes', e.expires !== null ? `by expiry at ${e.expires}` : 'not by expiry alone']
    ])
  ]
  return lines.join('\n')
}

function keyEpochText (s: NodeStatus): string {
  const k = s.keyEpoch
  const base = `${k.suite} epoch ${k.epoch}${k.vault ? '' : ' (no vault)'}`
  switch (k.phase) {
    case 'waiting-for-key': return `${base}; the roster opened epoch ${k.rosterEpoch}, whose sealed key has not reached this node yet`
    case 're-attesting': return `${base}; rotating from ${k.retiring ?? '?'}: re-attesting from the vault (${k.reattested} so far)`
    case 'waiting-for-members': return `${base}; rotating from ${k.retiring ?? '?'}: waiting for ${k.waitingFor.join(', ')} to move, cut-over by ${k.cutoverBy ?? '?'}`
    default: return base
  }
}

/** `brand-b (brand): connected` / `police (law-enforcement): OFFLINE, last contact … (3 h ago)` / `…: OFFLINE, never contacted`. */
export function memberLine (m: NodeStatus['members'][number], now = Date.now()): string {
  const who = `${m.org} (${m.roles.join(', ')})`
  if (m.self) return `${who}: this node`
  if (m.connected > 0) return `${who}: connected${m.nodes > 1 ? ` (${m.connected} of ${m.nodes} nodes)` : ''}`
  if (m.lastContact === null) return `${who}: OFFLINE, never contacted`
  return `${who}: OFFLINE, last contact ${m.lastContact} (${ago(now - Date.parse(m.lastContact))})`
}

function ago (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `${s} s ago`
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} days ago`
}

function statusText (s: NodeStatus): string {
  const rejected = Object.entries(s.entries.rejected).filter(([, n]) => n > 0)
  const rows: Array<[string, string]> = [
    ['alliance', `${s.alliance} (roster v${s.rosterVersion}, quorum ${s.quorum})`],
    ['peer id', s.peerId],
    ['listen', s.listen.join(' ') || 'none'],
    ['peers', s.peers.length === 0 ? '0' : `${s.peers.length}: ${s.peers.map(p => p.org ?? p.peerId.slice(0, 16)).join(', ')}`],
    ['members', ''],
    ['logs', s.heads.length === 0 ? 'none' : s.heads.map(h => `${h.org ?? h.author.slice(0, 12)}@${h.seq}`).join(', ')],
    ['entries', `${s.entries.applied} applied, ${rejected.reduce((a, [, n]) => a + n, 0)} rejected${rejected.length > 0 ? ` (${rejected.map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`],
    ['blocklist', `${s.blocklist.listed} listed, ${s.blocklist.disputed} disputed, ${s.blocklist.candidate} candidate`],
    ['sync', s.sync.inProgress ? 'in progress' : s.sync.lastRunAt !== null ? `last ${s.sync.lastRunAt}${s.sync.lastPeer !== null ? ` with ${s.sync.lastPeer}` : ''}` : 'not yet run'],
    ['snapshot', s.snapshotHash],
    ['key epoch', keyEpochText(s)],
    ['start-up', startupText(s.startup)]
  ]
  if (s.guardians !== null) {
    const g = s.guardians
    const up = g.guardians.filter(x => x.connected).length
    rows.push(['guardians', `${up} of ${g.guardians.length} reachable, ${g.threshold} needed: ${g.guardians.map(x => `${x.org}${x.self ? ' (this node)' : ''} ${x.connected ? 'up' : 'DOWN'}${x.lastError !== null ? ` (last error: ${x.lastError})` : ''}`).join(', ')}`])
    rows.push(['quota', `${g.quota.usedToday} of ${g.quota.limit ?? 'unlimited'} evaluations today (UTC, per guardian), resets ${g.quota.resetAt}`])
  }
  if (s.rescanNeeded !== null) rows.push(['rescan', `${s.rescanNeeded.listings} listings were scanned under retired epoch ${s.rescanNeeded.epoch}: scan them again for retroactive decisions`])
  // one member a line, under the first
  const pad = ' '.repeat(2 + Math.max(...rows.map(([k]) => k.length)) + 2)
  rows[rows.findIndex(([k]) => k === 'members')][1] = s.members.map(m => memberLine(m)).join('\n' + pad)
  return `node ${s.org} (${s.role})\n${table(rows)}`
}

function startupText (u: NodeStatus['startup']): string {
  const how = u.checkpoint === 'used'
    ? `from the checkpoint${u.replayedAfterCheckpoint !== null && u.replayedAfterCheckpoint > 0 ? ` (+${u.replayedAfterCheckpoint} entries replayed)` : ''}`
    : u.checkpoint === 'refused' ? `full replay (checkpoint refused: ${u.reason ?? 'unknown'})` : 'full replay (no checkpoint)'
  return `${u.seconds} s, ${u.entries} entries, ${how}`
}

function quotaText (q: { quotas: Record<string, number>, days: QuotaDayView[] }): string {
  const limits = Object.entries(q.quotas).map(([k, v]) => `${k}=${v}/day`).join(', ')
  if (q.days.length === 0) return `quotas: ${limits === '' ? 'none' : limits}\nno guardian has published counts yet (guardians publish every 10 minutes when their counts change)`
  const lines = [`quotas (per UTC day, per guardian): ${limits === '' ? 'none' : limits}`]
  for (const d of q.days) {
    const rows: Array<[string, string]> = Object.entries(d.byOrg).sort(([, a], [, b]) => b - a).map(([org, n]) =>
      [org, `${n}  (${Object.entries(d.byGuardian).map(([g, c]) => `${g}: ${c[org] ?? 0}`).join(', ')})`])
    lines.push(`${d.date} (key epoch ${d.epoch})`, rows.length === 0 ? '  none' : table(rows))
  }
  return lines.join('\n')
}

export function registerQuery (program: Command, ctx: Context): void {
  leaf(program.command('blocklist')
    .summary('export the consensus blocklist (streamed)')
    .description('Export the consensus blocklist as the node streams it. Default: a readable table; --json or --format jsonl: one JSON row per line; --format csv: CSV with a header.')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .addOption(new Option('--status <status>', 'only rows of this status').choices(STATUS_NAMES))
    .addOption(new Option('--format <format>', 'export format').choices(BLOCKLIST_FORMATS)))
    .action(async (dir: string, opts: BlocklistOptions) => {
      const client = await ctx.client(dir)
      const format: BlocklistFormat | 'human' = opts.format ?? (opts.json === true ? 'jsonl' : 'human')
      const out = ctx.io.stdout
      let closed = false
      const onError = (err: NodeJS.ErrnoException): void => { if (err.code === 'EPIPE') closed = true }
      out.on('error', onError)
      try {
        if (format === 'csv') await write(out, BLOCKLIST_CSV_HEADER)
        let n = 0
        for await (const r of client.blocklist(opts.status !== undefined ? { status: opts.status } : {})) {
          if (closed) break // the reader went away (e.g. | head): stop quietly
          await write(out, format === 'human' ? humanRow(r) : blocklistLine(r, format))
          n++
        }
        if (format === 'human' && !closed) await write(ctx.io.stderr, `${plural(n, 'fingerprint')}${opts.status !== undefined ? ` ${opts.status}` : ''}\n`)
      } catch (err) {
        if (!closed) throw err
      } finally {
        out.off('error', onError)
      }
    })

  leaf(program.command('watch')
    .summary('follow status changes as the node sees them (until Ctrl-C)')
    .description('Print every status change of the blocklist as the node sees it: a fingerprint listed, disputed, back to candidate or gone, with what caused it (an entry, an expiry, a roster change). Nothing is replayed: it starts now. --json prints one JSON event per line, for pipelines that act on new listings at once. Ends on Ctrl-C, after --count events, or when the daemon stops.')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .addOption(new Option('--status <status>', 'only changes to this status').choices([...STATUS_NAMES, 'absent']))
    .option('--count <n>', 'exit after this many events'))
    .action(async (dir: string, opts: WatchOptions) => {
      const count = opts.count === undefined ? Number.POSITIVE_INFINITY : Number(opts.count)
      if (!Number.isSafeInteger(count) && count !== Number.POSITIVE_INFINITY) ctx.usage('--count must be a whole number')
      if (count < 1) ctx.usage('--count must be at least 1')
      const client = await ctx.client(dir)
      const ctl = new AbortController()
      const stop = (): void => ctl.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        let n = 0
        for await (const e of client.watch(opts.status !== undefined ? { status: opts.status } : {}, ctl.signal)) {
          await write(ctx.io.stdout, opts.json === true ? JSON.stringify(e) + '\n' : humanEvent(e))
          if (++n >= count) break
        }
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    })

  leaf(program.command('explain')
    .summary('why is this listed? the status of an identifier or fingerprint, with the votes behind it')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .addOption(new Option('--kind <kind>', 'identifier kind (with --value)').choices(KINDS))
    .option('--value <raw>', 'the raw identifier (fingerprinted on your node)')
    .option('--fingerprint <hex>', 'a fingerprint (64 hex digits) instead of --kind/--value'))
    .action(async (dir: string, opts: ExplainOptions) => {
      let query: { kind: Kind, value: string } | { fingerprint: string }
      if (opts.fingerprint !== undefined) {
        if (opts.kind !== undefined || opts.value !== undefined) ctx.usage('give either --fingerprint or --kind with --value, not both')
        if (!/^[0-9a-fA-F]{64}$/.test(opts.fingerprint)) ctx.usage('--fingerprint must be 64 hex digits')
        query = { fingerprint: opts.fingerprint.toLowerCase() }
      } else {
        if (opts.kind === undefined || opts.value === undefined) ctx.usage('give --kind and --value, or --fingerprint <hex>')
        query = { kind: opts.kind, value: opts.value }
      }
      const client = await ctx.client(dir)
      const res = await client.explain(query)
      await result(ctx.io, opts, () => explainText(res), res)
    })

  leaf(program.command('quota')
    .summary('toprf: evaluations per org per UTC day, from every guardian\'s signed counts (the quota audit)')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .option('--org <org>', 'only this org')
    .option('--days <n>', 'days to show, newest first', intInRange('--days', 1, 366), 7))
    .action(async (dir: string, opts: CommonOptions & { org?: string, days: number }) => {
      const client = await ctx.client(dir)
      const q = await client.quota({ ...(opts.org !== undefined ? { org: opts.org } : {}), days: opts.days })
      await result(ctx.io, opts, () => quotaText(q), q)
    })

  leaf(program.command('status')
    .summary('peers, logs per member, counts, blocklist size, sync state')
    .argument('<dir>', 'node directory (its daemon must be running)'))
    .action(async (dir: string, opts: CommonOptions) => {
      const client = await ctx.client(dir)
      const s = await client.status()
      await result(ctx.io, opts, () => statusText(s), s)
    })
}
