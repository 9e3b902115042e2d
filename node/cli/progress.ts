/** Progress bars on long work (reading a big file, a scan), drawn only when stderr is a terminal. */
import cliProgress from 'cli-progress'
import type { CliIO } from './output.js'

export interface ProgressBar {
  /** Bytes done of `total`, with the rows read so far. */
  update: (bytes: number, total: number, rows: number) => void
  stop: () => void
}

/** A bar labelled `label` on stderr; does nothing at all when stderr is not a terminal (pipes, logs, CI). */
export function progressBar (io: CliIO, label: string): ProgressBar {
  if (!io.stderrIsTTY) return { update: () => {}, stop: () => {} }
  const bar = new cliProgress.SingleBar({
    stream: io.stderr as unknown as NodeJS.WriteStream,
    format: `${label} {bar} {percentage}% | {rows} rows`,
    hideCursor: true,
    clearOnComplete: true
  }, cliProgress.Presets.shades_classic)
  let started = false
  return {
    update: (bytes, total, rows) => {
      if (!started) {
        bar.start(Math.max(total, 1), 0, { rows: 0 })
        started = true
      }
      bar.update(Math.min(bytes, Math.max(total, 1)), { rows })
    },
    stop: () => { if (started) bar.stop() }
  }
}
