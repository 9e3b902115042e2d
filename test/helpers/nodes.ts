/**
 * Real node directories for integration tests: `alliance init` for each
 * member, a roster built from their cards, signed by every org and installed
 * on every node — the same steps a user takes, through the same functions.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initNodeDir, memberCard } from '../../node/home.js'
import { loadNodeKeys } from '../../node/keys.js'
import { createRosterFile, installRosterFile, signRosterFile, type CreateRosterOptions, type RosterFile } from '../../node/roster-file.js'
import { AllianceNode } from '../../node/alliance-node.js'
import type { Role } from '../../protocol/kinds.js'
import { eventually } from './wait.js'

export interface MemberSpec { org: string, role: Role }

export const FIVE: MemberSpec[] = [
  { org: 'brand-a', role: 'brand' },
  { org: 'brand-b', role: 'brand' },
  { org: 'brand-c', role: 'brand' },
  { org: 'platform', role: 'platform' },
  { org: 'police', role: 'law-enforcement' }
]

/** Three brands and the platform: the usual cast of an integration test at quorum 2. */
export const FOUR: MemberSpec[] = FIVE.slice(0, 4)

export interface TestNet {
  root: string
  dirs: Record<string, string>
  roster: RosterFile
  cleanup: () => void
}

/** Roster options beyond the defaults, e.g. the toprf suite: `{ policy: { suite: 'toprf-ristretto255' }, guardians: [...], threshold: 2 }`. */
export type RosterExtras = Partial<Pick<CreateRosterOptions, 'policy' | 'guardians' | 'threshold' | 'quotas'>>

export async function makeNodeDirs (specs: MemberSpec[], opts: { quorum?: number, alliance?: string, rosterTime?: number, roster?: RosterExtras } = {}): Promise<TestNet> {
  const root = mkdtempSync(join(tmpdir(), 'alliance-test-'))
  const dirs: Record<string, string> = {}
  for (const s of specs) {
    dirs[s.org] = join(root, s.org)
    await initNodeDir(dirs[s.org], { org: s.org, role: s.role, listen: ['/ip4/127.0.0.1/tcp/0'], defaultCountry: 'GB' })
  }
  const cards = await Promise.all(specs.map(async s => await memberCard(dirs[s.org])))
  let roster = await createRosterFile({ alliance: opts.alliance ?? 'test-alliance', quorum: opts.quorum ?? 2, cards, time: opts.rosterTime ?? Date.now() - 60_000, ...opts.roster })
  for (const s of specs) roster = signRosterFile(roster, (await loadNodeKeys(dirs[s.org])).sign).file
  for (const s of specs) await installRosterFile(dirs[s.org], roster, await loadNodeKeys(dirs[s.org]))
  return { root, dirs, roster, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export async function startNodes (net: TestNet, orgs: string[], opts: { antiEntropyIntervalMs?: number, clock?: () => number, guardianCountsIntervalMs?: number } = {}): Promise<Record<string, AllianceNode>> {
  const nodes: Record<string, AllianceNode> = {}
  await Promise.all(orgs.map(async org => {
    const node = await AllianceNode.open({
      dir: net.dirs[org], logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: opts.antiEntropyIntervalMs ?? 2000,
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
      ...(opts.guardianCountsIntervalMs !== undefined ? { guardianCountsIntervalMs: opts.guardianCountsIntervalMs } : {})
    })
    await node.start()
    nodes[org] = node
  }))
  return nodes
}

/**
 * Registers mocha hooks for a suite: before it, node directories for `specs`
 * and one in-process node each, connected to every other; after it, every
 * node stopped and the directories removed. Read `net` and `nodes` inside the
 * tests (they are set once `before` ran).
 */
export function useRunningNodes (specs: MemberSpec[], opts: { quorum?: number, roster?: RosterExtras, clock?: () => number, guardianCountsIntervalMs?: number } = {}): { readonly net: TestNet, readonly nodes: Record<string, AllianceNode> } {
  let net: TestNet | undefined
  let nodes: Record<string, AllianceNode> | undefined
  before(async function () {
    this.timeout(60_000)
    net = await makeNodeDirs(specs, { quorum: opts.quorum ?? 2, ...(opts.roster !== undefined ? { roster: opts.roster } : {}) })
    const started = await startNodes(net, specs.map(s => s.org), { clock: opts.clock, guardianCountsIntervalMs: opts.guardianCountsIntervalMs })
    nodes = started
    await eventually(() => Object.values(started).every(n => n.host.connectedPeers().length >= specs.length - 1), 20_000, 'every node connected to every other')
  })
  after(async () => {
    await Promise.all(Object.values(nodes ?? {}).map(async n => await n.stop()))
    net?.cleanup()
  })
  return {
    get net () { if (net === undefined) throw new Error('useRunningNodes: read net inside a test'); return net },
    get nodes () { if (nodes === undefined) throw new Error('useRunningNodes: read nodes inside a test'); return nodes }
  }
}

/** Whether every node in `nodes` gives `fingerprint` the status `want`. */
export async function statusEverywhere (nodes: AllianceNode[], fingerprint: string, want: string): Promise<boolean> {
  for (const n of nodes) if ((await n.explain({ fingerprint })).status !== want) return false
  return true
}

/** Sync runs a node has made so far (every result), from its metrics. */
export async function syncRuns (node: AllianceNode): Promise<number> {
  const m = await node.metrics.syncRuns.get()
  return m.values.reduce((n, v) => n + v.value, 0)
}

/**
 * Resolves once each node has made `rounds` full anti-entropy rounds since
 * the call: one round syncs with every connected peer in turn, so 2 × rounds
 * × peers runs from now include `rounds` rounds that began after it. What a
 * test waits for before asserting that something did NOT spread: proof that
 * the chances to spread came and went, instead of a fixed sleep.
 */
export async function afterSyncRounds (nodes: AllianceNode[], rounds: number, timeoutMs = 30_000): Promise<void> {
  const start = await Promise.all(nodes.map(async n => ({ n, runs: await syncRuns(n), peers: n.host.connectedPeers().length })))
  await eventually(async () => {
    for (const s of start) if (await syncRuns(s.n) - s.runs < 2 * rounds * Math.max(1, s.peers)) return false
    return true
  }, timeoutMs, `${rounds} anti-entropy rounds on ${nodes.length} nodes`)
}
