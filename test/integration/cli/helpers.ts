/** Commands as a user types them: child processes, no TTY, output captured. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const BIN = fileURLToPath(new URL('../../../bin/alliance.js', import.meta.url))

export interface Run { code: number, stdout: string, stderr: string }

/** Runs `file args` to its end (never rejects): exit code and output. */
export async function run (file: string, args: string[], opts: { cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20, env: { NO_COLOR: '1', ...(opts.env ?? process.env) } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

/** `alliance <args>` from the checkout's launcher. */
export async function alliance (args: string[], opts: { cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<Run> {
  return await run(process.execPath, [BIN, ...args], opts)
}
