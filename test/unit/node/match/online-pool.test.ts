/**
 * Matching under an online suite (fp-lookup.ts): lanes hold a lookup table,
 * each chunk's misses are fingerprinted by the main thread in one batch and
 * the pending listings decided again. The decisions must be byte for byte
 * those of a local suite; a resolver that fails leaves listings undecided
 * by name, and listings whose values the lanes already know are decided.
 */
import assert from 'node:assert/strict'
import { csvHeader, csvLine, generateListings, plantedAttestations, type ListingsSpec } from '../../../../examples/listings.js'
import { range } from '../../../../examples/synthetic.js'
import { BlocklistIndex, MemorySeenStore, createMatchPool, type MatchPool, type MatchSummary } from '../../../../node/match/index.js'
import type { ResolveFn } from '../../../../node/match/fp-lookup.js'
import { DAY, FP_KEY, T0, collector, entry, fp, pieces, suite } from './helpers.js'

const SPEC: ListingsSpec = { seed: 33, listings: 2000, sellers: 300, counterfeiters: range(30, 60), invalidRate: 0.04 }
const rows = [...generateListings(SPEC)].map(g => g.row)
const CSV = csvHeader() + rows.map(r => csvLine(r)).join('')

function blocklist (): BlocklistIndex {
  const index = BlocklistIndex.create()
  for (const a of plantedAttestations(SPEC, 8)) {
    index.apply({ fingerprint: fp(a.kind, a.value), kind: a.kind, status: 'listed', positive: [{ org: 'brand-a' }, { org: 'brand-b' }], negative: [], expires: T0 + DAY })
  }
  index.apply(entry('email', rows[1].email as string, 'disputed', ['brand-a', 'brand-b'], ['platform']))
  index.apply(entry('phone', rows[2].phone as string, 'candidate', ['brand-c']))
  return index
}

class NamedFailure extends Error {
  readonly reason = 'not_enough_guardians'
  constructor () { super('guardians down'); this.name = 'NotEnoughGuardiansError' }
}

/**
 * The "online" suite of the test: the same hmac suite, asked in batches,
 * with a cache in front like the node's. `down`: new values cannot be
 * fingerprinted; 'partial' answers from the cache with the reason (as
 * MatchService does), 'throw' throws a named error.
 */
function resolver (): { resolve: ResolveFn, asked: number[], down: false | 'partial' | 'throw' } {
  const cache = new Map<string, Uint8Array>()
  const id = (i: { kind: string, canonical: Uint8Array }): string => i.kind + Buffer.from(i.canonical).toString('hex')
  const r = {
    asked: [] as number[],
    down: false as false | 'partial' | 'throw',
    resolve: async (items: Parameters<ResolveFn>[0]) => {
      if (r.down === 'throw') throw new NamedFailure()
      if (r.down === 'partial') return { fps: items.map(i => cache.get(id(i))), failure: 'not_enough_guardians' }
      r.asked.push(items.length)
      const fps = items.map(i => suite.fingerprint(i.kind, i.canonical))
      items.forEach((i, k) => cache.set(id(i), fps[k]))
      return { fps }
    }
  }
  return r
}

/** Every (fingerprint, listing, probe) the store remembers, sorted (the second pass adds pending listings later, so order differs). */
function seenPairs (s: MemorySeenStore): string[] {
  const a = s.arrays()
  const out: string[] = []
  for (let i = 0; i < a.fps.length; i += 32) {
    const f = a.fps.subarray(i, i + 32)
    for (const l of s.listingsForSync(f)) out.push(Buffer.from(f).toString('hex') + ' ' + JSON.stringify(l))
  }
  return out.sort()
}

async function scan (pool: MatchPool, text: string, options: Record<string, unknown> = {}): Promise<{ out: string, rejects: string, summary: MatchSummary }> {
  const out = collector()
  const rejects = collector()
  const summary = await pool.matchFile(pieces(text, 40_000), { out, rejects, chunkBytes: 16 << 10, emit: 'all', ...options })
  return { out: out.text(), rejects: rejects.text(), summary }
}

