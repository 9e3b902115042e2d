/**
 * On-disk corruption: one flipped byte in a node's LevelDB files.
 *
 * LevelDB drops a write-ahead-log record whose checksum fails (and the rest
 * of its 32 KiB block) without telling the application, fails every read of
 * a table (.ldb) block it cannot decode, and returns a flipped value byte in
 * a table as it is (reads do not verify checksums). Either way history goes
 * missing or wrong in the middle of a log. The node must notice at start-up
 * (the chain check, or the roster check, reports damage), keep running, and
 * get what was lost back from a peer by sync, ending with the peer's exact
 * blocklist and log.
 *
 * Each trial restores a pristine copy of brand-b's data directory (1,000
 * entries of brand-a, all in the WAL, or all compacted into tables), flips
 * one byte, opens brand-b, starts it, and waits until it holds brand-a's
 * whole log again. Targeted flips hit a record of each kind the store holds
 * (an entry's id; in tables also a signature, the log head and the stored
 * roster, and a block header); random flips hit any byte of any file.
 *
 * Counted per trial, not assumed: damage reported, converged (same head and
 * blocklist as brand-a), entries lost (brand-a's entries missing or
 * different on brand-b after the repair) and signatures that no longer
 * verify. A trial is *repaired* when the damage was reported and it
 * converged with nothing lost.
 */
