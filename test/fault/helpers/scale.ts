/**
 * How big each fault test runs, and the figures it reports.
 *
 * `npm test` runs the CI size (≥ 10,000 inputs per fuzz target, 10 crash
 * trials, one partition shape). `SOAK=1` scales every test up (1,000,000
 * inputs per target, 100 trials, every partition shape with repetitions);
 * `FUZZ_RUNS`, `TRIALS` and `PARTITION_REPS` override single dimensions.
 *
 * Every test records what it did with `record()`: counted figures only, and
 * a figure a test did not reach is absent (never a default). After the whole
 * run the summary is written as JSON to `$FAULT_SUMMARY_FILE` (scripts/soak.ts
 * sets it) or to a file in the temp folder, and one short line
 * `FAULT-SUMMARY <file>` says where (npm test output stays one line per test).
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const SOAK = process.env.SOAK === '1' || process.env.SOAK === 'true'

function envInt (name: string, normal: number, soak: number): number {
  const raw = process.env[name]
  if (raw !== undefined && raw !== '') {
    const n = Number(raw)
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${raw}`)
    return n
  }
  return SOAK ? soak : normal
}

/** Inputs per fuzz target. */
export const FUZZ_RUNS = envInt('FUZZ_RUNS', 10_000, 1_000_000)
/** kill -9 trials. */
export const TRIALS = envInt('TRIALS', 10, 100)
/** Repetitions of each partition shape (soak only runs every shape). */
export const PARTITION_REPS = envInt('PARTITION_REPS', 1, 3)

/** A mocha timeout that grows with the amount of work, `perUnitMs` per unit on top of `baseMs`. */
export function budget (baseMs: number, units: number, perUnitMs: number): number {
  return Math.ceil(baseMs + units * perUnitMs)
}

export type Figure = number | string | boolean | number[] | string[] | Record<string, unknown>

/**
 * Kept on globalThis: mocha may evaluate this module twice (once through
 * require, once as ESM), and both copies must add to one summary.
 */
interface Shared { figures: Record<string, Record<string, Figure>>, durations: Record<string, number>, registered: boolean }
const KEY = Symbol.for('alliance-node.fault-summary')
const shared: Shared = ((globalThis as Record<symbol, unknown>)[KEY] ??= { figures: {}, durations: {}, registered: false }) as Shared
const { figures, durations } = shared

/** Adds figures under `section` (e.g. 'fuzz.gossip'); numbers under the same name add up. */
export function record (section: string, values: Record<string, Figure>): void {
  const s = (figures[section] ??= {})
  for (const [k, v] of Object.entries(values)) {
    const old = s[k]
    s[k] = typeof v === 'number' && typeof old === 'number' ? old + v : v
  }
}

/** Wall time of a test, by title (the summary lists them so CI cost stays visible). */
export function recordDuration (title: string, ms: number): void {
  durations[title] = Math.round(ms)
}

export function summary (): Record<string, unknown> {
  return {
    soak: SOAK,
    scale: { fuzzRuns: FUZZ_RUNS, trials: TRIALS, partitionReps: PARTITION_REPS },
    figures,
    durationsMs: durations,
    at: new Date().toISOString()
  }
}

/** Registers (once) a root-level hook that prints the summary after every fault test ran. */
export function reportAtEnd (): void {
  if (shared.registered) return
  shared.registered = true
  afterEach(function () {
    const t = this.currentTest
    if (t?.duration !== undefined) recordDuration(t.fullTitle(), t.duration)
  })
  after(function () {
    const env = process.env.FAULT_SUMMARY_FILE
    const file = env !== undefined && env !== '' ? env : join(tmpdir(), `alliance-fault-summary-${process.pid}.json`)
    writeFileSync(file, JSON.stringify(summary(), null, 2) + '\n')
    process.stdout.write(`\nFAULT-SUMMARY ${file} (${Object.keys(figures).length} sections of figures)\n`)
  })
}

reportAtEnd()
