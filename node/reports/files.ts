/**
 * Where the report service keeps its files, and the two ways it writes them:
 * streamed (never a whole evidence file in memory), private (files 0600,
 * directories 0700), and complete or absent (a temporary name, renamed or
 * linked into place only once the stream ended without an error).
 *
 * ```
 * <node dir>/reports/            0700
 *   db/                          LevelDB: outbox, inbox, receipts, custody
 *   outbox/<id>.envelope         an envelope as queued, resent byte for byte; removed once every delivery is final
 *   inbox/<id>/evidence-<i>      evidence files received, checked against the signed report
 *   tmp/                         partial files; emptied at start
 * ```
 */
import { createWriteStream } from 'node:fs'
import { chmod, link, mkdir, readdir, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createHash, randomBytes } from 'node:crypto'

export const REPORTS_DIR = 'reports'
export const FILE_MODE = 0o600
export const DIR_MODE = 0o700

export interface ReportPaths {
  root: string
  db: string
  outbox: string
  inbox: string
  tmp: string
}

export function reportPaths (nodeDir: string): ReportPaths {
  const root = join(nodeDir, REPORTS_DIR)
  return { root, db: join(root, 'db'), outbox: join(root, 'outbox'), inbox: join(root, 'inbox'), tmp: join(root, 'tmp') }
}

/** Creates a private directory (and its parents), and makes sure it is 0700 even if it existed. */
export async function privateDir (path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE })
  await chmod(path, DIR_MODE)
}

/** Creates the layout and empties tmp/ (what a crash left half-written). */
export async function prepareLayout (p: ReportPaths): Promise<number> {
  for (const d of [p.root, p.db, p.outbox, p.inbox, p.tmp]) await privateDir(d)
  const left = await readdir(p.tmp)
  await Promise.all(left.map(async f => { await rm(join(p.tmp, f), { recursive: true, force: true }) }))
  return left.length
}

export function tmpName (p: ReportPaths, hint: string): string {
  return join(p.tmp, `${hint}.${randomBytes(6).toString('hex')}.part`)
}

/**
 * Streams `source` into a new file at `path` (mode 0600; fails if it exists),
 * with backpressure. Resolves with the byte count and SHA-256; on any error
 * the partial file is removed and the error rethrown.
 */
export async function writeStreamToFile (path: string, source: AsyncIterable<Uint8Array>): Promise<{ bytes: number, sha256: string }> {
  let bytes = 0
  const hash = createHash('sha256')
  async function * counted (): AsyncGenerator<Uint8Array> {
    for await (const piece of source) {
      bytes += piece.length
      hash.update(piece)
      yield piece
    }
  }
  try {
    await pipeline(Readable.from(counted(), { objectMode: false, highWaterMark: 256 * 1024 }), createWriteStream(path, { mode: FILE_MODE, flags: 'wx' }))
  } catch (err) {
    await rm(path, { force: true })
    throw err
  }
  return { bytes, sha256: hash.digest('hex') }
}

/** Moves a finished temporary file to `path` without ever replacing an existing file (EEXIST if there is one). */
export async function publishNoReplace (tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path)
  } finally {
    await unlink(tmp).catch(() => {})
  }
}
