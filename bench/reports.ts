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
 *
 * Targets (issue 5): mb_per_s ≥ 50, verify_mb_per_s ≥ 100, rss_mb ≤ 300.
 * Run: npm run bench -- reports     (N=10 EVIDENCE_MB=10 for a quick run; PROFILE_DIR=/tmp/p writes each node's CPU profile)
 */
import '../node/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ApiClient } from '../node/api/client.js'
import type { ReportOutboxItem } from '../node/service.js'
import { verifyBundle } from '../protocol/report/index.js'
import { makeNodeDirs, type TestNet } from '../test/helpers/nodes.js'
import { randomFile, reportInput } from '../test/integration/reports/helpers.js'
import { compiledNodes } from './_procs.js'
import { fmt, result } from './_util.js'

const N = Number(process.env.N ?? 100)
const MB = Number(process.env.EVIDENCE_MB ?? 10)
const SIZE = MB * 1_000_000
/** Distinct evidence files, reused round-robin: every report is hashed, encrypted, sent and checked on its own all the same. */
const FILES = Math.min(N, 4)
const VERIFY_BUNDLES = Math.min(N, 3)
/** Send requests in flight at once, as a case system submitting a batch would have. */
const SEND_CONCURRENCY = Number(process.env.SEND_CONCURRENCY ?? 2)
const CLI = fileURLToPath(new URL('../bin/alliance.js', import.meta.url))

const children: ChildProcess[] = []
let net: TestNet | undefined

async function stop (): Promise<void> {
  await stopNodes()
  net?.cleanup()
}

async function stopNodes (): Promise<void> {
  await Promise.all(children.map(async c => {
    if (c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise(resolve => c.once('exit', resolve))
    c.kill('SIGTERM')
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(t)
  }))
}
process.once('SIGINT', () => { void stop().finally(() => process.exit(130)) })

async function startNode (dir: string, org: string): Promise<ChildProcess> {
  const profile = process.env.PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []
  const child = spawn(process.execPath, [...profile, CLI, 'start', dir, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(child)
  let err = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes('running; API')) resolve()
    })
    child.once('exit', code => reject(new Error(`${org} exited (${String(code)}): ${err.slice(-1000)}`)))
  })
  return child
}

/** Peak resident set size of a process over its life (VmHWM), MiB. */
function peakRssMb (pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Math.round(Number(kb) / 1024)
}

/** CPU time (user + system) a live process has used, seconds (/proc/<pid>/stat, 100 ticks/s). */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

async function until (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

async function main (): Promise<void> {
  compiledNodes()
  net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'police', role: 'law-enforcement' }], { quorum: 1 })
  const evidence = Array.from({ length: FILES }, (_, i) => {
    const path = join(net?.root as string, `evidence-${i}.bin`)
    randomFile(path, SIZE)
    return path
  })
  const sender = await startNode(net.dirs['brand-a'], 'brand-a')
  const recipient = await startNode(net.dirs.police, 'police')
  const brand = await ApiClient.fromDir(net.dirs['brand-a'])
  const police = await ApiClient.fromDir(net.dirs.police)
  await until('the two nodes to connect', async () => (await brand.status()).peers.length === 1, 30_000)

  process.stdout.write(`${N} reports × ${MB} MB of evidence, brand → police, two processes on loopback\n`)
  const cpu0 = { sender: cpuSeconds(sender.pid as number), recipient: cpuSeconds(recipient.pid as number) }
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, async () => {
    for (let i = next++; i < N; i = next++) {
      await brand.reportSend({ to: ['police'], report: { ...reportInput([evidence[i % FILES]], []), reference: `BENCH-${i}` }, evidence: [] })
    }
  }))
  const tQueued = performance.now()
  let outbox: ReportOutboxItem[] = []
  await until('every receipt', async () => {
    outbox = await brand.reportOutbox()
    return outbox.length === N && outbox.every(o => o.state === 'delivered' || o.state === 'failed')
  }, 30 * 60_000)
  const seconds = (performance.now() - t0) / 1000
  const failed = outbox.filter(o => o.state !== 'delivered')
  if (failed.length > 0) throw new Error(`${failed.length} reports were not delivered: ${JSON.stringify(failed[0].deliveries[0].lastError)}`)
  const inbox = await police.reportInbox()
  if (inbox.length !== N) throw new Error(`the police inbox holds ${inbox.length} reports, expected ${N}`)
  const mbPerS = N * MB / seconds
  const cpu = { sender: cpuSeconds(sender.pid as number) - cpu0.sender, recipient: cpuSeconds(recipient.pid as number) - cpu0.recipient }
  const rss = peakRssMb(sender.pid as number)
  const recipientRss = peakRssMb(recipient.pid as number)
  process.stdout.write(`  sent + delivered + receipted  ${fmt(N * MB)} MB in ${seconds.toFixed(1)} s: ${mbPerS.toFixed(1)} MB/s (all queued after ${((tQueued - t0) / 1000).toFixed(1)} s)\n`)
  process.stdout.write(`  CPU time  sender ${cpu.sender.toFixed(1)} s, recipient ${cpu.recipient.toFixed(1)} s (${((cpu.sender + cpu.recipient) * 1000 / (N * MB)).toFixed(1)} ms per MB over both; the machine's load average is ${(await import('node:os')).loadavg()[0].toFixed(1)})\n`)
  process.stdout.write(`  peak RSS  sender ${rss} MB, recipient ${recipientRss} MB\n`)

  const bundles: string[] = []
  for (const item of inbox.slice(0, VERIFY_BUNDLES)) {
    const out = join(net.root, `${item.id}.bundle`)
    await police.reportExport(item.id, out)
    bundles.push(out)
  }
  const bundleBytes = bundles.reduce((a, b) => a + statSync(b).size, 0)
  await stopNodes() // verification is offline: nothing else runs
  let best = 0
  for (let round = 0; round < 5; round++) {
    const t = performance.now()
    for (const b of bundles) {
      const v = await verifyBundle(createReadStream(b, { highWaterMark: 1024 * 1024 }))
      if (!v.ok) throw new Error(`bundle ${b} did not verify: ${JSON.stringify(v.failures)}`)
    }
    best = Math.max(best, bundleBytes / 1e6 / ((performance.now() - t) / 1000))
  }
  process.stdout.write(`  verify bundles  ${bundles.length} × ${fmt(bundleBytes / bundles.length)} bytes from disk: ${best.toFixed(0)} MB/s (best of 5, nodes stopped)\n`)
  process.stdout.write(`  targets: ≥ 50 MB/s delivered, ≥ 100 MB/s verified, sender ≤ 300 MB\n`)
  result({ mb_per_s: Math.round(mbPerS * 10) / 10, verify_mb_per_s: Math.round(best), rss_mb: rss, recipient_rss_mb: recipientRss, sender_cpu_s: Math.round(cpu.sender * 10) / 10, recipient_cpu_s: Math.round(cpu.recipient * 10) / 10, reports: N, evidence_mb: MB, seconds: Math.round(seconds * 10) / 10 })
}

let code = 0
try {
  await main()
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  code = 1
}
await stop()
process.exit(code)
