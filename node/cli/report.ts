/**
 * `alliance report send | outbox | inbox | show | export | verify`:
 * infringement reports to law enforcement (DESIGN.md §7).
 *
 * All but `verify` talk to the running daemon. `verify` is offline: it reads
 * a bundle file and needs no node and no network; it exits 0 only if every
 * part checks, else 4 naming each part that fails.
 */
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { Command } from 'commander'
import { fromHex, toHex } from '../../protocol/bytes.js'
import { describeFailure, parseReportInput, verifyBundle, type BundleVerdict } from '../../protocol/report/index.js'
import { installedRoster } from '../roster-file.js'
import { BundleVerificationError } from '../reports/errors.js'
import { UnpinnedBundleError } from './errors.js'
import type { ReportCustodyLog, ReportCustodyView, ReportDetail, ReportInboxItem, ReportOutboxItem, ReportSendResult } from '../service.js'
import { AS_OPTION, collect, leaf, operatorOf, type Context } from './common.js'
import { registerReportEvidence } from './report-evidence.js'
import { plural, result, table, type CommonOptions } from './output.js'

interface SendOptions extends CommonOptions {
  to: string[]
  file: string
  evidence: string[]
}

/** 1234567 → "1.2 MB" */
export function bytesText (n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n
  let u = -1
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++ }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

/**
 * Reads the report JSON, checks it against the input schema (exit 2 naming
 * each problem), and resolves its evidence paths against the JSON file's
 * folder, as the daemon needs absolute paths.
 */
async function readReportFile (ctx: Context, file: string): Promise<Record<string, unknown>> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    ctx.usage(`${file} cannot be read as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); see examples/report.json for the format`)
  }
  try {
    parseReportInput(json)
  } catch (err) {
    ctx.usage(`${file}: ${(err as Error).message}`)
  }
  const input = json as Record<string, unknown> & { evidence?: Array<{ path: string }> }
  const base = dirname(resolve(file))
  return { ...input, ...(input.evidence !== undefined ? { evidence: input.evidence.map(e => ({ ...e, path: isAbsolute(e.path) ? e.path : resolve(base, e.path) })) } : {}) }
}

function deliveryLines (item: ReportOutboxItem): string[] {
  return item.deliveries.map(d => {
    const what = d.state === 'delivered'
      ? `delivered, receipt signed ${d.receiptTime ?? '?'}`
      : d.state === 'pending'
        ? `pending, ${plural(d.attempts, 'attempt')}${d.nextAttemptAt !== null ? `, next ${d.nextAttemptAt}` : ''}${d.lastError !== null ? ` (last: ${d.lastError.reason})` : ''}`
        : `${d.state}: ${d.lastError?.message ?? ''}`
    return `    ${d.org.padEnd(14)} ${d.peerId.slice(0, 20)}…  ${what}`
  })
}

function outboxText (items: ReportOutboxItem[]): string {
  if (items.length === 0) return 'outbox empty'
  return items.map(i => [
    `${i.id}  ${i.state.padEnd(9)}  ${i.created}  ${i.title !== '' ? i.title : '(untitled)'}${i.reference !== '' ? ` [${i.reference}]` : ''}  ${plural(i.evidence, 'evidence file')}, ${bytesText(i.evidenceBytes)}`,
    ...deliveryLines(i)
  ].join('\n')).join('\n')
}

function inboxText (items: ReportInboxItem[]): string {
  if (items.length === 0) return 'inbox empty'
  return items.map(i => `${i.id}  from ${i.author.padEnd(12)} received ${i.received}  ${plural(i.evidence, 'evidence file')}, ${bytesText(i.evidenceBytes)}  ${i.title !== '' ? i.title : '(untitled)'}${i.reference !== '' ? ` [${i.reference}]` : ''}`).join('\n')
}

