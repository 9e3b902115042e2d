/**
 * The codec: the only place bytes become protocol objects and back.
 *
 * Decoding (1) refuses input over the message type's size limit before
 * parsing, (2) parses with protobufjs, (3) converts to the TypeScript types
 * of protocol/types.ts while checking every field (lengths, enum values,
 * counts against protocol/limits.ts, safe integers), and (4) re-encodes the
 * result with this codec and requires the exact received bytes. Step (4)
 * makes the encoding unique: one logical message has exactly one byte
 * string, so ids and signatures can never be split across re-encodings.
 *
 * Encoding omits every default value (proto3 canonical form): zero numbers,
 * empty bytes and strings, false, and UNSPECIFIED enums are not written.
 *
 * This file holds entries and the sync and gossip envelopes; entry bodies
 * are converted in bodies.ts, rosters in roster.ts (its encode/decode
 * functions are re-exported here), and types.ts holds the protobufjs types.
 */
import * as L from '../limits.js'
import type { Body, Entry, Equivocation, Head, Segment, SyncRequest, SyncResponse } from '../types.js'
import { bodyFrom, bodyTo } from './bodies.js'
import { InvalidFieldError, OversizeError } from './errors.js'
import { decodeRoster, decodeSignedRoster } from './roster.js'
import * as S from './shapes.js'
import { T } from './types.js'
import {
  bytes, count, decodeStrict, encodeWire, exactLength, limitText, num, optionalLength, put, referenceDecoding, safeInt, str, u64, type Wire
} from './wire.js'
import { decodeAttestationEntry } from './entry-fast.js'

export * from './errors.js'
export { withReferenceDecoding } from './wire.js'
export { decodeRoster, decodeSignedRoster, encodeRoster, encodeSignedRoster } from './roster.js'

// ------------------------------------------------------------------ entries

function entryFrom (w: Wire): Entry {
  const seq = u64(w.seq, 'entry.seq')
  if (seq < 1) throw new InvalidFieldError('entry.seq', 'must be at least 1')
  const prev = bytes(w.prev)
  if (seq === 1 && prev.length !== 0) throw new InvalidFieldError('entry.prev', 'must be empty for the first entry of a log')
  if (seq > 1) exactLength(prev, L.ID_BYTES, 'entry.prev')
  const body = bodyFrom(w)
  return {
    author: exactLength(bytes(w.author), L.KEY_BYTES, 'entry.author'),
    seq,
    prev,
    time: u64(w.time, 'entry.time'),
    body
  }
}

function entryTo (e: Entry): Wire {
  const w: Wire = {}
  put(w, 'author', e.author)
  put(w, 'seq', e.seq)
  put(w, 'prev', e.prev)
  put(w, 'time', e.time)
  bodyTo(e.body, w)
  return w
}

/**
 * Each body type's own entry size limit: statements and key-epoch
 * announcements (no sealed keys) are small; a roster or a key distribution
 * may be large, each up to what its counts allow.
 */
function entryLimit (b: Body): { what: string, limit: number } {
  switch (b.type) {
    case 'roster': return { what: 'roster entry', limit: L.MAX_ROSTER_ENTRY_BYTES }
    case 'key-epoch': return b.sealed.length > 0
      ? { what: 'key distribution entry', limit: L.MAX_KEY_EPOCH_ENTRY_BYTES }
      : { what: 'key epoch announcement', limit: L.MAX_STATEMENT_ENTRY_BYTES }
    case 'guardian-counts': return { what: 'guardian counts entry', limit: L.MAX_GUARDIAN_COUNTS_ENTRY_BYTES }
    default: return { what: 'statement entry', limit: L.MAX_STATEMENT_ENTRY_BYTES }
  }
}

export function encodeEntry (e: Entry): Uint8Array {
  safeInt(e.seq, 'entry.seq')
  safeInt(e.time, 'entry.time')
  const out = encodeWire(T.Entry, entryTo(e))
  const { limit } = entryLimit(e.body)
  if (out.length > limit) throw new OversizeError('entry', out.length, limit)
  return out
}

/** Decodes one entry, held to the size limit of its body type. */
export function decodeEntry (buf: Uint8Array): Entry {
  // the canonical attestation entry (a catch-up's million) first; anything else, valid or not, through the strict parser
  const fast = referenceDecoding() ? undefined : decodeAttestationEntry(buf)
  if (fast !== undefined) return fast
  const e = decodeStrict(T.Entry, 'entry', buf, L.MAX_ENTRY_BYTES, entryFrom, entryTo, S.ENTRY)
  const { what, limit } = entryLimit(e.body)
  if (buf.length > limit) throw new OversizeError(what, buf.length, limit)
  return e
}

// ------------------------------------------------------------------ envelopes

function segmentFrom (w: Wire, field = 'segment'): Segment {
  const entries = count(w.entries as Uint8Array[], L.MAX_SEGMENT_ENTRIES, `${field}.entries`).map(bytes)
  if (entries.length === 0) throw new InvalidFieldError(`${field}.entries`, 'must hold at least one entry')
  return {
    entries,
    signature: optionalLength(bytes(w.signature), L.SIGNATURE_BYTES, `${field}.signature`)
  }
}

