/**
 * The memory seen-store on disk, so retroactive decisions survive a restart
 * of the platform's node without slowing scans down: one LevelDB record per
 * (fingerprint, listing) pair would cost more than the scan itself
 * (≈900,000 pairs/s at the issue-4 scan rate), a snapshot of the arrays
 * after each scan costs one sequential write.
 *
 * File, format 2:
 *   line 1  "alliance-seen/2"
 *   line 2  JSON header (SeenHeader):
 *             byteOrder     "LE" or "BE": the writer's, as the arrays are in memory
 *             fingerprints  { suite, epoch, canonicalVersions }: what every
 *                           fingerprint in the file was made under (the
 *                           roster's suite and key epoch, and protocol/kinds.ts
 *                           canonical version per fingerprinted kind)
 *             probes        [{ column, kind }]: what each postProbe value means
 *                           (columns.ts PROBES when written)
 *             columns       [{ name, type, length }]: the body's arrays in
 *                           order; type u8 | i32 | f64, length in elements
 *             sha256        hex SHA-256 of the body
 *   body    the columns' bytes, one after the other, nothing else
 * The columns are fps (u8, 32 per fingerprint), head (i32, per fingerprint),
 * next, postListing (i32) and postProbe (u8) per (fingerprint, listing)
 * pair, idBytes (u8, UTF-8 listing ids), idStart, idEnd (i32) and time (f64,
 * ms) per listing.
 *
 * Reading checks, in order, and throws a named error (node/match/errors.ts)
 * instead of ever returning data it cannot vouch for:
 * - SeenSnapshotFormatError: not a seen file, an unknown format version (a
 *   newer node's), unknown or missing columns, another byte order, a probe
 *   this node no longer has;
 * - SeenSnapshotError: truncated, appended to, checksum mismatch, arrays
 *   that do not hang together (MemorySeenStore.fromArrays);
 * - SeenSnapshotEpochError (readSeenSnapshot only): written under another
 *   suite, epoch or canonical version than the node's; its fingerprints can
 *   never match again.
 * Probes are mapped by (column, kind), so a later reordering of PROBES still
 * reads older files right.
 *
 * Format 1 ("alliance-seen/1", before this header): a JSON header of counts
 * and the checksum, the same columns in the order above, little-endian,
 * probes as columns.ts PROBES was then (V1_PROBES). readSeenFile still reads
 * it (migration); its fingerprints were made before kinds' canonical
 * versions were hashed into every fingerprint, so they match none made
 * now, and readSeenSnapshot refuses it with SeenSnapshotEpochError. The
 * daemon then starts a fresh seen memory with a warning (node/matching.ts),
 * and the next scan writes format 2.
 *
 * Written to a temporary file, fsynced, renamed over the old one (a crash
 * leaves the old snapshot or the new one, never a mix); mode 0600: listing
 * ids are the platform's own data. The hash table is not stored: loading
 * rebuilds it (with a fresh seed).
 */
import { createHash } from 'node:crypto'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { endianness } from 'node:os'
import { canonicalVersions } from '../../protocol/kinds.js'
import { PROBES } from './columns.js'
import { SeenSnapshotEpochError, SeenSnapshotError, SeenSnapshotFormatError, type SeenFingerprintContext } from './errors.js'
import { FP_BYTES } from './fp-table.js'

export { SeenSnapshotEpochError, SeenSnapshotError, SeenSnapshotFormatError, type SeenFingerprintContext } from './errors.js'

export const SEEN_SNAPSHOT_FORMAT = 'alliance-seen/2'
/** The format before the header named columns, probes and the fingerprint epoch (read for migration). */
export const SEEN_SNAPSHOT_FORMAT_V1 = 'alliance-seen/1'
const FORMAT_PREFIX = 'alliance-seen/'
/** The two header lines must fit in this many bytes (a format-2 header is ~1.5 KB). */
const MAX_HEADER_BYTES = 64 * 1024
/** Bytes per read or write call: large sequential I/O without one huge buffer. */
const IO_CHUNK = 1 << 26

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

type ColumnName = keyof SeenArrays
type ElementType = 'u8' | 'i32' | 'f64'

/** Every column, its element type, in the order this node writes them (format 1's order too). */
const COLUMNS: ReadonlyArray<{ name: ColumnName, type: ElementType }> = [
  { name: 'fps', type: 'u8' },
  { name: 'head', type: 'i32' },
  { name: 'next', type: 'i32' },
  { name: 'postListing', type: 'i32' },
  { name: 'postProbe', type: 'u8' },
  { name: 'idBytes', type: 'u8' },
  { name: 'idStart', type: 'i32' },
  { name: 'idEnd', type: 'i32' },
  { name: 'time', type: 'f64' }
]

