/**
 * A fast path for the one entry shape a catch-up moves by the million: an
 * attestation entry in the canonical encoding. It reads the fields at the
 * places the canonical form puts them and builds the entry directly, with
 * no intermediate wire object and no byte copies: the byte fields are views
 * of the entry's own bytes (copied once first when `buf` is itself a view
 * of a larger buffer, so a decoded entry never keeps a sync frame alive).
 *
 * It accepts a subset of what the strict parser accepts and gives the same
 * entry: anything it does not recognise as a valid canonical attestation
 * entry (another body, a missing or extra field, a non-minimal varint, a
 * length or value out of bounds) answers `undefined`, and the caller decodes
 * through the strict parser, which accepts it or refuses it with its named
 * error. The differential test (test/unit/protocol/codec.strict.test.ts)
 * holds `decodeEntry` equal to protobufjs plus the re-encoding check.
 */
import { CLAIM_WIRE, KIND_WIRE } from '../kinds.js'
import * as L from '../limits.js'
import type { Entry } from '../types.js'

const TWO_31 = 2 ** 31
const TWO_32 = 2 ** 32
const TWO_53 = 2 ** 53

/** Where the last varint read by `varint` ended. */
let at = 0

/** A minimal varint below 2^53 starting at `pos` and ending before `end`, or -1. */
function varint (buf: Uint8Array, pos: number, end: number): number {
  let value = 0
  let mul = 1
  for (let i = 0; i < 8; i++) {
    if (pos >= end) return -1
    const b = buf[pos++]
    value += (b & 0x7f) * mul
    if (b < 0x80) {
      if (b === 0 && i > 0) return -1 // not minimal
      if (value >= TWO_53) return -1
      at = pos
      return value
    }
    mul *= 128
  }
  return -1
}

/** Tag bytes (field number << 3 | wire type) of the fields read here, all below field 16. */
const ENTRY_AUTHOR = 0x0a
const ENTRY_SEQ = 0x10
const ENTRY_PREV = 0x1a
const ENTRY_TIME = 0x20
const ENTRY_ATTESTATION = 0x52
const A_FINGERPRINT = 0x0a
const A_KIND = 0x10
const A_CLAIM = 0x18
const A_REASON = 0x20
const A_CONFIDENCE = 0x28
const A_EVIDENCE = 0x32
const A_EXPIRES = 0x38
const A_EPOCH = 0x40

/** The canonical attestation entry in `buf`, or undefined when `buf` is anything else (valid or not). */
export function decodeAttestationEntry (buf: Uint8Array): Entry | undefined {
  if (!(buf instanceof Uint8Array)) return undefined
  const end = buf.length
  if (end > L.MAX_STATEMENT_ENTRY_BYTES || end < 2 + L.KEY_BYTES) return undefined
  if (buf[0] !== ENTRY_AUTHOR || buf[1] !== L.KEY_BYTES) return undefined
  let p = 2 + L.KEY_BYTES
  if (buf[p] !== ENTRY_SEQ) return undefined
  const seq = varint(buf, p + 1, end)
  if (seq < 1) return undefined
  p = at
  let prevAt = p
  let prevEnd = p
  if (seq > 1) {
    if (buf[p] !== ENTRY_PREV || buf[p + 1] !== L.ID_BYTES || p + 2 + L.ID_BYTES > end) return undefined
    prevAt = p + 2
    prevEnd = prevAt + L.ID_BYTES
    p = prevEnd
  }
  let time = 0
  if (buf[p] === ENTRY_TIME) {
    time = varint(buf, p + 1, end)
    if (time < 1) return undefined
    p = at
  }
  if (buf[p] !== ENTRY_ATTESTATION) return undefined
  const len = varint(buf, p + 1, end)
  if (len < 1 || at + len !== end) return undefined
  p = at
  // attestation: fingerprint, kind and claim are required; the rest omitted when 0 or empty
  if (buf[p] !== A_FINGERPRINT) return undefined
  const fpLen = varint(buf, p + 1, end)
  if (fpLen < 1) return undefined
  const fpAt = at
  const fpEnd = fpAt + fpLen
  if (fpEnd > end) return undefined
  p = fpEnd
  if (buf[p] !== A_KIND) return undefined
  const kindWire = varint(buf, p + 1, end)
  if (kindWire < 1 || kindWire >= TWO_31) return undefined
  const kind = KIND_WIRE.nameOf(kindWire)
  if (kind === undefined) return undefined
  if (kind === 'product-image' ? fpLen < L.MIN_IMAGE_HASH_BYTES || fpLen > L.FINGERPRINT_BYTES : fpLen !== L.FINGERPRINT_BYTES) return undefined
  p = at
  if (buf[p] !== A_CLAIM) return undefined
  const claimWire = varint(buf, p + 1, end)
  if (claimWire < 1 || claimWire >= TWO_31) return undefined
  const claim = CLAIM_WIRE.nameOf(claimWire)
  if (claim === undefined) return undefined
  p = at
  let reason = 0
  if (p < end && buf[p] === A_REASON) {
    reason = varint(buf, p + 1, end)
    if (reason < 1 || reason >= TWO_32) return undefined
    p = at
  }
  let confidence = 0
  if (p < end && buf[p] === A_CONFIDENCE) {
    confidence = varint(buf, p + 1, end)
    if (confidence < 1 || confidence > L.MAX_CONFIDENCE) return undefined
    p = at
  }
  let evAt = p
  let evEnd = p
  if (p < end && buf[p] === A_EVIDENCE) {
    if (buf[p + 1] !== L.DIGEST_BYTES || p + 2 + L.DIGEST_BYTES > end) return undefined
    evAt = p + 2
    evEnd = evAt + L.DIGEST_BYTES
    p = evEnd
  }
  let expires = 0
  if (p < end && buf[p] === A_EXPIRES) {
    expires = varint(buf, p + 1, end)
    if (expires < 1) return undefined
    p = at
  }
  let epoch = 0
  if (p < end && buf[p] === A_EPOCH) {
    epoch = varint(buf, p + 1, end)
    if (epoch < 1 || epoch >= TWO_32) return undefined
    p = at
  }
  if (p !== end) return undefined
  // views of one buffer of the entry's own (the strict parser's copies cost one ArrayBuffer each)
  const own = Object.getPrototypeOf(buf) === Uint8Array.prototype && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength
  const b = own ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice()
  return {
    author: b.subarray(2, 2 + L.KEY_BYTES),
    seq,
    prev: b.subarray(prevAt, prevEnd),
    time,
    body: {
      type: 'attestation',
      fingerprint: b.subarray(fpAt, fpEnd),
      kind,
      claim,
      reason,
      confidence,
      evidenceDigest: b.subarray(evAt, evEnd),
      expires,
      epoch
    }
  }
}
