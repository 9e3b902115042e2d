/**
 * Record framing shared by the envelope and the evidence bundle, and a
 * pull reader over an AsyncIterable<Uint8Array> (protocol/ does no I/O: the
 * caller turns a file or a libp2p stream into the iterable).
 *
 *   record = type (1 byte) || length (8 bytes, big-endian) || payload (length bytes)
 *
 * A fixed-size header lets a reader stream a payload of any size (an
 * evidence file) without buffering it, and lets it refuse an oversize
 * record from its header alone. Lengths must be safe integers.
 */
import type { Hash } from 'node:crypto'
import { FormatError, TruncatedError } from './errors.js'

export const RECORD_HEADER_BYTES = 9

export function recordHeader (type: number, length: number): Uint8Array {
  const h = new Uint8Array(RECORD_HEADER_BYTES)
  h[0] = type
  const v = new DataView(h.buffer)
  v.setUint32(1, Math.floor(length / 0x100000000))
  v.setUint32(5, length >>> 0)
  return h
}

/** One record as one buffer: header and payload. */
export function record (type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length)
  out.set(recordHeader(type, payload.length))
  out.set(payload, RECORD_HEADER_BYTES)
  return out
}

const EMPTY = new Uint8Array(0)

/**
 * Reads exact byte counts from an async iterable of chunks of any size.
 * Views into the source's chunks are returned where a read fits in one
 * chunk (no copy); reads that span chunks are copied. Every byte consumed is
 * also fed to `tap` when set (the bundle digest).
 */
export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>
  #buf: Uint8Array = EMPTY
  #pos = 0
  #ended = false
  /** Bytes consumed so far. */
  offset = 0
  tap: Hash | undefined

  constructor (source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]()
  }

  /** Makes at least one unread byte available; false at the end of the input. */
  async #more (): Promise<boolean> {
    while (this.#pos >= this.#buf.length) {
      if (this.#ended) return false
      const r = await this.#it.next()
      if (r.done === true) { this.#ended = true; this.#buf = EMPTY; this.#pos = 0; return false }
      if (!(r.value instanceof Uint8Array)) throw new TypeError('the source must yield Uint8Array chunks')
      this.#buf = r.value
      this.#pos = 0
    }
    return true
  }

  #take (n: number): Uint8Array {
    const v = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    this.offset += n
    this.tap?.update(v)
    return v
  }

  /** True when every byte has been read. */
  async atEnd (): Promise<boolean> {
    return !(await this.#more())
  }

  /** Exactly n bytes, or TruncatedError naming `what`. */
  async read (n: number, what: string): Promise<Uint8Array> {
    if (n === 0) return EMPTY
    if (!(await this.#more())) throw new TruncatedError(what, this.offset)
    if (this.#buf.length - this.#pos >= n) return this.#take(n)
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      if (!(await this.#more())) throw new TruncatedError(what, this.offset)
      const part = this.#take(Math.min(n - filled, this.#buf.length - this.#pos))
      out.set(part, filled)
      filled += part.length
    }
    return out
  }

  /** Yields views totalling exactly n bytes, as they arrive; TruncatedError naming `what` if the input ends first. */
  async * stream (n: number, what: string): AsyncGenerator<Uint8Array> {
    let left = n
    while (left > 0) {
      if (!(await this.#more())) throw new TruncatedError(what, this.offset)
      const part = this.#take(Math.min(left, this.#buf.length - this.#pos))
      left -= part.length
      yield part
    }
  }

  /**
   * The next record's header; undefined at a clean end of input. A header
   * cut short is TruncatedError; a length over 2^53 - 1 is FormatError.
   */
  async recordHeader (what: string): Promise<{ type: number, length: number, offset: number } | undefined> {
    if (await this.atEnd()) return undefined
    const offset = this.offset
    const h = await this.read(RECORD_HEADER_BYTES, what)
    const v = new DataView(h.buffer, h.byteOffset, RECORD_HEADER_BYTES)
    const hi = v.getUint32(1)
    if (hi >= 0x200000) throw new FormatError(what, 'record length is not a safe integer', offset)
    return { type: h[0], length: hi * 0x100000000 + v.getUint32(5), offset }
  }
}

/** Checks a magic string at the start of the input. */
export async function expectMagic (reader: ByteReader, magic: Uint8Array, what: string): Promise<void> {
  const got = await reader.read(magic.length, what)
  for (let i = 0; i < magic.length; i++) {
    if (got[i] !== magic[i]) throw new FormatError(what, 'not this format (wrong magic bytes)', i)
  }
}
