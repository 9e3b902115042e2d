/**
 * The start-up checkpoint on a real node (LevelDB on disk): written at a
 * clean stop, used at the next open, and refused (with the full pass over
 * the store instead) when it is damaged, from elsewhere, or when the store
 * moved under it. Whichever way the node starts, it must show exactly what a
 * start without any checkpoint shows: blocklist, snapshot hash, explanations,
 * counts.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AllianceNode } from '../../../node/alliance-node.js'
import { CHECKPOINT_FILE } from '../../../node/checkpoint/index.js'
import { DATA_DIR } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import type { NodeStatus } from '../../../node/service.js'
import { createStore } from '../../../node/store/index.js'
import { appendSegment } from '../../../protocol/log/index.js'
import type { Body } from '../../../protocol/types.js'
import { makeNodeDirs, startNodes, type TestNet } from '../../helpers/nodes.js'
import { api, spawnNode, stopNode } from '../../helpers/processes.js'

const N = 3000
const SPECS = [{ org: 'brand-a', role: 'brand' as const }, { org: 'brand-b', role: 'brand' as const }]
const value = (i: number): string => `market:s${i}`

/** What a user of the node sees: the rows, the hash, some explanations, the counts. */
async function picture (node: AllianceNode): Promise<unknown> {
  const rows = []
  for await (const r of node.blocklist()) rows.push(r)
  const explained = []
  for (const i of [0, 1, 7, 500, N - 1, N + 5, N + 200]) explained.push(await node.explain({ kind: 'seller-account', value: value(i) }))
  const s = await node.status()
  return { rows, hash: node.snapshotHash(), explained, blocklist: s.blocklist, applied: s.entries.applied, heads: s.heads }
}

async function open (dir: string, clock?: () => number): Promise<{ node: AllianceNode, startup: NodeStatus['startup'], warnings: string[] }> {
  const warnings: string[] = []
  const node = await AllianceNode.open({ dir, logLevel: 'warn', logSink: line => warnings.push(line), ...(clock !== undefined ? { clock } : {}) })
  return { node, startup: (await node.status()).startup, warnings }
}

