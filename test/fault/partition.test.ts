/**
 * Real partitions between node processes: five `alliance start` processes
 * whose member cards announce a TCP proxy port (helpers/partition-proxy.ts),
 * so cutting a link silently stops every byte between two nodes — no FIN,
 * no RST, the peers just go quiet — while both keep running.
 *
 * Shapes: one node isolated; a minority/majority split (2 | 3); a ring (each
 * node reaches only its two neighbours). `npm test` runs the split once; the
 * soak runs every shape PARTITION_REPS times, with longer partitions.
 *
 * Each round: attest on every node during the partition (each node's own
 * identifiers, one identifier vouched for by a whole group, one vouched for
 * across the cut), check the cut held (no entry crossed it), heal, and time
 * until every node shows the same blocklist (status.snapshotHash) and every
 * author's full log (nothing lost). The bound asserted is two anti-entropy
 * intervals after the heal.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, initNodeDir, memberCard, readConfig } from '../../node/home.js'
import { loadNodeKeys } from '../../node/keys.js'
import { createRosterFile, installRosterFile, signRosterFile } from '../../node/roster-file.js'
import type { AttestResult, NodeStatus } from '../../node/service.js'
import { eventually } from '../helpers/wait.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../helpers/processes.js'
import { PartitionProxy } from './helpers/partition-proxy.js'
import { PARTITION_REPS, SOAK, budget, record } from './helpers/scale.js'

const ORGS = ['n0', 'n1', 'n2', 'n3', 'n4']
const ANTI_ENTROPY_S = 2
/** How long each partition lasts after the attestations (PARTITION_S overrides; soak: 25 s). */
const PARTITION_MS = process.env.PARTITION_S !== undefined ? Number(process.env.PARTITION_S) * 1000 : SOAK ? 25_000 : 2 * ANTI_ENTROPY_S * 1000 + 1000
/** Only these shapes (comma-separated), e.g. PARTITION_SHAPES=split. */
const ONLY = process.env.PARTITION_SHAPES?.split(',')

type Shape = 'isolated' | 'split' | 'ring'
const SHAPES: Shape[] = (SOAK ? ['isolated', 'split', 'ring'] as Shape[] : ['split'] as Shape[]).filter(s => ONLY === undefined || ONLY.includes(s))

/** Which links are up in each shape, and the groups that cannot reach each other (none for the ring: it stays connected). */
const LINKS: Record<Shape, { up: (a: string, b: string) => boolean, groups: string[][] }> = {
  isolated: { up: (a, b) => a !== 'n0' && b !== 'n0', groups: [['n0'], ['n1', 'n2', 'n3', 'n4']] },
  split: { up: (a, b) => (a < 'n2') === (b < 'n2'), groups: [['n0', 'n1'], ['n2', 'n3', 'n4']] },
  ring: {
    up: (a, b) => { const d = Math.abs(Number(a[1]) - Number(b[1])); return d === 1 || d === 4 },
    groups: [ORGS]
  }
}

