/**
 * idle: RSS of one idle node process of a 3-node alliance (the other two
 * offline, so it keeps redialling them), after it settled for 20 s. Target
 * ≤ 150 MB.
 *
 * The daemon runs as users run it: bin/alliance.js with the compiled
 * JavaScript in dist/ (built first if it is older than the sources). Side
 * by side in the same run, to say where memory goes:
 *   - the same daemon run from the TypeScript sources through tsx
 *     (ALLIANCE_RUNTIME=tsx), for a node of a second, identical alliance:
 *     tsx's loader thread, transformed sources and source maps;
 *   - an empty `node -e` process and an empty `node --import tsx -e` one.
 *
 *   npm run bench -- idle            IDLE_SETTLE_S=20 by default
 */
import '../node/polyfill.js'
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'
import { spawnNode } from '../test/helpers/processes.js'
import { apiCall, compiledNodes, metricValue, procMemory, runBench, say, sleep, track, trackDir } from './_procs.js'
import { result } from './_util.js'

const SETTLE_S = Number(process.env.IDLE_SETTLE_S ?? 20)
const TARGET_MB = 150
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const THREE: MemberSpec[] = [
  { org: 'brand-a', role: 'brand' },
  { org: 'platform', role: 'platform' },
  { org: 'police', role: 'law-enforcement' }
]
const IDLE_SCRIPT = 'setTimeout(() => {}, 1e9)'

interface Watched { label: string, pid: number, samples: number[] }

await runBench(async () => {
  say(`idle: one node of a 3-node alliance (the other two offline), RSS after ${SETTLE_S} s idle; load average ${loadavg()[0].toFixed(1)} (2 cores)`)
  const runtime = compiledNodes()
  const net = await makeNodeDirs(THREE, { quorum: 2, alliance: 'bench-idle' })
  trackDir(net.root)
  const tsxNet = await makeNodeDirs(THREE, { quorum: 2, alliance: 'bench-idle-tsx' })
  trackDir(tsxNet.root)

  const bare = track(spawn(process.execPath, ['-e', IDLE_SCRIPT], { stdio: 'ignore' }))
  const tsxBare = track(spawn(process.execPath, ['--import', 'tsx', '-e', IDLE_SCRIPT], { stdio: 'ignore', cwd: ROOT }))
  const t = performance.now()
  const [daemon, underTsx] = await Promise.all([
    spawnNode(net.dirs['brand-a'], { antiEntropySeconds: 30 }).then(p => { track(p.child); return p }),
    spawnNode(tsxNet.dirs['brand-a'], { antiEntropySeconds: 30, env: { ALLIANCE_RUNTIME: 'tsx' } }).then(p => { track(p.child); return p })
  ])
  say(`  started in ${((performance.now() - t) / 1000).toFixed(1)} s; settling ${SETTLE_S} s`)

  const watched: Watched[] = [
    { label: `node daemon (\`alliance start\`, ${runtime === 'dist' ? 'compiled JS' : 'tsx'})`, pid: daemon.child.pid as number, samples: [] },
    { label: 'same daemon from the sources through tsx', pid: underTsx.child.pid as number, samples: [] },
    { label: 'empty `node --import tsx -e` process', pid: tsxBare.pid as number, samples: [] },
    { label: 'empty `node -e` process', pid: bare.pid as number, samples: [] }
  ]
  for (let s = 0; s < SETTLE_S; s++) {
    await sleep(1000)
    for (const w of watched) w.samples.push(procMemory(w.pid).rssMb)
  }
  const metrics = await apiCall<string>(daemon, '/metrics', undefined, true)
  const heapUsed = (metricValue(metrics, 'nodejs_heap_size_used_bytes') ?? NaN) / 1048576
  const heapTotal = (metricValue(metrics, 'nodejs_heap_size_total_bytes') ?? NaN) / 1048576
  const external = (metricValue(metrics, 'nodejs_external_memory_bytes') ?? NaN) / 1048576

  const final = (w: Watched): number => w.samples[w.samples.length - 1]
  const peak = (w: Watched): number => Math.max(...w.samples)
  say('\nRSS after settling (MB), and the most seen while settling:')
  for (const w of watched) say(`  ${w.label.padEnd(50)} ${final(w).toFixed(0).padStart(5)}   (max ${peak(w).toFixed(0)})`)
  const [node, tsxNode, tsxEmpty, nodeEmpty] = watched
  const rss = final(node)
  say('\nwhere it goes:')
  say(`  tsx in an empty process: ${(final(tsxEmpty) - final(nodeEmpty)).toFixed(0)} MB (empty tsx minus empty node)`)
  say(`  tsx in the daemon:       ${(final(tsxNode) - rss).toFixed(0)} MB (daemon under tsx minus compiled daemon: loader thread, transformed sources, source maps)`)
  say(`  daemon's V8 heap: ${heapUsed.toFixed(0)} MB used of ${heapTotal.toFixed(0)} MB; external (ArrayBuffers and other off-heap JS objects): ${external.toFixed(0)} MB`)
  say(`  verdict: ${rss <= TARGET_MB ? 'meets' : 'MISSES'} ≤ ${TARGET_MB} MB (under tsx: ${final(tsxNode).toFixed(0)} MB)`)
  result({
    rss_mb: Math.round(rss),
    rss_mb_tsx: Math.round(final(tsxNode)),
    ratio_to_tsx: Number((rss / final(tsxNode)).toFixed(2)),
    empty_tsx_mb: Math.round(final(tsxEmpty)),
    empty_node_mb: Math.round(final(nodeEmpty)),
    heap_used_mb: Math.round(heapUsed),
    runtime
  })
})
