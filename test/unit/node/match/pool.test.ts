import assert from 'node:assert/strict'
import { csvHeader, csvLine, generateListings, jsonLine, plantedAttestations, type ListingsSpec } from '../../../../examples/listings.js'
import { range } from '../../../../examples/synthetic.js'
import { BlocklistIndex, MemorySeenStore, createMatchPool, matchFile, type MatchPool, type MatchSummary } from '../../../../node/match/index.js'
import { DAY, FP_KEY, T0, collector, entry, fp, pieces, suite } from './helpers.js'

const SPEC: ListingsSpec = { seed: 21, listings: 3000, sellers: 400, counterfeiters: range(40, 70), invalidRate: 0.04 }
const rows = [...generateListings(SPEC)].map(g => g.row)
const CSV = csvHeader() + rows.map(r => csvLine(r)).join('')
const JSONL = rows.map(jsonLine).join('')

function blocklist (): BlocklistIndex {
  const index = BlocklistIndex.create()
  for (const a of plantedAttestations(SPEC, 8)) {
    index.apply({ fingerprint: fp(a.kind, a.value), kind: a.kind, status: 'listed', positive: [{ org: 'brand-a' }, { org: 'brand-b' }], negative: [], expires: T0 + DAY })
  }
  // some disputed and candidate entries on ordinary sellers' identifiers
  index.apply(entry('email', rows[1].email as string, 'disputed', ['brand-a', 'brand-b'], ['platform']))
  index.apply(entry('phone', rows[2].phone as string, 'candidate', ['brand-c']))
  return index
}

interface Scan { out: string, rejects: string, summary: MatchSummary }

async function scan (pool: MatchPool, text: string, options: Record<string, unknown> = {}): Promise<Scan> {
  const out = collector()
  const rejects = collector()
  const summary = await pool.matchFile(pieces(text, 50_000), { out, rejects, chunkBytes: 32 << 10, ...options })
  return { out: out.text(), rejects: rejects.text(), summary }
}

function comparable (s: MatchSummary): unknown {
  const { elapsedMs: _e, listingsPerSecond: _l, workers: _w, cache: _c, ...rest } = s
  return { ...rest, invalid: { ...rest.invalid, sample: undefined } }
}

describe('node/match worker pool', function () {
  this.timeout(60_000)
  const index = blocklist()
  let threads: MatchPool
  let inline: MatchPool
  before(async () => {
    // worker.ts is loaded through an eval'd bootstrap that registers tsx (see lanes.ts); this is the test that it works here
    threads = await createMatchPool({ index, key: FP_KEY, workers: 2, defaultCountry: 'GB' })
    inline = await createMatchPool({ index, suite, workers: 0, defaultCountry: 'GB' })
  })
  after(async () => {
    await threads?.close()
    await inline?.close()
  })

  it('worker threads write the same decisions and rejects, in input order, as one thread (CSV and JSONL)', async () => {
    for (const [format, text] of [['csv', CSV], ['jsonl', JSONL]] as const) {
      for (const emit of ['actions', 'all'] as const) {
        const a = await scan(threads, text, { format, emit })
        const b = await scan(inline, text, { format, emit })
        assert.equal(a.summary.workers, 2)
        assert.equal(a.out, b.out, `${format} ${emit}`)
        assert.equal(a.rejects, b.rejects, `${format} ${emit}`)
        assert.deepEqual(comparable(a.summary), comparable(b.summary))
        const lines = a.out.trim().split('\n').map(l => (JSON.parse(l) as { line: number }).line)
        assert.deepEqual(lines, [...lines].sort((x, y) => x - y), 'input order')
        if (emit === 'all') assert.equal(lines.length, SPEC.listings)
      }
    }
    const s = (await scan(threads, CSV)).summary
    assert.ok(s.decisions.block >= 30 && s.decisions.screen >= 2 && s.invalid.identifiers > 5)
    assert.equal(s.rows, SPEC.listings)
  })

  it('CSV output: one row per matched identifier under a header', async () => {
    const a = await scan(threads, CSV, { outputFormat: 'csv' })
    const b = await scan(inline, CSV, { outputFormat: 'csv' })
    assert.equal(a.out, b.out)
    const lines = a.out.trim().split('\n')
    assert.equal(lines[0], 'line,listing_id,action,column,kind,status,match_action,fingerprint,orgs,disputed_by,expires')
    assert.ok(lines.slice(1).some(l => /^\d+,L\d+,block,phone,phone,listed,block,[0-9a-f]{64},brand-a brand-b,,\d{4}-/.test(l)))
  })

  it('workers follow the owner\'s index live between (and during) scans', async () => {
    const late = rows[5]
    const before = await scan(threads, CSV, { emit: 'all' })
    const decisionOf = (s: Scan, id: string): { action: string } => s.out.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { listingId: string, action: string }).find(d => d.listingId === id) ?? { action: 'missing' }
    assert.equal(decisionOf(before, late.listing_id).action, 'none')
    index.apply(entry('seller-account', late.seller_account as string, 'listed'))
    try {
      const after = await scan(threads, CSV, { emit: 'all' })
      assert.equal(decisionOf(after, late.listing_id).action, 'block')
    } finally {
      index.apply(entry('seller-account', late.seller_account as string, 'absent'))
    }
  })

  it('records every valid identifier of every listing in the seen-store from the workers', async () => {
    const seen = new MemorySeenStore()
    const small = csvHeader() + rows.slice(0, 400).map(r => csvLine(r)).join('')
    const s = await threads.matchFile(pieces(small, 10_000), { seen, scanTime: T0 })
    assert.equal(seen.listings, 400)
    assert.equal(seen.pairs, s.identifiers - s.invalid.identifiers - countDerivedSkips(rows.slice(0, 400)))
    const listings: string[] = []
    for await (const l of seen.listingsFor(fp('email', rows[0].email as string))) listings.push(l.listingId)
    assert.ok(listings.includes(rows[0].listing_id))
  })

  it('one-off matchFile starts and stops its own workers', async () => {
    const out = collector()
    const s = await matchFile(pieces(CSV, 1 << 20), { index, key: FP_KEY, workers: 1, defaultCountry: 'GB', out })
    assert.equal(s.rows, SPEC.listings)
    assert.equal(out.text(), (await scan(inline, CSV)).out)
  })
})

/** Derived probes (shop_url as a domain) that fail silently: counted as identifiers, neither valid nor rejected. */
function countDerivedSkips (rs: typeof rows): number {
  let n = 0
  for (const r of rs) {
    if (r.shop_url === undefined || r.shop_url === null) continue
    try { fp('domain', r.shop_url) } catch { n++ }
  }
  return n
}
