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
import { createRosterFile, installRosterFile, signRosterFile, type RosterFile } from '../../node/roster-file.js'
import { AllianceNode } from '../../node/alliance-node.js'
import type { Role } from '../../protocol/kinds.js'

export interface MemberSpec { org: string, role: Role }

export const FIVE: MemberSpec[] = [
  { org: 'brand-a', role: 'brand' },
  { org: 'brand-b', role: 'brand' },
  { org: 'brand-c', role: 'brand' },
  { org: 'platform', role: 'platform' },
  { org: 'police', role: 'law-enforcement' }
]

export interface TestNet {
  root: string
  dirs: Record<string, string>
  roster: RosterFile
  cleanup: () => void
}

export async function makeNodeDirs (specs: MemberSpec[], opts: { quorum?: number, alliance?: string, rosterTime?: number } = {}): Promise<TestNet> {
  const root = mkdtempSync(join(tmpdir(), 'alliance-test-'))
  const dirs: Record<string, string> = {}
  for (const s of specs) {
    dirs[s.org] = join(root, s.org)
    await initNodeDir(dirs[s.org], { org: s.org, role: s.role, listen: ['/ip4/127.0.0.1/tcp/0'], defaultCountry: 'GB' })
  }
  const cards = await Promise.all(specs.map(async s => await memberCard(dirs[s.org])))
  let roster = await createRosterFile({ alliance: opts.alliance ?? 'test-alliance', quorum: opts.quorum ?? 2, cards, time: opts.rosterTime ?? Date.now() - 60_000 })
  for (const s of specs) roster = signRosterFile(roster, (await loadNodeKeys(dirs[s.org])).sign).file
  for (const s of specs) await installRosterFile(dirs[s.org], roster, await loadNodeKeys(dirs[s.org]))
  return { root, dirs, roster, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export async function startNodes (net: TestNet, orgs: string[], opts: { antiEntropyIntervalMs?: number } = {}): Promise<Record<string, AllianceNode>> {
  const nodes: Record<string, AllianceNode> = {}
  await Promise.all(orgs.map(async org => {
    const node = await AllianceNode.open({ dir: net.dirs[org], logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: opts.antiEntropyIntervalMs ?? 2000 })
    await node.start()
    nodes[org] = node
  }))
  return nodes
}

/** Resolves when `check()` is true; polls on a short interval because consensus has no cross-node event. */
export async function eventually (check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