function segmentTo (s: Segment): Wire {
  const w: Wire = {}
  put(w, 'entries', s.entries)
  put(w, 'signature', s.signature)
  return w
}

export function encodeSegment (s: Segment): Uint8Array {
  const out = encodeWire(T.Segment, segmentTo(s))
  if (out.length > L.MAX_SEGMENT_BYTES) throw new OversizeError('segment', out.length, L.MAX_SEGMENT_BYTES)
  return out
}

/** Decodes a segment frame; its entries stay bytes until decodeEntry (ids cover exact bytes). */
export function decodeSegment (buf: Uint8Array): Segment {
  return decodeStrict(T.Segment, 'segment', buf, L.MAX_SEGMENT_BYTES, w => segmentFrom(w), segmentTo, S.SEGMENT)
}

function headFrom (w: Wire, i: number): Head {
  const f = `heads[${i}]`
  const seq = u64(w.seq, `${f}.seq`)
  if (seq < 1) throw new InvalidFieldError(`${f}.seq`, 'must be at least 1')
  return {
    author: exactLength(bytes(w.author), L.KEY_BYTES, `${f}.author`),
    seq,
    id: exactLength(bytes(w.id), L.ID_BYTES, `${f}.id`)
  }
}

function headTo (h: Head): Wire {
  const w: Wire = {}
  put(w, 'author', h.author)
  put(w, 'seq', h.seq)
  put(w, 'id', h.id)
  return w
}

function syncRequestFrom (w: Wire): SyncRequest {
  const alliance = limitText(str(w.alliance), L.MAX_ID_CHARS, 'syncRequest.alliance')
  if (alliance === '') throw new InvalidFieldError('syncRequest.alliance', 'is required')
  return {
    alliance,
    heads: count(w.heads as Wire[], L.MAX_HEADS, 'syncRequest.heads').map(headFrom),
    maxEntries: num(w.maxEntries)
  }
}

function syncRequestTo (r: SyncRequest): Wire {
  const w: Wire = {}
  put(w, 'alliance', r.alliance)
  put(w, 'heads', r.heads.map(headTo))
  put(w, 'maxEntries', r.maxEntries)
  return w
}

export function encodeSyncRequest (r: SyncRequest): Uint8Array {
  return encodeWire(T.SyncRequest, syncRequestTo(r))
}

export function decodeSyncRequest (buf: Uint8Array): SyncRequest {
  return decodeStrict(T.SyncRequest, 'sync request', buf, L.MAX_SYNC_REQUEST_BYTES, syncRequestFrom, syncRequestTo, S.SYNC_REQUEST)
}

function syncResponseFrom (w: Wire): SyncResponse {
  return {
    segments: count(w.segments as Wire[], L.MAX_SEGMENTS_PER_RESPONSE, 'syncResponse.segments').map((s, i) => segmentFrom(s, `syncResponse.segments[${i}]`)),
    done: w.done === true
  }
}

function syncResponseTo (r: SyncResponse): Wire {
  const w: Wire = {}
  put(w, 'segments', r.segments.map(segmentTo))
  put(w, 'done', r.done)
  return w
}

export function encodeSyncResponse (r: SyncResponse): Uint8Array {
  const out = encodeWire(T.SyncResponse, syncResponseTo(r))
  if (out.length > L.MAX_SYNC_RESPONSE_BYTES) throw new OversizeError('sync response', out.length, L.MAX_SYNC_RESPONSE_BYTES)
  return out
}

export function decodeSyncResponse (buf: Uint8Array): SyncResponse {
  return decodeStrict(T.SyncResponse, 'sync response', buf, L.MAX_SYNC_RESPONSE_BYTES, syncResponseFrom, syncResponseTo, S.SYNC_RESPONSE)
}

function equivocationFrom (w: Wire): Equivocation {
  if (w.a == null || w.b == null) throw new InvalidFieldError('equivocation', 'needs both segments a and b')
  return { a: segmentFrom(w.a, 'equivocation.a'), b: segmentFrom(w.b, 'equivocation.b') }
}

function equivocationTo (e: Equivocation): Wire {
  return { a: segmentTo(e.a), b: segmentTo(e.b) }
}

export function encodeEquivocation (e: Equivocation): Uint8Array {
  return encodeWire(T.Equivocation, equivocationTo(e))
}

export function decodeEquivocation (buf: Uint8Array): Equivocation {
  return decodeStrict(T.Equivocation, 'equivocation', buf, L.MAX_EQUIVOCATION_BYTES, equivocationFrom, equivocationTo, S.EQUIVOCATION)
}

/** Every decoder, by name: the fuzz tests and the bench iterate over this. */
export const DECODERS = {
  entry: decodeEntry,
  roster: decodeRoster,
  signedRoster: decodeSignedRoster,
  segment: decodeSegment,
  syncRequest: decodeSyncRequest,
  syncResponse: decodeSyncResponse,
  equivocation: decodeEquivocation
} as const
