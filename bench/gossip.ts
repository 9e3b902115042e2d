/**
 * gossip: 8 node processes (6 brands, the platform, police; quorum 2).
 * Brands publish attestations at 50/s in total; each fingerprint was
 * pre-attested by another brand, so the measured attestation is the one that
 * makes it reach quorum. Latency: from just before `POST /v1/attest` on the
 * publishing brand until the platform's `POST /v1/explain` says "listed".
 * Targets: p50 ≤ 50 ms, p99 ≤ 250 ms.
 *
 * The publish and the check run in this process, on one clock. Detection:
 * this process follows the platform's event stream (GET /v1/events?status=
 * listed, what `alliance watch` reads), and a fingerprint is detected when
 * its "listed" event arrives here; the stream pushes each change as the
 * platform's node applies it, so detection adds well under a millisecond
 * and no load.
 *
 * Baseline, same run, interleaved: 8 more processes running only the libp2p
 * host (createHost, same roster-gated config and topic, keys of a second
 * alliance of the same shape; see _gossip-worker.ts), under the same
 * runtime as the nodes (the compiled JavaScript in dist/), publish payloads
 * of the node's gossip message size at the same rate from the same brands;
 * latency from publish to delivery at the platform's process, timestamps
 * carried in the payload (one machine, one clock). Both sets of processes
 * run the whole time; messages go in blocks of BLOCK, alternating which set
 * publishes first, so the machine's noise falls on both.
 *
 * A message that never arrives (within DRAIN_MS of its block) is counted as
 * lost and enters the percentiles as an infinite latency; a failed attest
 * call is counted as failed, and lost too.
 *
 *   npm run bench -- gossip            MESSAGES=500 for a quicker run, PHASES=bare or PHASES=nodes for one set, RATE=20 off saturation
 */
import '../node/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { encodeSegment } from '../protocol/codec/index.js'
import { appendSegment } from '../protocol/log/index.js'
import { loadNodeKeys } from '../node/keys.js'
import { ApiClient } from '../node/api/client.js'
import type { AttestResult, NodeStatus } from '../node/service.js'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'
import { benchNodeArgs, spawnNode, type NodeProcess } from '../test/helpers/processes.js'
import { apiCall, compiledBenchWorker, compiledNodes, cpuSeconds, eventually, metricValue, percentile, runBench, say, sleep, stopChild, track, trackDir, wallMs } from './_procs.js'
import { result } from './_util.js'

const MESSAGES = Number(process.env.MESSAGES ?? 1000)
const WARMUP = Number(process.env.WARMUP ?? 50)
/** Attestations per second in total (the issue's figure is 50; a lower RATE shows the ratio off saturation). */
const RATE = Number(process.env.RATE ?? 50)
/** Messages per block; the two sets take turns block by block. */
const BLOCK = Number(process.env.BLOCK ?? 100)
const DRAIN_MS = 5000
/**
 * Idle window before publishing, both sets up and measured over the same
 * window (so the machine's load falls on both), long enough to hold an
 * anti-entropy round (30 s) and three connection-monitor pings (10 s) of
 * every connection: a 5 s window caught or missed those by luck.
 */
const IDLE_MS = Number(process.env.IDLE_S ?? 30) * 1000
const TARGET_P50 = 50
const TARGET_P99 = 250
/** Issue 15 target 2: node p99 ≤ 2.5 × bare gossipsub's p99 in the same run; the attest call's p99 ≤ 50 ms. */
const TARGET_RATIO_P99 = 2.5
const TARGET_ATTEST_P99 = 50
/** Issue 15 target 3: eight idle connected nodes ≤ 3 × eight idle bare gossipsub processes. */
const TARGET_IDLE_RATIO = 3

