/**
 * The node-level half of `npm run bench -- oprf` (see oprf.ts): end-to-end
 * fingerprinting through 2-of-3 guardian processes, and a warm platform scan
 * under toprf-ristretto255.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { availableParallelism } from 'node:os'
import { AllianceNode } from '../node/alliance-node.js'
import { onlineResolver } from '../node/matching.js'
import { BlocklistIndex, createMatchPool, type IndexInput } from '../node/match/index.js'
import { csvChunks, plantedAttestations, type ListingsSpec } from '../examples/listings.js'
import { prng, range } from '../examples/synthetic.js'
import type { Kind } from '../protocol/kinds.js'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'
import { spawnNode } from '../test/helpers/processes.js'
import { compiledNodes, eventually, say, track, trackDir } from './_procs.js'
import { fmt, rssMb } from './_util.js'

const env = (name: string, d: number): number => process.env[name] === undefined ? d : Number(process.env[name])
const E2E_N = env('E2E_N', 20_000)
const E2E_BATCH = env('E2E_BATCH', 1000)
const WARM_N = env('WARM_N', 10_000_000)
const WARM_SELLERS = env('WARM_SELLERS', 10_000)
const WORKERS = env('WORKERS', availableParallelism())
const LISTED = env('LISTED', 100_000)
const GUARDIANS = ['brand-a', 'brand-b', 'police']
const SPECS: MemberSpec[] = [
  { org: 'brand-a', role: 'brand' },
  { org: 'brand-b', role: 'brand' },
  { org: 'police', role: 'law-enforcement' },
  { org: 'platform', role: 'platform' }
]

class Sink extends Writable {
  override _write (_c: Buffer, _e: BufferEncoding, cb: () => void): void { cb() }
}

export async function nodeLevel (): Promise<Record<string, number | string>> {
  say('')
  say('node level: 3 guardian processes (2-of-3), the platform in this process')
  compiledNodes()
  const net = await makeNodeDirs(SPECS, { roster: { policy: { suite: 'toprf-ristretto255' }, guardians: GUARDIANS, threshold: 2, quotas: [{ subject: '*', perDay: 1_000_000_000 }] } })
  trackDir(net.root)
  if (process.env.GUARDIAN_WORKERS !== undefined) {
    for (const g of GUARDIANS) {
      const f = join(net.dirs[g], 'config.json')
      writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), guardianWorkers: Number(process.env.GUARDIAN_WORKERS) }, null, 2))
    }
  }
  say(`guardian processes evaluate on ${process.env.GUARDIAN_WORKERS ?? `${Math.min(8, availableParallelism())} (one per core)`} worker threads each`)
  await Promise.all(GUARDIANS.map(async g => track((await spawnNode(net.dirs[g], { logLevel: 'error', readyTimeoutMs: 240_000 })).child)))
  const platform = await AllianceNode.open({ dir: net.dirs.platform, logLevel: 'error', logSink: () => {} })
  await platform.start()
  try {
    await eventually(() => platform.host.connectedPeers().length >= GUARDIANS.length, 60_000, 'the platform connected to the three guardians')
    const fps = platform.fingerprints

    // --- e2e: new identifiers through the guardians ---------------------------------------------
    await fps.fingerprintValues([{ kind: 'phone', value: '+447700000000' }]) // streams opened once
    const t0 = performance.now()
    for (let i = 0; i < E2E_N; i += E2E_BATCH) {
      const items = Array.from({ length: Math.min(E2E_BATCH, E2E_N - i) }, (_, j) => ({ kind: 'email' as Kind, value: `new-${i + j}@example.com` }))
      const out = await fps.fingerprintValues(items)
      if (!out.every(o => o.ok)) throw new Error('bench: an identifier was not fingerprinted')
    }
    const e2eS = (performance.now() - t0) / 1000
    const e2e = E2E_N / e2eS
    say(`e2e: ${fmt(E2E_N)} new identifiers in ${e2eS.toFixed(1)} s = ${fmt(e2e)}/s through 2-of-3 guardian processes, proofs checked, batches of ${E2E_BATCH} (target >= 2,000/s: ${e2e >= 2000 ? 'met' : 'NOT met'})`)

    // --- warm scan --------------------------------------------------------------------------------
    const spec: ListingsSpec = { seed: 42, listings: WARM_N, sellers: WARM_SELLERS, counterfeiters: range(1, 1 + Math.max(10, Math.round(WARM_SELLERS / 100))) }
    const planted = [...plantedAttestations(spec, 99)]
    const plantedFps = await fps.fingerprintValues(planted)
    const now = Date.now()
    const inputs: IndexInput[] = []
    planted.forEach((a, i) => { const o = plantedFps[i]; if (o.ok) inputs.push({ fingerprint: o.fingerprint, kind: a.kind, status: 'listed', positive: [{ org: 'brand-a' }, { org: 'brand-b' }], negative: [], expires: now + 90 * 86400_000 }) })
    const rnd = prng(7)
    for (let n = 0; n < LISTED; n++) {
      const fp = new Uint8Array(32)
      for (let i = 0; i < 32; i++) fp[i] = Math.floor(rnd() * 256)
      inputs.push({ fingerprint: fp, kind: 'email', status: 'listed', positive: [{ org: 'brand-a' }, { org: 'brand-b' }], negative: [], expires: now + 90 * 86400_000 })
    }
    const index = BlocklistIndex.fromExplanations(inputs, { initialCapacity: inputs.length })
    inputs.length = 0
    const epoch = fps.decisionEpoch
    const pool = await createMatchPool({
      index,
      workers: WORKERS,
      defaultCountry: 'GB',
      resolve: onlineResolver(fps, epoch)
    })
    try {
      // warm-up: every seller once (their values fingerprinted by the guardians and cached)
      const tw = performance.now()
      const warmUp = await pool.matchFile(csvChunks({ ...spec, listings: WARM_SELLERS * 3, everySeller: true }) as unknown as AsyncIterable<Uint8Array>, { out: new Sink(), rejects: new Sink() })
      say(`warm-up: ${fmt(warmUp.rows)} listings of ${fmt(WARM_SELLERS)} sellers, ${fmt(warmUp.resolved)} values fingerprinted through the node in ${((performance.now() - tw) / 1000).toFixed(1)} s${warmUp.undecided.rows > 0 ? `; ${fmt(warmUp.undecided.rows)} undecided (${warmUp.undecided.reason ?? ''})` : ''}`)
      let peak = rssMb()
      const sampler = setInterval(() => { peak = Math.max(peak, rssMb()) }, 100)
      let next = 1_000_000
      const cpu0 = process.cpuUsage()
      const s = await pool.matchFile(csvChunks(spec) as unknown as AsyncIterable<Uint8Array>, {
        out: new Sink(),
        rejects: new Sink(),
        onProgress: p => { if (p.rows >= next) { say(`  warm: ${fmt(p.rows)} rows, ${fmt(p.rows / (p.elapsedMs / 1000))}/s, rss ${rssMb()} MB`); next += 1_000_000 } }
      })
      clearInterval(sampler)
      const cpu = process.cpuUsage(cpu0)
      const cpuS = (cpu.user + cpu.system) / 1e6
      peak = Math.max(peak, rssMb())
      say(`warm: ${fmt(s.rows)} listings${WARM_N < 10_000_000 ? ` (NOT the 10,000,000 of the target: WARM_N=${WARM_N}; WARM_N=10000000 for the full run)` : ''} in ${(s.elapsedMs / 1000).toFixed(1)} s = ${fmt(s.listingsPerSecond)} listings/s (${fmt(s.rows / cpuS)} per CPU-s); ` +
        `block ${fmt(s.decisions.block)}, screen ${fmt(s.decisions.screen)}, none ${fmt(s.decisions.none)}, undecided ${s.undecided.rows}${s.undecided.reason !== undefined ? ` (${s.undecided.reason})` : ''}; values resolved through the node ${fmt(s.resolved)}; peak RSS ${peak} MB ` +
        `(targets >= 150,000/s: ${s.listingsPerSecond >= 150_000 ? 'met' : 'NOT met'}; <= 1024 MB: ${peak <= 1024 ? 'met' : 'NOT met'})`)
      return {
        e2e_new_ids_per_s: Math.round(e2e),
        e2e_n: E2E_N,
        e2e_batch: E2E_BATCH,
        warm_listings_per_s: Math.round(s.listingsPerSecond),
        warm_listings_per_cpu_s: Math.round(s.rows / cpuS),
        warm_rss_mb: peak,
        warm_n: s.rows,
        warm_sellers: WARM_SELLERS,
        warm_resolved: s.resolved,
        warm_undecided: s.undecided.rows,
        workers: WORKERS
      }
    } finally {
      await pool.close()
    }
  } finally {
    await platform.stop()
  }
}