function showText (d: ReportDetail): string {
  const r = d.report
  const lines = [
    `report ${d.id} (${d.direction === 'sent' ? 'sent by this node' : `received from ${r.author}`})`,
    table([
      ['title', r.title !== '' ? r.title : '(untitled)'],
      ['reference', r.reference !== '' ? r.reference : '-'],
      ['author', `${r.author} (key ${r.authorKey.slice(0, 16)}…)`],
      ['created', r.created],
      ['recipients', r.recipients.join(', ')],
      ['digest', d.digest]
    ]),
    '', 'listings:'
  ]
  for (const l of r.listings) lines.push(`  ${[l.platform, l.listingId, l.url].filter(x => x !== '').join('  ')}${l.title !== '' ? `  "${l.title}"` : ''}${l.observed !== null ? `  observed ${l.observed}` : ''}`)
  if (r.listings.length === 0) lines.push('  none')
  lines.push('sellers:')
  for (const s of r.sellers) lines.push(`  ${s.name !== '' ? s.name : '(unnamed)'}${s.platform !== '' ? ` on ${s.platform}` : ''}${s.identifiers.length > 0 ? `: ${s.identifiers.map(i => `${i.kind} ${i.value}`).join(', ')}` : ''}`)
  if (r.sellers.length === 0) lines.push('  none')
  lines.push('rights:')
  for (const x of r.rights) lines.push(`  ${x.type} ${x.mark}${x.registrations.length > 0 ? ` (${x.registrations.join(', ')})` : ''}${x.jurisdiction !== '' ? ` in ${x.jurisdiction}` : ''}`)
  lines.push('evidence:')
  for (const e of r.evidence) lines.push(`  ${e.name}  ${bytesText(e.size)}  ${e.mediaType}  sha256 ${e.sha256}${e.description !== '' ? `  ${e.description}` : ''}`)
  if (r.evidence.length === 0) lines.push('  none')
  lines.push('narrative:', ...r.narrative.split('\n').map(l => `  ${l}`))
  if (d.outbox !== null) lines.push('deliveries:', ...deliveryLines(d.outbox))
  lines.push('receipts:', ...(d.receipts.length > 0 ? d.receipts.map(x => `  ${x.org} (node ${x.node.slice(0, 16)}…) signed ${x.received}`) : ['  none yet']))
  if (d.custody.length > 0 || d.direction === 'received') lines.push(...custodyLines(d.custody, d.custodyIntact))
  return lines.join('\n')
}

/** `#3  2026-…  opened    by alice (local API)`, then the record's other details. */
function custodyLines (records: ReportCustodyView[], intact: boolean): string[] {
  const lines = [`chain of custody${intact ? '' : ' (WARNING: the custody log is damaged on disk)'}:`]
  for (const c of records) {
    const { by, via, ...rest } = c.detail
    const who = by !== undefined ? `by ${String(by)}${via !== undefined ? ` (${String(via)})` : ''}  ` : ''
    lines.push(`  #${c.seq}  ${c.time}  ${c.action.padEnd(8)}  ${who}${Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`.trimEnd())
  }
  if (records.length === 0) lines.push('  none')
  return lines
}

function custodyText (c: ReportCustodyLog): string {
  return [`report ${c.id}`, ...custodyLines(c.custody, c.custodyIntact)].join('\n')
}

/** The verdict as JSON (Uint8Arrays as hex). */
function verdictJson (v: BundleVerdict, pinned: boolean): Record<string, unknown> {
  const r = v.report
  return {
    ok: v.ok,
    failures: v.failures,
    verified: v.verified,
    genesisId: v.genesisId ?? null,
    genesisPinned: pinned,
    alliance: v.alliance ?? null,
    rosterVersions: v.rosterVersions ?? null,
    report: r === undefined
      ? null
      : { id: toHex(r.id), author: r.author, created: new Date(r.created).toISOString(), recipients: r.recipients, title: r.title, reference: r.reference, evidence: r.evidence.map(e => ({ name: e.name, size: e.size, sha256: toHex(e.sha256) })) },
    signedReportDigest: v.signedReportDigest ?? null,
    author: v.author ?? null,
    receipts: v.receipts.map(x => ({ ...x, received: new Date(x.received).toISOString() })),
    exporter: v.exporter === undefined ? null : { ...v.exporter, exported: new Date(v.exporter.exported).toISOString() }
  }
}

