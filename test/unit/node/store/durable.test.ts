/**
 * The `durable` store option (issue 12 item 12): every batch the store
 * writes — one per appended segment, and each roster, evidence and metadata
 * record — asks LevelDB to fsync before it is acknowledged; without the
 * option none does (the default: acknowledged writes survive a killed
 * process, not a power cut). Checked at the LevelDB boundary: the options of
 * every batch write the store makes.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { appendSegment } from '../../../../protocol/log/index.js'
import { LevelStore, createStore } from '../../../../node/store/index.js'
import { GENESIS_TIME, makeAlliance } from '../../../helpers/alliance.js'

/** Records the `sync` option of every batch write (chained and array batches) made while `fn` runs. */
async function syncFlags (fn: () => Promise<void>): Promise<boolean[]> {
  const probe = new Level(join(mkdtempSync(join(tmpdir(), 'durable-probe-')), 'db'))
  await probe.open()
  const sample = probe.batch()
  const chained = Object.getPrototypeOf(Object.getPrototypeOf(sample))
  await sample.close()
  const abstract = Object.getPrototypeOf(Object.getPrototypeOf(probe))
  const flags: boolean[] = []
  const write = chained.write
  const batch = abstract.batch
  chained.write = function (this: unknown, options?: { sync?: boolean }) { flags.push(options?.sync === true); return write.call(this, options) }
  abstract.batch = function (this: unknown, ...args: [unknown?, { sync?: boolean }?]) {
    if (Array.isArray(args[0])) flags.push(args[1]?.sync === true)
    return batch.apply(this, args)
  }
  try {
    await fn()
  } finally {
    chained.write = write
    abstract.batch = batch
    await probe.close()
  }
  return flags
}

describe('node/store durable option', () => {
  const dirs: string[] = []
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  for (const durable of [true, false]) {
    it(`durable ${String(durable)}: ${durable ? 'every' : 'no'} segment, roster, evidence and metadata write is fsynced`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'durable-'))
      dirs.push(dir)
      const al = makeAlliance()
      const signer = al.orgs[0].nodes[0].signer
      const store = createStore({ path: join(dir, 'db'), durable })
      assert.ok(store instanceof LevelStore)
      await store.open()
      const flags = await syncFlags(async () => {
        let head
        for (let i = 0; i < 3; i++) {
          const { entries, segment } = appendSegment({ signer, alliance: al.alliance, head, bodies: [{ type: 'retraction', target: new Uint8Array(32), fingerprint: new Uint8Array(32).fill(i), kind: 'email', epoch: 1 }], time: GENESIS_TIME + i })
          await store.append(signer.publicKey, entries, segment.signature)
          head = store.head(signer.publicKey)
        }
        await store.putRoster(1, al.signed)
        await store.putEvidence(signer.publicKey, 1, new Uint8Array(10))
        await store.putMeta('k', { v: 1 })
      })
      await store.close()
      assert.equal(flags.length, 6, 'one batch per segment, roster, evidence and meta record')
      assert.deepEqual(flags, Array(6).fill(durable))
    })
  }
})
