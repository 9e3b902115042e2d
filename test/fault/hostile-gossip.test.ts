/**
 * A roster peer flooding invalid gossip, as its own process (an in-process
 * flooder would starve the honest nodes of the same event loop and measure
 * nothing): two honest nodes score it below the graylist threshold within
 * seconds and from then on ignore everything it sends, while honest gossip
 * between them keeps flowing. Honest latency is measured before and during
 * the flood (anti-entropy is slowed to a minute, so deliveries are gossip).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { gossipTopic, type AllianceNode } from '../../node/alliance-node.js'
import { loadNodeKeys } from '../../node/keys.js'
import { GOSSIP_SCORE_THRESHOLDS } from '../../node/net/score.js'
import { toHex } from '../../protocol/bytes.js'
import { makeNodeDirs, startNodes, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { record } from './helpers/scale.js'

const FLOODER = fileURLToPath(new URL('./helpers/gossip-flooder.ts', import.meta.url))
const SPECS = ['brand-a', 'brand-b', 'rogue'].map(org => ({ org, role: 'brand' as const }))
const HONEST_MESSAGES = 20
const GAP_MS = 150

function quantile (xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

describe('fault: a roster peer flooding invalid gossip', function () {
  this.timeout(120_000)
  let net: TestNet
  let nodes: Record<string, AllianceNode>
  let rogue: ChildProcess | undefined
  const lines: string[] = []

  before(async () => {
    net = await makeNodeDirs(SPECS, { quorum: 2 })
    nodes = await startNodes(net, ['brand-a', 'brand-b'], { antiEntropyIntervalMs: 60_000 })
    const topic = gossipTopic(nodes['brand-a'].alliance)
    await eventually(() => nodes['brand-a'].host.topicPeers(topic).length >= 1 && nodes['brand-b'].host.topicPeers(topic).length >= 1, 20_000, 'honest gossip mesh')
    const targets = Object.values(nodes).map(n => ({ peerId: n.keys.peerId.toString(), addrs: n.host.multiaddrs().map(String) }))
    rogue = spawn(process.execPath, ['--import', 'tsx', FLOODER, net.dirs.rogue, topic, JSON.stringify(targets)], { stdio: ['pipe', 'pipe', 'inherit'] })
    createInterface({ input: rogue.stdout! }).on('line', l => lines.push(l))
    await eventually(() => lines.includes('READY'), 30_000, 'the flooder joins the topic')
  })

  after(async () => {
    if (rogue !== undefined && rogue.exitCode === null) {
      const exited = new Promise(resolve => rogue?.once('exit', resolve))
      rogue.kill('SIGKILL')
      await exited
    }
    await Promise.all(Object.values(nodes ?? {}).map(async n => await n.stop()))
    net?.cleanup()
  })

  it('is graylisted by both honest nodes and ignored from then on, while honest gossip keeps flowing', async () => {
    const a = nodes['brand-a']
    const b = nodes['brand-b']
    const rid = (await loadNodeKeys(net.dirs.rogue)).peerId.toString()
    // when each of brand-a's entries is applied on brand-b
    const seen = new Map<string, number>()
    const original = b.onApplied.bind(b)
    b.onApplied = (entries) => { for (const e of entries) seen.set(toHex(e.id), Date.now()); original(entries) }
    const rejects = async (n: AllianceNode): Promise<number> => {
      const m = await n.metrics.gossipMessages.get()
      return m.values.filter(v => v.labels.verdict === 'reject').reduce((s, v) => s + v.value, 0)
    }

    let i = 0
    const honestRound = async (): Promise<number[]> => {
      const latencies: number[] = []
      for (let k = 0; k < HONEST_MESSAGES; k++) {
        const t0 = Date.now()
        const r = await a.attest([{ kind: 'seller-account', value: `market:latency${i++}` }])
        assert.equal(r.entries, 1)
        const id = toHex(a.store.head(a.keys.sign.publicKey)?.id ?? new Uint8Array(0))
        await eventually(() => seen.has(id), 15_000, 'honest entry delivered')
        latencies.push((seen.get(id) as number) - t0)
        await new Promise(resolve => setTimeout(resolve, GAP_MS))
      }
      return latencies
    }

    const before = await honestRound()
    const rejectsBefore = await rejects(b)
    rogue?.stdin?.write('GO\n')
    const floodStart = Date.now()
    const graylisted = (n: AllianceNode): boolean => n.host.gossipScore(rid) < GOSSIP_SCORE_THRESHOLDS.graylistThreshold
    let graylistMs = -1
    const watch = eventually(() => graylisted(a) && graylisted(b), 20_000, 'both honest nodes graylist the flooder')
      .then(() => { graylistMs = Date.now() - floodStart })
    const during = await honestRound()
    await watch
    // from now on its messages are ignored before validation: the reject count stops growing
    const rejectsAtGraylist = await rejects(b)
    await new Promise(resolve => setTimeout(resolve, 3000))
    const rejectsLater = await rejects(b)
    rogue?.stdin?.write('STOP\n')
    await eventually(() => lines.some(l => l.startsWith('SENT ')), 15_000, 'the flooder reports')
    const sent = Number(lines.find(l => l.startsWith('SENT '))?.slice(5))

    const p50Before = quantile(before, 0.5)
    const p50During = quantile(during, 0.5)
    assert.equal(during.length, HONEST_MESSAGES, 'every honest message arrived during the flood')
    assert.ok(sent > 500, `the flooder sent ${sent} invalid messages`)
    assert.ok(rejectsLater - rejectsAtGraylist <= 5, `after graylisting brand-b still validated ${rejectsLater - rejectsAtGraylist} flooder messages`)
    assert.ok(p50During <= Math.max(4 * p50Before, p50Before + 300), `honest latency p50 ${p50Before} ms before, ${p50During} ms during the flood`)
    record('hostile.gossip', {
      floodSent: sent,
      validatedBeforeGraylist: rejectsAtGraylist - rejectsBefore,
      validatedAfterGraylist: rejectsLater - rejectsAtGraylist,
      msToGraylist: graylistMs,
      flooderScore: Math.round(b.host.gossipScore(rid)),
      stillConnected: b.host.connectedPeers().includes(rid),
      honestLatencyMs: { p50Before, p95Before: quantile(before, 0.95), p50During, p95During: quantile(during, 0.95) }
    })
  })
})
