/**
 * Per-key signed logs.
 *
 * Every node appends its statements to its own log: entry n carries
 * `prev = id(entry n-1)`, and `id = SHA-256("alliance-node/v1/entry-id" 0x00 || bytes)`
 * over the exact encoded bytes. An Ed25519 signature over
 * `"alliance-node/v1/entry-signature" 0x00 || u8(len alliance) || alliance || id`
 * authenticates that entry and, through the prev chain, every earlier one;
 * so a bulk segment of 100,000 entries needs one signature. The alliance id
 * in the signed message stops replay of a log into another alliance.
 */
import { bytesEqual, utf8 } from '../bytes.js'
import { decodeEntry } from '../codec/index.js'
import { verifySignature, type Signer } from '../ed25519.js'
import { TAGS, tagPrefix, taggedHash } from '../hash.js'
import { encodeEntry } from '../codec/index.js'
import type { Body, Entry, Equivocation, Segment } from '../types.js'
import {
  BadSignatureError, BrokenChainError, FutureEntryError, InvalidEvidenceError, InvalidLifetimeError,
  MixedAuthorsError, SeqGapError, TimeReversalError, UnknownAuthorError, UnsignedSegmentError
} from './errors.js'

export * from './errors.js'

/** An entry with its exact bytes and id: the unit storage and sync move around. */
export interface LogEntry {
  bytes: Uint8Array
  id: Uint8Array
  entry: Entry
}

/** What we hold of an author's log: the last entry's seq, id and time. */
export interface LogHead {
  seq: number
  id: Uint8Array
  time: number
}

export function entryId (bytes: Uint8Array): Uint8Array {
  return taggedHash(TAGS.entryId, bytes)
}

const SIG_PREFIX = tagPrefix(TAGS.entrySignature)

/** The exact message an entry signature signs. */
export function signatureMessage (alliance: string, id: Uint8Array): Uint8Array {
  const a = utf8(alliance)
  if (a.length > 255) throw new RangeError('alliance id longer than 255 bytes')
  const out = new Uint8Array(SIG_PREFIX.length + 1 + a.length + id.length)
  out.set(SIG_PREFIX)
  out[SIG_PREFIX.length] = a.length
  out.set(a, SIG_PREFIX.length + 1)
  out.set(id, SIG_PREFIX.length + 1 + a.length)
  return out
}

export function signEntryId (signer: Signer, alliance: string, id: Uint8Array): Uint8Array {
  return signer.sign(signatureMessage(alliance, id))
}

export function verifyEntrySignature (author: Uint8Array, alliance: string, id: Uint8Array, signature: Uint8Array): boolean {
  return verifySignature(author, signatureMessage(alliance, id), signature)
}

// ------------------------------------------------------------------ authoring

export interface AppendInit {
  signer: Signer
  alliance: string
  /** The author's current head; undefined for an empty log. */
  head: LogHead | undefined
  bodies: Body[]
  /** Entry time (ms); defaults to Date.now(). Never earlier than head.time. */
  time?: number
}

/**
 * Appends `bodies` to the author's log as one segment signed at its last
 * entry. Returns the new entries (for storage) and the segment (for the wire).
 */
export function appendSegment (init: AppendInit): { entries: LogEntry[], segment: Segment } {
  if (init.bodies.length === 0) throw new RangeError('appendSegment needs at least one body')
  const time = Math.max(init.time ?? Date.now(), init.head?.time ?? 0)
  let seq = init.head?.seq ?? 0
  let prev = init.head?.id ?? new Uint8Array(0)
  const entries: LogEntry[] = []
  for (const body of init.bodies) {
    seq++
    const entry: Entry = { author: init.signer.publicKey, seq, prev, time, body }
    const bytes = encodeEntry(entry)
    const id = entryId(bytes)
    entries.push({ bytes, id, entry })
    prev = id
  }
  const signature = signEntryId(init.signer, init.alliance, prev)
  return { entries, segment: { entries: entries.map(e => e.bytes), signature } }
}

// ------------------------------------------------------------------ verification

export interface VerifyContext {
  alliance: string
  /** This node's clock, ms. */
  now: number
  /** How far ahead of `now` an entry may be dated (roster policy). */
  clockToleranceMs: number
  /** Longest allowed `expires - time` for attestations and opinions (roster policy). */
  maxLifetimeMs: number
  /** The org of `author` in the roster in force at `time`, or undefined if the key was not a member then. */
  orgAt: (author: Uint8Array, time: number) => string | undefined
  /** When true, a segment without a signature is refused (gossip: single entries are each signed). */
  requireSignature?: boolean
}

export interface VerifiedSegment {
  author: Uint8Array
  entries: LogEntry[]
  /** The org of the author at each entry's time, parallel to entries. */
  orgs: string[]
  /** True when the segment's signature covers its last entry (and so all of them). */
  signed: boolean
  signature: Uint8Array
}

function checkBody (e: Entry, maxLifetimeMs: number): void {
  const b = e.body
  if (b.type !== 'attestation' && b.type !== 'opinion') return
  if (b.expires <= e.time) throw new InvalidLifetimeError(e.seq, 'expires at or before the entry time')
  if (maxLifetimeMs > 0 && b.expires - e.time > maxLifetimeMs) {
    throw new InvalidLifetimeError(e.seq, `lifetime ${b.expires - e.time} ms exceeds the roster's maximum of ${maxLifetimeMs} ms`)
  }
}