describe('integration: the start-up checkpoint', function () {
  this.timeout(120_000)
  let net: TestNet
  let dir: string
  let file: string
  /** What a start without any checkpoint shows, taken afresh whenever the store changes. */
  let full: unknown

  /** The picture of a start with no checkpoint (the file deleted first); the node is stopped again, which writes one. */
  async function fullPass (clock?: () => number): Promise<unknown> {
    rmSync(file, { force: true })
    const { node, startup } = await open(dir, clock)
    try {
      assert.equal(startup.checkpoint, 'absent')
      return await picture(node)
    } finally {
      await node.stop()
    }
  }

  before(async () => {
    net = await makeNodeDirs(SPECS, { quorum: 1 })
    dir = net.dirs['brand-a']
    file = join(dir, CHECKPOINT_FILE)
    const a = (await startNodes(net, ['brand-a']))['brand-a']
    try {
      const items = Array.from({ length: N }, (_, i) => ({ kind: 'seller-account' as const, value: value(i) }))
      for (let i = 0; i < N; i += 1000) await a.attest(items.slice(i, i + 1000))
      // listed for an hour only: a start two hours later finds them expired
      await a.attest(Array.from({ length: 10 }, (_, i) => ({ kind: 'seller-account' as const, value: value(N + 200 + i), ttlMs: 3_600_000 })))
      for (const i of [1, 2, 3]) await a.retract({ kind: 'seller-account', value: value(i) })
      await a.allow({ kind: 'seller-account', value: value(N + 5), ttlMs: 3_600_000 })
    } finally {
      await a.stop()
    }
    full = await fullPass()
  })

  after(() => net?.cleanup())

  it('a clean stop writes it (mode 0600); the next open uses it, deletes it at once, and shows what a full pass shows', async () => {
    assert.ok(existsSync(file), 'written at stop')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const { node, startup } = await open(dir)
    try {
      assert.equal(startup.checkpoint, 'used')
      assert.equal(startup.replayedAfterCheckpoint, 0)
      assert.equal(startup.entries, N + 14)
      assert.ok(!existsSync(file), 'consumed before the node could append')
      assert.deepEqual(await picture(node), full)
      assert.match(await node.metrics.text(), /alliance_startup_seconds\{checkpoint="used",reason=""\} \d/)
    } finally {
      await node.stop()
    }
  })

  it('a flipped byte: refused as checkpoint_damaged, logged at warn, the full pass gives the same state', async () => {
    for (const at of [0.5, 0.01, 0.999]) {
      const bytes = readFileSync(file)
      bytes[Math.floor(bytes.length * at)] ^= 0x04
      writeFileSync(file, bytes, { mode: 0o600 })
      const { node, startup, warnings } = await open(dir)
      try {
        assert.deepEqual([startup.checkpoint, startup.reason], ['refused', 'checkpoint_damaged'], `flip at ${at}`)
        assert.ok(warnings.some(w => (JSON.parse(w) as { reason?: string }).reason === 'checkpoint_damaged'))
        assert.deepEqual(await picture(node), full)
      } finally {
        await node.stop()
      }
    }
  })

  it('entries stored after it (the store opened directly) are replayed on top of it; entries applied live are in the next one', async () => {
    const keys = await loadNodeKeys(dir)
    const store = createStore({ path: join(dir, DATA_DIR) })
    await store.open()
    try {
      const head = store.head(keys.sign.publicKey)
      const fingerprint = new Uint8Array(randomBytes(32))
      const bodies: Body[] = [{ type: 'attestation', fingerprint, kind: 'seller-account', claim: 'counterfeit-seller', reason: 1, confidence: 90, evidenceDigest: new Uint8Array(0), expires: Date.now() + 86_400_000, epoch: 1 }]
      const s = appendSegment({ signer: keys.sign, alliance: 'test-alliance', head, bodies, time: Date.now() })
      await store.append(keys.sign.publicKey, s.entries, s.segment.signature)
    } finally {
      await store.close()
    }
    // what a full pass over the store shows now; then the checkpoint written before the append is put back
    const saved = readFileSync(file)
    const appended = await fullPass()
    assert.notDeepEqual(appended, full, 'the appended entry shows')
    writeFileSync(file, saved, { mode: 0o600 })
    const { node, startup } = await open(dir)
    try {
      assert.deepEqual([startup.checkpoint, startup.replayedAfterCheckpoint], ['used', 1])
      assert.deepEqual(await picture(node), appended)
      // now live: started, a few more statements, a clean stop
      await node.start()
      await node.attest([{ kind: 'seller-account', value: value(N + 100) }, { kind: 'seller-account', value: value(N + 101) }])
    } finally {
      await node.stop()
    }
    const reopened = await open(dir)
    let live: unknown
    try {
      assert.deepEqual([reopened.startup.checkpoint, reopened.startup.replayedAfterCheckpoint], ['used', 0])
      live = await picture(reopened.node)
    } finally {
      await reopened.node.stop()
    }
    full = await fullPass()
    assert.deepEqual(live, full)
    assert.notDeepEqual(appended, full, 'the live statements changed what the node shows')
  })

  it('opened two hours later: what expired meanwhile shows as in a full pass at that time (the snapshot sum folds the expiries in)', async () => {
    const later = (): number => Date.now() + 2 * 3_600_000
    const saved = readFileSync(file)
    const expired = await fullPass(later)
    assert.notDeepEqual(expired, full, 'ten fingerprints expired')
    writeFileSync(file, saved, { mode: 0o600 })
    const { node, startup } = await open(dir, later)
    try {
      assert.deepEqual([startup.checkpoint, startup.replayedAfterCheckpoint], ['used', 0])
      assert.deepEqual(await picture(node), expired)
    } finally {
      await node.stop()
    }
    // back to this node's own time: the checkpoint written two hours ahead is refused as stale
    const back = await open(dir)
    try {
      assert.deepEqual([back.startup.checkpoint, back.startup.reason], ['refused', 'checkpoint_stale'])
    } finally {
      rmSync(file, { force: true })
      await back.node.stop()
    }
  })

  it('a checkpoint of another node or another alliance is refused', async () => {
    // brand-b holds nothing of brand-a's but its own statements: a state this store does not hold
    const b = (await startNodes(net, ['brand-b']))['brand-b']
    await b.attest([{ kind: 'seller-account', value: 'market:b-only' }]).finally(async () => await b.stop())
    const other = await makeNodeDirs(SPECS, { quorum: 1, alliance: 'other-alliance' })
    try {
      const o = await AllianceNode.open({ dir: other.dirs['brand-a'], logLevel: 'error', logSink: () => {} })
      await o.stop()
      for (const [from, reason] of [[net.dirs['brand-b'], 'checkpoint_stale'], [other.dirs['brand-a'], 'checkpoint_other_alliance']] as const) {
        copyFileSync(join(from, CHECKPOINT_FILE), file)
        const { node, startup } = await open(dir)
        try {
          assert.deepEqual([startup.checkpoint, startup.reason], ['refused', reason])
          assert.deepEqual(await picture(node), full)
        } finally {
          await node.stop()
        }
      }
    } finally {
      other.cleanup()
    }
  })

  it('a node process killed with SIGKILL after start leaves no checkpoint: the next start is the full pass', async () => {
    assert.ok(existsSync(file))
    const p = await spawnNode(dir)
    try {
      assert.equal((await api<NodeStatus>(p, '/v1/status')).startup.checkpoint, 'used')
    } finally {
      assert.equal(await stopNode(p, 'SIGKILL'), null)
    }
    assert.ok(!existsSync(file), 'consumed at open, never rewritten')
    const { node, startup } = await open(dir)
    try {
      assert.equal(startup.checkpoint, 'absent')
      assert.deepEqual(await picture(node), full)
    } finally {
      await node.stop()
    }
  })
})
