/**
 * The byte form of a start-up checkpoint (node/checkpoint/index.ts).
 *
 *   magic     8 bytes "ALLCKPT\n"
 *   version   u32 LE (CHECKPOINT_VERSION)
 *   header    u32 LE length ‖ JSON (utf8): alliance, roster version and id,
 *             every log head it covers, flagged keys, applied count, rate
 *             counts, the snapshot hash's running sum
 *   rare      u32 LE count, each: u32 LE length ‖ exact entry bytes
 *   index     the consensus index image (protocol/consensus/image.ts) up to the hash
 *   hash      32 bytes: SHA-256(TAGS.checkpoint ‖ 0x00 ‖ every byte before it)
 *
 * The hash covers the whole content, so any flipped byte refuses the file
 * (`checkpoint_damaged`); the version is read before it, so a file of
 * another format is refused as such (`checkpoint_version`).
 */
import { fromHex, toHex, utf8 } from '../../protocol/bytes.js'
import { decodeIndexImage, encodeIndexImage, type IndexImage } from '../../protocol/consensus/image.js'
import { InvalidImageError } from '../../protocol/consensus/errors.js'
import { TAGS, taggedHasher } from '../../protocol/hash.js'
import { CheckpointRefusedError } from './errors.js'

export const CHECKPOINT_MAGIC = utf8('ALLCKPT\n')
/** Bump on any change of this layout or of the index image. */
export const CHECKPOINT_VERSION = 1
const HASH_BYTES = 32

export interface CheckpointHead {
  author: Uint8Array
  seq: number
  id: Uint8Array
}

export interface Checkpoint {
  alliance: string
  /** The roster chain's current version and its id. */
  roster: { version: number, id: Uint8Array }
  /** Every log the state covers, with its last entry. */
  heads: CheckpointHead[]
  /** Author keys flagged for equivocation (the store's evidence) when it was written. */
  flagged: Uint8Array[]
  /** Entries applied (what the replay would count). */
  applied: number
  /** The ingest rate counts by entry hour (node/ingest-rate.ts). */
  rate: Array<[string, number]>
  /** Key-epoch and guardian-counts entries, exact bytes, handed to the listeners again at start-up. */
  rare: Uint8Array[]
  index: IndexImage
  /** The running sum of the index's snapshot hash (node/services/snapshot-hash.ts), 32 bytes. */
  snapshot: Uint8Array
}

interface Header {
  alliance: string
  roster: { version: number, id: string }
  heads: Array<[string, number, string]>
  flagged: string[]
  applied: number
  rate: Array<[string, number]>
  snapshot: string
}

function u32 (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}

/** The file's bytes as parts (the index's big arrays are views: write them before the index changes), the hash last. */
export function encodeCheckpoint (c: Checkpoint): Uint8Array[] {
  const header: Header = {
    alliance: c.alliance,
    roster: { version: c.roster.version, id: toHex(c.roster.id) },
    heads: c.heads.map(h => [toHex(h.author), h.seq, toHex(h.id)]),
    flagged: c.flagged.map(toHex),
    applied: c.applied,
    rate: c.rate,
    snapshot: toHex(c.snapshot)
  }
  const json = utf8(JSON.stringify(header))
  const parts: Uint8Array[] = [CHECKPOINT_MAGIC, u32(CHECKPOINT_VERSION), u32(json.length), json, u32(c.rare.length)]
  for (const r of c.rare) parts.push(u32(r.length), r)
  parts.push(...encodeIndexImage(c.index))
  const h = taggedHasher(TAGS.checkpoint)
  for (const p of parts) h.update(p)
  parts.push(new Uint8Array(h.digest()))
  return parts
}

/** Reads and verifies a checkpoint file's bytes; CheckpointRefusedError (`checkpoint_damaged`, `checkpoint_version`) otherwise. */
export function decodeCheckpoint (b: Uint8Array): Checkpoint {
  const damaged = (why: string, cause?: unknown): CheckpointRefusedError => new CheckpointRefusedError('checkpoint_damaged', why, cause !== undefined ? { cause } : undefined)
  if (b.length < CHECKPOINT_MAGIC.length + 4 + HASH_BYTES) throw damaged('the file is too short')
  for (let i = 0; i < CHECKPOINT_MAGIC.length; i++) if (b[i] !== CHECKPOINT_MAGIC[i]) throw damaged('the file does not start as a checkpoint')
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const version = dv.getUint32(CHECKPOINT_MAGIC.length, true)
  if (version !== CHECKPOINT_VERSION) throw new CheckpointRefusedError('checkpoint_version', `format version ${version}, this node reads ${CHECKPOINT_VERSION}`)
  const body = b.subarray(0, b.length - HASH_BYTES)
  const digest = new Uint8Array(taggedHasher(TAGS.checkpoint).update(body).digest())
  const stored = b.subarray(b.length - HASH_BYTES)
  let diff = 0
  for (let i = 0; i < HASH_BYTES; i++) diff |= digest[i] ^ stored[i]
  if (diff !== 0) throw damaged('its hash does not match its content')
  try {
    let at = CHECKPOINT_MAGIC.length + 4
    const next = (): number => {
      if (at + 4 > body.length) throw new RangeError('truncated')
      const v = dv.getUint32(at, true)
      at += 4
      return v
    }
    const n = next()
    if (at + n > body.length) throw new RangeError('truncated header')
    const header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(at, at + n))) as Header
    at += n
    const rare: Uint8Array[] = []
    for (let i = next(); i > 0; i--) {
      const len = next()
      if (at + len > body.length) throw new RangeError('truncated entry')
      rare.push(body.slice(at, at + len))
      at += len
    }
    const index = decodeIndexImage(body.subarray(at))
    const heads = header.heads.map(([a, seq, id]) => ({ author: fromHex(a), seq, id: fromHex(id) }))
    if (typeof header.alliance !== 'string' || !Number.isSafeInteger(header.roster.version) || !Number.isSafeInteger(header.applied) ||
      heads.some(h => !Number.isSafeInteger(h.seq) || h.seq < 1) || !Array.isArray(header.rate) || header.rate.some(r => typeof r[0] !== 'string' || !Number.isSafeInteger(r[1]))) {
      throw new RangeError('a header field is out of range')
    }
    const snapshot = fromHex(header.snapshot)
    if (snapshot.length !== 32) throw new RangeError('the snapshot sum is not 32 bytes')
    return { alliance: header.alliance, roster: { version: header.roster.version, id: fromHex(header.roster.id) }, heads, flagged: header.flagged.map(fromHex), applied: header.applied, rate: header.rate, rare, index, snapshot }
  } catch (err) {
    if (err instanceof InvalidImageError || err instanceof RangeError || err instanceof SyntaxError || err instanceof TypeError) throw damaged(`its content does not parse (${(err as Error).message})`, err)
    throw err
  }
}
