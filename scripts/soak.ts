/**
 * The soak run: the fault tier at soak size (SOAK=1: 1,000,000 inputs per
 * fuzz target, 100 kill -9 trials, every partition shape 3 times), then its
 * figures as a table and one parseable line:
 *
 *   SOAK-SUMMARY {"inputsFuzzed":…,"crashTrials":…,"lostAcknowledgedEntries":0,…}
 *
 * A figure no test recorded (the test did not run, or failed before it
 * counted) is printed as "missing" and is null in SOAK-SUMMARY: never as 0,
 * which would read as "nothing lost".
 *
 * Usage: npm run test:soak            (the full soak)
 *        FUZZ_RUNS=100000 TRIALS=20 PARTITION_REPS=1 npm run test:soak   (a reduced one)
 *        npm run test:soak -- test/fault/crash.test.ts                   (one file)
 *
 * Exits with mocha's exit code. The raw figures are in the JSON file named
 * on the last line (and RELIABILITY.md quotes them).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const summaryFile = join(mkdtempSync(join(tmpdir(), 'alliance-soak-')), 'fault-summary.json')
const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test/fault/**/*.test.ts']
const started = Date.now()

const code = await new Promise<number>(resolve => {
  const child = spawn(process.execPath, [join(root, 'node_modules/mocha/bin/mocha.js'), ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SOAK: process.env.SOAK ?? '1', FAULT_SUMMARY_FILE: summaryFile }
  })
  child.once('exit', (c, signal) => resolve(c ?? (signal !== null ? 1 : 0)))
})

type Figures = Record<string, Record<string, unknown>>
let summary: { soak: boolean, scale: Record<string, number>, figures: Figures, durationsMs: Record<string, number> }
try {
  summary = JSON.parse(readFileSync(summaryFile, 'utf8'))
} catch {
  process.stderr.write(`soak: no summary was written (mocha exited ${code} before the end)\n`)
  process.exit(code === 0 ? 1 : code)
}

const f = summary.figures
/** A recorded number, or undefined when no test recorded it. */
const num = (v: unknown): number | undefined => typeof v === 'number' ? v : undefined
/** The sum of the recorded ones among `values`; undefined when none was recorded. */
const sum = (...values: Array<number | undefined>): number | undefined => values.some(v => v !== undefined) ? values.reduce<number>((n, v) => n + (v ?? 0), 0) : undefined
const sumWhere = (pred: (section: string, key: string) => boolean): number | undefined => {
  const found: number[] = []
  for (const [section, values] of Object.entries(f)) for (const [k, v] of Object.entries(values)) if (pred(section, k) && typeof v === 'number') found.push(v)
  return found.length === 0 ? undefined : found.reduce((a, b) => a + b, 0)
}
const converge: Record<string, number[]> = {}
for (const [k, v] of Object.entries(f.partition ?? {})) if (k.endsWith('.msToConverge') && Array.isArray(v)) converge[k.split('.')[0]] = v as number[]
const ring = f.partition?.['ring.msToConvergeThroughNeighbours'] as number[] | undefined

const line = {
  soak: summary.soak,
  scale: summary.scale,
  inputsFuzzed: sumWhere((s, k) => s.startsWith('fuzz.') && (k.endsWith('.inputs') || k === 'inputs')),
  inputsByTarget: Object.fromEntries(Object.entries(f).filter(([s]) => s.startsWith('fuzz.')).flatMap(([s, v]) => Object.entries(v).filter(([k]) => k.endsWith('.inputs') || k === 'inputs').map(([k, n]) => [k === 'inputs' ? s.slice(5) : `${s.slice(5)}.${k.slice(0, -7)}`, n]))),
  crashTrials: num(f.crash?.trials),
  acknowledgedEntries: num(f.crash?.acknowledgedEntries),
  lostAcknowledgedEntries: num(f.crash?.lostAcknowledgedEntries),
  tornSegments: num(f.crash?.tornSegments),
  corruptionFlips: sum(num(f.corruption?.['wal.flips']), num(f.corruption?.['ldb.flips'])),
  corruptionDetected: sum(num(f.corruption?.['wal.detected']), num(f.corruption?.['ldb.detected'])),
  corruptionRepaired: sum(num(f.corruption?.['wal.repaired']), num(f.corruption?.['ldb.repaired'])),
  corruptionLostEntries: sum(num(f.corruption?.['wal.lostEntriesAfterRepair']), num(f.corruption?.['ldb.lostEntriesAfterRepair'])),
  corruptionBadSignatures: sum(num(f.corruption?.['wal.badSignaturesAfterRepair']), num(f.corruption?.['ldb.badSignaturesAfterRepair'])),
  partitionsHealed: num(f.partition?.partitionsHealed),
  msToConverge: Object.keys(converge).length > 0 ? converge : undefined,
  ringMsThroughNeighbours: ring,
  convergeBoundMs: num(f.partition?.boundMs),
  convergeToleranceMs: num(f.partition?.toleranceMs),
  healsOverBound: num(f.partition?.healsOverBound),
  lostEntries: num(f.partition?.lostEntries),
  secretLeaks: num(f.secrets?.leaks),
  graylistMs: num(f['hostile.gossip']?.msToGraylist),
  floodSent: num(f['hostile.gossip']?.floodSent),
  wallClockS: Math.round((Date.now() - started) / 1000),
  mochaExit: code
}

const MISSING = 'missing'
const n = (v: number | undefined): string => v === undefined ? MISSING : v.toLocaleString('en')
const list = (v: number[] | undefined): string => v === undefined ? MISSING : `[${v.join(', ')}]`
const rows: Array<[string, string]> = [
  ['inputs fuzzed', `${n(line.inputsFuzzed)} (${Object.entries(line.inputsByTarget).map(([k, v]) => `${k} ${n(num(v))}`).join(', ')})`],
  ['kill -9 trials', `${n(line.crashTrials)}: ${n(line.acknowledgedEntries)} acknowledged entries, ${n(line.lostAcknowledgedEntries)} lost, ${n(line.tornSegments)} torn segments`],
  ['flipped bytes', `${n(line.corruptionFlips)} (WAL, .ldb, records): ${n(line.corruptionDetected)} detected, ${n(line.corruptionRepaired)} repaired from a peer, ${n(line.corruptionLostEntries)} entries lost, ${n(line.corruptionBadSignatures)} signatures left bad`],
  ['partitions healed', `${n(line.partitionsHealed)}, ms to converge ${line.msToConverge === undefined ? MISSING : Object.entries(line.msToConverge).map(([k, v]) => `${k} ${list(v)}`).join('; ')} (bound ${n(line.convergeBoundMs)} ms + ${n(line.convergeToleranceMs)} ms, ${n(line.healsOverBound)} over the bound), ${n(line.lostEntries)} entries lost`],
  ['ring', `converged through neighbours in ms ${list(line.ringMsThroughNeighbours)}`],
  ['gossip flood', `${n(line.floodSent)} invalid messages delivered, graylisted in ${n(line.graylistMs)} ms`],
  ['secret leaks', n(line.secretLeaks)],
  ['wall clock', `${line.wallClockS} s, mocha exit ${code}`]
]
process.stdout.write('\n' + rows.map(([k, v]) => `${k.padEnd(18)} ${v}`).join('\n') + '\n')
// undefined figures become null in the JSON line (JSON.stringify would drop them)
process.stdout.write(`SOAK-SUMMARY ${JSON.stringify(line, (_k, v: unknown) => v === undefined ? null : v)}\n`)
process.stdout.write(`figures: ${summaryFile}\n`)
process.exit(code)
