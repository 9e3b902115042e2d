/**
 * GET /v1/status against a node holding LISTED (default 1,000,000) listed
 * fingerprints, through the real HTTP API (issue 10: ≤ 50 ms). Side by
 * side in the same run: the cost of recomputing the blocklist's content hash
 * from every status, which is what status did before the hash was kept
 * incrementally (node/services/snapshot-hash.ts).
 *
 *   npm run bench -- status          LISTED=200000 npm run bench -- status
 *
 * The node is a real one (node directory, LevelDB, ingest pipeline): two
 * brands attest the same LISTED fingerprints in bulk segments, brand-b's
 * signed by its own key and ingested as if they came from the network.
 * Ends with one `RESULT {...}` line.
 */
import '../node/polyfill.js'
import { randomBytes } from 'node:crypto'
import { AllianceNode } from '../node/alliance-node.js'
import { createApiServer } from '../node/api/server.js'
import { loadNodeKeys } from '../node/keys.js'
import { SnapshotHash } from '../node/services/snapshot-hash.js'
import { appendSegment } from '../protocol/log/index.js'
import type { Attestation } from '../protocol/types.js'
import { makeNodeDirs } from '../test/helpers/nodes.js'
import { fmt, result, rssMb } from './_util.js'

const LISTED = Number(process.env.LISTED ?? 1_000_000)
const SEGMENT = 10_000
const REQUESTS = 50

const net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }], { quorum: 2 })
const node = await AllianceNode.open({ dir: net.dirs['brand-a'], logLevel: 'error', logSink: () => {} })
try {
  const bKeys = await loadNodeKeys(net.dirs['brand-b'])
  const fps = randomBytes(LISTED * 32)
  const expires = Date.now() + 30 * 86_400_000
  const body = (i: number): Attestation => ({ type: 'attestation', fingerprint: new Uint8Array(fps.buffer, fps.byteOffset + i * 32, 32), kind: 'seller-account', claim: 'counterfeit-seller', reason: 0, confidence: 100, evidenceDigest: new Uint8Array(0), expires, epoch: 1 })
  const t0 = performance.now()
  let head: { seq: number, id: Uint8Array, time: number } | undefined
  for (let i = 0; i < LISTED; i += SEGMENT) {
    const bodies = Array.from({ length: Math.min(SEGMENT, LISTED - i) }, (_, j) => body(i + j))
    await node.publish(bodies)
    const { entries, segment } = appendSegment({ signer: bKeys.sign, alliance: node.alliance, head, bodies, time: Date.now() })
    const out = await node.ingestor.ingest(segment)
    if (out.result !== 'accepted') throw new Error(`brand-b segment: ${out.result}`)
    const last = entries[entries.length - 1]
    head = { seq: last.entry.seq, id: last.id, time: last.entry.time }
  }
  const fillS = (performance.now() - t0) / 1000
  const counts = node.state.index.counts()
  if (counts.listed !== LISTED) throw new Error(`expected ${LISTED} listed, have ${counts.listed}`)
  process.stderr.write(`filled: ${fmt(counts.listed)} listed from ${fmt(2 * LISTED)} entries in ${fillS.toFixed(1)} s\n`)

  const api = createApiServer({ service: node, token: 'x'.repeat(40), logger: node.logger, metrics: node.metrics })
  const { url } = await api.start()
  const times: number[] = []
  let hash = ''
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now()
    const res = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${'x'.repeat(40)}` } })
    const s = await res.json() as { snapshotHash: string, blocklist: { listed: number } }
    times.push(performance.now() - t)
    hash = s.snapshotHash
    if (s.blocklist.listed !== LISTED) throw new Error('status disagrees')
  }
  await api.stop()
  times.sort((a, b) => a - b)

  // the same hash recomputed from every status (the old per-request cost, and a check that the incremental one is right)
  const t1 = performance.now()
  const full = new SnapshotHash()
  for (const e of node.state.index.statuses()) full.add(e.fingerprint, e.status)
  const fullMs = performance.now() - t1
  if (full.hex() !== hash) throw new Error('the incremental snapshot hash differs from a full recomputation')

  const p50 = times[Math.floor(times.length / 2)]
  const max = times[times.length - 1]
  process.stderr.write(`GET /v1/status: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (${REQUESTS} requests); full hash recomputation ${fullMs.toFixed(0)} ms; RSS ${rssMb()} MB\n`)
  result({ listed: LISTED, status_p50_ms: Number(p50.toFixed(2)), status_max_ms: Number(max.toFixed(2)), full_hash_ms: Math.round(fullMs), ratio_full_to_p50: Number((fullMs / p50).toFixed(1)), rss_mb: rssMb() })
} finally {
  await node.stop()
  net.cleanup()
}