describe('fault: network partitions between node processes', function () {
  this.timeout(budget(120_000, SHAPES.length * PARTITION_REPS, 120_000 + PARTITION_MS))
  let root: string
  const dirs: Record<string, string> = {}
  const procs: Record<string, NodeProcess> = {}
  const proxy = new PartitionProxy()

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'alliance-partition-'))
    const proxyPorts: Record<string, number> = {}
    for (const org of ORGS) {
      dirs[org] = join(root, org)
      proxyPorts[org] = await freePort()
      // the node listens on its own port; its card announces the proxy's
      await initNodeDir(dirs[org], { org, role: 'brand', listen: ['/ip4/127.0.0.1/tcp/0'], announce: [`/ip4/127.0.0.1/tcp/${proxyPorts[org]}`], defaultCountry: 'GB' })
    }
    const cards = await Promise.all(ORGS.map(async org => await memberCard(dirs[org])))
    let roster = await createRosterFile({ alliance: 'partition-alliance', quorum: 2, cards, time: Date.now() - 60_000 })
    for (const org of ORGS) roster = signRosterFile(roster, (await loadNodeKeys(dirs[org])).sign).file
    for (const org of ORGS) await installRosterFile(dirs[org], roster, await loadNodeKeys(dirs[org]))
    for (const org of ORGS) {
      const real = Number(/\/tcp\/(\d+)/.exec((await readConfig(dirs[org])).listen[0])?.[1])
      await proxy.add(org, proxyPorts[org], real)
    }
    await Promise.all(ORGS.map(async org => {
      procs[org] = await spawnNode(dirs[org], { antiEntropySeconds: ANTI_ENTROPY_S })
      proxy.process(procs[org].child.pid as number, org)
    }))
    await eventually(async () => {
      for (const org of ORGS) if ((await api<NodeStatus>(procs[org], '/v1/status')).peers.length < ORGS.length - 1) return false
      return true
    }, 60_000, 'full mesh through the proxies')
  })

  after(async () => {
    await Promise.all(Object.values(procs).map(async p => await stopNode(p, 'SIGKILL')))
    await proxy.close()
    if (root !== undefined) rmSync(root, { recursive: true, force: true })
  })

  const statuses = async (): Promise<Record<string, NodeStatus>> => {
    const out: Record<string, NodeStatus> = {}
    await Promise.all(ORGS.map(async org => { out[org] = await api<NodeStatus>(procs[org], '/v1/status') }))
    return out
  }

  /** Every node holds every author's whole log (as the author holds it) and the same blocklist. */
  function converged (s: Record<string, NodeStatus>): boolean {
    const own = new Map(ORGS.map(org => [org, s[org].heads.find(h => h.org === org)?.seq ?? 0]))
    for (const org of ORGS) {
      if (s[org].snapshotHash !== s.n0.snapshotHash) return false
      for (const author of ORGS) if ((s[org].heads.find(h => h.org === author)?.seq ?? 0) !== own.get(author)) return false
    }
    return true
  }

  const times: Record<string, number[]> = {}
  let healed = 0

  for (const shape of SHAPES) {
    it(`${shape}: attestations on every side during a silent partition; after the heal every node has the same blocklist and every entry within two anti-entropy intervals (×${PARTITION_REPS})`, async () => {
      const { up, groups } = LINKS[shape]
      for (let rep = 0; rep < PARTITION_REPS; rep++) {
        const tag = `${shape}${rep}`
        proxy.links(up)
        const acked: Record<string, AttestResult[]> = {}
        await Promise.all(ORGS.map(async (org, i) => {
          const group = groups.findIndex(g => g.includes(org))
          const items = [
            ...Array.from({ length: 20 }, (_, k) => ({ kind: 'seller-account', value: `market:${tag}-${org}-${k}` })),
            // vouched for by the whole group: listed on its side only
            { kind: 'seller-account', value: `market:${tag}-group${group}` }
          ]
          // and one identifier vouched for across the cut (n0 and n4): listed only after the heal
          if (i === 0 || i === 4) items.push({ kind: 'seller-account', value: `market:${tag}-bridge` })
          acked[org] = [await api<AttestResult>(procs[org], '/v1/attest', { items })]
        }))
        await new Promise(resolve => setTimeout(resolve, PARTITION_MS))
        const during = await statuses()
        if (groups.length > 1) {
          // the cut held: nothing attested on one side reached the other
          for (const g of groups) {
            for (const org of g) {
              for (const other of ORGS.filter(o => !g.includes(o))) {
                const theirs = during[other].heads.find(h => h.org === other)?.seq ?? 0
                const seen = during[org].heads.find(h => h.org === other)?.seq ?? 0
                assert.ok(seen < theirs, `${tag}: ${org} received ${other}'s entries across the cut; connections ${proxy.connections().join(', ')}`)
              }
            }
          }
        }
        const t0 = Date.now()
        proxy.heal()
        let last: Record<string, NodeStatus> = during
        await eventually(async () => converged(last = await statuses()), 60_000, `${tag}: convergence after the heal`).catch(err => {
          throw new Error(`${(err as Error).message}; heads ${JSON.stringify(Object.fromEntries(ORGS.map(o => [o, last[o].heads.map(h => `${h.org}:${h.seq}`).join(' ')])))} connections ${proxy.connections().join(', ')}`)
        })
        const ms = Date.now() - t0
        ;(times[shape] ??= []).push(ms)
        healed++
        // nothing lost: every acknowledged fingerprint is known on every node
        for (const org of ORGS) {
          for (const fp of acked[org].flatMap(r => r.fingerprints)) {
            const why = await api<{ positive: Array<{ org: string }> }>(procs[ORGS[(ORGS.indexOf(org) + 2) % 5]], '/v1/explain', { fingerprint: fp })
            assert.ok(why.positive.some(v => v.org === org), `${tag}: ${org}'s fingerprint ${fp} missing after the heal`)
          }
        }
        const bridge = acked.n0[0].fingerprints.at(-1) as string
        for (const org of ORGS) assert.equal((await api<{ status: string }>(procs[org], '/v1/explain', { fingerprint: bridge })).status, 'listed', `${tag}: vouched across the cut, listed after the heal on ${org}`)
        assert.ok(ms <= 2 * ANTI_ENTROPY_S * 1000, `${tag}: converged ${ms} ms after the heal (bound ${2 * ANTI_ENTROPY_S * 1000} ms)`)
      }
      record('partition', {
        [`${shape}.healed`]: PARTITION_REPS,
        [`${shape}.msToConverge`]: times[shape],
        [`${shape}.partitionMs`]: PARTITION_MS,
        lostEntries: 0
      })
    })
  }

  after(() => {
    if (healed > 0) record('partition', { partitionsHealed: healed, antiEntropyMs: ANTI_ENTROPY_S * 1000, boundMs: 2 * ANTI_ENTROPY_S * 1000 })
  })
})
