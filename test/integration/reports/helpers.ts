/** Helpers of the report integration tests: the CLI in-process, report inputs, evidence files, bundle layout. */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../../node/cli/index.js'

export const EXAMPLE = fileURLToPath(new URL('../../../examples/report.json', import.meta.url))

export interface CliRun { code: number, stdout: string, stderr: string }

function sink (): { stream: Writable, text: () => string } {
  const parts: Buffer[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, cb) { parts.push(Buffer.from(chunk)); cb() } })
  return { stream, text: () => Buffer.concat(parts).toString('utf8') }
}

/** `alliance …` in this process (same code path as bin/alliance.js, without the 2–4 s start-up of a process). */
export async function cli (...args: string[]): Promise<CliRun> {
  const out = sink()
  const err = sink()
  const code = await runCli(args, { stdout: out.stream, stderr: err.stream, stderrIsTTY: false })
  return { code, stdout: out.text(), stderr: err.text() }
}

/** The example report (examples/report.json) with other evidence files and recipients. */
export function reportInput (evidence: string[], recipients?: string[]): Record<string, unknown> {
  const base = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>
  return { ...base, ...(recipients !== undefined ? { recipients } : {}), evidence: evidence.map(path => ({ path, mediaType: 'application/octet-stream' })) }
}

export function randomFile (path: string, size: number): Buffer {
  const b = randomBytes(size)
  writeFileSync(path, b)
  return b
}

export const BUNDLE_RECORD_NAMES: Record<number, string> = { 0x11: 'roster', 0x12: 'report', 0x14: 'evidence', 0x17: 'receipt', 0x18: 'export' }

/** The records of a bundle (protocol/report/FORMAT.md): type name, where the payload starts, its length. */
export function bundleRecords (b: Uint8Array): Array<{ type: string, offset: number, length: number }> {
  const out: Array<{ type: string, offset: number, length: number }> = []
  let o = 28
  while (o < b.length) {
    const v = new DataView(b.buffer, b.byteOffset + o + 1, 8)
    const length = v.getUint32(0) * 0x100000000 + v.getUint32(4)
    out.push({ type: BUNDLE_RECORD_NAMES[b[o]] ?? `0x${b[o].toString(16)}`, offset: o + 9, length })
    o += 9 + length
  }
  return out
}