import assert from 'node:assert/strict'
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'
import { AllianceNode } from '../../node/alliance-node.js'
import { DATA_DIR } from '../../node/home.js'
import { SUBLEVELS, logKey, u64Key } from '../../node/store/keys.js'
import { dataBlocks } from '../../node/store/table-check.js'
import { toHex } from '../../protocol/bytes.js'
import type { Signer } from '../../protocol/ed25519.js'
import { verifyEntrySignature } from '../../protocol/log/index.js'
import { makeNodeDirs, startNodes, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { DAY, attestation, memberKeys, signed, tip } from './helpers/fixtures.js'
import { SOAK, TRIALS, budget, record } from './helpers/scale.js'

const ENTRIES = 1000
/** Random-offset trials per file kind (plus the targeted flips). */
const RANDOM_FLIPS = SOAK ? Math.max(5, Math.floor(TRIALS / 4)) : 2

type Where = 'entry' | 'short-key' | 'entry-value' | 'signature' | 'head' | 'roster' | 'evidence' | 'block' | 'random'
/** Targeted flips per file kind: in the WAL any flip drops whole records, so one target says it all. */
const TARGETS: Record<'wal' | 'ldb', Where[]> = { wal: ['entry'], ldb: ['entry', 'block', 'short-key', 'entry-value', 'signature', 'head', 'roster', 'evidence'] }
/**
 * Records whose damage the node does not notice yet (RELIABILITY.md, "Not
 * yet guaranteed"): the start-up check walks hashes, not signatures, so a
 * damaged signature is kept (and served: peers refuse that segment from this
 * node) and damaged evidence no longer proves anything. Flipped all the
 * same: the node must still start, converge and lose nothing; what they
 * leave behind is counted. Damage to every other target must be reported.
 */
const KNOWN_GAPS: Where[] = ['signature', 'evidence']

interface Trial {
  where: Where
  file: string
  offset: number
  damaged: boolean
  converged: boolean
  /** brand-a's entries missing on brand-b, or held with another id, after the repair. */
  lost: number
  /** brand-a's stored signatures on brand-b that do not verify after the repair. */
  badSignatures: number
  repairMs: number
}

describe('fault: a flipped byte in LevelDB files', function () {
  this.timeout(budget(90_000, TARGETS.wal.length + TARGETS.ldb.length + 2 * RANDOM_FLIPS, 25_000))
  let net: TestNet
  let a: AllianceNode
  let rogue: Signer
  let data: string
  let walCopy: string
  let ldbCopy: string

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }, { org: 'rogue', role: 'brand' }], { quorum: 1 })
    const nodes = await startNodes(net, ['brand-a', 'brand-b'], { antiEntropyIntervalMs: 500 })
    a = nodes['brand-a']
    for (let i = 0; i < ENTRIES / 50; i++) await a.attest(Array.from({ length: 50 }, (_, j) => ({ kind: 'seller-account' as const, value: `market:c${i}-${j}` })))
    await eventually(() => nodes['brand-b'].store.head(a.keys.sign.publicKey)?.seq === ENTRIES, 30_000, 'brand-b holds the log')
    // a record in the evidence sublevel: 'rogue' (no node of its own) signs two histories; brand-b sees both
    rogue = (await memberKeys(net)).rogue.sign
    const now = Date.now()
    const base = signed(rogue, a.alliance, undefined, [attestation(1, now + 30 * DAY, 1)], now)
    const kept = signed(rogue, a.alliance, tip(base.entries), [attestation(2, now + 30 * DAY, 1)], now)
    const other = signed(rogue, a.alliance, tip(base.entries), [attestation(2, now + 30 * DAY, 2)], now)
    for (const n of [a, nodes['brand-b']]) for (const x of [base, kept]) assert.equal((await n.ingestRaw(x.bytes)).result, 'accepted')
    assert.equal((await nodes['brand-b'].ingestRaw(other.bytes)).result, 'equivocation')
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

  /** The id of brand-a's entry 100: its bytes on disk are where an entry flip lands. */
  async function entryNeedle (): Promise<Uint8Array> {
    return (await a.store.range(a.keys.sign.publicKey, 100, 1))[0].id
  }

  /**
   * Flips one byte in the middle of one record's value, through LevelDB: a
   * value damaged on disk that LevelDB returns as it is (reads do not verify
   * block checksums), in the sublevel `where` names.
   */
  async function flipRecord (where: Exclude<Where, 'entry' | 'block' | 'random'>): Promise<{ file: string, offset: number }> {
    const author = a.keys.sign.publicKey
    const [sublevel, key]: [string, Uint8Array] =
      where === 'entry-value' ? [SUBLEVELS.entries, logKey(author, 500)]
        : where === 'signature' ? [SUBLEVELS.sigs, logKey(author, (await a.store.range(author, 101, ENTRIES)).find(e => e.signature !== undefined)?.seq ?? 0)]
          : where === 'head' ? [SUBLEVELS.heads, author]
            : where === 'roster' ? [SUBLEVELS.rosters, u64Key(1)]
              : [SUBLEVELS.evidence, logKey(rogue.publicKey, 2)]
    const db = new Level<Uint8Array, Uint8Array>(data, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      const sub = db.sublevel<Uint8Array, Uint8Array>(sublevel, { keyEncoding: 'view', valueEncoding: 'view' })
      const value = await sub.get(key)
      assert.ok(value !== undefined, `brand-b holds a ${where} record`)
      const flipped = value.slice()
      const offset = Math.floor(flipped.length / 2)
      flipped[offset] ^= 0x01
      await sub.put(key, flipped)
      return { file: `${sublevel}/${toHex(key).slice(-16)}`, offset }
    } finally {
      await db.close()
    }
  }

  /** Restores `pristine`, flips one byte of the chosen file, restarts brand-b, waits for the repair, counts what is lost. */
  async function trial (pristine: string, files: RegExp, where: Where): Promise<Trial> {
    rmSync(data, { recursive: true, force: true })
    cpSync(pristine, data, { recursive: true })
    const candidates = readdirSync(data).filter(f => files.test(f)).map(f => join(data, f)).filter(f => statSync(f).size > 0)
    assert.ok(candidates.length > 0, `no ${String(files)} file in ${data}`)
    let file = candidates[0]
    let offset: number
    if (where === 'block') {
      // the first byte of the first data block of a table: its compressed-length header
      offset = 0
    } else if (where === 'random') {
      const sizes = candidates.map(f => statSync(f).size)
      let pick = Math.floor(Math.random() * sizes.reduce((x, y) => x + y, 0))
      let i = 0
      while (pick >= sizes[i]) { pick -= sizes[i]; i++ }
      file = candidates[i]
      offset = pick
    } else if (where === 'short-key') {
      // the key length of the first entry of a raw (uncompressed) data block, made 4: a key shorter than
      // LevelDB's 8-byte sequence trailer, which trips an assertion inside leveldb (an abort, not an error)
      // unless the table is checked before LevelDB reads it
      const raw = dataBlocks(readFileSync(file)).find(b => b.type === 0)
      assert.ok(raw !== undefined, `a raw data block in ${file}`)
      offset = raw.offset + 1
    } else if (where === 'entry') {
      // a byte inside the stored id of entry 100 (the first place its bytes occur: its own record)
      const n = Buffer.from(await entryNeedle())
      const hit = candidates.map(f => ({ f, at: readFileSync(f).indexOf(n) })).find(x => x.at >= 0)
      assert.ok(hit !== undefined, 'entry 100 found on disk')
      file = hit.f
      offset = hit.at + 5
    } else {
      ({ file, offset } = await flipRecord(where))
    }
    if (where === 'entry' || where === 'block' || where === 'random' || where === 'short-key') {
      const bytes = readFileSync(file)
      if (where === 'short-key') {
        assert.ok(bytes[offset - 1] === 0 && bytes[offset] > 8 && bytes[offset] < 0x80, 'a block\'s first entry: no shared prefix, a one-byte key length')
        bytes[offset] = 4
      } else bytes[offset] ^= where === 'random' ? 1 << Math.floor(Math.random() * 8) : 0x01
      writeFileSync(file, bytes)
      file = file.slice(data.length + 1)
    }

    const logs: string[] = []
    const b = await AllianceNode.open({ dir: net.dirs['brand-b'], logLevel: 'warn', logSink: line => logs.push(line), antiEntropyIntervalMs: 500 })
    try {
      const damaged = logs.some(l => (JSON.parse(l) as { msg: string }).msg.includes('damaged'))
      const t0 = Date.now()
      await b.start()
      const author = a.keys.sign.publicKey
      const converged = await eventually(() => b.store.head(author)?.seq === ENTRIES && b.snapshotHash() === a.snapshotHash(), 30_000, 'repair')
        .then(() => true, () => false)
      const repairMs = Date.now() - t0
      // entry by entry: brand-a's log against what brand-b holds now, and every signature brand-b would serve
      const ours = await a.store.range(author, 1, ENTRIES)
      const theirs = new Map((await b.store.range(author, 1, ENTRIES)).map(e => [e.seq, e]))
      let lost = 0
      let badSignatures = 0
      for (const e of ours) {
        const t = theirs.get(e.seq)
        if (t === undefined || toHex(t.id) !== toHex(e.id)) lost++
        else if (t.signature !== undefined && !verifyEntrySignature(author, a.alliance, t.id, t.signature)) badSignatures++
      }
      assert.deepEqual(await b.store.checkChains(), [], 'the repaired log is intact')
      return { where, file, offset, damaged, converged, lost, badSignatures, repairMs }
    } finally {
      await b.stop()
    }
  }

  // Not yet guaranteed (RELIABILITY.md): see KNOWN_GAPS. Needs the start-up check (or the sync
  // responder) to verify stored signatures and evidence, and a way to re-fetch them from peers.
  it('known gap: a flipped byte in a stored signature or equivocation evidence is detected and repaired')

  for (const [key, kind, pattern, pristine] of [['wal', 'write-ahead log', /^\d+\.log$/, () => walCopy], ['ldb', 'table (.ldb)', /\.ldb$/, () => ldbCopy]] as const) {
    it(`${kind}: a flipped byte in ${TARGETS[key].filter(w => !KNOWN_GAPS.includes(w)).join(', ')} is detected at start-up and repaired from a peer; no flip (${RANDOM_FLIPS} random${KNOWN_GAPS.some(w => TARGETS[key].includes(w)) ? `, ${KNOWN_GAPS.join(', ')}` : ''}) stops the node or loses an entry`, async () => {
      const results: Trial[] = []
      for (const where of TARGETS[key]) results.push(await trial(pristine(), pattern, where))
      for (let i = 0; i < RANDOM_FLIPS; i++) results.push(await trial(pristine(), pattern, 'random'))
      const repaired = results.filter(r => r.damaged && r.converged && r.lost === 0 && r.badSignatures === 0)
      const gaps = results.filter(r => KNOWN_GAPS.includes(r.where))
      record('corruption', {
        [`${key}.flips`]: results.length,
        [`${key}.detected`]: results.filter(r => r.damaged).length,
        [`${key}.repaired`]: repaired.length,
        [`${key}.converged`]: results.filter(r => r.converged).length,
        [`${key}.lostEntriesAfterRepair`]: results.reduce((n, r) => n + r.lost, 0),
        [`${key}.badSignaturesAfterRepair`]: results.reduce((n, r) => n + r.badSignatures, 0),
        [`${key}.maxRepairMs`]: Math.max(...results.map(r => r.repairMs)),
        [`${key}.knownGapFlips`]: gaps.length,
        [`${key}.knownGapUnseen`]: gaps.filter(r => !r.damaged).length,
        [`${key}.trials`]: results.map(r => `${r.where}:${r.file}@${r.offset}:${r.damaged ? 'detected' : 'unseen'}:${r.converged ? 'converged' : 'NOT-converged'}:lost ${r.lost}`)
      })
      for (const r of results) {
        const what = `${r.where} flip in ${r.file} at ${r.offset}`
        assert.ok(r.converged, `${what}: brand-b did not converge with brand-a`)
        assert.equal(r.lost, 0, `${what}: entries lost after the repair`)
        // a random flip may land in a signature (a known gap) or where nothing is ever read back
        if (r.where === 'random' || KNOWN_GAPS.includes(r.where)) continue
        assert.ok(r.damaged, `${what}: the damage was not reported at start-up`)
        assert.equal(r.badSignatures, 0, `${what}: stored signatures that no longer verify after the repair`)
      }
    })
  }
})