/**
 * Verifies a segment on its own: every entry decodes canonically, one author,
 * consecutive seqs chained through prev, times non-decreasing and not beyond
 * the clock tolerance, the author a roster member at each entry's time, body
 * rules, and the signature (when present) over the last entry's id.
 * Whether it continues the log we hold is `relateToHead`'s question.
 * Throws a named error; returns only when everything holds.
 */
export function verifySegment (segment: Segment, ctx: VerifyContext): VerifiedSegment {
  if (ctx.requireSignature === true && segment.signature.length === 0) throw new UnsignedSegmentError()
  const entries: LogEntry[] = []
  const orgs: string[] = []
  let author: Uint8Array | undefined
  let last: LogEntry | undefined
  for (const bytes of segment.entries) {
    const entry = decodeEntry(bytes)
    const id = entryId(bytes)
    if (author === undefined) author = entry.author
    else if (!bytesEqual(author, entry.author)) throw new MixedAuthorsError()
    if (last !== undefined) {
      if (entry.seq !== last.entry.seq + 1) throw new BrokenChainError(entry.seq, `follows seq ${last.entry.seq}`)
      if (!bytesEqual(entry.prev, last.id)) throw new BrokenChainError(entry.seq, 'prev is not the id of the entry before it')
      if (entry.time < last.entry.time) throw new TimeReversalError(entry.seq)
    }
    if (entry.time > ctx.now + ctx.clockToleranceMs) throw new FutureEntryError(entry.seq, entry.time, ctx.now, ctx.clockToleranceMs)
    // one author throughout: the same time has the same answer (a bulk segment's entries share one time)
    const org = last !== undefined && entry.time === last.entry.time ? orgs[orgs.length - 1] : ctx.orgAt(entry.author, entry.time)
    if (org === undefined) throw new UnknownAuthorError(entry.seq)
    checkBody(entry, ctx.maxLifetimeMs)
    last = { bytes, id, entry }
    entries.push(last)
    orgs.push(org)
  }
  if (author === undefined || last === undefined) throw new BrokenChainError(0, 'segment is empty')
  const signed = segment.signature.length > 0
  if (signed && !verifyEntrySignature(author, ctx.alliance, last.id, segment.signature)) {
    throw new BadSignatureError(`segment ending at seq ${last.entry.seq}`)
  }
  return { author, entries, orgs, signed, signature: segment.signature }
}

export type Relation =
  | { kind: 'append', from: number } // entries[from..] are new and continue the log
  | { kind: 'duplicate' } // we hold all of them already
  | { kind: 'fork', seq: number, ours: Uint8Array, theirs: Uint8Array } // same seq, different id: equivocation

/**
 * How a verified segment relates to the log we hold: new entries that chain
 * onto our head, all already held, a gap (thrown), or a fork (equivocation).
 * `idAt(seq)` returns the id we hold at a seq ≤ head.seq.
 */
export function relateToHead (entries: LogEntry[], head: LogHead | undefined, idAt: (seq: number) => Uint8Array | undefined): Relation {
  const haveSeq = head?.seq ?? 0
  const first = entries[0].entry
  if (first.seq > haveSeq + 1) throw new SeqGapError(haveSeq, first.seq)
  for (let i = 0; i < entries.length; i++) {
    const { entry, id } = entries[i]
    if (entry.seq > haveSeq) {
      const expectedPrev = haveSeq === 0 ? new Uint8Array(0) : (head as LogHead).id
      if (!bytesEqual(entry.prev, expectedPrev)) {
        // the first new entry does not chain onto our head: the entry before it differs from ours
        const ours = idAt(entry.seq - 1) ?? new Uint8Array(0)
        return { kind: 'fork', seq: entry.seq - 1, ours, theirs: entry.prev }
      }
      return { kind: 'append', from: i }
    }
    const ours = idAt(entry.seq)
    if (ours !== undefined && !bytesEqual(ours, id)) return { kind: 'fork', seq: entry.seq, ours, theirs: id }
  }
  return { kind: 'duplicate' }
}

// ------------------------------------------------------------------ equivocation

/**
 * Checks portable equivocation evidence: two signed segments of one author
 * whose first entries share a seq but differ. Anyone can check it offline
 * with the author's public key; the roster is not needed.
 */
export function verifyEquivocation (ev: Equivocation, alliance: string): { author: Uint8Array, seq: number } {
  const check = (s: Segment, name: string): LogEntry[] => {
    if (s.signature.length === 0) throw new InvalidEvidenceError(`segment ${name} is not signed`)
    let v: VerifiedSegment
    try {
      v = verifySegment(s, { alliance, now: Number.MAX_SAFE_INTEGER, clockToleranceMs: 0, maxLifetimeMs: 0, orgAt: () => '' })
    } catch (err) {
      throw new InvalidEvidenceError(`segment ${name}: ${(err as Error).message}`)
    }
    return v.entries
  }
  const a = check(ev.a, 'a')
  const b = check(ev.b, 'b')
  if (!bytesEqual(a[0].entry.author, b[0].entry.author)) throw new InvalidEvidenceError('segments have different authors')
  if (a[0].entry.seq !== b[0].entry.seq) throw new InvalidEvidenceError('segments start at different seqs')
  if (bytesEqual(a[0].id, b[0].id)) throw new InvalidEvidenceError('the two entries are the same')
  return { author: a[0].entry.author, seq: a[0].entry.seq }
}
