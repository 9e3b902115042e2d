import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { canonicalBytes } from '../../../../protocol/canonical/index.js'
import { ConsensusIndex } from '../../../../protocol/consensus/index.js'
import type { Statement } from '../../../../protocol/consensus/statement.js'
import type { Kind } from '../../../../protocol/kinds.js'
import {
  BlocklistIndex, MemorySeenStore, createMatchPool, createMatcher, escalates, matchFile, parsePolicy, readListings, retroactiveDecisions,
  type Decision, type Reject, type RetroDecision
} from '../../../../node/match/index.js'
import { csvHeader, csvLine, generateListings, jsonLine, plantedAttestations, type ListingsSpec } from '../../../../examples/listings.js'
import { brandRows, counterfeiter, range } from '../../../../examples/synthetic.js'
import { DAY, FP_KEY, T0, collector, entry, fp, indexOf, pieces, suite } from './helpers.js'

/** The blocklist as every node computes it: statements from brands → ConsensusIndex (k = 2) → explanations → BlocklistIndex. */
function consensusBlocklist (attestations: Array<{ org: string, rows: Array<{ kind: Kind, value: string }> }>): BlocklistIndex {
  const consensus = new ConsensusIndex({ quorum: 2, weightOf: () => 1, isMember: () => true }, T0)
  let n = 0
  for (const { org, rows } of attestations) {
    for (const { kind, value } of rows) {
      const s: Statement = {
        org,
        author: new Uint8Array(32),
        entryId: createHash('sha256').update(`${org}/${n++}`).digest(),
        time: T0,
        fingerprint: suite.fingerprint(kind, canonicalBytes(kind, value, { defaultCountry: 'GB' })),
        kind,
        stance: 'positive',
        source: 'attestation',
        expires: T0 + 90 * DAY
      }
      consensus.apply(s)
    }
  }
  return BlocklistIndex.fromExplanations(consensus.entries())
}

const SPEC: ListingsSpec = { seed: 11, listings: 2500, sellers: 700, counterfeiters: range(1, 31), invalidRate: 0.04 }

async function scanCsv (spec: ListingsSpec, index: BlocklistIndex, extra: Record<string, unknown> = {}): Promise<{ decisions: Decision[], rejects: Reject[], summary: Awaited<ReturnType<typeof matchFile>> }> {
  const text = csvHeader() + [...generateListings(spec)].map(g => csvLine(g.row)).join('')
  const out = collector()
  const rejects = collector()
  const summary = await matchFile(pieces(text, 10_000), { index, suite, workers: 0, defaultCountry: 'GB', out, rejects, ...extra })
  const parse = <T>(s: string): T[] => s.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as T)
  return { decisions: parse<Decision>(out.text()), rejects: parse<Reject>(rejects.text()), summary }
}

