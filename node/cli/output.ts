/**
 * What the CLI prints and how it exits. Results go to stdout (human text by
 * default, JSON with --json); failures are ONE line on stderr and an exit
 * code that means something:
 *
 * | code | meaning |
 * | ---- | ------- |
 * | 0 | done |
 * | 1 | failed (the node refused, I/O, anything unexpected) |
 * | 2 | usage or invalid input (bad option, bad file row, invalid identifier) |
 * | 3 | no daemon is running for the node directory |
 * | 4 | verification failed (roster signatures, epoch key commitment) |
 *
 * Stack traces only with --debug. Keys and tokens are never printed.
 */
import type { Writable } from 'node:stream'

export const EXIT = { ok: 0, failure: 1, usage: 2, noDaemon: 3, verification: 4 } as const

export interface CliIO {
  stdout: Writable
  stderr: Writable
  /** Progress bars and spinners only when stderr is a terminal. */
  stderrIsTTY: boolean
}

export function processIO (): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stderrIsTTY: process.stderr.isTTY === true }
}

/** Options every command takes. */
export interface CommonOptions {
  json?: boolean
  debug?: boolean
}

/** Error names that are the user's input being wrong. */
const USAGE_NAMES = new Set(['CliUsageError', 'InvalidDurationError', 'IdentifiersFileError', 'NodeDirError', 'InvalidConfigError', 'InvalidIdentifierError', 'RosterFileError', 'CardAddressError', 'InputFileError'])
/** Reasons that mean a signature, a roster or a sealed key did not verify. */
const VERIFICATION_REASONS = new Set([
  'insufficient_signatures', 'bad_roster_signature', 'invalid_roster', 'roster_chain', 'commitment_mismatch',
  'seal_open_failed', 'not_a_recipient', 'bad_signature', 'malformed', 'non_canonical', 'invalid_field', 'oversize', 'too_many',
  'bundle_verification_failed', 'unpinned_bundle'
])

export function exitCodeOf (err: unknown): number {
  if (!(err instanceof Error)) return EXIT.failure
  const reason = (err as { reason?: unknown }).reason
  if (err.name === 'DaemonNotRunningError') return EXIT.noDaemon
  if (err.name === 'ApiRequestError') {
    const status = (err as { status?: unknown }).status
    return status === 400 || status === 413 ? EXIT.usage : EXIT.failure
  }
  if (typeof reason === 'string' && VERIFICATION_REASONS.has(reason)) return EXIT.verification
  if (USAGE_NAMES.has(err.name)) return EXIT.usage
  return EXIT.failure
}

/** The one line a failure prints (no trailing newline). */
export function errorLine (err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return `alliance: ${msg.replace(/\s*[\r\n]+\s*/g, ' ').trim()}`
}

/** With --debug: the stack and the cause chain, for bug reports. */
export function debugText (err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let i = 0; i < 5 && e !== undefined && e !== null; i++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e))
    e = e instanceof Error ? e.cause : undefined
  }
  return parts.join('\ncaused by: ') + '\n'
}

/** Writes and waits for drain when the stream is full (large exports through a pipe). */
export async function write (stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        stream.off('drain', done)
        stream.off('error', done)
        stream.off('close', done)
        if (err !== undefined) reject(err)
        else resolve()
      }
      stream.once('drain', done)
      stream.once('error', done)
      stream.once('close', done)
    })
  }
}

/** Prints `human` (a line or lines) or `value` as one JSON document, by --json. */
export async function result (io: CliIO, opts: CommonOptions, human: string | (() => string), value: unknown): Promise<void> {
  if (opts.json === true) await write(io.stdout, JSON.stringify(value) + '\n')
  else await write(io.stdout, (typeof human === 'function' ? human() : human).replace(/\n?$/, '\n'))
}

/** Aligned "label  value" lines. */
export function table (rows: Array<[string, string]>, indent = '  '): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`).join('\n')
}

export function plural (n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}
