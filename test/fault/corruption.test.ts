/**
 * On-disk corruption: one flipped byte in a node's LevelDB files.
 *
 * LevelDB drops a write-ahead-log record whose checksum fails (and the rest
 * of its 32 KiB block) without telling the application, and fails every
 * read of a table (.ldb) block it cannot decode. Either way history goes
 * missing from the middle of a log. The node must notice at start-up (the
 * chain check reports damage), keep running, and get the lost entries back
 * from a peer by sync, ending with the peer's exact blocklist.
 *
 * Each trial restores a pristine copy of brand-b's data directory (1,000
 * entries of brand-a, all in the WAL, or all compacted into tables), flips
 * one byte — at a known entry's id, or at a random offset — opens brand-b,
 * starts it, and waits until it holds brand-a's whole log again.
 */
import assert from 'node:assert/strict'
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AllianceNode } from '../../node/alliance-node.js'
import { DATA_DIR } from '../../node/home.js'
import { makeNodeDirs, startNodes, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { SOAK, TRIALS, budget, record } from './helpers/scale.js'

const ENTRIES = 1000
/** Random-offset trials per file kind (plus one targeted flip each). */
const RANDOM_FLIPS = SOAK ? Math.max(5, Math.floor(TRIALS / 4)) : 2

describe('fault: a flipped byte in LevelDB files', function () {
  this.timeout(budget(90_000, 2 * (RANDOM_FLIPS + 1), 20_000))
  let net: TestNet
  let a: AllianceNode
  let data: string
  let walCopy: string
  let ldbCopy: string

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }], { quorum: 1 })
    const nodes = await startNodes(net, ['brand-a', 'brand-b'], { antiEntropyIntervalMs: 500 })
    a = nodes['brand-a']
    for (let i = 0; i < ENTRIES / 50; i++) await a.attest(Array.from({ length: 50 }, (_, j) => ({ kind: 'seller-account' as const, value: `market:c${i}-${j}` })))
    await eventually(() => nodes['brand-b'].store.head(a.keys.sign.publicKey)?.seq === ENTRIES, 30_000, 'brand-b holds the log')
    await nodes['brand-b'].stop()
    data = join(net.dirs['brand-b'], DATA_DIR)
    // everything brand-b holds is in its write-ahead log now (LevelDB writes tables at the next open)
    walCopy = join(net.root, 'pristine-wal')
    cpSync(data, walCopy, { recursive: true })
    await (await AllianceNode.open({ dir: net.dirs['brand-b'], logLevel: 'error', logSink: () => {} })).stop()
    ldbCopy = join(net.root, 'pristine-ldb')
    cpSync(data, ldbCopy, { recursive: true })
  })

  after(async () => {
    await a?.stop()
    net?.cleanup()
  })

  /** Restores `pristine`, flips one byte of the chosen file, restarts brand-b, waits for repair. */
  async function trial (pristine: string, files: RegExp, where: 'entry' | 'block' | 'random'): Promise<{ damaged: boolean, validThrough: number | null, repairMs: number, file: string, offset: number }> {
    rmSync(data, { recursive: true, force: true })
    cpSync(pristine, data, { recursive: true })
    const candidates = readdirSync(data).filter(f => files.test(f)).map(f => join(data, f)).filter(f => statSync(f).size > 0)
    assert.ok(candidates.length > 0, `no ${String(files)} file in ${data}`)
    let file = candidates[0]
    let offset: number
    if (where === 'entry') {
      // a byte inside the stored id of entry 100 of brand-a's log
      const [e] = await a.store.range(a.keys.sign.publicKey, 100, 1)
      const hit = candidates.map(f => ({ f, at: readFileSync(f).indexOf(Buffer.from(e.id)) })).find(x => x.at >= 0)
      assert.ok(hit !== undefined, 'entry 100 found on disk')
      file = hit.f
      offset = hit.at + 5
    } else if (where === 'block') {
      // the first byte of the first data block of a table: its compressed-length header
      offset = 0
    } else {
      const sizes = candidates.map(f => statSync(f).size)
      let pick = Math.floor(Math.random() * sizes.reduce((x, y) => x + y, 0))
      let i = 0
      while (pick >= sizes[i]) { pick -= sizes[i]; i++ }
      file = candidates[i]
      offset = pick
    }
    const bytes = readFileSync(file)
    bytes[offset] ^= where === 'random' ? 1 << Math.floor(Math.random() * 8) : 0x01
    writeFileSync(file, bytes)

    const logs: string[] = []
    const b = await AllianceNode.open({ dir: net.dirs['brand-b'], logLevel: 'warn', logSink: line => logs.push(line), antiEntropyIntervalMs: 500 })
    try {
      const damage = logs.map(l => JSON.parse(l) as { msg: string, validThrough?: number }).filter(l => l.msg.includes('damaged'))
      const t0 = Date.now()
      await b.start()
      await eventually(() => b.store.head(a.keys.sign.publicKey)?.seq === ENTRIES && b.snapshotHash() === a.snapshotHash(), 30_000, `brand-b repaired after a flip in ${file} at ${offset}`)
      const check = await b.store.checkChains()
      assert.deepEqual(check, [], 'the repaired log is intact')
      return { damaged: damage.length > 0, validThrough: damage[0]?.validThrough ?? null, repairMs: Date.now() - t0, file: file.slice(data.length + 1), offset }
    } finally {
      await b.stop()
    }
  }

  for (const [kind, pattern, pristine] of [['write-ahead log', /^\d+\.log$/, () => walCopy], ['table (.ldb)', /\.ldb$/, () => ldbCopy]] as const) {
    it(`${kind}: a flipped byte in a stored entry${kind.startsWith('table') ? ' or a block header' : ''} is detected at start-up and repaired from a peer; ${RANDOM_FLIPS} random flips never stop the node and are repaired`, async () => {
      const results = [await trial(pristine(), pattern, 'entry')]
      assert.ok(results[0].damaged, 'the chain check reports the damage')
      assert.ok((results[0].validThrough ?? ENTRIES) < ENTRIES)
      if (kind.startsWith('table')) {
        // a block LevelDB cannot even decompress: every read of it fails (start-up used to fail with it)
        results.push(await trial(pristine(), pattern, 'block'))
        assert.ok(results[1].damaged, 'an unreadable block is reported as damage')
      }
      for (let i = 0; i < RANDOM_FLIPS; i++) results.push(await trial(pristine(), pattern, 'random'))
      const key = kind.startsWith('write') ? 'wal' : 'ldb'
      record('corruption', {
        [`${key}.flips`]: results.length,
        [`${key}.detected`]: results.filter(r => r.damaged).length,
        [`${key}.repaired`]: results.length,
        [`${key}.lostEntriesAfterRepair`]: 0,
        [`${key}.maxRepairMs`]: Math.max(...results.map(r => r.repairMs))
      })
    })
  }
})
