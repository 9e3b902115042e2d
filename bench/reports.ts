/**
 * reports: infringement reports end to end between two node processes on
 * loopback (`alliance start` each), as an operator would run them.
 *
 *   deliver  N reports with EVIDENCE_MB of evidence each, sent through the
 *            brand's HTTP API: the node hashes the
 *            evidence, signs, encrypts to the police node, writes the
 *            envelope, delivers it over /alliance/<id>/report/1.0.0 while
 *            the next reports are being prepared (SEND_CONCURRENCY requests
 *            in flight, default 2); the police node opens it,
 *            checks and stores every evidence file and signs a receipt,
 *            which the brand verifies. Timed from the first request to the
 *            last verified receipt: mb_per_s = evidence MB / seconds.
 *   rss      the sender's peak resident memory (VmHWM) over the whole run.
 *   verify   the police node exports bundles; verifyBundle (offline, this
 *            process) streams each from disk: roster chain, signatures,
 *            evidence SHA-256, receipt, export statement.
 *   bare     the same evidence bytes copied file to file, as many at once,
 *            after the nodes stopped: the ratio delivered / bare is the
 *            figure to compare across machines.
 *
 * Targets (issue 5): mb_per_s ≥ 50, verify_mb_per_s ≥ 100, rss_mb ≤ 300.
 * Run: npm run bench -- reports     (N=10 EVIDENCE_MB=10 for a quick run; BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles each node)
 */
import '../node/polyfill.js'
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ApiClient } from '../node/api/client.js'
import type { ReportOutboxItem } from '../node/service.js'
import { verifyBundle } from '../protocol/report/index.js'
import { makeNodeDirs } from '../test/helpers/nodes.js'
import { spawnNode } from '../test/helpers/processes.js'
import { randomFile, reportInput } from '../test/integration/reports/helpers.js'
import { compiledNodes, cpuSeconds, eventually, procMemory, runBench, say, stopChild, track, trackDir } from './_procs.js'
import { fmt, result } from './_util.js'

const N = Number(process.env.N ?? 100)
const MB = Number(process.env.EVIDENCE_MB ?? 10)
const SIZE = MB * 1_000_000
/** Distinct evidence files, reused round-robin: every report is hashed, encrypted, sent and checked on its own all the same. */
const FILES = Math.min(N, 4)
const VERIFY_BUNDLES = Math.min(N, 3)
/** Send requests in flight at once, as a case system submitting a batch would have. */
const SEND_CONCURRENCY = Number(process.env.SEND_CONCURRENCY ?? 2)

/** MB/s of copying the same evidence, N times, SEND_CONCURRENCY at once, as streams from file to file: what moving the bytes costs at the least. */
async function bareCopyRate (evidence: string[], dir: string): Promise<number> {
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, async (_, lane) => {
    for (let i = next++; i < N; i = next++) {
      const out = join(dir, `copy-${lane}.bin`)
      await pipeline(createReadStream(evidence[i % FILES], { highWaterMark: 1024 * 1024 }), createWriteStream(out))
    }
  }))
  const seconds = (performance.now() - t0) / 1000
  for (let lane = 0; lane < SEND_CONCURRENCY; lane++) rmSync(join(dir, `copy-${lane}.bin`), { force: true })
  return N * MB / seconds
}