/** Node counters read before and after the blocks (per node per message in the report). */
const COUNTED: Array<[string, string]> = [
  ['accept', 'alliance_gossip_messages_total{verdict="accept"}'],
  ['ignore', 'alliance_gossip_messages_total{verdict="ignore"}'],
  ['reject', 'alliance_gossip_messages_total{verdict="reject"}'],
  ['syncOk', 'alliance_sync_runs_total{result="ok"}'],
  ['syncError', 'alliance_sync_runs_total{result="error"}'],
  // garbage collection (prom-client's perf_hooks histogram): where event-loop stalls may come from
  ['gcMinorS', 'nodejs_gc_duration_seconds_sum{kind="minor"}'],
  ['gcMajorS', 'nodejs_gc_duration_seconds_sum{kind="major"}'],
  ['gcIncrementalS', 'nodejs_gc_duration_seconds_sum{kind="incremental"}'],
  ['gcMajor', 'nodejs_gc_duration_seconds_count{kind="major"}'],
  ['gcMajorUnder10ms', 'nodejs_gc_duration_seconds_bucket{le="0.01",kind="major"}'],
  ['gcMajorUnder100ms', 'nodejs_gc_duration_seconds_bucket{le="0.1",kind="major"}']
]
const BRANDS: MemberSpec[] = Array.from({ length: 6 }, (_, i) => ({ org: `brand-${i + 1}`, role: 'brand' }))
const MEMBERS: MemberSpec[] = [...BRANDS, { org: 'platform', role: 'platform' }, { org: 'police', role: 'law-enforcement' }]
const TOTAL = WARMUP + MESSAGES
/** Both by default; PHASES=bare or PHASES=nodes runs one set (for diagnosis). */
const PHASES = (process.env.PHASES ?? 'nodes,bare').split(',')

const ms = (n: number): string => Number.isFinite(n) ? n.toFixed(1) : '∞'
/** A latency for RESULT: null when infinite (lost messages in the tail). */
const round1 = (n: number): number | null => Number.isFinite(n) ? Number(n.toFixed(1)) : null
const publisherOf = (i: number): number => i % BRANDS.length
const preAttesterOf = (i: number): number => (i + 1) % BRANDS.length

/** Fires `publish(i)` for i in [from, to) at RATE per second on an absolute schedule. */
async function paced (from: number, to: number, publish: (i: number) => void): Promise<void> {
  const start = performance.now()
  for (let i = from; i < to; i++) {
    const wait = start + (i - from) * 1000 / RATE - performance.now()
    if (wait > 0) await sleep(wait)
    publish(i)
  }
}

interface Stats { p50: number, p99: number, max: number, n: number, lost: number }
/** Percentiles of the arrived latencies with every lost message counted as an infinite one. */
function stats (arrived: number[], lost: number): Stats {
  const all = [...arrived, ...Array.from({ length: lost }, () => Infinity)]
  return { p50: percentile(all, 50), p99: percentile(all, 99), max: Math.max(...all), n: all.length, lost }
}
function line (label: string, s: Stats): string {
  return `  ${label.padEnd(44)} p50 ${ms(s.p50).padStart(6)} ms   p99 ${ms(s.p99).padStart(6)} ms   max ${ms(s.max).padStart(6)} ms   (n=${s.n}, ${s.lost} lost)`
}

/** Size of the gossip message a node sends for one attestation (a one-entry signed segment). */
async function nodeMessageBytes (dir: string, alliance: string): Promise<number> {
  const signer = (await loadNodeKeys(dir)).sign
  const t = Date.now()
  const { segment } = appendSegment({
    signer,
    alliance,
    head: { seq: 1000, id: randomBytes(32), time: t },
    bodies: [{ type: 'attestation', fingerprint: randomBytes(32), kind: 'email', claim: 'counterfeit-seller', reason: 0, confidence: 100, evidenceDigest: new Uint8Array(0), expires: t + 90 * 86_400_000, epoch: 1 }],
    time: t
  })
  return encodeSegment(segment).length
}

/** One set of 8 processes that publishes message i on request and says when each arrived. */
interface Target {
  name: 'nodes' | 'bare'
  pids: () => Array<[string, number]>
  /** Publishes message i (asynchronously); arrival is reported to `arrived`. */
  publish: (i: number) => void
  /** Messages published and not arrived yet. */
  outstanding: () => number
  /** Forgets what did not arrive; returns their indices (the caller counts them lost). */
  giveUp: () => number[]
  latencies: number[]
  failed: number
  /** nodes only: how long each measured `POST /v1/attest` took, and how long it waited for the brand's previous one. */
  attestMs?: number[]
  laneWaitMs?: number[]
  /** nodes only: the node processes' own event-loop delay (perf_hooks monitorEventLoopDelay via /metrics), reset now. */
  loopDelay?: () => Promise<Array<{ org: string, p99: number, max: number, counts: Record<string, number> }>>
  stop: () => Promise<void>
}

