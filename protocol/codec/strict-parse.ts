/**
 * The strict parser: counts before allocation, canonical form while parsing.
 *
 * protobufjs builds every element of a repeated field before any code can
 * count them, so a count limit checked after decoding bounds nothing: an
 * 8 MiB sync frame of ~4 million empty entries made a node build ~4 million
 * objects (3.7 s of a blocked event loop, +1.7 GiB) before its
 * `MAX_SEGMENT_ENTRIES` check threw. And the canonical-encoding check by
 * re-encoding with protobufjs cost more than the decode itself.
 *
 * This parser walks the wire bytes once with a shape of the message (field
 * number → type, limit, nested shape; shapes.ts) and throws a named error at
 * the first field out of bounds — before the element is built. It accepts
 * only the one canonical encoding that the codec's encoder produces:
 * - fields in ascending field-number order, known fields only, each
 *   singular field at most once, at most one member of a oneof;
 * - minimal varints; no default values written (0, false, empty bytes or
 *   strings) except as elements of repeated fields; bools written as 1;
 *   uint32 values below 2^32; repeated enums packed, never empty;
 * - strings valid UTF-8.
 * The values come out as protobufjs would give them (uint64 as numbers up to
 * 2^53 - 1), except that bytes are copies, not views into the input, so the
 * codec's conversions (index.ts) run unchanged and need not copy again. A differential test
 * (test/unit/protocol/codec.strict.test.ts) checks it accepts exactly what
 * protobufjs decoding plus the re-encoding check accepts.
 */
import { InvalidFieldError, MalformedMessageError, NonCanonicalEncodingError, TooManyError } from './errors.js'
import type { Wire } from './wire.js'

export type FieldKind = 'bytes' | 'string' | 'uint32' | 'uint64' | 'enum' | 'bool' | 'message'

export interface FieldShape {
  /** Name for errors, e.g. `syncResponse.segments`; its last part is the property name. */
  name: string
  key: string
  kind: FieldKind
  /** Repeated: how many elements one message may hold (the named limit). */
  max?: number
  /** A repeated enum, packed into one length-delimited field. */
  packed?: boolean
  /** Shape of a nested message. */
  message?: MessageShape
  /** A limit across the whole decoded message (all parents together), by name. */
  total?: { name: string, max: number }
  /** Name of the oneof this field belongs to (the property that names the member set). */
  oneof?: string
}

/** Fields of one message type by field number. */
export type MessageShape = Readonly<Record<number, FieldShape>>

const field = (name: string, kind: FieldKind, extra: Partial<FieldShape> = {}): FieldShape =>
  ({ name, key: name.slice(name.lastIndexOf('.') + 1), kind, ...extra })

/** Shorthands for shapes.ts. */
export const F = {
  bytes: (name: string) => field(name, 'bytes'),
  string: (name: string) => field(name, 'string'),
  uint32: (name: string) => field(name, 'uint32'),
  uint64: (name: string) => field(name, 'uint64'),
  enum: (name: string) => field(name, 'enum'),
  bool: (name: string) => field(name, 'bool'),
  message: (name: string, message: MessageShape, oneof?: string) => field(name, 'message', { message, oneof }),
  repeated: (name: string, kind: 'bytes' | 'string' | 'message', max: number, message?: MessageShape, total?: FieldShape['total']) =>
    field(name, kind, { max, message, total }),
  packedEnum: (name: string, max: number) => field(name, 'enum', { max, packed: true })
}

const TWO_32 = 2 ** 32
const TWO_53 = 2 ** 53
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Parses `buf` as a message of `shape`; throws a named codec error at the first thing out of bounds or not canonical. */
export function parseStrict (shape: MessageShape, what: string, buf: Uint8Array): Wire {
  const u8 = Object.getPrototypeOf(buf) === Uint8Array.prototype ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  const p = new Parser(what, u8)
  const w = p.message(shape, 0, u8.length)
  if (p.unknownFields) throw new NonCanonicalEncodingError(what)
  return w
}

class Parser {
  readonly #what: string
  readonly #buf: Uint8Array
  /** Counts of limits across the whole message; made at the first such field (an entry has none: one Map fewer per decoded entry). */
  #totals: Map<string, number> | undefined
  /** Where the last varint ended. */
  #pos = 0
  /**
   * An unknown field was skipped. As protobufjs does, the rest is still
   * parsed (bytes that do not parse are malformed, whatever came first);
   * the message is refused as non-canonical at the end.
   */
  unknownFields = false

  constructor (what: string, buf: Uint8Array) {
    this.#what = what
    this.#buf = buf
  }

  #nonCanonical (): never { throw new NonCanonicalEncodingError(this.#what) }
  #malformed (why: string): never { throw new MalformedMessageError(this.#what, why) }

