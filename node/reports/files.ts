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
 *   inbox/<author>/<id>/evidence-<i>  evidence files received, checked against the signed report
 *                                (inbox/<id>/ for reports the first release received)
 *   tmp/                         partial files; emptied at start
 * ```
 */
import { chmod, link, mkdir, open, readdir, rm, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'

export const REPORTS_DIR = 'reports'
/** Evidence files are read in pieces of this size: few system calls; larger pieces measurably grow the RSS of a node sending many reports. */
export const READ_CHUNK_BYTES = 256 * 1024
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

/** The folder of a received report's evidence files (by author and id; by id alone for v 1 records). */
export function inboxDir (p: ReportPaths, r: { v: 1 | 2, author: string, id: string }): string {
  return r.v === 2 ? join(p.inbox, r.author, r.id) : join(p.inbox, r.id)
}

export function tmpName (p: ReportPaths, hint: string): string {
  return join(p.tmp, `${hint}.${randomBytes(6).toString('hex')}.part`)
}

/**
 * Streams `source` into a new file at `path` (mode 0600; fails if it exists),
 * with backpressure. Resolves with the byte count, and the SHA-256 when
 * `hash` is set (envelopes and evidence are already authenticated and
 * digested by protocol/report as they stream: hashing them again would only
 * cost CPU); on any error the partial file is removed and the error rethrown.
 */
export async function writeStreamToFile (path: string, source: AsyncIterable<Uint8Array>, opts: { hash?: boolean } = {}): Promise<{ bytes: number, sha256?: string }> {
  let bytes = 0
  const hash = opts.hash === true ? createHash('sha256') : undefined
  const fh = await open(path, 'wx', FILE_MODE)
  try {
    // pieces are gathered into writes of about WRITE_BATCH_BYTES: one system call per WRITE_BATCH_BYTES, not per 64 KiB chunk
    let batch: Uint8Array[] = []
    let batched = 0
    for await (const piece of source) {
      bytes += piece.length
      hash?.update(piece)
      batch.push(piece)
      batched += piece.length
      if (batched >= WRITE_BATCH_BYTES) {
        await writeAll(fh, batch, batched)
        batch = []
        batched = 0
      }
    }
    if (batched > 0) await writeAll(fh, batch, batched)
    await fh.close()
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(path, { force: true })
    throw err
  }
  return { bytes, sha256: hash?.digest('hex') }
}

/** Bytes gathered per write: few system calls (40 per 10 MB), little memory held. */
const WRITE_BATCH_BYTES = 256 * 1024

async function writeAll (fh: FileHandle, pieces: Uint8Array[], total: number): Promise<void> {
  let written = (await fh.writev(pieces)).bytesWritten
  if (written === total) return
  // a short write (rare on regular files): finish piece by piece
  for (const p of pieces) {
    if (written >= p.length) { written -= p.length; continue }
    let rest = p.subarray(written)
    written = 0
    while (rest.length > 0) rest = rest.subarray((await fh.write(rest)).bytesWritten)
  }
}

/** Moves a finished temporary file to `path` without ever replacing an existing file (EEXIST if there is one). */
export async function publishNoReplace (tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path)
  } finally {
    await unlink(tmp).catch(() => {})
  }
}
