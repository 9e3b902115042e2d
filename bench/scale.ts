/**
 * scale: alliances of 20 and 50 nodes, every node publishing. One burst of
 * 1,000 attestations — 500 fingerprints, each attested by two different
 * nodes, so each ends listed at quorum 2 — fired at once, every node
 * attesting its share one API call at a time. Measured per size:
 *   - convergence: from the burst's start until each node lists all 500
 *     (p50 and max over nodes), and whether every node then holds the same
 *     snapshot hash;
 *   - per node per attestation: TCP data segments and bytes sent between
 *     the nodes (read from the kernel with `ss -ti`: everything the nodes
 *     send, gossip copies, control, sync and pings included), and CPU time;
 *     and the same with the idle rate over the burst's length taken out (the
 *     attestations' own cost: with 50 nodes on 2 cores the burst lasts
 *     minutes, and idle work was most of the raw figure);
 *   - gossip verdicts and sync pulls per node per attestation;
 *   - idle (20 s, all connected, nothing published): CPU and bytes per node;
 *   - connections and RSS per node.
 *
 * Several nodes run in one process (bench/_scale-worker.ts, NODES_PER_PROC
 * = 10 by default: 20 nodes in 2 processes, 50 in 5), each a whole
 * AllianceNode with its own LevelDB and libp2p host on its own port, talking
 * TCP over loopback like separate processes would; fifty node processes do
 * not fit two shared cores. CPU is each process's own (user + system, from
 * /proc) divided by its nodes; RSS per node is the processes' RSS divided by
 * the nodes, which shares one runtime between 10 nodes (a node alone in its
 * process adds the runtime's ~60 MB: `npm run bench -- idle`).
 *
 *   npm run bench -- scale             SIZES=20,50 NODES_PER_PROC=10 BURST=1000 IDLE_S=20
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the worker processes
 */
import '../node/polyfill.js'
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process'
import { statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { readConfig } from '../node/home.js'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'
import { benchNodeArgs } from '../test/helpers/processes.js'
import { cpuSeconds, eventually, percentile, procMemory, runBench, say, sleep, stopChild, track, trackDir, wallMs } from './_procs.js'
import { result } from './_util.js'

const SIZES = (process.env.SIZES ?? '20,50').split(',').map(Number)
const PER_PROC = Number(process.env.NODES_PER_PROC ?? 10)
const BURST = Number(process.env.BURST ?? 1000)
const IDLE_MS = Number(process.env.IDLE_S ?? 20) * 1000
/** The nodes' anti-entropy interval, as deployed (the default). */
const ANTI_ENTROPY_MS = 30_000
const CONVERGE_LIMIT_MS = 10 * 60_000

interface Worker { child: ChildProcess, messages: Array<Record<string, unknown>>, dirs: string[] }

function workerCommand (): string[] {
  const compiled = fileURLToPath(new URL('../dist/bench/_scale-worker.js', import.meta.url))
  const mtime = (p: string): number => { try { return statSync(p).mtimeMs } catch { return 0 } }
  const sources = ['./_scale-worker.ts', '../node/alliance-node.ts', '../node/open-node.ts'].map(p => mtime(fileURLToPath(new URL(p, import.meta.url))))
  if (mtime(compiled) < Math.max(...sources)) {
    say('  dist/ is older than the sources: npm run build')
    if (spawnSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'inherit', 'inherit'] }).status !== 0) throw new Error('npm run build failed')
  }
  return [compiled]
}

async function reply (w: Worker, type: string, send?: Record<string, unknown>, timeoutMs = 600_000): Promise<Record<string, unknown>> {
  const before = w.messages.length
  if (send !== undefined) w.child.send(send)
  await eventually(() => w.messages.slice(before).some(m => m.type === type || m.type === 'error'), timeoutMs, `a '${type}' message from a scale worker`, 20)
  const m = w.messages.slice(before).find(m => m.type === type || m.type === 'error') as Record<string, unknown>
  if (m.type === 'error') throw new Error(`scale worker: ${String(m.message)}`)
  return m
}