describe('node/match under an online suite (lookup table + batched resolution)', function () {
  this.timeout(60_000)
  const index = blocklist()
  const pools: MatchPool[] = []
  after(async () => { for (const p of pools) await p.close() })

  for (const workers of [0, 2]) {
    it(`gives exactly the local suite's decisions, rejects and seen pairs (workers: ${workers}); a rescan asks nothing`, async () => {
      const local = await createMatchPool({ index, key: FP_KEY, workers, defaultCountry: 'GB' })
      const r = resolver()
      const online = await createMatchPool({ index, resolve: r.resolve, workers, defaultCountry: 'GB' })
      pools.push(local, online)
      const seenA = new MemorySeenStore()
      const seenB = new MemorySeenStore()
      const a = await scan(local, CSV, { seen: seenA, scanTime: T0 })
      const b = await scan(online, CSV, { seen: seenB, scanTime: T0 })
      assert.equal(b.out, a.out)
      assert.equal(b.rejects, a.rejects)
      assert.equal(b.summary.rows, rows.length)
      assert.deepEqual(b.summary.decisions, a.summary.decisions)
      assert.ok(a.summary.decisions.block > 0 && a.summary.decisions.screen > 0)
      assert.deepEqual(b.summary.undecided, { rows: 0 })
      assert.deepEqual(seenPairs(seenB), seenPairs(seenA))
      assert.ok(seenPairs(seenA).length > rows.length)
      assert.ok(r.asked.length > 0 && b.summary.resolved > 0)
      // warm: every value is in the lanes' tables
      const asked = r.asked.length
      const again = await scan(online, CSV)
      assert.equal(r.asked.length, asked, 'a rescan resolves nothing')
      assert.equal(again.summary.resolved, 0)
      assert.equal(again.out, a.out)
    })
  }

  for (const mode of ['partial', 'throw'] as const) {
    it(`resolution failing (${mode}): listings with known values are decided, the others reported not_fingerprinted with the reason`, async () => {
      const r = resolver()
      const warm = await createMatchPool({ index, resolve: r.resolve, workers: 1, defaultCountry: 'GB' })
      pools.push(warm)
      const half = csvHeader() + rows.slice(0, 1000).map(x => csvLine(x)).join('')
      const first = await scan(warm, half)
      r.down = mode
      // partial: a fresh pool (empty lane tables) gets the cached values from the resolver; throw: the warm pool's lanes know them
      const pool = mode === 'partial' ? await createMatchPool({ index, resolve: r.resolve, workers: 2, defaultCountry: 'GB' }) : warm
      pools.push(pool)
      const b = await scan(pool, CSV)
      const local = await createMatchPool({ index, suite, workers: 0, defaultCountry: 'GB' })
      pools.push(local)
      const a = await scan(local, CSV)
      assert.equal(b.summary.undecided.reason, 'not_enough_guardians')
      assert.ok(b.summary.undecided.rows > 0)
      assert.equal(b.summary.rows, rows.length)
      const total = b.summary.decisions.block + b.summary.decisions.screen + b.summary.decisions.none + b.summary.undecided.rows
      assert.equal(total + b.summary.invalid.rows, rows.length)
      const undecided = b.rejects.trim().split('\n').map(l => JSON.parse(l)).filter(j => j.why === 'not_fingerprinted')
      assert.equal(undecided.length, b.summary.undecided.rows)
      assert.ok(undecided.every(j => j.reason === 'not_enough_guardians' && j.column === '(row)'))
      // every decided listing is decided as the local suite decides it, and the first 1000 (known values) all are
      const localByLine = new Map(a.out.trim().split('\n').map(l => JSON.parse(l)).map(d => [d.line, JSON.stringify(d)]))
      const decided = b.out.trim().split('\n').map(l => JSON.parse(l))
      for (const d of decided) assert.equal(JSON.stringify(d), localByLine.get(d.line))
      assert.equal(decided.filter(d => d.line <= 1001).length, first.out.trim().split('\n').length, 'listings of known values are all decided')
      assert.ok(undecided.every(j => j.line > 1001))
    })
  }
})
