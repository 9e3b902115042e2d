/**
 * One batch of listing records, as bytes: what a worker thread (or the
 * in-process lane) does with the records matchFile routes to it. Records
 * are ranges of a shared chunk; the result carries formatted output lines,
 * each with its line number so the main thread can merge parts in order.
 */
import { COLUMN_PROBES, IDENTIFIER_COLUMNS, LISTING_ID_COLUMN, type ColumnRenames } from './columns.js'
import type { MatchCore } from './core.js'
import type { Misses } from './fp-lookup.js'
import type { MatchPolicy } from './policy.js'
import { FieldSplitter } from './csv.js'
import { formatDecision, formatReject, type Decision, type OutputFormat, type Reject, type RowWhy } from './decision.js'

export type InputFormat = 'csv' | 'jsonl'
/** Which decisions are written: with an action (block/screen), with any match, or every listing. */
export type Emit = 'actions' | 'matches' | 'all'

/** Per-scan settings sent to every lane once. */
export interface ScanConfig {
  format: InputFormat
  /** CSV: field index of listing_id and of each identifier column (-1 absent). */
  listingIdField: number
  fieldOf: number[]
  /** JSONL: the key of listing_id and of each identifier column. */
  jsonKeys: { listingId: string, columns: string[] }
  output: OutputFormat
  emit: Emit
  seen: boolean
  /** Put raw values of invalid identifiers into rejects (the platform's own file only). */
  rejectsIncludeValue: boolean
  /** Rejects kept whole in the result for the summary's sample. */
  sampleRejects: number
  /** The policy for this scan; the lane's own when absent. */
  policy?: MatchPolicy
}

export interface BatchRequest {
  chunk: Uint8Array
  starts: Int32Array
  ends: Int32Array
  lines: Float64Array
  /**
   * Online suites: the second pass over a chunk's pending listings, after
   * the main thread fingerprinted the misses. A listing still missing a
   * fingerprint is reported (not_fingerprinted, with this reason) instead
   * of being left pending.
   */
  final?: { reason: string }
}

export interface BatchResult {
  rows: number
  /** Listings by action code (none, screen, block). */
  actions: [number, number, number]
  /** Listings with at least one matched identifier. */
  matched: number
  invalidIdentifiers: number
  badRows: number
  byWhy: Record<string, number>
  byColumn: Record<string, number>
  outs: string[]
  outLines: number[]
  rejects: string[]
  rejectLines: number[]
  sample: Reject[]
  identifiers: number
  cacheHits: number
  cacheMisses: number
  /** Listings not decided because an identifier could not be fingerprinted (final pass only). */
  undecided: number
  /** First pass under an online suite: indices (into the request's records) of listings left pending, and the values they miss. */
  pending?: number[]
  misses?: Misses
  seen?: { fps: Uint8Array, probes: Uint8Array, listing: Int32Array, listingIds: string[] }
}

export const MAX_LISTING_ID_BYTES = 1024

export function jsonKeysOf (renames?: ColumnRenames): ScanConfig['jsonKeys'] {
  // JSON keys are case-sensitive: the documented name, or the rename as given
  const key = (ours: string): string => renames?.[ours as keyof ColumnRenames] ?? ours
  return { listingId: key(LISTING_ID_COLUMN), columns: IDENTIFIER_COLUMNS.map(key) }
}

const dec = new TextDecoder()
const enc = new TextEncoder()

export class BatchMatcher {
  readonly #core: MatchCore
  readonly #cfg: ScanConfig
  readonly #splitter = new FieldSplitter(256)
  /** Column ids present in the CSV header. */
  readonly #present: number[]
  #scratch = new Uint8Array(4096)
  #r!: BatchResult
  // seen collection for the current batch
  #seenFps = new Uint8Array(0)
  #seenProbes = new Uint8Array(0)
  #seenListing = new Int32Array(0)
  #seenN = 0
  #seenIds: string[] = []
  #final: { reason: string } | undefined
  #record = 0
  #pending: number[] = []

