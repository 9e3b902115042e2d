/**
 * Named errors of the CLI. Each sets `name` and a stable `reason`; the exit
 * code a failure maps to is decided in one place, `exitCodeOf` (output.ts).
 */
import { NodeError } from '../errors.js'

/** The command line or an input file is wrong: exit code 2. */
export class CliUsageError extends NodeError {
  constructor (message: string, reason = 'usage') {
    super(reason, message)
    this.name = 'CliUsageError'
  }
}

/** A duration such as 90d, 12h or 30m could not be parsed. */
export class InvalidDurationError extends NodeError {
  constructor (text: string) {
    super('invalid_duration', `${JSON.stringify(text.slice(0, 40))} is not a duration; write a whole number and a unit s, m, h, d or w (e.g. 90d, 12h, 30m, 1d12h)`)
    this.name = 'InvalidDurationError'
  }
}

export interface RowProblem {
  /** Line of the file, 1-based (a CSV header is line 1). */
  line: number
  /** What is wrong; never contains the row's identifier value. */
  message: string
}

/** An identifiers file has invalid rows (listed by line) or is not readable as CSV/JSONL. Nothing was sent. */
export class IdentifiersFileError extends NodeError {
  readonly file: string
  readonly rows: RowProblem[]
  readonly total: number
  constructor (file: string, why: string, rows: RowProblem[] = [], total = rows.length) {
    super('invalid_identifiers_file', `${file}: ${why}`)
    this.name = 'IdentifiersFileError'
    this.file = file
    this.rows = rows
    this.total = total
  }
}

/**
 * `alliance report verify` without `--genesis` or `--node`: the bundle is
 * internally consistent, but its roster chain could be anyone's (a forger
 * can make a whole alliance of their own). Exit 4 unless `--unpinned`.
 */
export class UnpinnedBundleError extends NodeError {
  readonly genesisId: string | undefined
  constructor (genesisId: string | undefined) {
    super('unpinned_bundle', `the bundle is internally consistent, but its roster chain (genesis ${genesisId ?? 'unknown'}) was not checked against your alliance's: pass --genesis <roster id> or --node <dir>, or --unpinned to accept internal consistency only`)
    this.name = 'UnpinnedBundleError'
    this.genesisId = genesisId
  }
}

/** The command started but did not do what was asked (e.g. every identifier rejected). */
export class CommandFailedError extends NodeError {
  constructor (reason: string, message: string) {
    super(reason, message)
    this.name = 'CommandFailedError'
  }
}

/** `alliance start` found the daemon module missing or a daemon already running. */
export class DaemonStartError extends NodeError {
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(reason, message, options)
    this.name = 'DaemonStartError'
  }
}

/** `alliance stop` or `alliance api rotate-token` could not act on the running daemon. */
export class DaemonStopError extends NodeError {
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(reason, message, options)
    this.name = 'DaemonStopError'
  }
}

/** A file the command reads does not exist or is not a file. Nothing was done. */
export class InputFileError extends NodeError {
  readonly file: string
  constructor (file: string, why: string) {
    super('input_file', `${file}: ${why}`)
    this.name = 'InputFileError'
    this.file = file
  }
}
