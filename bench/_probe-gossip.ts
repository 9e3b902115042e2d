/**
 * Diagnosis only (not a benchmark; bench/gossip.ts is): an in-process
 * AllianceNode validates gossip messages of one attestation each (single-
 * entry signed segments, as brands publish them) through its gossip
 * validator, and prints CPU µs per message: the node's own work per gossip
 * message, without libp2p. MESSAGES= (default 5,000).
 */
import '../node/polyfill.js'
import { createHash } from 'node:crypto'
import { AllianceNode } from '../node/alliance-node.js'
import { loadNodeKeys } from '../node/keys.js'
import { appendSegment, type LogHead } from '../protocol/log/index.js'
import { encodeSegment } from '../protocol/codec/index.js'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'

const AUTHORS = 6
const MESSAGES = Number(process.env.MESSAGES ?? 5000)
const DAY = 86_400_000
const brands: MemberSpec[] = Array.from({ length: AUTHORS }, (_, i) => ({ org: `brand-${i + 1}`, role: 'brand' }))
const net = await makeNodeDirs([...brands, { org: 'platform', role: 'platform' }, { org: 'police', role: 'law-enforcement' }], { quorum: 2, alliance: 'probe-gossip' })
const signers = await Promise.all(brands.map(async b => (await loadNodeKeys(net.dirs[b.org])).sign))
const node = await AllianceNode.open({ dir: net.dirs.police, logLevel: 'error', logSink: () => {} })
const epoch = node.ingestor.chain.current.roster.policy.epoch
const heads: Array<LogHead | undefined> = signers.map(() => undefined)
const messages: Uint8Array[] = []
const time = Date.now()
for (let i = 0; i < MESSAGES; i++) {
  const a = i % AUTHORS
  // fingerprint f is attested by brands f and f + 1 (mod 6): every second message lists one
  const f = Math.floor(i / 2)
  const body = { type: 'attestation' as const, fingerprint: new Uint8Array(createHash('sha256').update(`fp-${f}`).digest()), kind: 'email' as const, claim: 'counterfeit-seller' as const, reason: 1, confidence: 90, evidenceDigest: new Uint8Array(0), expires: time + 30 * DAY, epoch }
  const out = appendSegment({ signer: signers[a], alliance: node.alliance, head: heads[a], bodies: [body], time: time + i })
  const last = out.entries[out.entries.length - 1]
  heads[a] = { seq: last.entry.seq, id: last.id, time: time + i }
  messages.push(encodeSegment(out.segment))
}
const cpu0 = process.cpuUsage()
const t0 = performance.now()
let accepted = 0
for (const m of messages) if (await node.gossip.validate(m, 'probe') === 'accept') accepted++
const wall = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
process.stdout.write(`${accepted}/${MESSAGES} accepted; ${(wall * 1000 / MESSAGES).toFixed(0)} µs wall, ${((cpu.user + cpu.system) / MESSAGES).toFixed(0)} µs CPU per message (all threads: LevelDB's included)\n`)
await node.stop()
net.cleanup()
