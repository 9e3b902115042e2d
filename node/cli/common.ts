/** Helpers shared by the command groups. */
import { InvalidArgumentError, type Command } from 'commander'
import { ApiClient } from '../api/client.js'
import { CliUsageError } from './errors.js'
import type { CliIO } from './output.js'

/** What a command group needs from the CLI around it. */
export interface Context {
  io: CliIO
  /** Throws CliUsageError (exit code 2). */
  usage: (message: string) => never
  /** An API client for the daemon of `dir` (DaemonNotRunningError if there is none). */
  client: (dir: string) => Promise<ApiClient>
}

export function createContext (io: CliIO): Context {
  return {
    io,
    usage: (message) => { throw new CliUsageError(message) },
    client: async (dir) => await ApiClient.fromDir(dir)
  }
}

/** Adds the options every command takes. */
export function leaf (cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output (JSON)')
    .option('--debug', 'print stack traces on failure')
}

/** Commander reducer for repeatable options. */
export function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Commander parser for an integer option within [min, max]. */
export function intInRange (flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`)
    return n
  }
}