  constructor (core: MatchCore, cfg: ScanConfig) {
    this.#core = core
    this.#cfg = cfg
    this.#present = cfg.fieldOf.flatMap((f, c) => f >= 0 ? [c] : [])
    core.collectSeen = cfg.seen
    this.#splitter.hashSeed = core.cache.seed
    core.keepValues = cfg.rejectsIncludeValue
    if (cfg.policy !== undefined) core.setPolicy(cfg.policy)
  }

  run (req: BatchRequest): BatchResult {
    const core = this.#core
    const hits0 = core.cache.hits
    const misses0 = core.cache.misses
    const ids0 = core.identifiers
    this.#r = {
      rows: 0, actions: [0, 0, 0], matched: 0, invalidIdentifiers: 0, badRows: 0, byWhy: {}, byColumn: {},
      outs: [], outLines: [], rejects: [], rejectLines: [], sample: [], identifiers: 0, cacheHits: 0, cacheMisses: 0, undecided: 0
    }
    this.#final = req.final
    this.#pending = []
    this.#seenN = 0
    this.#seenIds = []
    const { chunk, starts, ends, lines } = req
    const csv = this.#cfg.format === 'csv'
    for (let i = 0; i < starts.length; i++) {
      this.#record = i
      if (csv) this.#csvRecord(chunk, starts[i], ends[i], lines[i])
      else this.#jsonRecord(chunk, starts[i], ends[i], lines[i])
    }
    const r = this.#r
    r.identifiers = core.identifiers - ids0
    r.cacheHits = core.cache.hits - hits0
    r.cacheMisses = core.cache.misses - misses0
    const misses = core.table?.takeMisses()
    if (this.#pending.length > 0) {
      r.pending = this.#pending
      if (misses !== undefined) r.misses = misses
    }
    if (this.#cfg.seen) {
      r.seen = {
        fps: this.#seenFps.slice(0, this.#seenN * 32),
        probes: this.#seenProbes.slice(0, this.#seenN),
        listing: this.#seenListing.slice(0, this.#seenN),
        listingIds: this.#seenIds
      }
    }
    return r
  }

  #csvRecord (chunk: Uint8Array, s: number, e: number, line: number): void {
    const sp = this.#splitter
    sp.split(chunk, s, e)
    const r = this.#r
    r.rows++
    const buf = sp.buf
    const lid = this.#cfg.listingIdField
    const idStart = lid < sp.count ? sp.starts[lid] : 0
    const idEnd = lid < sp.count ? sp.ends[lid] : 0
    if (idEnd - idStart > MAX_LISTING_ID_BYTES) return this.#badRow(line, 'listing_id_too_long')
    if (idEnd <= idStart || isBlank(buf, idStart, idEnd)) return this.#badRow(line, 'missing_listing_id')
    const core = this.#core
    core.begin()
    const fieldOf = this.#cfg.fieldOf
    for (const c of this.#present) {
      const f = fieldOf[c]
      if (f >= sp.count) continue
      const fs = sp.starts[f]
      const fe = sp.ends[f]
      if (fe <= fs) continue
      const fh = sp.hashes[f]
      for (const p of COLUMN_PROBES[c]) core.probe(p.id, buf, fs, fe, undefined, fh)
    }
    if (core.nMatch === 0 && core.nInvalid === 0 && core.nSeen === 0 && core.nPending === 0 && this.#cfg.emit !== 'all') {
      r.actions[0]++
      return
    }
    this.#finish(line, dec.decode(buf.subarray(idStart, idEnd)))
  }

  #jsonRecord (chunk: Uint8Array, s: number, e: number, line: number): void {
    const r = this.#r
    r.rows++
    let obj: unknown
    try {
      obj = JSON.parse(dec.decode(chunk.subarray(s, e)))
    } catch {
      return this.#badRow(line, 'bad_json')
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return this.#badRow(line, 'bad_json')
    const o = obj as Record<string, unknown>
    const keys = this.#cfg.jsonKeys
    const rawId = o[keys.listingId]
    const listingId = typeof rawId === 'string' ? rawId : typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : ''
    if (listingId.trim() === '') return this.#badRow(line, 'missing_listing_id')
    if (enc.encode(listingId).length > MAX_LISTING_ID_BYTES) return this.#badRow(line, 'listing_id_too_long')
    const core = this.#core
    core.begin()
    for (let c = 0; c < keys.columns.length; c++) {
      const v = o[keys.columns[c]]
      if (v === undefined || v === null || v === '') continue
      if (typeof v !== 'string' && typeof v !== 'number') {
        this.#reject({ line, listingId, column: IDENTIFIER_COLUMNS[c], why: 'bad_value' })
        continue
      }
      const value = String(v)
      if (this.#scratch.length < value.length * 3) this.#scratch = new Uint8Array(value.length * 3)
      const n = enc.encodeInto(value, this.#scratch).written
      for (const p of COLUMN_PROBES[c]) core.probe(p.id, this.#scratch, 0, n, value)
    }
    this.#finish(line, listingId)
  }

  /** Output of a listing that has a match, an invalid value, seen identifiers or is emitted anyway. */
  #finish (line: number, listingId: string): void {
    const core = this.#core
    const r = this.#r
    if (core.nPending > 0) {
      if (this.#final === undefined) {
        // decided in the second pass, once the main thread has the missing fingerprints
        r.rows--
        this.#pending.push(this.#record)
        return
      }
      r.undecided++
      this.#reject({ line, listingId, column: '(row)', why: 'not_fingerprinted', reason: this.#final.reason })
      return
    }
    const matches = core.nMatch > 0 ? core.matches() : []
    const action = core.nMatch > 0 ? core.action : 0
    r.actions[action]++
    if (matches.length > 0) r.matched++
    const emit = this.#cfg.emit
    if (emit === 'all' || (emit === 'matches' && matches.length > 0) || action > 0) {
      const d: Decision = { line, listingId, action: core.actionName, matches }
      r.outs.push(formatDecision(d, this.#cfg.output))
      r.outLines.push(line)
    }
    if (core.nInvalid > 0) for (const rej of core.rejects(line, listingId)) this.#reject(rej)
    if (core.nSeen > 0) this.#collectSeen(listingId)
  }

  #collectSeen (listingId: string): void {
    const core = this.#core
    const n = this.#seenN + core.nSeen
    if (this.#seenProbes.length < n) {
      const cap = Math.max(1024, n * 2)
      const fps = new Uint8Array(cap * 32); fps.set(this.#seenFps); this.#seenFps = fps
      const probes = new Uint8Array(cap); probes.set(this.#seenProbes); this.#seenProbes = probes
      const listing = new Int32Array(cap); listing.set(this.#seenListing); this.#seenListing = listing
    }
    const l = this.#seenIds.length
    this.#seenIds.push(listingId)
    for (let i = 0; i < core.nSeen; i++) {
      const k = this.#seenN++
      this.#seenProbes[k] = core.seenProbe[i]
      this.#seenListing[k] = l
      this.#seenFps.set(core.seenFp.subarray(i * 32, i * 32 + 32), k * 32)
    }
  }

  #badRow (line: number, why: RowWhy): void {
    this.#r.badRows++
    this.#reject({ line, column: why === 'bad_json' ? '(row)' : 'listing_id', why })
  }

  #reject (rej: Reject): void {
    const r = this.#r
    if (rej.column !== 'listing_id' && rej.column !== '(row)') r.invalidIdentifiers++
    r.byWhy[rej.why] = (r.byWhy[rej.why] ?? 0) + 1
    r.byColumn[rej.column] = (r.byColumn[rej.column] ?? 0) + 1
    r.rejects.push(formatReject(rej, this.#cfg.output))
    r.rejectLines.push(rej.line)
    if (r.sample.length < this.#cfg.sampleRejects) {
      const { value: _omit, ...safe } = rej
      r.sample.push(safe)
    }
  }
}

function isBlank (b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0x20 && b[i] !== 0x09) return false
  return true
}
