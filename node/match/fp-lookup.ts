/**
 * Matching under an online suite (toprf-ristretto255): no lane can compute
 * a fingerprint, so a lane's "suite" is a table of fingerprints the node
 * already made, keyed by (kind, canonical bytes). A value not in the table
 * is a miss: the lane leaves its listing pending and reports the value; the
 * pool's main thread fingerprints every miss of a chunk in one batch through
 * the node's cached suite (FingerprintService: node-local cache first, the
 * guardians only for values never seen), teaches every lane the results
 * (`learn`) and has the pending listings matched again. Decisions are
 * therefore exactly those a local suite gives for the same blocklist.
 *
 * The table lives in memory only (never written anywhere) and is bounded:
 * past `maxEntries` it is emptied, and the next misses are answered by the
 * node's cache again without asking any guardian.
 */
import { KINDS, type Kind } from '../../protocol/kinds.js'

/** Values a lane could not fingerprint: kind codes and canonical bytes, deduplicated. */
export interface Misses {
  kinds: number[]
  canonical: Uint8Array[]
}

/** What the main thread teaches the lanes: the same order as a Misses, with 32-byte fingerprints. */
export interface Learned extends Misses {
  fps: Uint8Array[]
}

/** resolveMisses: what was learned, how many values were asked, and why some could not be fingerprinted. */
export interface Resolution {
  learned: Learned
  asked: number
  failure?: string
}

/**
 * Fingerprints (kind, canonical) pairs through the node's cached suite.
 * When it cannot fingerprint them all (guardians unreachable, quota), it
 * returns what it has (e.g. the cached ones) and the reason; it may also
 * throw a named error (its `reason`, else its name, becomes the failure).
 */
export type ResolveFn = (items: Array<{ kind: Kind, canonical: Uint8Array }>) => Promise<{ fps: Array<Uint8Array | undefined>, failure?: string }>

export const DEFAULT_TABLE_ENTRIES = 4_000_000

const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]))

function keyOf (code: number, canonical: Uint8Array): string {
  return String.fromCharCode(65 + code) + Buffer.from(canonical.buffer, canonical.byteOffset, canonical.byteLength).toString('latin1')
}

export class LookupTable {
  readonly #map = new Map<string, Uint8Array>()
  readonly #max: number
  /** Misses since the last `takeMisses`, deduplicated. */
  #misses = new Map<string, [number, Uint8Array]>()

  constructor (maxEntries = DEFAULT_TABLE_ENTRIES) {
    this.#max = maxEntries
  }

  get size (): number { return this.#map.size }

  /** Writes the fingerprint of (kind, canonical) at out[off..off+32) and returns true, or records a miss and returns false. */
  lookupInto (kind: Kind, canonical: Uint8Array, out: Uint8Array, off: number): boolean {
    const code = KIND_CODE.get(kind) as number
    const key = keyOf(code, canonical)
    const fp = this.#map.get(key)
    if (fp !== undefined) {
      out.set(fp, off)
      return true
    }
    if (!this.#misses.has(key)) this.#misses.set(key, [code, canonical.slice()])
    return false
  }

  takeMisses (): Misses | undefined {
    if (this.#misses.size === 0) return undefined
    const m: Misses = { kinds: [], canonical: [] }
    for (const [code, c] of this.#misses.values()) { m.kinds.push(code); m.canonical.push(c) }
    this.#misses = new Map()
    return m
  }

  learn (l: Learned): void {
    if (this.#map.size + l.fps.length > this.#max) this.#map.clear()
    for (let i = 0; i < l.fps.length; i++) this.#map.set(keyOf(l.kinds[i], l.canonical[i]), l.fps[i])
  }
}

/** Fingerprints a chunk's misses (from every lane) in one batch; returns what to teach the lanes. */
export async function resolveMisses (all: Misses[], resolve: ResolveFn): Promise<Resolution> {
  const seen = new Set<string>()
  const kinds: number[] = []
  const canonical: Uint8Array[] = []
  for (const m of all) {
    for (let i = 0; i < m.kinds.length; i++) {
      const key = keyOf(m.kinds[i], m.canonical[i])
      if (seen.has(key)) continue
      seen.add(key)
      kinds.push(m.kinds[i])
      canonical.push(m.canonical[i])
    }
  }
  const learned: Learned = { kinds: [], canonical: [], fps: [] }
  if (kinds.length === 0) return { learned, asked: 0 }
  let r: Awaited<ReturnType<ResolveFn>>
  try {
    r = await resolve(kinds.map((k, i) => ({ kind: KINDS[k], canonical: canonical[i] })))
  } catch (err) {
    const e = err as Error & { reason?: string }
    r = { fps: [], failure: e.reason ?? e.name }
  }
  for (let i = 0; i < kinds.length; i++) {
    const fp = r.fps[i]
    if (fp === undefined) continue
    learned.kinds.push(kinds[i])
    learned.canonical.push(canonical[i])
    learned.fps.push(fp)
  }
  return { learned, asked: kinds.length, ...(r.failure !== undefined ? { failure: r.failure } : {}) }
}
