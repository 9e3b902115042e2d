/**
 * The per-entry record of the blocklist index (blocklist-index.ts): the 32
 * bytes of `meta` each fingerprint's explanation is kept in, how it is laid
 * out, written by the owner and read back by any thread. Kept apart from the
 * index's hash table and seqlock: the layout is one job, the concurrency
 * another.
 *
 * | bytes  | content                                                     |
 * | ------ | ----------------------------------------------------------- |
 * | 0..8   | expires, f64 ms (+Infinity if never)                        |
 * | 8..14  | status, kind, #pos, #neg (true counts, clamped to 255), pos kept, neg kept |
 * | 14..16 | confirmations, u16                                          |
 * | 16..32 | up to ORGS_INLINE org ids, u16: positive first, then negative |
 */
import { KINDS, type Kind } from '../../protocol/kinds.js'
import type { Status } from '../../protocol/consensus/rule.js'
import type { IndexInput, IndexedExplanation } from './blocklist-index.js'
import { STATUS_BY_CODE } from './policy.js'

/** Org ids kept inline per entry: positive first, then negative. */
export const ORGS_INLINE = 8
export const META_BYTES = 32

// meta byte offsets within an entry's 32 bytes (expires is the f64 at 0)
export const M_STATUS = 8
export const M_KIND = 9
const M_NPOS = 10 // true count, clamped to 255
const M_NNEG = 11
const M_POS_KEPT = 12
const M_NEG_KEPT = 13
// u16 index 7 within the entry: confirmations; u16 8..15: org ids
export const NO_KIND = 255

/** An entry's explanation as stored: org ids, not names. */
export interface RawEntry { status: number, kind: number, orgIds: number[], nPos: number, nNeg: number, posKept: number, expires: number, confirmations: number }

const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]))

/** Raw explanation of entry e (org ids, not names); undefined when free. */
export function readMeta (meta8: Uint8Array, meta16: Uint16Array, meta64: Float64Array, e: number): RawEntry | undefined {
  const m = e * META_BYTES
  const status = meta8[m + M_STATUS]
  if (status === undefined || status === 0) return undefined
  const posKept = meta8[m + M_POS_KEPT]
  const negKept = meta8[m + M_NEG_KEPT]
  const orgIds: number[] = []
  const base = e * (META_BYTES / 2) + 8
  for (let i = 0; i < Math.min(posKept + negKept, ORGS_INLINE); i++) orgIds.push(meta16[base + i])
  return {
    status,
    kind: meta8[m + M_KIND],
    orgIds,
    nPos: meta8[m + M_NPOS],
    nNeg: meta8[m + M_NNEG],
    posKept,
    expires: meta64[e * (META_BYTES / 8)],
    confirmations: meta16[e * (META_BYTES / 2) + 7]
  }
}

/**
 * Writes entry e's explanation. Up to two of the ORGS_INLINE org slots go
 * to disputing orgs first, so a widely attested listing still shows dissent;
 * `orgs` gives an org's id in the index's org table (blocklist-orgs.ts).
 */
export function writeMeta (meta8: Uint8Array, meta16: Uint16Array, meta64: Float64Array, e: number, status: number, input: IndexInput, kind: Kind | undefined, orgs: { id: (org: string) => number }): void {
  const m = e * META_BYTES
  const pos = input.positive
  const neg = input.negative
  const negKept = Math.min(neg.length, 2, ORGS_INLINE)
  const posKept = Math.min(pos.length, ORGS_INLINE - negKept)
  const negKept2 = Math.min(neg.length, ORGS_INLINE - posKept)
  meta64[e * (META_BYTES / 8)] = input.expires
  meta8[m + M_STATUS] = status
  meta8[m + M_KIND] = kind === undefined ? NO_KIND : (KIND_CODE.get(kind) ?? NO_KIND)
  meta8[m + M_NPOS] = Math.min(pos.length, 255)
  meta8[m + M_NNEG] = Math.min(neg.length, 255)
  meta8[m + M_POS_KEPT] = posKept
  meta8[m + M_NEG_KEPT] = negKept2
  meta16[e * (META_BYTES / 2) + 7] = Math.min(input.confirmations ?? 0, 0xffff)
  const base = e * (META_BYTES / 2) + 8
  for (let i = 0; i < ORGS_INLINE; i++) {
    const org = i < posKept ? pos[i].org : i - posKept < negKept2 ? neg[i - posKept].org : undefined
    meta16[base + i] = org === undefined ? 0 : orgs.id(org)
  }
}

/** The explanation an entry holds, its org ids named by the index's org table. */
export function explanationOf (r: RawEntry, orgs: { name: (id: number) => string }): IndexedExplanation {
  const names = r.orgIds.map(id => orgs.name(id))
  return {
    status: STATUS_BY_CODE[r.status] as Status,
    kind: r.kind === NO_KIND ? undefined : KINDS[r.kind],
    orgs: names.slice(0, r.posKept),
    orgCount: r.nPos,
    disputedBy: names.slice(r.posKept),
    disputedCount: r.nNeg,
    confirmations: r.confirmations,
    expires: r.expires
  }
}
