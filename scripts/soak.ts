/**
 * The soak run: the fault tier at soak size (SOAK=1: 1,000,000 inputs per
 * fuzz target, 100 kill -9 trials, every partition shape 3 times), then its
 * figures as a table and one parseable line:
 *
 *   SOAK-SUMMARY {"inputsFuzzed":…,"crashTrials":…,"lostAcknowledgedEntries":0,…}
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
const num = (v: unknown): number => typeof v === 'number' ? v : 0
const sumWhere = (pred: (section: string, key: string) => boolean): number => {
  let n = 0
  for (const [section, values] of Object.entries(f)) for (const [k, v] of Object.entries(values)) if (pred(section, k)) n += num(v)
  return n
}
const converge: Record<string, number[]> = {}
for (const [k, v] of Object.entries(f.partition ?? {})) if (k.endsWith('.msToConverge') && Array.isArray(v)) converge[k.split('.')[0]] = v as number[]

const line = {
  soak: summary.soak,
  scale: summary.scale,
  inputsFuzzed: sumWhere((s, k) => s.startsWith('fuzz.') && k.endsWith('.inputs')),
  inputsByTarget: Object.fromEntries(Object.entries(f).filter(([s]) => s.startsWith('fuzz.')).flatMap(([s, v]) => Object.entries(v).filter(([k]) => k.endsWith('.inputs')).map(([k, n]) => [`${s.slice(5)}.${k.slice(0, -7)}`, n]))),
  crashTrials: num(f.crash?.trials),
  acknowledgedEntries: num(f.crash?.acknowledgedEntries),
  lostAcknowledgedEntries: num(f.crash?.lostAcknowledgedEntries),
  tornSegments: num(f.crash?.tornSegments),
  corruptionFlips: num(f.corruption?.['wal.flips']) + num(f.corruption?.['ldb.flips']),
  corruptionRepaired: num(f.corruption?.['wal.repaired']) + num(f.corruption?.['ldb.repaired']),
  partitionsHealed: num(f.partition?.partitionsHealed),
  msToConverge: converge,
  convergeBoundMs: num(f.partition?.boundMs),
  lostEntries: num(f.partition?.lostEntries),
  secretLeaks: num(f.secrets?.leaks),
  graylistMs: num(f['hostile.gossip']?.msToGraylist),
  wallClockS: Math.round((Date.now() - started) / 1000),
  mochaExit: code
}

const rows: Array<[string, string]> = [
  ['inputs fuzzed', `${line.inputsFuzzed.toLocaleString('en')} (${Object.entries(line.inputsByTarget).map(([k, v]) => `${k} ${Number(v).toLocaleString('en')}`).join(', ')})`],
  ['kill -9 trials', `${line.crashTrials}: ${line.acknowledgedEntries.toLocaleString('en')} acknowledged entries, ${line.lostAcknowledgedEntries} lost, ${line.tornSegments} torn segments`],
  ['flipped bytes', `${line.corruptionFlips} (WAL and .ldb), ${line.corruptionRepaired} repaired from a peer`],
  ['partitions healed', `${line.partitionsHealed}, ms to converge ${Object.entries(converge).map(([k, v]) => `${k} [${v.join(', ')}]`).join('; ')} (bound ${line.convergeBoundMs} ms), ${line.lostEntries} entries lost`],
  ['secret leaks', String(line.secretLeaks)],
  ['wall clock', `${line.wallClockS} s, mocha exit ${code}`]
]
process.stdout.write('\n' + rows.map(([k, v]) => `${k.padEnd(18)} ${v}`).join('\n') + '\n')
process.stdout.write(`SOAK-SUMMARY ${JSON.stringify(line)}\n`)
process.stdout.write(`figures: ${summaryFile}\n`)
process.exit(code)