/** Bytes and data segments sent on every established TCP socket with an end on one of `ports` (both ends of a loopback connection are ours). */
function tcpSent (ports: Set<number>): { bytes: number, segs: number, sockets: number } {
  const out = execFileSync('ss', ['-tinH', 'state', 'established'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const lines = out.split('\n')
  let bytes = 0
  let segs = 0
  let sockets = 0
  for (let i = 0; i < lines.length; i++) {
    // with a state filter ss leaves the State column out: Recv-Q Send-Q local:port peer:port
    const m = /^\d+\s+\d+\s+\S+:(\d+)\s+\S+:(\d+)/.exec(lines[i].trim())
    if (m === null) continue
    const info = lines[i + 1] ?? ''
    if (!ports.has(Number(m[1])) && !ports.has(Number(m[2]))) continue
    sockets++
    bytes += Number(/bytes_sent:(\d+)/.exec(info)?.[1] ?? 0)
    segs += Number(/data_segs_out:(\d+)/.exec(info)?.[1] ?? 0)
  }
  return { bytes, segs, sockets }
}

interface SizeResult {
  nodes: number
  procs: number
  convergeP50: number
  convergeMax: number
  sameHash: boolean
  segsPerNodePerAtt: number
  bytesPerNodePerAtt: number
  cpuMsPerNodePerAtt: number
  idleCpuPctPerNode: number
  idleBytesPerNodePerS: number
  idleSegsPerNodePerS: number
  /** Per node per attestation with the idle rate over the burst's length taken out: the cost of the attestations themselves. */
  netCpuMsPerNodePerAtt: number
  netSegsPerNodePerAtt: number
  netBytesPerNodePerAtt: number
  connections: number
  peers: number
  rssMbPerNode: number
  burstS: number
  /** Gossip messages validated per node per attestation, by verdict (ignore: a gap, or one this node already held). */
  gossipAccept: number
  gossipIgnore: number
  gossipReject: number
  /** Sync runs (pulls: on a gap, anti-entropy, on connect) per node per attestation. */
  syncRuns: number
}

const cpuOf = (workers: Worker[]): number => workers.reduce((s, w) => s + cpuSeconds(w.child.pid as number), 0)

async function runSize (n: number): Promise<SizeResult> {
  const members: MemberSpec[] = Array.from({ length: n }, (_, i) => ({ org: `member-${String(i).padStart(3, '0')}`, role: i === 0 ? 'platform' : i === 1 ? 'law-enforcement' : 'brand' }))
  let t = performance.now()
  const net = await makeNodeDirs(members, { quorum: 2, alliance: `bench-scale-${n}` })
  trackDir(net.root)
  const ports = new Set<number>()
  for (const m of members) {
    for (const a of (await readConfig(net.dirs[m.org])).listen) ports.add(Number(/\/tcp\/(\d+)/.exec(a)?.[1]))
  }
  say(`  ${n} node directories and a ${n}-org roster in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  t = performance.now()
  const workers: Worker[] = []
  for (let i = 0; i < n; i += PER_PROC) {
    const dirs = members.slice(i, i + PER_PROC).map(m => net.dirs[m.org])
    const child = spawn(process.execPath, [...benchNodeArgs(), ...workerCommand()], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    track(child)
    const w: Worker = { child, messages: [], dirs }
    child.on('message', (m: Record<string, unknown>) => w.messages.push(m))
    workers.push(w)
  }
  await Promise.all(workers.map(async w => await reply(w, 'ready', { type: 'open', dirs: w.dirs, antiEntropyMs: ANTI_ENTROPY_MS })))
  say(`  ${n} nodes started in ${workers.length} processes in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  t = performance.now()
  type NodeStatusLine = { org: string, peers: number, connections: number, listed: number, hash: string, gossip: Record<string, number>, syncs: Record<string, number> }
  const statuses = async (): Promise<NodeStatusLine[]> => (await Promise.all(workers.map(async w => (await reply(w, 'status', { type: 'status' })).nodes as NodeStatusLine[]))).flat()
  await eventually(async () => (await statuses()).every(s => s.peers === n - 1), 300_000, `every node connected to the ${n - 1} others`, 1000)
  say(`  fully connected (${n * (n - 1) / 2} pairs) after ${((performance.now() - t) / 1000).toFixed(1)} s; settling 5 s`)
  await sleep(5000)

  // idle
  let c0 = cpuOf(workers)
  let s0 = tcpSent(ports)
  await sleep(IDLE_MS)
  let c1 = cpuOf(workers)
  let s1 = tcpSent(ports)
  const idleCpuPctPerNode = (c1 - c0) / (IDLE_MS / 1000) / n * 100
  const idleBytesPerNodePerS = (s1.bytes - s0.bytes) / (IDLE_MS / 1000) / n
  const idleSegsPerNodePerS = (s1.segs - s0.segs) / (IDLE_MS / 1000) / n
  say(`  idle ${IDLE_MS / 1000} s: ${idleCpuPctPerNode.toFixed(2)}% of a core per node, ${(idleBytesPerNodePerS / 1024).toFixed(1)} KiB/s and ${idleSegsPerNodePerS.toFixed(1)} TCP segments/s sent per node (${s1.sockets} sockets)`)

  // the burst: fingerprint f is attested by nodes f mod n and (f + 1) mod n: every node publishes, each fingerprint ends listed
  const fingerprints = Math.floor(BURST / 2)
  const work: string[][] = members.map(() => [])
  for (let f = 0; f < fingerprints; f++) {
    const value = `seller-${f}-${n}@scale.example`
    work[f % n].push(value)
    work[(f + 1) % n].push(value)
  }
  await Promise.all(workers.map(async w => { w.child.send({ type: 'watch', listed: fingerprints }) }))
  const before = await statuses()
  c0 = cpuOf(workers)
  s0 = tcpSent(ports)
  const start = wallMs()
  const done = workers.map(async (w, wi) => await reply(w, 'burst-done', { type: 'burst', work: w.dirs.map((_, j) => ({ node: j, values: work[wi * PER_PROC + j] })) }, CONVERGE_LIMIT_MS))
  const converged = await Promise.all(workers.map(async w => {
    await eventually(() => w.messages.some(m => m.type === 'converged' || m.type === 'error'), CONVERGE_LIMIT_MS, 'every node lists the burst', 10)
    const m = w.messages.find(m => m.type === 'converged' || m.type === 'error') as Record<string, unknown>
    if (m.type === 'error') throw new Error(`scale worker: ${String(m.message)}`)
    return m
  }))
  c1 = cpuOf(workers)
  s1 = tcpSent(ports)
  const burstS = (wallMs() - start) / 1000
  const burstDone = await Promise.all(done)
  const failed = burstDone.reduce((s, d) => s + Number(d.failed), 0)
  const attested = burstDone.reduce((s, d) => s + Number(d.attested), 0)
  if (failed > 0 || attested !== 2 * fingerprints) throw new Error(`burst: ${attested} attested, ${failed} failed`)
  const times = converged.flatMap(c => (c.nodes as Array<{ at: number, hash: string }>))
  const convergeMs = times.map(x => x.at - start)
  const sameHash = new Set(times.map(x => x.hash)).size === 1
  const att = 2 * fingerprints
  const final = await statuses()
  const rss = workers.reduce((s, w) => s + procMemory(w.child.pid as number).rssMb, 0)
  // what each node's gossip validator and sync did over the burst (counters after − before, summed over nodes)
  const delta = (pick: (x: NodeStatusLine) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {}
    for (const x of final) for (const [k, v] of Object.entries(pick(x))) out[k] = (out[k] ?? 0) + v
    for (const x of before) for (const [k, v] of Object.entries(pick(x))) out[k] = (out[k] ?? 0) - v
    return out
  }
  const gossip = delta(x => x.gossip)
  const syncs = delta(x => x.syncs)
  const perNodeAtt = (v: number | undefined): number => (v ?? 0) / n / (2 * fingerprints)
  const r: SizeResult = {
    nodes: n,
    procs: workers.length,
    convergeP50: percentile(convergeMs, 50),
    convergeMax: Math.max(...convergeMs),
    sameHash,
    segsPerNodePerAtt: (s1.segs - s0.segs) / n / att,
    bytesPerNodePerAtt: (s1.bytes - s0.bytes) / n / att,
    cpuMsPerNodePerAtt: (c1 - c0) * 1000 / n / att,
    idleCpuPctPerNode,
    idleBytesPerNodePerS,
    idleSegsPerNodePerS,
    netCpuMsPerNodePerAtt: ((c1 - c0) - idleCpuPctPerNode / 100 * n * burstS) * 1000 / n / att,
    netSegsPerNodePerAtt: ((s1.segs - s0.segs) / n - idleSegsPerNodePerS * burstS) / att,
    netBytesPerNodePerAtt: ((s1.bytes - s0.bytes) / n - idleBytesPerNodePerS * burstS) / att,
    connections: final.reduce((s, x) => s + x.connections, 0) / n,
    peers: final.reduce((s, x) => s + x.peers, 0) / n,
    rssMbPerNode: rss / n,
    burstS: Math.max(...convergeMs) / 1000,
    gossipAccept: perNodeAtt(gossip.accept),
    gossipIgnore: perNodeAtt(gossip.ignore),
    gossipReject: perNodeAtt(gossip.reject),
    syncRuns: perNodeAtt(Object.values(syncs).reduce((a, b) => a + b, 0))
  }
  say(`  burst of ${att} attestations (${fingerprints} fingerprints × 2 nodes; every node attests ${Math.floor(att / n)}–${Math.ceil(att / n)}): every node lists all ${fingerprints} after p50 ${r.convergeP50.toFixed(0)} ms, max ${r.convergeMax.toFixed(0)} ms; snapshot hashes ${sameHash ? 'identical on every node' : 'DIFFER'}`)
  say(`  per node per attestation: ${r.segsPerNodePerAtt.toFixed(1)} TCP data segments, ${(r.bytesPerNodePerAtt / 1024).toFixed(2)} KiB sent, ${r.cpuMsPerNodePerAtt.toFixed(2)} ms CPU (idle share included); without the idle rate over the burst's ${burstS.toFixed(1)} s: ${r.netSegsPerNodePerAtt.toFixed(1)} segments, ${(r.netBytesPerNodePerAtt / 1024).toFixed(2)} KiB, ${r.netCpuMsPerNodePerAtt.toFixed(2)} ms CPU`)
  say(`  per node per attestation: gossip messages validated ${(r.gossipAccept + r.gossipIgnore + r.gossipReject).toFixed(2)} (accepted ${r.gossipAccept.toFixed(2)}, ignored ${r.gossipIgnore.toFixed(2)}, rejected ${r.gossipReject.toFixed(2)}), sync runs ${r.syncRuns.toFixed(3)}`)
  say(`  per node: ${r.peers.toFixed(0)} peers over ${r.connections.toFixed(1)} connections, RSS ${r.rssMbPerNode.toFixed(0)} MB (${PER_PROC} nodes share a process)`)
  await Promise.all(workers.map(async w => {
    const exited = new Promise<void>(resolve => w.child.once('exit', () => resolve()))
    if (w.child.exitCode === null) w.child.send({ type: 'stop' })
    await Promise.race([exited, sleep(20_000)])
    await stopChild(w.child)
  }))
  net.cleanup()
  return r
}

await runBench(async () => {
  say(`scale: alliances of ${SIZES.join(' and ')} nodes, ${PER_PROC} nodes per process, a burst of ${BURST} attestations; load average ${loadavg()[0].toFixed(1)} (2 cores)`)
  workerCommand()
  const results: SizeResult[] = []
  for (const n of SIZES) {
    say(`\n${n} nodes:`)
    results.push(await runSize(n))
  }
  say(`\nsummary (load average now ${loadavg()[0].toFixed(1)}):`)
  say('  nodes procs  converge p50/max ms  segs/node/att  KiB/node/att  CPU ms/node/att  idle %core/node  idle KiB/s/node  conns/node  RSS MB/node')
  for (const r of results) {
    say(`  ${String(r.nodes).padStart(5)} ${String(r.procs).padStart(5)}  ${`${r.convergeP50.toFixed(0)}/${r.convergeMax.toFixed(0)}`.padStart(19)}  ${r.segsPerNodePerAtt.toFixed(1).padStart(13)}  ${(r.bytesPerNodePerAtt / 1024).toFixed(2).padStart(12)}  ${r.cpuMsPerNodePerAtt.toFixed(2).padStart(15)}  ${r.idleCpuPctPerNode.toFixed(2).padStart(15)}  ${(r.idleBytesPerNodePerS / 1024).toFixed(1).padStart(15)}  ${r.connections.toFixed(1).padStart(10)}  ${r.rssMbPerNode.toFixed(0).padStart(11)}`)
  }
  const big = results[results.length - 1]
  const fields: Record<string, number | string | null> = {
    nodes: big.nodes,
    procs: big.procs,
    converge_ms_p50: Math.round(big.convergeP50),
    converge_ms_max: Math.round(big.convergeMax),
    same_hash: big.sameHash ? 1 : 0,
    msgs_per_node_per_attestation: Number(big.segsPerNodePerAtt.toFixed(1)),
    bytes_per_node_per_attestation: Math.round(big.bytesPerNodePerAtt),
    cpu_ms_per_node_per_attestation: Number(big.cpuMsPerNodePerAtt.toFixed(2)),
    net_cpu_ms_per_node_per_attestation: Number(big.netCpuMsPerNodePerAtt.toFixed(2)),
    net_msgs_per_node_per_attestation: Number(big.netSegsPerNodePerAtt.toFixed(1)),
    net_bytes_per_node_per_attestation: Math.round(big.netBytesPerNodePerAtt),
    idle_cpu_pct_per_node: Number(big.idleCpuPctPerNode.toFixed(2)),
    idle_bytes_per_node_per_s: Math.round(big.idleBytesPerNodePerS),
    connections_per_node: Number(big.connections.toFixed(1)),
    rss_mb_per_node: Math.round(big.rssMbPerNode),
    gossip_validated_per_node_per_attestation: Number((big.gossipAccept + big.gossipIgnore + big.gossipReject).toFixed(2)),
    sync_runs_per_node_per_attestation: Number(big.syncRuns.toFixed(3))
  }
  for (const r of results.slice(0, -1)) {
    Object.assign(fields, {
      [`n${r.nodes}_converge_ms_max`]: Math.round(r.convergeMax),
      [`n${r.nodes}_msgs_per_node_per_attestation`]: Number(r.segsPerNodePerAtt.toFixed(1)),
      [`n${r.nodes}_bytes_per_node_per_attestation`]: Math.round(r.bytesPerNodePerAtt),
      [`n${r.nodes}_cpu_ms_per_node_per_attestation`]: Number(r.cpuMsPerNodePerAtt.toFixed(2)),
      [`n${r.nodes}_net_cpu_ms_per_node_per_attestation`]: Number(r.netCpuMsPerNodePerAtt.toFixed(2)),
      [`n${r.nodes}_idle_cpu_pct_per_node`]: Number(r.idleCpuPctPerNode.toFixed(2)),
      [`n${r.nodes}_idle_bytes_per_node_per_s`]: Math.round(r.idleBytesPerNodePerS),
      [`n${r.nodes}_rss_mb_per_node`]: Math.round(r.rssMbPerNode)
    })
  }
  result(fields)
})