const ELEMENT: Record<ElementType, { bytes: number, make: (n: number) => Uint8Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> }> = {
  u8: { bytes: 1, make: n => new Uint8Array(n) },
  i32: { bytes: 4, make: n => new Int32Array(n) },
  f64: { bytes: 8, make: n => new Float64Array(n) }
}

export interface SeenProbe { column: string, kind: string }

/** columns.ts PROBES as format-1 files were written with it: postProbe values of a format-1 file index this list. */
export const V1_PROBES: readonly SeenProbe[] = Object.freeze([
  ['seller_account', 'seller-account'], ['email', 'email'], ['phone', 'phone'], ['shop_url', 'url'], ['shop_url', 'domain'],
  ['domain', 'domain'], ['payment_account', 'payment-account'], ['address', 'postal-address'], ['seller_name', 'name']
].map(([column, kind]) => Object.freeze({ column, kind })))

export interface SeenHeader {
  format: 1 | 2
  byteOrder: 'LE' | 'BE'
  fingerprints: SeenFingerprintContext
  probes: SeenProbe[]
  columns: Array<{ name: string, type: string, length: number }>
  sha256: string
}

/** What the fingerprints of a snapshot are made under. */
export interface SeenContext {
  /** Fingerprint suite of the roster's policy, e.g. 'hmac-sha256'. */
  suite: string
  /** Key epoch of the roster's policy. */
  epoch: number
  /** Canonical version per fingerprinted kind. @default protocol/kinds.ts canonicalVersions() */
  canonicalVersions?: Readonly<Record<string, number>>
}

type Section = Uint8Array | Int32Array | Float64Array

function bytesOf (s: Section): Uint8Array {
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength)
}

function nativeByteOrder (): 'LE' | 'BE' {
  return endianness()
}

function fullContext (c: SeenContext): SeenFingerprintContext {
  return { suite: c.suite, epoch: c.epoch, canonicalVersions: c.canonicalVersions ?? canonicalVersions() }
}