function verdictText (path: string, v: BundleVerdict, pinned: boolean): string {
  const lines = [`bundle ${path}: ${v.ok ? 'VERIFIED' : 'FAILED'}`]
  if (v.genesisId !== undefined) {
    lines.push(`  alliance ${v.alliance ?? '?'}, roster genesis ${v.genesisId} (${plural(v.rosterVersions ?? 0, 'version')}) ${pinned ? '(pinned)' : '(not pinned: compare it with your alliance\'s genesis id, or pass --genesis / --node)'}`)
  }
  if (v.report !== undefined) {
    lines.push(`  report ${toHex(v.report.id)} by ${v.report.author}, created ${new Date(v.report.created).toISOString()}${v.report.title !== '' ? `: ${v.report.title}` : ''}`)
  }
  for (const p of v.verified) lines.push(`  ok      ${p}`)
  for (const f of v.failures) lines.push(`  FAILED  ${describeFailure(f)}`)
  for (const x of v.receipts) lines.push(`  receipt by ${x.org} at ${new Date(x.received).toISOString()}`)
  if (v.exporter !== undefined) lines.push(`  exported by ${v.exporter.org} at ${new Date(v.exporter.exported).toISOString()}`)
  return lines.join('\n')
}

export function registerReport (program: Command, ctx: Context): void {
  const report = program.command('report').description('infringement reports to law enforcement: signed, encrypted, receipted, exportable as offline-verifiable evidence bundles')

  leaf(report.command('send')
    .summary('sign, encrypt and queue a report to law-enforcement members; delivered until each returns a signed receipt')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .requiredOption('--file <report.json>', 'the report (format: examples/report.json); its evidence paths are relative to the file')
    .option('--to <org>', 'a law-enforcement recipient org (repeatable; added to the file\'s recipients)', collect, [])
    .option('--evidence <file>', 'an evidence file (repeatable; added to the file\'s evidence)', collect, []))
    .action(async (dir: string, opts: SendOptions) => {
      const body = await readReportFile(ctx, opts.file)
      const evidence = opts.evidence.map(p => resolve(p))
      const client = await ctx.client(dir)
      const res: ReportSendResult = await client.reportSend({ to: opts.to, report: body, evidence })
      const nodes = res.deliveries.length
      await result(ctx.io, opts, () => [
        res.duplicate ? `report ${res.id} was already queued (same id): nothing new queued` : `report ${res.id} signed, encrypted and queued`,
        table([
          ['recipients', `${res.recipients.join(', ')} (${plural(nodes, 'node')})`],
          ['evidence', `${plural(res.evidence, 'file')}, ${bytesText(res.evidenceBytes)} (envelope ${bytesText(res.envelopeBytes)})`],
          ['digest', res.digest]
        ]),
        // the paths the node read, as the CLI resolved them (the node reads files on this machine, never from the node directory)
        ...[...((body as { evidence?: Array<{ path: string }> }).evidence ?? []).map(e => e.path), ...evidence].map(p => `  read ${p}`),
        `delivery is retried until every recipient node returns a signed receipt; follow it with: alliance report outbox ${dir}`
      ].join('\n'), res)
    })

  leaf(report.command('outbox')
    .summary('reports this node sent: queued / delivered / receipt, per recipient node')
    .argument('<dir>', 'node directory (its daemon must be running)'))
    .action(async (dir: string, opts: CommonOptions) => {
      const items = await (await ctx.client(dir)).reportOutbox()
      await result(ctx.io, opts, () => outboxText(items), items)
    })

  leaf(report.command('inbox')
    .summary('reports this node received: each opened, signature and evidence checked, receipted')
    .argument('<dir>', 'node directory (its daemon must be running)'))
    .action(async (dir: string, opts: CommonOptions) => {
      const items = await (await ctx.client(dir)).reportInbox()
      await result(ctx.io, opts, () => inboxText(items), items)
    })

  leaf(report.command('show')
    .summary('one report in full, with receipts and chain of custody (recorded as opened on a recipient)')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .argument('<report-id>', 'report id (32 hex digits)')
    .option(...AS_OPTION))
    .action(async (dir: string, id: string, opts: CommonOptions & { as?: string }) => {
      if (!/^[0-9a-f]{32}$/.test(id)) ctx.usage('a report id is 32 lower-case hex digits (alliance report outbox / inbox list them)')
      const d = await (await ctx.client(dir)).reportShow(id, operatorOf(opts.as))
      await result(ctx.io, opts, () => showText(d), d)
    })

  leaf(report.command('custody')
    .summary('the report\'s chain of custody on this node: received, opened, exported, when and by whom (does not open the report)')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .argument('<report-id>', 'report id (32 hex digits)'))
    .action(async (dir: string, id: string, opts: CommonOptions) => {
      if (!/^[0-9a-f]{32}$/.test(id)) ctx.usage('a report id is 32 lower-case hex digits (alliance report outbox / inbox list them)')
      const c = await (await ctx.client(dir)).reportCustody(id)
      await result(ctx.io, opts, () => custodyText(c), c)
    })

  leaf(report.command('export')
    .summary('write the report\'s evidence bundle: report, evidence, signatures, receipts, roster chain (never overwrites)')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .argument('<report-id>', 'report id (32 hex digits)')
    .requiredOption('--out <bundle>', 'file to write (on this machine)')
    .option(...AS_OPTION))
    .action(async (dir: string, id: string, opts: CommonOptions & { out: string, as?: string }) => {
      if (!/^[0-9a-f]{32}$/.test(id)) ctx.usage('a report id is 32 lower-case hex digits (alliance report outbox / inbox list them)')
      const res = await (await ctx.client(dir)).reportExport(id, resolve(opts.out), operatorOf(opts.as))
      await result(ctx.io, opts, () => [
        `evidence bundle written to ${res.out}`,
        table([['size', bytesText(res.bytes)], ['sha256', res.sha256], ['receipts', String(res.receipts)], ['exported by', res.exporter]]),
        `anyone can check it offline: alliance report verify ${res.out}`
      ].join('\n'), res)
    })

  registerReportEvidence(report, ctx)

  leaf(report.command('verify')
    .summary('verify an evidence bundle offline (no node, no network): exit 0 only if everything checks, 4 naming what fails')
    .argument('<bundle>', 'bundle file')
    .option('--genesis <hex>', 'pin the alliance\'s genesis roster id (64 hex digits)')
    .option('--node <dir>', 'pin the genesis of the roster installed in this node directory')
    .option('--unpinned', 'accept a bundle whose roster chain is only internally consistent (without it, no --genesis and no --node exits 4)'))
    .action(async (path: string, opts: CommonOptions & { genesis?: string, node?: string, unpinned?: boolean }) => {
      let genesisId: Uint8Array | undefined
      if (opts.genesis !== undefined) {
        if (!/^[0-9a-fA-F]{64}$/.test(opts.genesis)) ctx.usage('--genesis must be 64 hex digits (a roster id)')
        genesisId = fromHex(opts.genesis.toLowerCase())
      } else if (opts.node !== undefined) {
        genesisId = (await installedRoster(opts.node)).chain.versions[0].id
      }
      let verdict: BundleVerdict
      try {
        verdict = await verifyBundle(createReadStream(path, { highWaterMark: 1024 * 1024 }), genesisId !== undefined ? { genesisId } : {})
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== undefined) ctx.usage(`${path} cannot be read (${code})`)
        throw err
      }
      const pinned = genesisId !== undefined
      await result(ctx.io, opts, () => verdictText(path, verdict, pinned), verdictJson(verdict, pinned))
      if (!verdict.ok) throw new BundleVerificationError(verdict.failures, describeFailure(verdict.failures[0]))
      if (!pinned && opts.unpinned !== true) throw new UnpinnedBundleError(verdict.genesisId)
    })
}