/** CPU time (ms) of a set of processes, summed. */
function cpuMs (pids: Array<[string, number]>): Record<string, number> {
  return Object.fromEntries(pids.map(([name, pid]) => [name, cpuSeconds(pid) * 1000]))
}

// ------------------------------------------------------------------ nodes

async function startNodes (dirs: Record<string, string>): Promise<Target> {
  let t = performance.now()
  const nodes: Record<string, NodeProcess> = {}
  const started = await Promise.allSettled(MEMBERS.map(async m => {
    nodes[m.org] = await spawnNode(dirs[m.org], { antiEntropySeconds: 30, readyTimeoutMs: 240_000 })
    track(nodes[m.org].child)
  }))
  const failure = started.find(r => r.status === 'rejected')
  if (failure !== undefined) throw (failure as PromiseRejectedResult).reason
  say(`  8 node processes up in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  t = performance.now()
  await eventually(async () => {
    const s = await Promise.all(MEMBERS.map(async m => await apiCall<NodeStatus>(nodes[m.org], '/v1/status')))
    return s.every(x => x.peers.length === MEMBERS.length - 1)
  }, 240_000, 'every node connected to the 7 others', 200)
  say(`  nodes fully connected after ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const platform = nodes.platform
  const brands = BRANDS.map(b => nodes[b.org])

  // pre-attest every fingerprint by one brand: one bulk segment per brand (large segments travel by sync)
  const value = (i: number): string => `seller-${i}@counterfeit-shop.example`
  const fingerprints: string[] = new Array(TOTAL)
  await Promise.all(BRANDS.map(async (_, b) => {
    const items = Array.from({ length: TOTAL }, (_, i) => i).filter(i => preAttesterOf(i) === b)
    const r = await apiCall<AttestResult>(brands[b], '/v1/attest', { items: items.map(i => ({ kind: 'email', value: value(i) })) })
    if (r.rejected.length > 0) throw new Error(`pre-attest rejected: ${JSON.stringify(r.rejected[0])}`)
    items.forEach((i, k) => { fingerprints[i] = r.fingerprints[k] })
  }))
  await eventually(async () => (await apiCall<NodeStatus>(platform, '/v1/status')).blocklist.candidate === TOTAL, 60_000, 'platform sees every pre-attested fingerprint as candidate', 200)

  // the platform's event stream says when each becomes listed
  const indexOf = new Map(fingerprints.map((fp, i) => [fp, i]))
  const outstanding = new Map<number, { t0: number }>()
  const target: Target = {
    name: 'nodes',
    pids: () => MEMBERS.map(m => [m.org, nodes[m.org].child.pid as number]),
    publish: () => {},
    outstanding: () => outstanding.size,
    giveUp: () => { const gone = [...outstanding.keys()]; outstanding.clear(); return gone },
    latencies: [],
    failed: 0,
    attestMs: [],
    laneWaitMs: [],
    loopDelay: async () => await Promise.all(MEMBERS.map(async m => {
      // prom-client reads perf_hooks' monitorEventLoopDelay histogram and resets it on every scrape
      const text = await apiCall<string>(nodes[m.org], '/metrics', undefined, true)
      // what the gossip validator and sync did (counters): a gap in a log costs a sync pull
      const counts = Object.fromEntries(COUNTED.map(([k, metric]) => [k, metricValue(text, metric) ?? 0]))
      return { org: m.org, p99: (metricValue(text, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, max: (metricValue(text, 'nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000, counts }
    })),
    stop: async () => {}
  }
  const watching = new AbortController()
  const platformApi = new ApiClient({ url: platform.url, token: platform.token })
  const watcher = (async () => {
    const events = platformApi.watch({ status: 'listed' }, watching.signal)[Symbol.asyncIterator]()
    for (let r = await events.next(); r.done !== true; r = await events.next()) {
      const got = wallMs()
      const i = indexOf.get(r.value.fingerprint)
      const o = i === undefined ? undefined : outstanding.get(i)
      if (i === undefined || o === undefined) continue
      outstanding.delete(i)
      if (i >= WARMUP) target.latencies.push(got - o.t0)
    }
  })().catch((err: Error) => {
    // the stream ends with an AbortError when stopped; anything else would silently lose every detection
    if (!watching.signal.aborted) process.stderr.write(`the platform's event stream failed: ${err.stack ?? err.message}\n`)
  })
  await eventually(async () => (metricValue(await apiCall<string>(platform, '/metrics', undefined, true), 'alliance_event_watchers') ?? 0) >= 1, 10_000, 'the platform\'s event stream is open', 50)
  // One request at a time per brand: concurrent attests on one node fork its own log, so a
  // brand's next attestation waits for the previous answer. Latency still counts from the
  // attestation's scheduled time, so that waiting is in the figures.
  const lanes: Array<Promise<void>> = BRANDS.map(() => Promise.resolve())
  target.publish = (i: number): void => {
    const t0 = wallMs()
    const b = publisherOf(i)
    outstanding.set(i, { t0 })
    lanes[b] = lanes[b].then(async () => {
      const start = wallMs()
      try {
        await apiCall<AttestResult>(brands[b], '/v1/attest', { items: [{ kind: 'email', value: value(i) }] })
        if (i >= WARMUP) { target.attestMs?.push(wallMs() - start); target.laneWaitMs?.push(start - t0) }
      } catch (err) {
        if (i >= WARMUP) target.failed++
        process.stderr.write(`attest ${i} failed: ${(err as Error).message}\n`)
      }
    })
  }
  target.stop = async () => {
    await Promise.all(lanes)
    watching.abort()
    await watcher
    await Promise.all(Object.values(nodes).map(async n => await stopChild(n.child)))
  }
  await sleep(2000) // gossipsub mesh settles on its 1 s heartbeat
  return target
}

// ------------------------------------------------------------------ bare gossipsub

interface Worker { child: ChildProcess, messages: Array<Record<string, unknown>> }

/**
 * The worker runs as the nodes do: the compiled JavaScript in dist/ when
 * the nodes run it (ALLIANCE_RUNTIME=tsx runs both from the sources).
 */
function workerCommand (runtime: string): string[] {
  if (runtime !== 'dist') return ['--import', 'tsx', fileURLToPath(new URL('./_gossip-worker.ts', import.meta.url))]
  return [compiledBenchWorker('_gossip-worker', ['_gossip-worker.ts', '_clock.ts'])]
}

function spawnWorker (runtime: string, dir: string, role: 'publisher' | 'receiver', bytes: number, onRecv: (m: { seq: number, sentAt: number, recvAt: number }) => void): Worker {
  const child = spawn(process.execPath, [...benchNodeArgs(), ...workerCommand(runtime), dir, role, String(bytes)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  track(child)
  const w: Worker = { child, messages: [] }
  let err = ''
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 20_000) err = err.slice(-10_000) })
  child.on('message', (m: Record<string, unknown>) => {
    if (m.type === 'recv') onRecv(m as unknown as { seq: number, sentAt: number, recvAt: number })
    else w.messages.push(m)
  })
  child.once('exit', code => { if (code !== 0 && code !== null) process.stderr.write(`gossip worker ${dir} exited ${code}: ${err.slice(-2000)}\n`) })
  return w
}

async function reply (w: Worker, type: string, send?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const before = w.messages.length
  if (send !== undefined) w.child.send(send)
  await eventually(() => w.messages.slice(before).some(m => m.type === type), 240_000, `a '${type}' message from a gossip worker`, 10)
  return w.messages.slice(before).find(m => m.type === type) as Record<string, unknown>
}

async function startBare (runtime: string, dirs: Record<string, string>, bytes: number): Promise<Target> {
  const t = performance.now()
  const sentAt = new Map<number, number>()
  const workers: Record<string, Worker> = {}
  const target: Target = {
    name: 'bare',
    pids: () => MEMBERS.map(m => [m.org, workers[m.org].child.pid as number]),
    publish: () => {},
    outstanding: () => sentAt.size,
    giveUp: () => { const gone = [...sentAt.keys()]; sentAt.clear(); return gone },
    latencies: [],
    failed: 0,
    stop: async () => {}
  }
  for (const m of MEMBERS) {
    workers[m.org] = spawnWorker(runtime, dirs[m.org], m.org === 'platform' ? 'receiver' : 'publisher', bytes, r => {
      if (!sentAt.has(r.seq)) return
      sentAt.delete(r.seq)
      if (r.seq >= WARMUP) target.latencies.push(r.recvAt - r.sentAt)
    })
  }
  await Promise.all(Object.values(workers).map(async w => await reply(w, 'ready')))
  say(`  8 bare host processes up in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  await eventually(async () => {
    const r = await Promise.all(Object.values(workers).map(async w => await reply(w, 'peers', { type: 'peers' })))
    return r.every(x => x.connected === MEMBERS.length - 1 && x.topicPeers === MEMBERS.length - 1)
  }, 240_000, 'every bare host connected to the 7 others, all on the topic', 200)
  const brands = BRANDS.map(b => workers[b.org])
  target.publish = (i: number): void => { sentAt.set(i, wallMs()); brands[publisherOf(i)].child.send({ type: 'pub', seq: i }) }
  target.stop = async () => {
    await Promise.all(Object.values(workers).map(async w => {
      const exited = new Promise<void>(resolve => w.child.once('exit', () => resolve()))
      if (w.child.exitCode === null) w.child.send({ type: 'stop' })
      await Promise.race([exited, sleep(5000)])
      await stopChild(w.child)
    }))
  }
  await sleep(2000) // mesh settles on its heartbeat
  return target
}

// ------------------------------------------------------------------ main

function targetNamed (targets: Target[], name: Target['name']): Target | undefined {
  return targets.find(t => t.name === name)
}

await runBench(async () => {
  const runtime = compiledNodes()
  const net = await makeNodeDirs(MEMBERS, { quorum: 2, alliance: 'bench-gossip' })
  trackDir(net.root)
  // the bare hosts get an alliance of their own (same shape): both sets run at once, on their own ports and keys
  const bareNet = await makeNodeDirs(MEMBERS, { quorum: 2, alliance: 'bench-gossip-bare' })
  trackDir(bareNet.root)
  const bytes = await nodeMessageBytes(net.dirs[BRANDS[0].org], 'bench-gossip')
  say(`gossip: 8 processes (6 brands, platform, police), quorum 2; ${MESSAGES} measured attestations (after ${WARMUP} warm-up) at ${RATE}/s from ${BRANDS.length} brands, in blocks of ${BLOCK} alternating with the baseline`)
  say(`  gossip message of one attestation: ${bytes} bytes; machine load average at start ${loadavg()[0].toFixed(1)} (2 cores); bare hosts run ${runtime === 'dist' ? 'dist/ too' : 'tsx too'}`)

  const targets: Target[] = []
  if (PHASES.includes('nodes')) { say('\nnodes (alliance start):'); targets.push(await startNodes(net.dirs)) }
  if (PHASES.includes('bare')) { say('\nbare gossipsub (createHost only, same config):'); targets.push(await startBare(runtime, bareNet.dirs, bytes)) }

  // idle CPU of each set, both sets up and measured over the same window
  const idle: Record<string, number> = {}
  const idleBefore = targets.map(t => cpuMs(t.pids()))
  await sleep(IDLE_MS)
  targets.forEach((t, j) => {
    const after = cpuMs(t.pids())
    idle[t.name] = Object.keys(after).reduce((n, k) => n + after[k] - idleBefore[j][k], 0) / IDLE_MS * 100
  })
  // the node processes' event-loop delay from here on (this scrape resets their histograms)
  const countsBefore = await targetNamed(targets, 'nodes')?.loopDelay?.()

  // blocks, alternating which set goes first; CPU of a set counted over its own blocks
  const cpu: Record<string, Record<string, number>> = Object.fromEntries(targets.map(t => [t.name, {}]))
  const lost: Record<string, number> = Object.fromEntries(targets.map(t => [t.name, 0]))
  let blocks = 0
  for (let from = 0; from < TOTAL; from += BLOCK, blocks++) {
    const to = Math.min(TOTAL, from + BLOCK)
    const order = blocks % 2 === 0 ? targets : [...targets].reverse()
    for (const t of order) {
      const c0 = cpuMs(t.pids())
      await paced(from, to, t.publish)
      const drainUntil = performance.now() + DRAIN_MS
      await eventually(() => t.outstanding() === 0 || performance.now() > drainUntil, DRAIN_MS + 1000, `${t.name}: block ${blocks} arrives`, 20)
      // only measured messages count as lost (the warm-up is not in the figures)
      lost[t.name] += t.giveUp().filter(i => i >= WARMUP).length
      const c1 = cpuMs(t.pids())
      for (const k of Object.keys(c1)) cpu[t.name][k] = (cpu[t.name][k] ?? 0) + c1[k] - c0[k]
    }
  }
  const loop = await targetNamed(targets, 'nodes')?.loopDelay?.()
  for (const t of targets) await t.stop()

  say(`\nresults (wall clock, one machine; load average now ${loadavg()[0].toFixed(1)}):`)
  const fields: Record<string, number | null> = { rate: RATE }
  const byName = Object.fromEntries(targets.map(t => [t.name, t]))
  let s: Stats | undefined
  let b: Stats | undefined
  if (byName.nodes !== undefined) {
    const n = byName.nodes
    s = stats(n.latencies, lost.nodes)
    say(line('node: attestation due → platform shows listed', s))
    say('  detection: the platform\'s event stream (GET /v1/events?status=listed) pushed each listing here')
    if (n.failed > 0) say(`  ${n.failed} attest calls failed (counted lost)`)
    Object.assign(fields, { p50_ms: round1(s.p50), p99_ms: round1(s.p99), lost: s.lost, failed: n.failed })
  }
  if (byName.bare !== undefined) {
    b = stats(byName.bare.latencies, lost.bare)
    say(line('bare gossipsub: publish → delivered', b))
    Object.assign(fields, { bare_p50_ms: round1(b.p50), bare_p99_ms: round1(b.p99), bare_lost: b.lost })
  }
  say(`  CPU time per message, ms (each process's CPU time over its own set's blocks ÷ ${TOTAL} messages):`)
  for (const t of targets) {
    const c = cpu[t.name]
    const per = (org: string): number => c[org] / TOTAL
    const all = MEMBERS.reduce((sum, m) => sum + per(m.org), 0)
    const brandAvg = BRANDS.reduce((sum, m) => sum + per(m.org), 0) / BRANDS.length
    say(`    ${t.name.padEnd(5)} all 8: ${all.toFixed(1).padStart(5)} = ${(all * RATE / 10).toFixed(0)}% of a core at ${RATE}/s   a brand: ${brandAvg.toFixed(2)}   police (receives only): ${per('police').toFixed(2)}   platform${t.name === 'nodes' ? ' (+ event stream)' : ''}: ${per('platform').toFixed(2)}`)
    say(`    ${''.padEnd(5)} of which idle (all 8 connected, nothing published, ${IDLE_MS / 1000} s): ${idle[t.name].toFixed(0)}% of a core`)
  }
  if (byName.nodes !== undefined) {
    const n = byName.nodes
    const a = stats(n.attestMs ?? [], n.failed)
    const w = stats(n.laneWaitMs ?? [], 0)
    say(line('  of which the brand\'s attest call', a))
    say(line('  of which waiting for its previous attest', w))
    fields.attest_p99_ms = round1(a.p99)
    fields.attest_p50_ms = round1(a.p50)
    fields.lane_wait_p99_ms = round1(w.p99)
    if (loop !== undefined) {
      const worst = loop.reduce((m, x) => x.max > m.max ? x : m, loop[0])
      say(`  node event-loop delay over the blocks (perf_hooks monitorEventLoopDelay, 10 ms resolution): p99 per node ${loop.map(x => x.p99.toFixed(0)).join('/')} ms; worst stall ${worst.max.toFixed(0)} ms (${worst.org})`)
      fields.loop_delay_p99_ms = round1(Math.max(...loop.map(x => x.p99)))
      fields.loop_delay_max_ms = round1(worst.max)
      if (countsBefore !== undefined) {
        const per = (k: string): number => loop.reduce((n, x, i) => n + x.counts[k] - countsBefore[i].counts[k], 0) / MEMBERS.length / TOTAL
        say(`  per node per message: gossip verdicts accept ${per('accept').toFixed(2)}, ignore ${per('ignore').toFixed(2)} (held already, or a gap), reject ${per('reject').toFixed(2)}; sync pulls ${(per('syncOk') + per('syncError')).toFixed(3)} (on gaps and anti-entropy)`)
        fields.sync_pulls_per_node_per_message = Number((per('syncOk') + per('syncError')).toFixed(3))
        fields.gossip_ignored_per_node_per_message = Number(per('ignore').toFixed(3))
        const sum = (k: string): number => loop.reduce((n, x, i) => n + x.counts[k] - countsBefore[i].counts[k], 0)
        const gcS = sum('gcMinorS') + sum('gcMajorS') + sum('gcIncrementalS')
        say(`  garbage collection over the blocks, all 8 nodes: ${gcS.toFixed(2)} s (${(gcS * 1e6 / MEMBERS.length / TOTAL).toFixed(0)} µs per node per message); ${sum('gcMajor')} major pauses, ${sum('gcMajor') - sum('gcMajorUnder10ms')} over 10 ms, ${sum('gcMajor') - sum('gcMajorUnder100ms')} over 100 ms`)
        fields.gc_us_per_node_per_message = Math.round(gcS * 1e6 / MEMBERS.length / TOTAL)
        fields.gc_major_over_10ms = sum('gcMajor') - sum('gcMajorUnder10ms')
      }
    }
  }
  if (idle.nodes !== undefined && idle.bare !== undefined && idle.bare > 0) {
    fields.idle_cpu_ratio = Number((idle.nodes / idle.bare).toFixed(2))
    fields.idle_cpu_pct = Number(idle.nodes.toFixed(1))
    fields.bare_idle_cpu_pct = Number(idle.bare.toFixed(1))
    say(`  idle, both sets measured over the same ${IDLE_MS / 1000} s: nodes ${idle.nodes.toFixed(1)}% of a core, bare ${idle.bare.toFixed(1)}%: ratio ${fields.idle_cpu_ratio}× (target ≤ ${TARGET_IDLE_RATIO}×)`)
  }
  if (s !== undefined && b !== undefined) {
    const ratio = (x: number, y: number): number | null => Number.isFinite(x) && Number.isFinite(y) ? Number((x / y).toFixed(2)) : null
    say(`  ratio node/bare: p50 ${ratio(s.p50, b.p50) ?? '∞'}×, p99 ${ratio(s.p99, b.p99) ?? '∞'}×`)
    fields.ratio_p50 = ratio(s.p50, b.p50)
    fields.ratio_p99 = ratio(s.p99, b.p99)
  }
  if (fields.ratio_p99 !== undefined) say(`  verdict (issue 15): p99 ratio ${fields.ratio_p99 !== null && fields.ratio_p99 <= TARGET_RATIO_P99 ? 'meets' : 'MISSES'} ≤ ${TARGET_RATIO_P99}×, attest call p99 ${fields.attest_p99_ms !== null && (fields.attest_p99_ms ?? Infinity) <= TARGET_ATTEST_P99 ? 'meets' : 'MISSES'} ≤ ${TARGET_ATTEST_P99} ms`)
  if (s !== undefined) say(`  verdict: p50 ${s.p50 <= TARGET_P50 ? 'meets' : 'MISSES'} ≤ ${TARGET_P50} ms, p99 ${s.p99 <= TARGET_P99 ? 'meets' : 'MISSES'} ≤ ${TARGET_P99} ms${s.lost > 0 ? ` (${s.lost} lost)` : ''}`)
  result(fields)
})