describe('node/match matcher', () => {
  // brands attest the planted counterfeiters (each in its own notation) and also many counterfeiters that are not on this platform
  const elsewhere = range(1000, 1600)
  const index = consensusBlocklist([
    { org: 'brand-a', rows: [...plantedAttestations(SPEC, 1), ...brandRows(elsewhere, 3)] },
    { org: 'brand-b', rows: [...plantedAttestations(SPEC, 2), ...brandRows(elsewhere, 4)] }
  ])

  let scan: Awaited<ReturnType<typeof scanCsv>>
  before(async () => { scan = await scanCsv(SPEC, index) })

  it('finds every planted counterfeiter (recall 1) with no false positives (precision 1), explained', async () => {
    assert.equal(index.counts().listed, (30 + elsewhere.length) * 4)
    const { decisions, summary } = scan
    const truth = new Map([...generateListings(SPEC)].map(g => [g.row.listing_id, g]))
    const blocked = new Set(decisions.filter(d => d.action === 'block').map(d => d.listingId))
    let tp = 0
    let fn = 0
    for (const g of truth.values()) {
      if (g.counterfeiter === undefined) continue
      if (blocked.has(g.row.listing_id)) tp++
      else fn++
    }
    const fp = [...blocked].filter(id => truth.get(id)?.counterfeiter === undefined).length
    const plantedListings = [...truth.values()].filter(g => g.counterfeiter !== undefined).length
    assert.ok(plantedListings >= 30, 'every planted counterfeiter has a listing')
    assert.deepEqual({ tp, fn, fp }, { tp: plantedListings, fn: 0, fp: 0 })
    assert.equal(decisions.length, plantedListings, 'only actions are written by default')
    assert.equal(summary.decisions.block, plantedListings)
    assert.equal(summary.decisions.none, SPEC.listings - plantedListings)
    // the explanation: which columns matched, status, orgs, expiry; never a raw value
    const d = decisions[0]
    const g = truth.get(d.listingId)
    assert.ok(g?.counterfeiter !== undefined)
    assert.equal(d.line, g.n + 1)
    assert.deepEqual(d.matches.map(m => m.column).sort(), ['email', 'phone', 'seller_account', 'shop_url'])
    const shop = d.matches.find(m => m.column === 'shop_url')
    assert.equal(shop?.kind, 'domain', 'the attested domain matched the listing\'s shop URL')
    for (const m of d.matches) {
      assert.equal(m.status, 'listed')
      assert.equal(m.action, 'block')
      assert.deepEqual(m.orgs, ['brand-a', 'brand-b'])
      assert.equal(m.expires, new Date(T0 + 90 * DAY).toISOString())
      assert.match(m.fingerprint, /^[0-9a-f]{64}$/)
    }
    const text = JSON.stringify(decisions)
    const c = counterfeiter(g.counterfeiter)
    for (const raw of [c.email, c.phone, c.account, c.domain, g.row.email, g.row.phone]) assert.ok(raw === undefined || raw === null || !text.includes(raw), 'no raw identifier in decisions')
  })

  it('matches the same identifiers written differently', () => {
    const cases: Array<[Kind, string, Record<string, string>]> = [
      ['phone', '+44 20 7946 0958', { phone: '020 7946 0958' }],
      ['phone', '+44 20 7946 0958', { phone: '0044-20-7946-0958' }],
      ['phone', '+44 20 7946 0958', { phone: '(020) 7946 0958' }],
      ['phone', '+44 20 7946 0958', { phone: 'tel:+442079460958' }],
      ['email', 'Fake.Shop+x@gmail.com', { email: 'fakeshop@googlemail.com' }],
      ['email', 'Fake.Shop+x@gmail.com', { email: ' FAKE.SHOP@GMAIL.COM ' }],
      ['domain', 'cheap-brand-9.myshopify.com', { shop_url: 'https://www.cheap-brand-9.myshopify.com/sale?utm_source=x' }],
      ['domain', 'cheap-brand-9.myshopify.com', { domain: 'CHEAP-BRAND-9.MYSHOPIFY.COM.' }],
      ['url', 'https://shop.example.com/p/1', { shop_url: 'http://SHOP.example.com/p/1/?utm_campaign=z#top' }],
      ['payment-account', 'DE89 3704 0044 0532 0130 00', { payment_account: 'iban:de89370400440532013000' }],
      ['seller-account', 'shopmart:A1B2C3', { seller_account: 'A1B2C3' }],
      ['name', 'Cheap Brand Ltd', { seller_name: '  CHEAP   BRAND  LTD ' }]
    ]
    for (const [kind, attested, row] of cases) {
      const matcher = createMatcher({ index: indexOf([entry(kind, attested, 'listed')]), suite, defaultCountry: 'GB', accountPlatform: 'shopmart' })
      const d = matcher.matchListing({ listing_id: 'L1', ...row })
      assert.equal(d.action, 'block', `${kind} ${attested} vs ${JSON.stringify(row)}`)
      assert.equal(d.matches[0].kind, kind)
      assert.equal(d.invalid, undefined)
    }
    // and different identifiers do not
    const matcher = createMatcher({ index: indexOf([entry('phone', '+44 20 7946 0958', 'listed')]), suite, defaultCountry: 'GB' })
    assert.equal(matcher.matchListing({ listing_id: 'L2', phone: '+44 20 7946 0959' }).action, 'none')
  })

  it('reports invalid values with their line and column, never their value, and goes on', async () => {
    const { rejects, summary, decisions } = scan
    const expected = [...generateListings(SPEC)].filter(g => g.invalid !== undefined).map(g => ({ line: g.n + 1, listingId: g.row.listing_id, column: g.invalid }))
    assert.ok(expected.length > 20)
    assert.deepEqual(rejects.map(r => ({ line: r.line, listingId: r.listingId, column: r.column })), expected)
    for (const r of rejects) {
      assert.ok(['not_e164', 'unassigned_number', 'not_email', 'bad_checksum', 'unknown_suffix', 'not_phone'].includes(r.why), r.why)
      assert.equal(r.value, undefined)
      assert.ok((r.bytes ?? 0) > 0)
    }
    assert.equal(summary.invalid.identifiers, expected.length)
    assert.equal(summary.rows, SPEC.listings, 'every row was scanned')
    assert.ok(decisions.length > 0)
    // the platform's own rejects file may carry the value when asked
    const withValues = await scanCsv({ ...SPEC, listings: 600 }, index, { rejectsIncludeValue: true })
    const g = [...generateListings({ ...SPEC, listings: 600 })].find(x => x.invalid !== undefined)
    assert.ok(g?.invalid !== undefined)
    assert.equal(withValues.rejects[0].value, g.row[g.invalid])
    assert.equal(withValues.summary.invalid.sample[0].value, undefined, 'never in the summary')
  })

  it('reports rows it cannot match at all (no listing id, bad JSON) and goes on', async () => {
    const rejects = collector()
    const out = collector()
    const text = ['{"listing_id":"A","email":"a@b.com"}', '{"email":"x@y.com"}', 'not json', '', '{"listing_id":"B","phone":{"n":1}}', '{"listing_id":7,"phone":"+44 20 7946 0958"}'].join('\n')
    const idx = indexOf([entry('phone', '+44 20 7946 0958', 'listed')])
    const s = await matchFile(pieces(text, 7), { index: idx, suite, workers: 0, format: 'jsonl', out, rejects })
    assert.equal(s.rows, 5)
    assert.deepEqual(rejects.text().trim().split('\n').map(l => { const r = JSON.parse(l) as Reject; return [r.line, r.column, r.why] }), [
      [2, 'listing_id', 'missing_listing_id'], [3, '(row)', 'bad_json'], [5, 'phone', 'bad_value']
    ])
    assert.deepEqual(JSON.parse(out.text()).listingId, '7')
    assert.equal(s.decisions.block, 1)
  })

  it('a disputed fingerprint gives screen, not block; candidates follow the policy', async () => {
    const idx = indexOf([
      entry('phone', '+44 20 7946 0958', 'disputed', ['brand-a', 'brand-b'], ['platform']),
      entry('email', 'candidate@example.com', 'candidate', ['brand-c']),
      entry('name', 'Cheap Brand Ltd', 'listed')
    ])
    const m = createMatcher({ index: idx, suite, defaultCountry: 'GB' })
    const d = m.matchListing({ listing_id: 'L1', phone: '020 7946 0958' })
    assert.equal(d.action, 'screen')
    assert.equal(d.matches[0].status, 'disputed')
    assert.deepEqual(d.matches[0].disputedBy, ['platform'])
    assert.equal(m.matchListing({ listing_id: 'L2', email: 'Candidate@Example.com' }).action, 'screen')
    assert.equal(m.matchListing({ listing_id: 'L3', phone: '020 7946 0958', email: 'candidate@example.com', seller_name: 'cheap brand ltd' }).action, 'block')

    const strict = createMatcher({ index: idx, suite, defaultCountry: 'GB', policy: parsePolicy({ actions: { candidate: 'none' }, kinds: { name: { listed: 'screen' } } }) })
    const c = strict.matchListing({ listing_id: 'L2', email: 'candidate@example.com' })
    assert.equal(c.action, 'none')
    assert.equal(c.matches[0].action, 'none', 'the match is still explained')
    assert.equal(strict.matchListing({ listing_id: 'L3', seller_name: 'Cheap Brand Ltd' }).action, 'screen')

    // emit 'matches' writes explained matches even when the policy says none; 'actions' does not
    for (const [emit, lines] of [['actions', 0], ['matches', 1]] as const) {
      const out = collector()
      await matchFile(pieces('listing_id,email\nL9,candidate@example.com\n', 100), { index: idx, suite, workers: 0, out, emit, policy: strict.policy })
      assert.equal(out.text().split('\n').filter(l => l !== '').length, lines, emit)
    }
  })

  it('follows the index live: a change between two listings is seen by the next one', () => {
    const idx = indexOf([])
    const m = createMatcher({ index: idx, suite, defaultCountry: 'GB' })
    const row = { listing_id: 'L1', email: 'late@example.com' }
    assert.equal(m.matchListing(row).action, 'none')
    idx.apply(entry('email', 'late@example.com', 'listed'))
    assert.equal(m.matchListing(row).action, 'block')
    idx.apply(entry('email', 'late@example.com', 'disputed', ['brand-a', 'brand-b'], ['platform']))
    assert.equal(m.matchListing(row).action, 'screen')
    idx.apply(entry('email', 'late@example.com', 'absent'))
    assert.equal(m.matchListing(row).action, 'none')
    assert.equal(m.stats().canonicalised, 1, 'the value was canonicalised once')
  })

  it('matchStream over readListings decides like matchFile, for CSV and JSONL', async () => {
    const spec: ListingsSpec = { ...SPEC, listings: 300 }
    const rows = [...generateListings(spec)].map(g => g.row)
    const csv = csvHeader() + rows.map(r => csvLine(r)).join('')
    const jsonl = rows.map(jsonLine).join('')
    const expected = (await scanCsv(spec, index, { emit: 'all' })).decisions
    for (const [format, text] of [['csv', csv], ['jsonl', jsonl]] as const) {
      const m = createMatcher({ index, suite, defaultCountry: 'GB' })
      const got: Decision[] = []
      for await (const d of m.matchStream(readListings(pieces(text, 333), { format }))) {
        const { invalid: _invalid, ...rest } = d
        got.push(rest)
      }
      assert.deepEqual(got, expected.map(d => format === 'csv' ? d : { ...d, line: d.line - 1 }), format)
    }
  })

  it('retroactive: a fingerprint listed after the scan yields decisions for the earlier listings, without rescanning', async () => {
    const spec: ListingsSpec = { seed: 5, listings: 500, sellers: 100 }
    const idx = indexOf([])
    const seen = new MemorySeenStore()
    await scanCsv(spec, idx, { seen, scanTime: T0 })
    assert.ok(seen.listings >= 500 && seen.pairs > 2000)
    const rows = [...generateListings(spec)]
    const target = rows[0].row
    const targetFp = fp('email', target.email as string)
    const fpOrNull = (v: string | null | undefined): Uint8Array | null => { try { return fp('email', v ?? '') } catch { return null } }
    const sameSeller = rows.filter(g => fpOrNull(g.row.email)?.every((b, i) => b === targetFp[i]) === true).map(g => g.row.listing_id)
    const policy = parsePolicy({})
    // one brand attests: candidate (screen); a second brand attests: listed (block)
    const got: RetroDecision[][] = []
    for (const orgs of [['brand-a'], ['brand-a', 'brand-b']]) {
      const c = idx.apply(entry('email', target.email as string, orgs.length === 1 ? 'candidate' : 'listed', orgs))
      assert.ok(c !== undefined && escalates(c, policy))
      const ds: RetroDecision[] = []
      for await (const d of retroactiveDecisions(c, idx, seen, policy)) ds.push(d)
      got.push(ds)
    }
    assert.deepEqual(got[0].map(d => d.listingId).sort(), [...sameSeller].sort())
    assert.ok(got[0].every(d => d.action === 'screen' && d.retro && d.seenAt === T0 && d.matches[0].column === 'email'))
    assert.deepEqual(got[1].map(d => d.listingId).sort(), [...sameSeller].sort())
    assert.ok(got[1].every(d => d.action === 'block' && d.matches[0].orgs.length === 2))
    // a dispute is not an escalation: no retroactive decisions
    const dispute = idx.apply(entry('email', target.email as string, 'disputed', ['brand-a', 'brand-b'], ['platform']))
    assert.ok(dispute !== undefined && !escalates(dispute, policy))
    const none: RetroDecision[] = []
    for await (const d of retroactiveDecisions(dispute, idx, seen, policy)) none.push(d)
    assert.equal(none.length, 0)
  })

  it('validates its options with named errors', async () => {
    const idx = indexOf([])
    assert.throws(() => createMatcher({ index: idx, suite, defaultCountry: 'XX' as 'GB' }), { name: 'MatcherConfigError' })
    assert.throws(() => createMatcher({ index: idx, suite, accountPlatform: 'Shop Mart' }), { name: 'MatcherConfigError' })
    assert.throws(() => createMatcher({ index: idx }), { name: 'MatcherConfigError' })
    await assert.rejects(createMatchPool({ index: idx, suite, workers: 2 }), { name: 'MatcherConfigError' })
    await assert.rejects(matchFile(pieces('a,b\n', 10), { index: idx, key: FP_KEY, workers: 0, outputFormat: 'xml' as 'csv' }), { name: 'MatcherConfigError' })
  })
})
