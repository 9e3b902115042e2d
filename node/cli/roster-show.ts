/**
 * `alliance roster show <file|dir>`: a roster in words (issue 16 item 9) —
 * version, members with their roles and nodes, quorum, governance
 * threshold, fingerprint suite and key epoch, guardians under toprf, who
 * signed, and the genesis id that `report verify --genesis` pins. For a
 * node directory: the version in force (from its daemon when one runs,
 * else the installed one) and the genesis it was installed from.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import type { Command } from 'commander'
import { toHex } from '../../protocol/bytes.js'
import { decodeRoster } from '../../protocol/codec/index.js'
import { rosterId, signaturesSoFar } from '../../protocol/roster/index.js'
import type { Roster } from '../../protocol/types.js'
import { ApiClient } from '../api/client.js'
import { CONFIG_FILE, NodeDirError, ROSTER_FILE } from '../home.js'
import { installedRoster, parseRosterFile, readRosterFile, signedRosterOf, type RosterFile } from '../roster-file.js'
import { leaf, type Context } from './common.js'
import { plural, result, table, type CommonOptions } from './output.js'
import { InputFileError } from './errors.js'

export interface RosterShowView {
  alliance: string
  version: number
  /** This version's id (hex). */
  id: string
  /** The alliance's genesis roster id (hex): what `report verify --genesis` pins; null when a file of a later version is shown alone. */
  genesisId: string | null
  /** Id of the version before (hex), null for the genesis. */
  prev: string | null
  time: string
  members: Array<{ org: string, name: string, roles: string[], nodes: Array<{ peerId: string, addrs: string[] }> }>
  quorum: number
  governanceThreshold: number
  suite: string
  epoch: number
  guardians: { threshold: number, orgs: string[] } | null
  quotas: Record<string, number>
  maxLifetimeDays: number
  rateLimitPerHour: number
  /** Orgs whose signatures the file carries (for a genesis: checked; for a later version: the node checks them against the version before). */
  signedBy: string[]
  /** Where it was read: the file, or the node directory and whether its daemon supplied it. */
  source: string
}

function view (file: RosterFile, genesisId: string | null, source: string): RosterShowView {
  const signed = signedRosterOf(file)
  const r: Roster = decodeRoster(signed.roster)
  const p = r.policy
  const genesis = r.version === 1 ? toHex(rosterId(signed.roster)) : genesisId
  let signedBy: string[]
  try {
    signedBy = r.version === 1 ? signaturesSoFar(signed) : file.signatures.map(s => s.org)
  } catch {
    signedBy = []
  }
  return {
    alliance: r.alliance,
    version: r.version,
    id: toHex(rosterId(signed.roster)),
    genesisId: genesis,
    prev: r.version === 1 ? null : toHex(r.prev),
    time: new Date(r.time).toISOString(),
    members: r.members.map(m => ({
      org: m.org,
      name: m.name,
      roles: [...m.roles],
      nodes: m.nodes.map(n => ({ peerId: peerIdFromMultihash(Digest.decode(n.peerId)).toString(), addrs: n.addrs }))
    })),
    quorum: p.quorum,
    governanceThreshold: p.governanceThreshold,
    suite: p.suite,
    epoch: p.epoch,
    guardians: p.guardians.length > 0 ? { threshold: p.guardianThreshold, orgs: p.guardians.map(g => g.org) } : null,
    quotas: Object.fromEntries(p.quotas.map(q => [q.subject, q.perDay])),
    maxLifetimeDays: Math.round(p.maxLifetimeMs / 86_400_000 * 100) / 100,
    rateLimitPerHour: p.rateLimitPerHour,
    signedBy,
    source
  }
}

function text (v: RosterShowView): string {
  const orgs = v.members.length
  const w = Math.max(...v.members.map(m => m.org.length))
  const memberLines = v.members.map(m => `${m.org.padEnd(w)}  ${m.roles.join(', ')}${m.name !== '' && m.name !== m.org ? ` ("${m.name}")` : ''}, ${plural(m.nodes.length, 'node')}: ${m.nodes.map(n => `${n.peerId.slice(0, 16)}… ${n.addrs.join(' ') || '(no address)'}`).join('; ')}`)
  const rows: Array<[string, string]> = [
    ['version', `${v.version}${v.version === 1 ? ' (genesis)' : ''}, ${v.time}`],
    ['id', v.id],
    ['genesis id', v.genesisId !== null ? `${v.genesisId}  (what alliance report verify <bundle> --genesis takes)` : 'not in this file (a later version): run alliance roster show <node dir>'],
    ['members', ''],
    ['quorum', `${v.quorum} of ${orgs} orgs must vouch for a fingerprint to list it`],
    ['governance', `${v.governanceThreshold} of ${orgs} orgs approve the next roster version`],
    ['fingerprints', `${v.suite}, key epoch ${v.epoch}`],
    ['attestations', `live at most ${v.maxLifetimeDays} days; ${v.rateLimitPerHour.toLocaleString('en-US')} entries per hour per member`],
    ['signed by', v.signedBy.length === 0 ? 'nobody yet' : `${v.signedBy.length} of ${orgs}: ${v.signedBy.join(', ')}`]
  ]
  if (v.guardians !== null) {
    const q = Object.entries(v.quotas).map(([k, n]) => `${k}=${n}/day`).join(', ')
    rows.splice(7, 0, ['guardians', `${v.guardians.threshold} of ${v.guardians.orgs.length} needed: ${v.guardians.orgs.join(', ')}; quotas ${q === '' ? 'none' : q}`])
  }
  const pad = ' '.repeat(2 + Math.max(...rows.map(([k]) => k.length)) + 2)
  rows[3][1] = memberLines.join('\n' + pad)
  return [`roster ${v.alliance} v${v.version} (${v.source})`, table(rows)].join('\n')
}

/** The roster a path names: a roster file, or a node directory's roster in force with its genesis. */
async function load (path: string): Promise<RosterShowView> {
  const st = await stat(path).catch(() => undefined)
  if (st === undefined) throw new InputFileError(path, 'no such file or directory; give a roster file or a node directory')
  if (!st.isDirectory()) return view(await readRosterFile(path), null, path)
  if (await stat(join(path, CONFIG_FILE)).catch(() => undefined) === undefined) throw new NodeDirError(`${path} is not a node directory (no config.json); give a roster file or a node directory`)
  if (await stat(join(path, ROSTER_FILE)).catch(() => undefined) === undefined) throw new NodeDirError(`${path} has no roster installed yet (alliance roster install ${path} <roster.json>)`)
  const installed = await installedRoster(path)
  const genesisId = toHex(installed.chain.versions[0].id)
  try {
    const current = parseRosterFile(await (await ApiClient.fromDir(path)).roster())
    return view(current, genesisId, `${path}, in force on its running node`)
  } catch (err) {
    if ((err as Error).name !== 'DaemonNotRunningError') throw err
    return view(installed.file, genesisId, `${path}, installed; its node is not running`)
  }
}

export function registerRosterShow (roster: Command, ctx: Context): void {
  leaf(roster.command('show')
    .summary('a roster in words: version, members and roles, quorum, governance, suite and epoch, guardians, signatures, the genesis id')
    .argument('<file|dir>', 'a roster file, or a node directory (its roster in force)'))
    .action(async (path: string, opts: CommonOptions) => {
      const v = await load(path)
      await result(ctx.io, opts, () => text(v), v)
    })
}
