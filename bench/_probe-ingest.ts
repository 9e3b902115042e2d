/** Diagnosis only (not a benchmark; bench/catchup.ts is): an in-process AllianceNode ingests pre-built signed sync frames as pullSync would, and prints CPU µs per entry. ENTRIES= (default 200,000). */
import '../node/polyfill.js'
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { AllianceNode } from '../node/alliance-node.js'
import { loadNodeKeys } from '../node/keys.js'
import { appendSegment, type LogHead } from '../protocol/log/index.js'
import { encodeSyncResponse, decodeSyncResponse } from '../protocol/codec/index.js'
import type { Body, Segment } from '../protocol/types.js'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'

const AUTHORS = 20
const PER_SEGMENT = 1000
const ENTRIES = Number(process.env.ENTRIES ?? 200_000)
const PER_AUTHOR = ENTRIES / AUTHORS
const DAY = 86_400_000
const brands: MemberSpec[] = Array.from({ length: AUTHORS }, (_, i) => ({ org: `brand-${String(i + 1).padStart(2, '0')}`, role: 'brand' }))
const net = await makeNodeDirs([...brands, { org: 'platform', role: 'platform' }], { quorum: 2, alliance: 'probe' })
const signers = await Promise.all(brands.map(async b => (await loadNodeKeys(net.dirs[b.org])).sign))
const node = await AllianceNode.open({ dir: net.dirs.platform, logLevel: 'error', logSink: () => {} })
const epoch = node.ingestor.chain.current.roster.policy.epoch
const time = Date.now()
// frames as the responder sends them: 5 segments of one author each
const frames: Uint8Array[] = []
for (let a = 0; a < AUTHORS; a++) {
  let head: LogHead | undefined
  let segs: Segment[] = []
  for (let seg = 0; seg < PER_AUTHOR / PER_SEGMENT; seg++) {
    const bodies: Body[] = []
    for (let j = 0; j < PER_SEGMENT; j++) {
      const n = Math.floor(a / 2) * PER_AUTHOR + seg * PER_SEGMENT + j
      bodies.push({ type: 'attestation', fingerprint: new Uint8Array(createHash('sha256').update(`fp-${n}`).digest()), kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 90, evidenceDigest: new Uint8Array(0), expires: time + 30 * DAY, epoch })
    }
    const out = appendSegment({ signer: signers[a], alliance: node.alliance, head, bodies, time })
    const last = out.entries[out.entries.length - 1]
    head = { seq: last.entry.seq, id: last.id, time }
    segs.push(out.segment)
    if (segs.length === 5) { frames.push(encodeSyncResponse({ segments: segs, done: false })); segs = [] }
  }
  if (segs.length > 0) frames.push(encodeSyncResponse({ segments: segs, done: false }))
}
const cpu0 = process.cpuUsage()
const t0 = performance.now()
let applied = 0
for (const f of frames) {
  const frame = decodeSyncResponse(f)
  for (const s of frame.segments) {
    const out = await node.ingestor.ingest(s)
    if (out.result !== 'accepted') throw new Error(JSON.stringify(out))
    applied += out.applied
  }
}
await node.bus.settled()
const ms = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
const listed = node.state.index.counts().listed
process.stdout.write(`probe: ${applied} entries in ${ms.toFixed(0)} ms → ${Math.round(applied / ms * 1000)} entries/s; CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (${((cpu.user + cpu.system) / applied).toFixed(1)} µs/entry); listed ${listed}; rss ${Math.round(process.memoryUsage().rss / 1048576)} MB\n`)
await node.stop()
rmSync(net.root, { recursive: true, force: true })
process.exit(0)