await runBench(async () => {
  compiledNodes()
  const net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'police', role: 'law-enforcement' }], { quorum: 1 })
  trackDir(net.root)
  const evidence = Array.from({ length: FILES }, (_, i) => {
    const path = join(net.root, `evidence-${i}.bin`)
    randomFile(path, SIZE)
    return path
  })
  const [sender, recipient] = await Promise.all([spawnNode(net.dirs['brand-a']), spawnNode(net.dirs.police)])
  track(sender.child)
  track(recipient.child)
  const brand = await ApiClient.fromDir(net.dirs['brand-a'])
  const police = await ApiClient.fromDir(net.dirs.police)
  await eventually(async () => (await brand.status()).peers.length === 1, 30_000, 'the two nodes to connect', 100)

  say(`${N} reports × ${MB} MB of evidence, brand → police, two processes on loopback`)
  const senderPid = sender.child.pid as number
  const recipientPid = recipient.child.pid as number
  const cpu0 = { sender: cpuSeconds(senderPid), recipient: cpuSeconds(recipientPid) }
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, async () => {
    for (let i = next++; i < N; i = next++) {
      await brand.reportSend({ to: ['police'], report: { ...reportInput([evidence[i % FILES]], []), reference: `BENCH-${i}` }, evidence: [] })
    }
  }))
  const tQueued = performance.now()
  let outbox: ReportOutboxItem[] = []
  await eventually(async () => {
    outbox = await brand.reportOutbox()
    return outbox.length === N && outbox.every(o => o.state === 'delivered' || o.state === 'failed')
  }, 30 * 60_000, 'every receipt', 100)
  const seconds = (performance.now() - t0) / 1000
  const failed = outbox.filter(o => o.state !== 'delivered')
  if (failed.length > 0) throw new Error(`${failed.length} reports were not delivered: ${JSON.stringify(failed[0].deliveries[0].lastError)}`)
  const inbox = await police.reportInbox()
  if (inbox.length !== N) throw new Error(`the police inbox holds ${inbox.length} reports, expected ${N}`)
  const mbPerS = N * MB / seconds
  const cpu = { sender: cpuSeconds(senderPid) - cpu0.sender, recipient: cpuSeconds(recipientPid) - cpu0.recipient }
  const rss = Math.round(procMemory(senderPid).hwmMb)
  const recipientRss = Math.round(procMemory(recipientPid).hwmMb)
  say(`  sent + delivered + receipted  ${fmt(N * MB)} MB in ${seconds.toFixed(1)} s: ${mbPerS.toFixed(1)} MB/s (all queued after ${((tQueued - t0) / 1000).toFixed(1)} s)`)
  say(`  CPU time  sender ${cpu.sender.toFixed(1)} s, recipient ${cpu.recipient.toFixed(1)} s (${((cpu.sender + cpu.recipient) * 1000 / (N * MB)).toFixed(1)} ms per MB over both; the machine's load average is ${loadavg()[0].toFixed(1)})`)
  say(`  peak RSS  sender ${rss} MB, recipient ${recipientRss} MB`)

  const bundles: string[] = []
  for (const item of inbox.slice(0, VERIFY_BUNDLES)) {
    const out = join(net.root, `${item.id}.bundle`)
    await police.reportExport(item.id, out)
    bundles.push(out)
  }
  const bundleBytes = bundles.reduce((a, b) => a + statSync(b).size, 0)
  // the baselines and verification run with nothing else: both nodes stopped
  await Promise.all([stopChild(sender.child), stopChild(recipient.child)])
  const bare = await bareCopyRate(evidence, net.root)
  say(`  baseline: the same ${fmt(N * MB)} MB copied file to file, ${SEND_CONCURRENCY} at a time, nodes stopped: ${bare.toFixed(0)} MB/s; delivery is ${(mbPerS / bare).toFixed(3)}× that`)
  let best = 0
  for (let round = 0; round < 5; round++) {
    const t = performance.now()
    for (const b of bundles) {
      const v = await verifyBundle(createReadStream(b, { highWaterMark: 1024 * 1024 }))
      if (!v.ok) throw new Error(`bundle ${b} did not verify: ${JSON.stringify(v.failures)}`)
    }
    best = Math.max(best, bundleBytes / 1e6 / ((performance.now() - t) / 1000))
  }
  say(`  verify bundles  ${bundles.length} × ${fmt(bundleBytes / bundles.length)} bytes from disk: ${best.toFixed(0)} MB/s (best of 5, nodes stopped)`)
  say('  targets: ≥ 50 MB/s delivered, ≥ 100 MB/s verified, sender ≤ 300 MB')
  result({
    mb_per_s: Math.round(mbPerS * 10) / 10,
    bare_copy_mb_per_s: Math.round(bare),
    ratio_to_bare_copy: Number((mbPerS / bare).toFixed(3)),
    verify_mb_per_s: Math.round(best),
    rss_mb: rss,
    recipient_rss_mb: recipientRss,
    sender_cpu_s: Math.round(cpu.sender * 10) / 10,
    recipient_cpu_s: Math.round(cpu.recipient * 10) / 10,
    reports: N,
    evidence_mb: MB,
    seconds: Math.round(seconds * 10) / 10
  })
})
