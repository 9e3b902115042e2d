/**
 * idle: RSS of one idle node process of a 3-node alliance (the other two
 * offline, so it keeps redialling them), after it settled for 20 s. Target
 * ≤ 150 MB.
 *
 * The daemon runs TypeScript through tsx (bin/alliance.js registers it), which
 * costs memory of its own: a loader thread with esbuild, transformed sources
 * and source maps. Side by side in the same run, to say how much:
 *   - an empty `node -e` process and an empty `node --import tsx -e` process;
 *   - the same daemon transpiled ahead of time to plain JS (esbuild, which tsx
 *     ships with) and run without tsx, for a node of a second, identical
 *     3-node alliance. Skipped if esbuild cannot be found.
 * The RESULT's `rss_mb` is the daemon as users run it (under tsx).
 *
 *   npm run bench -- idle            IDLE_SETTLE_S=20 by default
 */
import '../node/polyfill.js'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFile } from 'node:fs/promises'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'
import { spawnNode } from '../test/helpers/processes.js'
import { apiCall, metricValue, procMemory, runBench, say, sleep, track, trackDir } from './_procs.js'
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

function tsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(e => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map(e => join(e.parentPath, e.name))
}

/** protocol/ and node/ transpiled to plain ESM in a temp folder, with the CLI's entry point; undefined when esbuild is missing or fails. */
function transpileDaemon (): { entry: string, ms: number } | undefined {
  const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild')
  if (!existsSync(esbuild)) return undefined
  const out = trackDir(mkdtempSync(join(tmpdir(), 'alliance-bench-idle-js-')))
  const files = [...tsFiles(join(ROOT, 'protocol')), ...tsFiles(join(ROOT, 'node'))].map(f => relative(ROOT, f))
  const t = performance.now()
  const r = spawnSync(esbuild, [...files, `--outdir=${out}`, `--outbase=${ROOT}`, '--format=esm', '--platform=node', '--target=node20', '--log-level=error'], { cwd: ROOT, encoding: 'utf8' })
  if (r.status !== 0) {
    say(`  (transpiling with esbuild failed, compiled variant skipped: ${r.stderr.slice(0, 300)})`)
    return undefined
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n')
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir')
  mkdirSync(join(out, 'bin'))
  // bin/alliance.js without tsx
  writeFileSync(join(out, 'bin', 'alliance.js'), [
    "await import('../node/polyfill.js')",
    "const { runCli } = await import('../node/cli/index.js')",
    'process.exit(await runCli(process.argv.slice(2)))',
    ''
  ].join('\n'))
  return { entry: join(out, 'bin', 'alliance.js'), ms: performance.now() - t }
}

/** `alliance start <dir>` from the transpiled tree; resolves once it says it is running. */
async function spawnCompiled (entry: string, dir: string): Promise<{ child: ChildProcess, url: string, token: string }> {
  const child = track(spawn(process.execPath, [entry, 'start', dir, '--log-level', 'warn', '--anti-entropy', '30'], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let err = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /running; API (\S+)/.exec(err)
      if (m !== null) resolve(m[1])
    })
    child.once('exit', code => reject(new Error(`compiled node exited with ${String(code)} before it was ready: ${err.slice(-2000)}`)))
  })
  const { token } = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { token: string }
  return { child, url, token }
}

interface Watched { label: string, pid: number, samples: number[] }

await runBench(async () => {
  say(`idle: one node of a 3-node alliance (the other two offline), RSS after ${SETTLE_S} s idle; load average ${loadavg()[0].toFixed(1)} (2 cores)`)
  const net = await makeNodeDirs(THREE, { quorum: 2, alliance: 'bench-idle' })
  trackDir(net.root)
  const js = transpileDaemon()
  const jsNet = js !== undefined ? await makeNodeDirs(THREE, { quorum: 2, alliance: 'bench-idle-js' }) : undefined
  if (jsNet !== undefined) trackDir(jsNet.root)
  if (js !== undefined) say(`  transpiled protocol/ and node/ to plain JS with esbuild in ${js.ms.toFixed(0)} ms`)

  const bare = track(spawn(process.execPath, ['-e', IDLE_SCRIPT], { stdio: 'ignore' }))
  const tsxBare = track(spawn(process.execPath, ['--import', 'tsx', '-e', IDLE_SCRIPT], { stdio: 'ignore', cwd: ROOT }))
  const t = performance.now()
  const [daemonStart, compiledStart] = await Promise.allSettled([
    spawnNode(net.dirs['brand-a'], { antiEntropySeconds: 30 }).then(p => { track(p.child); return p }),
    js !== undefined && jsNet !== undefined ? spawnCompiled(js.entry, jsNet.dirs['brand-a']) : Promise.resolve(undefined)
  ])
  if (daemonStart.status === 'rejected') throw daemonStart.reason
  if (compiledStart.status === 'rejected') throw compiledStart.reason
  const daemon = daemonStart.value
  const compiled = compiledStart.value
  say(`  started in ${((performance.now() - t) / 1000).toFixed(1)} s; settling ${SETTLE_S} s`)

  const watched: Watched[] = [
    { label: 'node daemon under tsx (as `alliance start` runs)', pid: daemon.child.pid as number, samples: [] },
    ...(compiled !== undefined ? [{ label: 'same daemon transpiled to JS, no tsx', pid: compiled.child.pid as number, samples: [] }] : []),
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
  const [node, jsNode] = [watched[0], compiled !== undefined ? watched[1] : undefined]
  const tsxEmpty = watched[watched.length - 2]
  const nodeEmpty = watched[watched.length - 1]
  const rss = final(node)
  say('\nwhere it goes:')
  say(`  tsx in an empty process: ${(final(tsxEmpty) - final(nodeEmpty)).toFixed(0)} MB (empty tsx minus empty node)`)
  if (jsNode !== undefined) say(`  tsx in the daemon:       ${(rss - final(jsNode)).toFixed(0)} MB (daemon under tsx minus transpiled daemon: loader thread, transformed sources, source maps)`)
  say(`  daemon's V8 heap: ${heapUsed.toFixed(0)} MB used of ${heapTotal.toFixed(0)} MB; external (ArrayBuffers and other off-heap JS objects): ${external.toFixed(0)} MB`)
  say(`  verdict: under tsx ${rss <= TARGET_MB ? 'meets' : 'MISSES'} ≤ ${TARGET_MB} MB${jsNode !== undefined ? `; transpiled ${final(jsNode) <= TARGET_MB ? 'meets' : 'misses'} it` : ''}`)
  result({
    rss_mb: Math.round(rss),
    ...(jsNode !== undefined ? { rss_mb_without_tsx: Math.round(final(jsNode)) } : {}),
    empty_tsx_mb: Math.round(final(tsxEmpty)),
    empty_node_mb: Math.round(final(nodeEmpty)),
    heap_used_mb: Math.round(heapUsed)
  })
})
