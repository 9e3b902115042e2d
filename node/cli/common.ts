/** Helpers shared by the command groups. */
import { InvalidArgumentError, type Command } from 'commander'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { ApiClient } from '../api/client.js'
import { API_FILE, CONFIG_FILE, NodeDirError } from '../home.js'
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
    client: async (dir) => {
      // a folder that is neither a node directory nor holds a copy of a node's api.json (pipeline workers): say so, not "no daemon"
      if (!existsSync(join(dir, API_FILE)) && !existsSync(join(dir, CONFIG_FILE))) throw new NodeDirError(`${dir} is not a node directory (no config.json, no api.json); create one with: alliance init ${dir} --org <id> --role <role>`)
      return await ApiClient.fromDir(dir)
    }
  }
}

/** Adds the options every command takes. */
export function leaf (cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output (JSON)')
    .option('--debug', 'print stack traces on failure')
}

/** Who runs this command, as a report's chain of custody records it: `--as <name>`, else the OS user. */
export function operatorOf (as: string | undefined): string {
  if (as !== undefined) return as
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown'
  }
}

/** The `--as` option of commands that open or export reports. */
export const AS_OPTION: [string, string] = ['--as <name>', 'who is opening or exporting the report, as the chain of custody records it (default: your OS user name)']

/** Commander reducer for repeatable options. */
export function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Commander parser for an integer option within [min, max]. */
/**
 * `--reason`: a name of the roster's reason vocabulary ("counterfeit") or a
 * code (3). Only the form is checked here; the node knows the vocabulary and
 * refuses an unknown one with UnknownReasonError, naming the valid reasons.
 */
export function reasonArg (flag: string): (value: string) => number | string {
  return (value: string) => {
    const v = value.trim()
    if (/^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff) return Number(v)
    if (/^[A-Za-z][A-Za-z0-9-]{0,47}$/.test(v)) return v.toLowerCase()
    throw new InvalidArgumentError(`${flag} must be a reason name such as counterfeit (alliance roster reasons <dir> lists them) or its code`)
  }
}

export function intInRange (flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`)
    return n
  }
}