/** Writes the snapshot atomically (temporary file, fsync, rename), recording what its fingerprints were made under. */
export async function writeSeenSnapshot (path: string, a: SeenArrays, context: SeenContext): Promise<void> {
  const hash = createHash('sha256')
  for (const c of COLUMNS) hash.update(bytesOf(a[c.name]))
  const header: Omit<SeenHeader, 'format'> = {
    byteOrder: nativeByteOrder(),
    fingerprints: fullContext(context),
    probes: PROBES.map(p => ({ column: p.column, kind: p.kind })),
    columns: COLUMNS.map(c => ({ name: c.name, type: c.type, length: a[c.name].length })),
    sha256: hash.digest('hex')
  }
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.write(`${SEEN_SNAPSHOT_FORMAT}\n${JSON.stringify(header)}\n`)
    for (const c of COLUMNS) {
      const b = bytesOf(a[c.name])
      for (let off = 0; off < b.length;) off += (await fh.write(b, off, Math.min(b.length - off, IO_CHUNK))).bytesWritten
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

/**
 * Reads a snapshot written under `expected` (suite, epoch, canonical
 * versions); undefined when there is none. Any other file is a named
 * SeenSnapshotError (see the module comment), never data.
 */
export async function readSeenSnapshot (path: string, expected: SeenContext): Promise<SeenArrays | undefined> {
  const file = await readSeenFile(path)
  if (file === undefined) return undefined
  const want = fullContext(expected)
  const differs = contextDiff(file.header.fingerprints, want)
  if (differs.length > 0) {
    const note = file.header.format === 1 ? ' (format 1: written before each kind\'s canonical version was hashed into its fingerprints)' : ''
    throw new SeenSnapshotEpochError(file.header.fingerprints, want, differs, note)
  }
  return file.arrays
}

/** What differs between two fingerprint contexts: 'suite', 'epoch', 'canonical:<kind>', or 'canonical' when unknown. */
export function contextDiff (written: SeenFingerprintContext, expected: SeenFingerprintContext): string[] {
  const out: string[] = []
  if (written.suite === undefined || written.suite !== expected.suite) out.push('suite')
  if (written.epoch === undefined || written.epoch !== expected.epoch) out.push('epoch')
  const w = written.canonicalVersions
  const e = expected.canonicalVersions ?? {}
  if (w === undefined) {
    out.push('canonical')
  } else {
    for (const kind of new Set([...Object.keys(w), ...Object.keys(e)])) if (w[kind] !== e[kind]) out.push(`canonical:${kind}`)
  }
  return out
}

/**
 * Reads a snapshot of format 1 or 2, whatever it was fingerprinted under
 * (its header says): layout, size and checksum are checked, postProbe is
 * mapped onto this node's PROBES. undefined when there is no file. For
 * callers that need the listings of an older epoch (a rescan); everything
 * else uses readSeenSnapshot.
 */
export async function readSeenFile (path: string): Promise<{ header: SeenHeader, arrays: SeenArrays } | undefined> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SeenSnapshotError(`cannot open ${path}`, { cause: err })
  }
  try {
    const size = (await fh.stat()).size
    const head = Buffer.alloc(Math.min(size, MAX_HEADER_BYTES))
    await fh.read(head, 0, head.length, 0)
    const first = head.indexOf(10)
    const second = first < 0 ? -1 : head.indexOf(10, first + 1)
    const magic = first < 0 ? '' : head.subarray(0, first).toString('utf8')
    if (!magic.startsWith(FORMAT_PREFIX)) throw new SeenSnapshotFormatError(`${path} is not a seen-listings snapshot (${FORMAT_PREFIX}<n>)`)
    if (magic !== SEEN_SNAPSHOT_FORMAT && magic !== SEEN_SNAPSHOT_FORMAT_V1) {
      throw new SeenSnapshotFormatError(`${path} is format ${JSON.stringify(magic.slice(FORMAT_PREFIX.length, FORMAT_PREFIX.length + 20))}, this node reads ${SEEN_SNAPSHOT_FORMAT_V1} and ${SEEN_SNAPSHOT_FORMAT} (written by a newer node?)`)
    }
    if (second < 0) throw new SeenSnapshotFormatError(`${path} has no complete header in its first ${MAX_HEADER_BYTES} bytes`)
    let json: unknown
    try {
      json = JSON.parse(head.subarray(first + 1, second).toString('utf8'))
    } catch (err) {
      throw new SeenSnapshotFormatError(`${path} has an unreadable header`, { cause: err })
    }
    const header = magic === SEEN_SNAPSHOT_FORMAT ? headerV2(json, path) : headerV1(json, path)
    if (header.byteOrder !== nativeByteOrder()) throw new SeenSnapshotFormatError(`${path} was written on a ${header.byteOrder} machine, this one is ${nativeByteOrder()}`)
    const layout = layoutOf(header, path)
    const probeMap = probeMapOf(header.probes, path)
    // sizes before allocation: a damaged count must not allocate terabytes
    const body = layout.reduce((n, c) => n + c.length * ELEMENT[c.type].bytes, 0)
    let pos = second + 1
    if (size !== pos + body) throw new SeenSnapshotError(`${path} is ${size} bytes, its header says ${pos + body} (truncated or appended to)`)
    const a: Partial<Record<ColumnName, Section>> = {}
    const hash = createHash('sha256')
    for (const c of layout) {
      const s = ELEMENT[c.type].make(c.length)
      const b = bytesOf(s)
      for (let off = 0; off < b.length;) {
        const { bytesRead } = await fh.read(b, off, Math.min(b.length - off, IO_CHUNK), pos)
        if (bytesRead === 0) throw new SeenSnapshotError(`${path} ended early`)
        off += bytesRead
        pos += bytesRead
      }
      hash.update(b)
      a[c.name] = s
    }
    if (hash.digest('hex') !== header.sha256) throw new SeenSnapshotError(`${path} does not match its checksum (damaged on disk)`)
    const arrays = a as SeenArrays
    if (probeMap !== undefined) remapProbes(arrays.postProbe, probeMap, path)
    return { header, arrays }
  } finally {
    await fh.close()
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

function headerV2 (json: unknown, path: string): SeenHeader {
  const bad = (why: string): never => { throw new SeenSnapshotFormatError(`${path}: header ${why}`) }
  if (!isObject(json)) return bad('is not an object')
  const { byteOrder, fingerprints: f, probes, columns, sha256 } = json
  if (byteOrder !== 'LE' && byteOrder !== 'BE') bad('byteOrder is not LE or BE')
  if (!isObject(f) || typeof f.suite !== 'string' || !isCount(f.epoch) || !isObject(f.canonicalVersions)) return bad('fingerprints is not { suite, epoch, canonicalVersions }')
  for (const v of Object.values(f.canonicalVersions)) if (!isCount(v)) bad('canonicalVersions holds a non-integer')
  if (!Array.isArray(probes) || !probes.every(p => isObject(p) && typeof p.column === 'string' && typeof p.kind === 'string')) return bad('probes is not a list of { column, kind }')
  if (!Array.isArray(columns) || !columns.every(c => isObject(c) && typeof c.name === 'string' && typeof c.type === 'string' && isCount(c.length))) return bad('columns is not a list of { name, type, length }')
  if (typeof sha256 !== 'string') bad('has no sha256')
  return {
    format: 2,
    byteOrder: byteOrder as 'LE' | 'BE',
    fingerprints: { suite: f.suite, epoch: f.epoch, canonicalVersions: f.canonicalVersions as Record<string, number> },
    probes: probes as SeenProbe[],
    columns: columns as SeenHeader['columns'],
    sha256: sha256 as string
  }
}

/** Format 1: counts and checksum; columns in COLUMNS order, little-endian, V1_PROBES; fingerprint context unknown. */
function headerV1 (json: unknown, path: string): SeenHeader {
  if (!isObject(json)) throw new SeenSnapshotFormatError(`${path}: header is not an object`)
  for (const k of ['fingerprints', 'pairs', 'listings', 'idBytes'] as const) {
    if (!isCount(json[k])) throw new SeenSnapshotFormatError(`${path}: header field ${k} is not a count`)
  }
  if (typeof json.sha256 !== 'string') throw new SeenSnapshotFormatError(`${path}: header has no sha256`)
  const n = json as { fingerprints: number, pairs: number, listings: number, idBytes: number, sha256: string }
  const lengths: Record<ColumnName, number> = {
    fps: n.fingerprints * FP_BYTES,
    head: n.fingerprints,
    next: n.pairs,
    postListing: n.pairs,
    postProbe: n.pairs,
    idBytes: n.idBytes,
    idStart: n.listings,
    idEnd: n.listings,
    time: n.listings
  }
  return {
    format: 1,
    byteOrder: 'LE',
    fingerprints: { suite: undefined, epoch: undefined, canonicalVersions: undefined },
    probes: V1_PROBES.map(p => ({ ...p })),
    columns: COLUMNS.map(c => ({ name: c.name, type: c.type, length: lengths[c.name] })),
    sha256: n.sha256
  }
}

/** The header's columns, each known, typed as this node types it, present exactly once. */
function layoutOf (header: SeenHeader, path: string): Array<{ name: ColumnName, type: ElementType, length: number }> {
  const known = new Map(COLUMNS.map(c => [c.name as string, c.type]))
  const seen = new Set<string>()
  const out = header.columns.map(c => {
    const type = known.get(c.name)
    if (type === undefined) throw new SeenSnapshotFormatError(`${path} has a column ${JSON.stringify(c.name.slice(0, 40))} this node does not know`)
    if (c.type !== type) throw new SeenSnapshotFormatError(`${path}: column ${c.name} is ${JSON.stringify(c.type.slice(0, 10))}, expected ${type}`)
    if (seen.has(c.name)) throw new SeenSnapshotFormatError(`${path}: column ${c.name} appears twice`)
    seen.add(c.name)
    return { name: c.name as ColumnName, type, length: c.length }
  })
  for (const c of COLUMNS) if (!seen.has(c.name)) throw new SeenSnapshotFormatError(`${path} has no column ${c.name}`)
  return out
}

/** file probe index → this node's PROBES index; undefined when they are the same table. */
function probeMapOf (probes: readonly SeenProbe[], path: string): Uint8Array | undefined {
  if (probes.length > 256) throw new SeenSnapshotFormatError(`${path} lists ${probes.length} probes; postProbe is one byte`)
  const same = probes.length === PROBES.length && probes.every((p, i) => p.column === PROBES[i].column && p.kind === PROBES[i].kind)
  if (same) return undefined
  return Uint8Array.from(probes, p => {
    const to = PROBES.find(q => q.column === p.column && q.kind === p.kind)
    if (to === undefined) throw new SeenSnapshotFormatError(`${path} has listings matched as ${JSON.stringify(p.column.slice(0, 40))}/${JSON.stringify(p.kind.slice(0, 40))}, which this node no longer looks up`)
    return to.id
  })
}

function remapProbes (postProbe: Uint8Array, map: Uint8Array, path: string): void {
  for (let p = 0; p < postProbe.length; p++) {
    const v = postProbe[p]
    if (v >= map.length) throw new SeenSnapshotError(`${path}: posting ${p} names no probe`)
    postProbe[p] = map[v]
  }
}
