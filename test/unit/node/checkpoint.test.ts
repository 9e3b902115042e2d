/**
 * node/checkpoint: the file's byte form (every byte covered by its hash, the
 * version read first), its atomic write and its consumption at open, and the
 * match against what the node holds, each refusal named.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CHECKPOINT_FILE, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, matchCheckpoint, takeCheckpoint, writeCheckpoint, type Checkpoint
} from '../../../node/checkpoint/index.js'
import { MemoryStore } from '../../../node/store/memory.js'
import { ConsensusIndex } from '../../../protocol/consensus/index.js'
import { appendSegment } from '../../../protocol/log/index.js'
import { consensusPolicy } from '../../../node/services/consensus-state.js'
import type { Body } from '../../../protocol/types.js'
import { GENESIS_TIME, makeAlliance } from '../../helpers/alliance.js'

const alliance = makeAlliance()
const signer = alliance.orgs[0].nodes[0].signer
const NOW = GENESIS_TIME + 3_600_000

function joined (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

async function fixture (): Promise<{ store: MemoryStore, c: Checkpoint }> {
  const store = new MemoryStore()
  await store.open()
  const fingerprint = new Uint8Array(32).fill(7)
  const bodies: Body[] = [{ type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 80, evidenceDigest: new Uint8Array(0), expires: NOW + 86_400_000, epoch: 1 }]
  const s = appendSegment({ signer, alliance: alliance.alliance, head: undefined, bodies, time: NOW - 1000 })
  await store.append(signer.publicKey, s.entries, s.segment.signature)
  const index = new ConsensusIndex(consensusPolicy(alliance.chain), NOW - 500)
  const c: Checkpoint = {
    alliance: alliance.alliance,
    roster: { version: 1, id: alliance.chain.current.id },
    heads: [{ author: signer.publicKey, seq: 1, id: s.entries[0].id }],
    flagged: [],
    applied: 1,
    rate: [['brand-a@472222', 1]],
    rare: [s.entries[0].bytes],
    index: index.image(),
    snapshot: new Uint8Array(32).fill(3)
  }
  return { store, c }
}

describe('node/checkpoint', () => {
  it('round-trips its content', async () => {
    const { c } = await fixture()
    const back = decodeCheckpoint(joined(encodeCheckpoint(c)))
    assert.deepEqual({ ...back, index: undefined }, { ...c, index: undefined })
    assert.equal(back.index.now, c.index.now)
  })

  it('a flipped byte anywhere is checkpoint_damaged; another format version is checkpoint_version', async () => {
    const { c } = await fixture()
    const bytes = joined(encodeCheckpoint(c))
    for (let at = 0; at < bytes.length; at += Math.max(1, Math.floor(bytes.length / 97))) {
      if (at >= 8 && at < 12) continue // the version field: its own refusal below
      const b = bytes.slice()
      b[at] ^= 0x10
      assert.throws(() => decodeCheckpoint(b), { name: 'CheckpointRefusedError', reason: 'checkpoint_damaged' }, `byte ${at}`)
    }
    const v = bytes.slice()
    new DataView(v.buffer).setUint32(8, CHECKPOINT_VERSION + 1, true)
    assert.throws(() => decodeCheckpoint(v), { name: 'CheckpointRefusedError', reason: 'checkpoint_version' })
    assert.throws(() => decodeCheckpoint(bytes.subarray(0, 20)), { name: 'CheckpointRefusedError', reason: 'checkpoint_damaged' })
  })

  it('is matched against the node: alliance, roster chain, clock, evidence, every log it covers', async () => {
    const { store, c } = await fixture()
    const node = { chain: alliance.chain, store, flagged: [], now: NOW }
    assert.doesNotThrow(() => matchCheckpoint(c, node))
    const refused = (edit: Partial<Checkpoint>, n = node): string | undefined => {
      try {
        matchCheckpoint({ ...c, ...edit }, n)
        return undefined
      } catch (err) {
        assert.equal((err as Error).name, 'CheckpointRefusedError')
        return (err as { reason: string }).reason
      }
    }
    assert.equal(refused({ alliance: 'another' }), 'checkpoint_other_alliance')
    assert.equal(refused({ roster: { version: 2, id: c.roster.id } }), 'checkpoint_other_roster')
    assert.equal(refused({ roster: { version: 1, id: new Uint8Array(32) } }), 'checkpoint_other_roster')
    assert.equal(refused({}, { ...node, now: NOW - 10_000 }), 'checkpoint_stale', 'made after this node\'s clock')
    assert.equal(refused({ flagged: [new Uint8Array(32).fill(1)] }), 'checkpoint_stale', 'evidence the store lacks')
    assert.equal(refused({ heads: [{ ...c.heads[0], seq: 2 }] }), 'checkpoint_stale', 'a log behind it')
    assert.equal(refused({ heads: [{ ...c.heads[0], id: new Uint8Array(32) }] }), 'checkpoint_stale', 'a log forked from it')
    assert.equal(refused({ heads: [{ author: alliance.orgs[1].nodes[0].signer.publicKey, seq: 1, id: c.heads[0].id }] }), 'checkpoint_stale', 'a log the store lacks')
    assert.equal(refused({ heads: [] }), undefined, 'logs it does not cover are replayed on top of it')
  })

  it('is written atomically with mode 0600 and deleted when taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alliance-checkpoint-'))
    try {
      const { c } = await fixture()
      assert.equal(await takeCheckpoint(dir), undefined)
      const size = await writeCheckpoint(dir, c)
      const file = join(dir, CHECKPOINT_FILE)
      assert.equal(statSync(file).size, size)
      assert.equal(statSync(file).mode & 0o777, 0o600)
      assert.deepEqual(readdirSync(dir), [CHECKPOINT_FILE], 'no temp file left')
      const taken = await takeCheckpoint(dir)
      assert.ok(taken !== undefined && !existsSync(file))
      assert.equal(decodeCheckpoint(taken).applied, 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