  /** A minimal varint at `pos`, as a double (exact below 2^53); `#pos` moves past it. */
  #varint (pos: number, end: number): number {
    const buf = this.#buf
    let value = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.#malformed('truncated varint')
      const b = buf[pos++]
      value += (b & 0x7f) * mul
      mul *= 128
      if (b < 0x80) {
        if (b === 0 && i > 0) this.#nonCanonical() // a trailing zero group: not the minimal encoding
        if (i === 9 && b > 1) this.#nonCanonical() // bits beyond 64
        this.#pos = pos
        return value
      }
    }
    return this.#malformed('varint longer than 10 bytes')
  }

  message (shape: MessageShape, start: number, end: number): Wire {
    const w: Wire = {}
    let last = 0
    let run = 0
    let pos = start
    while (pos < end) {
      const tag = this.#varint(pos, end)
      pos = this.#pos
      const no = Math.floor(tag / 8)
      const wire = tag % 8
      const f = shape[no]
      if (f === undefined) {
        pos = this.#skip(wire, pos, end)
        this.unknownFields = true
        continue
      }
      if (no < last) this.#nonCanonical()
      if (no === last) {
        if (f.max === undefined || f.packed === true) this.#nonCanonical()
        run++
      } else {
        run = 1
        last = no
      }
      const delimited = f.kind === 'bytes' || f.kind === 'string' || f.kind === 'message' || f.packed === true
      if (wire !== (delimited ? 2 : 0)) {
        if (f.packed === true && wire === 0) this.#nonCanonical() // valid protobuf, but not packed
        this.#malformed(`field ${f.name} has wire type ${wire}`)
      }
      if (f.max !== undefined && f.packed !== true) {
        if (run > f.max) throw new TooManyError(f.name, run, f.max, true)
        if (f.total !== undefined) {
          const totals = this.#totals ??= new Map()
          const t = (totals.get(f.total.name) ?? 0) + 1
          if (t > f.total.max) throw new TooManyError(f.total.name, t, f.total.max, true)
          totals.set(f.total.name, t)
        }
      }
      if (f.oneof !== undefined) {
        if (w[f.oneof] !== undefined) this.#nonCanonical()
        w[f.oneof] = f.key
      }
      if (!delimited) {
        const v = this.#varint(pos, end)
        pos = this.#pos
        w[f.key] = this.#scalar(f, v)
        continue
      }
      const len = this.#varint(pos, end)
      pos = this.#pos
      const to = pos + len
      if (to > end) this.#malformed(`field ${f.name} runs past the end of its message`)
      if (f.packed === true) {
        w[f.key] = this.#packed(f, pos, to)
      } else {
        let v: unknown
        if (f.kind === 'message') {
          v = this.message(f.message as MessageShape, pos, to)
        } else {
          if (len === 0 && f.max === undefined) this.#nonCanonical() // an empty singular bytes or string is the default: not written
          v = f.kind === 'bytes' ? this.#buf.slice(pos, to) : this.#string(pos, to)
        }
        if (f.max === undefined) w[f.key] = v
        else if (run === 1) w[f.key] = [v]
        else (w[f.key] as unknown[]).push(v)
      }
      pos = to
    }
    if (pos !== end) this.#malformed('a field runs past the end of its message')
    return w
  }

  /** Skips an unknown field's value (no allocation); malformed if it does not parse. */
  #skip (wire: number, pos: number, end: number): number {
    switch (wire) {
      case 0: this.#varintAny(pos, end); return this.#pos
      case 1: if (pos + 8 > end) this.#malformed('truncated field'); return pos + 8
      case 5: if (pos + 4 > end) this.#malformed('truncated field'); return pos + 4
      case 2: {
        const len = this.#varintAny(pos, end)
        if (this.#pos + len > end) this.#malformed('a field runs past the end of its message')
        return this.#pos + len
      }
      default: return this.#malformed(`wire type ${wire}`)
    }
  }

  /** A varint of any encoding (an unknown field's: its minimality does not matter, it is refused anyway). */
  #varintAny (pos: number, end: number): number {
    let value = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.#malformed('truncated varint')
      const b = this.#buf[pos++]
      value += (b & 0x7f) * mul
      mul *= 128
      if (b < 0x80) { this.#pos = pos; return value }
    }
    return this.#malformed('varint longer than 10 bytes')
  }

  /** UTF-8 text; refused if not valid UTF-8 (protobufjs would decode it lossily, and it would not re-encode the same). */
  #string (pos: number, to: number): string {
    try { return utf8.decode(this.#buf.subarray(pos, to)) } catch { return this.#nonCanonical() }
  }

  #scalar (f: FieldShape, v: number): number | boolean {
    switch (f.kind) {
      case 'bool':
        if (v !== 1) this.#nonCanonical()
        return true
      case 'uint32':
        if (v === 0 || v >= TWO_32) this.#nonCanonical()
        return v
      case 'uint64':
        if (v === 0) this.#nonCanonical()
        if (v >= TWO_53) throw new InvalidFieldError(f.name, 'exceeds the largest safe integer (2^53 - 1)')
        return v
      default: // enum: the codec maps the number and refuses 0 and unknown values
        return v >= TWO_32 ? this.#nonCanonical() : v >= 2 ** 31 ? v - TWO_32 : v
    }
  }

  #packed (f: FieldShape, pos: number, to: number): number[] {
    if (pos === to) this.#nonCanonical() // an empty repeated field is not written
    let n = 0
    for (let i = pos; i < to; i++) if (this.#buf[i] < 0x80) n++
    if (n > (f.max as number)) throw new TooManyError(f.name, n, f.max as number, true)
    const out: number[] = []
    while (pos < to) {
      const v = this.#varint(pos, to)
      pos = this.#pos
      out.push(v >= TWO_32 ? this.#nonCanonical() : v >= 2 ** 31 ? v - TWO_32 : v)
    }
    return out
  }
}
