/**
 * The strict-decoding toolkit every codec of the protocol shares (entries,
 * rosters, sync frames, reports): protobufjs values to safe TypeScript values
 * with field checks, proto3-canonical encoding, and `decodeStrict`, which
 * requires the received bytes to be exactly the canonical encoding.
 */
import type protobuf from 'protobufjs'
import { bytesEqual } from '../bytes.js'
import type { WireEnum } from '../kinds.js'
import {
  InvalidFieldError, MalformedMessageError, NonCanonicalEncodingError, OversizeError, TooManyError
} from './errors.js'
import { parseStrict, type MessageShape } from './strict-parse.js'

export type Wire = Record<string, any>

/** A protobufjs uint64 (Long or number) as a safe JS number, or an error. */
export function u64 (v: unknown, field: string): number {
  if (v === undefined || v === null) return 0
  if (typeof v === 'number') return v
  const { low, high } = v as { low: number, high: number }
  const hi = high >>> 0
  if (hi >= 0x200000) throw new InvalidFieldError(field, 'exceeds the largest safe integer (2^53 - 1)')
  return hi * 0x100000000 + (low >>> 0)
}

export function num (v: unknown): number {
  return typeof v === 'number' ? v : 0
}

/**
 * A bytes value as a plain Uint8Array of its own, never a view into the
 * received frame (which would keep the whole frame alive) nor a Buffer.
 * The strict parser already hands out such copies; protobufjs hands out views.
 */
export function bytes (v: unknown): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0)
  const b = v as Uint8Array
  if (Object.getPrototypeOf(b) === Uint8Array.prototype && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice()
}

export function str (v: unknown): string {
  return typeof v === 'string' ? v : ''
}

export function exactLength (b: Uint8Array, n: number, field: string): Uint8Array {
  if (b.length !== n) throw new InvalidFieldError(field, `must be ${n} bytes, got ${b.length}`)
  return b
}

export function optionalLength (b: Uint8Array, n: number, field: string): Uint8Array {
  if (b.length !== 0 && b.length !== n) throw new InvalidFieldError(field, `must be empty or ${n} bytes, got ${b.length}`)
  return b
}

export function limitText (s: string, max: number, field: string): string {
  if (s.length > max) throw new InvalidFieldError(field, `longer than ${max} characters`)
  return s
}

export function count<T> (arr: T[] | undefined, max: number, field: string): T[] {
  const a = arr ?? []
  if (a.length > max) throw new TooManyError(field, a.length, max)
  return a
}

/** The name of a wire enum value through the registry (protocol/kinds.ts); 0, retired and unknown numbers are an InvalidFieldError. */
export function enumName<N extends string> (e: WireEnum<N>, v: unknown, field: string): N {
  const n = num(v)
  const name = e.nameOf(n)
  if (name !== undefined) return name
  if (e.retired.includes(n)) throw new InvalidFieldError(field, `${e.protoName} value ${n} is retired`)
  throw new InvalidFieldError(field, `unknown or unspecified ${e.protoName} value ${n}`)
}

export function safeInt (n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidFieldError(field, 'must be a non-negative safe integer')
  return n
}

/** Sets `o[k] = v` only when v is not the proto3 default, so encode omits it. */
export function put (o: Wire, k: string, v: number | string | boolean | Uint8Array | Wire | Wire[] | Uint8Array[] | number[] | undefined): void {
  if (v === undefined || v === 0 || v === '' || v === false) return
  if ((v instanceof Uint8Array || Array.isArray(v)) && v.length === 0) return
  o[k] = v
}

export function checkSize (what: string, buf: Uint8Array, limit: number): void {
  if (!(buf instanceof Uint8Array)) throw new MalformedMessageError(what, 'input is not a byte array')
  if (buf.length > limit) throw new OversizeError(what, buf.length, limit)
}

export function parse (t: protobuf.Type, what: string, buf: Uint8Array): Wire {
  try {
    return t.decode(buf) as unknown as Wire
  } catch (err) {
    throw new MalformedMessageError(what, err instanceof Error ? err.message : String(err))
  }
}

export function encodeWire (t: protobuf.Type, w: Wire): Uint8Array {
  const out = t.encode(w).finish()
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Set only by `withReferenceDecoding`: decode through protobufjs even where a shape is given. */
let reference = false

/** Whether decoders must take the reference path (`withReferenceDecoding`): fast paths step aside too. */
export function referenceDecoding (): boolean { return reference }

/**
 * Runs `fn` with every decoder on the reference path (protobufjs, then the
 * re-encoding check), for the differential test of the strict parser.
 */
export function withReferenceDecoding<T> (fn: () => T): T {
  reference = true
  try { return fn() } finally { reference = false }
}

/**
 * Decode `buf` as `t` within the size limit and convert it with `from`,
 * accepting only the canonical encoding. With a `shape` (every message of
 * alliance.proto) the strict parser does both in one pass and checks counts
 * before it builds anything (strict-parse.ts). Without one (the report
 * codec), protobufjs decodes and `to(from(wire))` must re-encode to exactly
 * `buf`.
 */
export function decodeStrict<V> (t: protobuf.Type, what: string, buf: Uint8Array, limit: number, from: (w: Wire) => V, to: (v: V) => Wire, shape?: MessageShape): V {
  checkSize(what, buf, limit)
  if (shape !== undefined && !reference) return from(parseStrict(shape, what, buf))
  const value = from(parse(t, what, buf))
  if (!bytesEqual(encodeWire(t, to(value)), buf)) throw new NonCanonicalEncodingError(what)
  return value
}

/** Encodes and refuses a result over `limit` bytes. */
export function encodeLimited (t: protobuf.Type, what: string, w: Wire, limit: number): Uint8Array {
  const out = encodeWire(t, w)
  if (out.length > limit) throw new OversizeError(what, out.length, limit)
  return out
}
