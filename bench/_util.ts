/** Shared helpers for benchmarks: timing, alternating rounds, RESULT line. */
export function timeIt (fn: () => void): number {
  const t = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t) / 1e9
}

/**
 * Runs the variants alternately for `rounds` rounds (A B A B …) so that the
 * machine's noise falls on both, and returns each variant's best rate.
 */
export function alternate (variants: Record<string, () => number>, rounds = 5): Record<string, number> {
  const best: Record<string, number> = {}
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const rate = run()
      best[name] = Math.max(best[name] ?? 0, rate)
    }
  }
  return best
}

export function rssMb (): number {
  return Math.round(process.memoryUsage().rss / 1048576)
}

/** The last line of a benchmark. null: a figure that does not exist (an infinite latency, a ratio of one). */
export function result (fields: Record<string, number | string | null>): void {
  process.stdout.write(`RESULT ${JSON.stringify(fields)}\n`)
}

export function fmt (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}
