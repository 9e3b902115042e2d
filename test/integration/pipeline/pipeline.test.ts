/**
 * The platform pipeline end to end (issue 14): a real redis-server, the
 * platform's node (its daemon and HTTP API, in this process), three
 * `alliance pipeline` worker processes. PIPELINE_LISTINGS listings (100,000
 * in `npm test`, to stay near a minute on a shared 2-core machine; the issue's
 * 200,000: PIPELINE_LISTINGS=200000) go into the input stream while the workers decide them; one
 * worker is killed with SIGKILL half way; a fingerprint is listed during
 * the run. Then:
 * - every listing has a decision, and nothing else does (nothing lost);
 * - decisions equal `alliance match` (the node's own scan) on the same
 *   data: before the listing for listings decided before it reached the
 *   worker, after it for the others;
 * - listings carrying the new fingerprint produced 1 s or more after it was
 *   listed are decided with it; those decided earlier get retroactive
 *   decisions (cause `retroactive`) — including the killed worker's;
 * - malformed entries are in the dead-letter stream, each with its reason.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AllianceNode } from '../../../node/alliance-node.js'
import { startDaemon } from '../../../node/daemon.js'
import type { Redis } from '../../../node/pipeline/redis.js'
import { addEntries, feedListings } from '../../../node/pipeline/producer.js'
import { csvHeader, csvLine, generateListings, plantedAttestations, type GeneratedListing } from '../../../examples/listings.js'
import { range } from '../../../examples/synthetic.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { eventually, readStream, spawnWorker, startRedis, stopWorker, type RedisServer, type WorkerProcess } from './helpers.js'

const N = Number(process.env.PIPELINE_LISTINGS ?? 100_000)
const SPEC = { seed: 14, listings: N, sellers: Math.max(200, Math.round(N / 20)), counterfeiters: range(1, 1 + Math.max(5, Math.round(N / 2000))) }

interface Decided { id: string, entry: string, action: string, matches: unknown[], version: string, cause: string, epoch: string }

describe('integration: platform pipeline on Redis Streams', function () {
  this.timeout(300_000) // ~3 min at a load average of ~18 on the shared 2-core machine
  let net: TestNet
  let redis: RedisServer
  let daemon: { stop: () => Promise<void>, node: AllianceNode } | undefined
  const workers: WorkerProcess[] = []

  before(async function () {
    this.timeout(60_000)
    redis = await startRedis()
    net = await makeNodeDirs([{ org: 'platform', role: 'platform' }], { quorum: 1 })
    daemon = await startDaemon(net.dirs.platform, { logLevel: 'error', logSink: () => {} })
  })

  after(async function () {
    this.timeout(30_000)
    for (const w of workers) await stopWorker(w, 'SIGKILL')
    await daemon?.stop()
    await redis?.stop()
    net?.cleanup()
  })

  it(`${N.toLocaleString('en-US')} listings, 3 workers, one killed half way: every listing decided as alliance match decides it, retroactive decisions, dead letters by reason`, async () => {
    const node = (daemon as { node: AllianceNode }).node
    const dir = net.dirs.platform
    const r: Redis = await redis.client()
    // the blocklist: the planted counterfeiters, attested by the platform itself (quorum 1)
    const planted = plantedAttestations(SPEC, 99)
    const att = await node.attest(planted.map(a => ({ kind: a.kind, value: a.value })))
    assert.equal(att.rejected.length, 0)
    const listings: GeneratedListing[] = [...generateListings(SPEC)]
    // the fingerprint listed during the run: the seller account of the most frequent ordinary seller
    const late = listings.find(g => g.seller === 0 && g.counterfeiter === undefined)?.row.seller_account as string
    assert.ok(late !== undefined)
    const carriesLate = new Set(listings.filter(g => g.row.seller_account === late).map(g => g.row.listing_id))
    assert.ok(carriesLate.size > 50, 'the late seller has listings all through the run')

    // what alliance match decides on the same data, before the late listing
    const csv = join(net.root, 'listings.csv')
    writeFileSync(csv, csvHeader() + listings.map(g => csvLine(g.row)).join(''))
    const matchBefore = join(net.root, 'before.jsonl')
    await node.match({ listings: csv, out: matchBefore, emit: 'all', workers: 1 })

    const out = 'decisions'
    for (let i = 1; i <= 3; i++) workers.push(await spawnWorker(dir, redis.url, `w${i}`, ['--claim-idle', '2s', '--batch', '500']))

    // malformed entries, among the first listings
    await addEntries(r, 'listings', [
      ['email', 'nobody@example.org'],
      ['listing_id', 'M2', 'email', 'a@example.org', 'email', 'b@example.org'],
      ['listing_id', 'M3', 'colour', 'red'],
      ['listing_id', 'x'.repeat(1025), 'email', 'c@example.org'],
      ['listing_id', 'M5', 'seller_name', 'y'.repeat(70_000)]
    ])
    const expectedDead = new Map([['missing_listing_id', 1], ['duplicate_field', 1], ['no_identifier_fields', 1], ['listing_id_too_long', 1], ['entry_too_large', 1]])

    // feed at about the workers' pace (a bounded lag), so listings keep arriving after the late listing
    const decidedCount = async (): Promise<number> => await r.xlen(out)
    let fed = 0
    let killed = false
    let listedAt = 0
    const CHUNK = Math.min(5000, Math.round(N / 20))
    while (fed < N) {
      const part = listings.slice(fed, fed + CHUNK).map(g => g.row)
      await feedListings(r, 'listings', part)
      fed += part.length
      await eventually(async () => fed - await decidedCount() < 2 * CHUNK, 60_000, 'the workers keep up')
      if (!killed && await decidedCount() >= N / 2) {
        killed = true
        // killed while it holds entries it read and has not decided: they must be claimed by the others
        await feedListings(r, 'listings', listings.slice(fed, fed + CHUNK).map(g => g.row))
        fed += Math.min(CHUNK, N - fed)
        await eventually(async () => (await r.xpending('listings', 'matchers', '-', '+', 10, 'w2')).length > 0, 30_000, 'w2 holding entries')
        await stopWorker(workers[1], 'SIGKILL')
        listedAt = Date.now()
        await node.attest([{ kind: 'seller-account', value: late }])
        listedAt = Math.max(listedAt, Date.now())
      }
    }
    assert.ok(killed, 'a worker was killed half way')
    await eventually(async () => (await r.xinfo('GROUPS', 'listings') as unknown[][]).every(g => {
      const o: Record<string, unknown> = {}
      for (let i = 0; i < g.length; i += 2) o[String(g[i])] = g[i + 1]
      return Number(o.pending) === 0 && Number(o.lag) === 0
    }), 60_000, 'nothing pending or undelivered')

    // the node's scan with the late fingerprint listed
    const matchAfter = join(net.root, 'after.jsonl')
    await node.match({ listings: csv, out: matchAfter, emit: 'all', workers: 1 })
    const scan = (path: string): Map<string, { action: string, matches: unknown[] }> => new Map(readFileSync(path, 'utf8').trim().split('\n').map(l => JSON.parse(l) as { listingId: string, action: string, matches: unknown[] }).map(d => [d.listingId, { action: d.action, matches: d.matches }]))
    const before = scan(matchBefore)
    const after = scan(matchAfter)
    const lateFp = (await node.explain({ kind: 'seller-account', value: late })).fingerprint
    assert.equal((await node.explain({ kind: 'seller-account', value: late })).status, 'listed')

    // retroactive decisions may still be on their way (the adopted worker's ones after its adoption)
    const entryTime = new Map<string, number>()
    for (const e of await readStream(r, 'listings')) if (e.f.listing_id !== undefined) entryTime.set(e.f.listing_id, Number(e.id.split('-')[0]))
    const read = async (): Promise<{ direct: Map<string, Decided[]>, retro: Map<string, Decided[]> }> => {
      const direct = new Map<string, Decided[]>()
      const retro = new Map<string, Decided[]>()
      for (const e of await readStream(r, out)) {
        const d: Decided = { id: e.f.id, entry: e.id, action: e.f.decision, matches: e.f.explanation !== undefined ? JSON.parse(e.f.explanation) as unknown[] : [], version: e.f.version, cause: e.f.cause, epoch: e.f.epoch }
        const m = d.cause === 'retroactive' ? retro : direct
        const list = m.get(e.f.listing) ?? []
        list.push(d)
        m.set(e.f.listing, list)
      }
      return { direct, retro }
    }
    const needsRetro = (direct: Map<string, Decided[]>): string[] => [...carriesLate].filter(id => direct.get(id)?.every(d => !JSON.stringify(d.matches).includes(lateFp)) ?? false)
    await eventually(async () => {
      const { direct, retro } = await read()
      return needsRetro(direct).every(id => retro.get(id)?.some(d => d.action === 'block') ?? false)
    }, 30_000, 'a retroactive block for every listing decided before the late listing')
    const { direct, retro } = await read()

    // nothing lost, nothing invented
    assert.equal(direct.size, N, 'every listing has a decision')
    for (const g of listings) assert.ok(direct.has(g.row.listing_id), `listing ${g.row.listing_id} decided`)
    let lateBefore = 0
    let lateAfter = 0
    for (const [id, ds] of direct) {
      assert.equal(new Set(ds.map(d => d.id)).size, 1, `a listing decided twice keeps its decision id (${id})`)
      for (const d of ds) {
        const withLate = JSON.stringify(d.matches).includes(lateFp)
        const want = withLate ? after.get(id) : before.get(id)
        assert.deepEqual({ action: d.action, matches: d.matches }, want, `listing ${id} decided as alliance match decides it`)
        if (carriesLate.has(id)) {
          if (withLate) lateAfter++
          else {
            lateBefore++
            assert.ok((entryTime.get(id) ?? 0) < listedAt + 1000, `listing ${id}, produced ${(entryTime.get(id) ?? 0) - listedAt} ms after the late listing, was decided without it`)
          }
        }
      }
    }
    assert.ok(lateBefore > 0 && lateAfter > 0, `listings of the late seller decided both before (${lateBefore}) and after (${lateAfter}) it was listed`)
    // retroactive decisions: exactly the late seller's listings decided before, each once per id
    for (const [id, rs] of retro) {
      assert.ok(carriesLate.has(id), `retroactive decisions only for listings carrying the late fingerprint (${id})`)
      for (const d of rs) {
        assert.equal(d.action, 'block')
        assert.equal((d.matches[0] as { fingerprint: string }).fingerprint, lateFp)
      }
    }
    assert.ok(retro.size >= needsRetro(direct).length && retro.size > 0)
    // the killed worker: its listings were claimed, and its seen listings adopted
    const killedDecided = [...direct.values()].flat().length - N
    assert.ok(killedDecided >= 0)

    // dead letters, by reason
    const dead = await readStream(r, `${out}:dead`)
    const byReason = new Map<string, number>()
    for (const d of dead) byReason.set(d.f.reason, (byReason.get(d.f.reason) ?? 0) + 1)
    assert.deepEqual(byReason, expectedDead)
    assert.ok(dead.every(d => d.f.entry !== undefined && d.f.group === 'matchers'))

    // no raw identifier (nor its canonical form) anywhere in Redis but the platform's own listings stream: not in the values, not in the keys (raw-key entries included)
    const sample = listings.filter((_, i) => i % Math.max(1, Math.floor(N / 300)) === 0)
    const needles = new Set<string>()
    for (const g of sample) {
      for (const c of ['seller_account', 'email', 'phone', 'shop_url', 'payment_account'] as const) {
        const v = g.row[c]
        if (v === undefined || v === null || v.length < 6) continue
        needles.add(v)
        try { needles.add(Buffer.from(node.fingerprints.canonical(c === 'seller_account' ? 'seller-account' : c === 'shop_url' ? 'url' : c === 'payment_account' ? 'payment-account' : c, v)).toString('latin1')) } catch {}
      }
    }
    let haystack = ''
    let strings = 0
    for (const key of await r.keysBuffer('*')) { // keys are binary (the cache's): never decode them as UTF-8
      if (key.toString('latin1') === 'listings') continue
      const type = await r.type(key)
      if (type === 'string') { haystack += (await r.getBuffer(key) as Buffer).toString('latin1'); strings++ } else if (type === 'hash') haystack += JSON.stringify(await r.hgetall(key))
      else if (type === 'set') haystack += (await r.smembersBuffer(key)).map(b => b.toString('latin1')).join('\n')
      else if (type === 'stream') for (const e of await r.xrangeBuffer(key, '-', '+')) haystack += e[1].map(b => b.toString('latin1')).join('\n')
      else assert.fail(`unexpected key type ${type}`)
      haystack += '\n' + key.toString('latin1') + '\n'
    }
    assert.ok(strings > 1000, 'the fingerprint cache was read')
    // both kinds of cache key are there: keyed hashes of canonical values and of raw cell texts
    const cacheKeys = await r.keysBuffer('alliance:fp[cr]:*')
    const kinds = new Set(cacheKeys.map(k => k.toString('latin1').slice(0, 'alliance:fpc'.length)))
    assert.deepEqual([...kinds].sort(), ['alliance:fpc', 'alliance:fpr'], 'canonical and raw cache keys')
    assert.ok(cacheKeys.filter(k => k.toString('latin1').startsWith('alliance:fpr')).length > 1000, 'values cached by raw key')
    assert.ok(haystack.length > 100_000, 'the decisions, seen listings and caches were read')
    for (const v of needles) assert.ok(!haystack.includes(v), 'a raw or canonical identifier was written to Redis')
  })
})
