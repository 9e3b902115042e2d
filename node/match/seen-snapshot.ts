/**
 * The memory seen-store on disk, so retroactive decisions survive a restart
 * of the platform's node without slowing scans down: one LevelDB record per
 * (fingerprint, listing) pair would cost more than the scan itself
 * (≈900,000 pairs/s at the issue-4 scan rate), a snapshot of the arrays
 * after each scan costs one sequential write.
 *
 * File (little-endian, as the arrays are in memory on every platform Node
 * runs the daemon on):
 *   line 1  "alliance-seen/1"
 *   line 2  JSON header: counts of fingerprints, pairs, listings, id bytes,
 *           and the SHA-256 (hex) of everything after this line
 *   body    fps ‖ head ‖ next ‖ postListing ‖ postProbe ‖ idBytes ‖ idStart
 *           ‖ idEnd ‖ time, each exactly as long as its count says
 * Written to a temporary file, fsynced, renamed over the old one (a crash
 * leaves the old snapshot or the new one, never a mix); mode 0600: listing
 * ids are the platform's own data. The hash table is not stored: loading
 * rebuilds it (with a fresh seed).
 */
import { createHash } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { NodeError } from '../errors.js'
import { FP_BYTES } from './fp-table.js'

export const SEEN_SNAPSHOT_FORMAT = 'alliance-seen/1'

export class SeenSnapshotError extends NodeError {
  constructor (why: string, opts?: { cause?: unknown }) {
    super('seen_snapshot', `seen-listings snapshot: ${why}`, opts)
    this.name = 'SeenSnapshotError'
  }
}

/** The arrays of a MemorySeenStore, trimmed to what is in use. */
export interface SeenArrays {
  fps: Uint8Array<ArrayBuffer>
  head: Int32Array<ArrayBuffer>
  next: Int32Array<ArrayBuffer>
  postListing: Int32Array<ArrayBuffer>
  postProbe: Uint8Array<ArrayBuffer>
  idBytes: Uint8Array<ArrayBuffer>
  idStart: Int32Array<ArrayBuffer>
  idEnd: Int32Array<ArrayBuffer>
  time: Float64Array<ArrayBuffer>
}

interface Header { fingerprints: number, pairs: number, listings: number, idBytes: number, sha256: string }

type Section = Uint8Array | Int32Array | Float64Array

function sections (a: SeenArrays): Section[] {
  return [a.fps, a.head, a.next, a.postListing, a.postProbe, a.idBytes, a.idStart, a.idEnd, a.time]
}

function bytesOf (s: Section): Uint8Array {
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength)
}

/** Writes the snapshot atomically (temporary file, fsync, rename). */
export async function writeSeenSnapshot (path: string, a: SeenArrays): Promise<void> {
  const hash = createHash('sha256')
  for (const s of sections(a)) hash.update(bytesOf(s))
  const header: Header = { fingerprints: a.head.length, pairs: a.next.length, listings: a.idStart.length, idBytes: a.idBytes.length, sha256: hash.digest('hex') }
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.write(`${SEEN_SNAPSHOT_FORMAT}\n${JSON.stringify(header)}\n`)
    for (const s of sections(a)) {
      const b = bytesOf(s)
      for (let off = 0; off < b.length;) off += (await fh.write(b, off, Math.min(b.length - off, 1 << 26))).bytesWritten
    }
    await fh.sync()
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  await rename(tmp, path)
}

/** Reads a snapshot; undefined when there is none. A damaged or foreign file is a SeenSnapshotError. */
export async function readSeenSnapshot (path: string): Promise<SeenArrays | undefined> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SeenSnapshotError(`cannot open ${path}`, { cause: err })
  }
  try {
    const size = (await fh.stat()).size
    const head = Buffer.alloc(Math.min(size, 4096))
    await fh.read(head, 0, head.length, 0)
    const first = head.indexOf(10)
    const second = first < 0 ? -1 : head.indexOf(10, first + 1)
    if (first < 0 || second < 0 || head.subarray(0, first).toString('utf8') !== SEEN_SNAPSHOT_FORMAT) throw new SeenSnapshotError(`${path} is not an ${SEEN_SNAPSHOT_FORMAT} file`)
    let h: Header
    try {
      h = JSON.parse(head.subarray(first + 1, second).toString('utf8')) as Header
    } catch (err) {
      throw new SeenSnapshotError(`${path} has an unreadable header`, { cause: err })
    }
    for (const k of ['fingerprints', 'pairs', 'listings', 'idBytes'] as const) {
      if (!Number.isSafeInteger(h[k]) || h[k] < 0) throw new SeenSnapshotError(`${path}: header field ${k} is not a count`)
    }
    const a: SeenArrays = {
      fps: new Uint8Array(h.fingerprints * FP_BYTES),
      head: new Int32Array(h.fingerprints),
      next: new Int32Array(h.pairs),
      postListing: new Int32Array(h.pairs),
      postProbe: new Uint8Array(h.pairs),
      idBytes: new Uint8Array(h.idBytes),
      idStart: new Int32Array(h.listings),
      idEnd: new Int32Array(h.listings),
      time: new Float64Array(h.listings)
    }
    const body = sections(a).reduce((n, s) => n + s.byteLength, 0)
    let pos = second + 1
    if (size !== pos + body) throw new SeenSnapshotError(`${path} is ${size} bytes, its header says ${pos + body} (truncated or appended to)`)
    const hash = createHash('sha256')
    for (const s of sections(a)) {
      const b = bytesOf(s)
      for (let off = 0; off < b.length;) {
        const { bytesRead } = await fh.read(b, off, Math.min(b.length - off, 1 << 26), pos)
        if (bytesRead === 0) throw new SeenSnapshotError(`${path} ended early`)
        off += bytesRead
        pos += bytesRead
      }
      hash.update(b)
    }
    if (hash.digest('hex') !== h.sha256) throw new SeenSnapshotError(`${path} does not match its checksum (damaged on disk)`)
    return a
  } finally {
    await fh.close()
  }
}
