/**
 * Pieces of LevelDB's on-disk formats shared by the table check and the
 * manifest reader: varints, block handles and masked CRC-32C (leveldb's
 * doc/table_format.md and doc/log_format.md).
 */
import { crc32c } from '@node-rs/crc32'

const MASK_DELTA = 0xa282ead8

/** A file that does not parse or whose checksums fail; the message says where. */
export class FileDamage extends Error {}

/** leveldb's masked CRC-32C of `parts` in order (crc32c of their concatenation, then rotated and offset). */
export function maskedCrc (...parts: Uint8Array[]): number {
  let crc: number | undefined
  for (const p of parts) crc = crc32c(Buffer.from(p.buffer, p.byteOffset, p.length), crc)
  const c = crc ?? 0
  return (((c >>> 15) | (c << 17)) + MASK_DELTA) >>> 0
}

export interface Handle { offset: number, size: number }

/** Reads varints and length-prefixed slices from `bytes[pos, end)`; throws FileDamage past the end. */
export class Reader {
  constructor (private readonly bytes: Uint8Array, public pos: number, private readonly end: number) {}

  get done (): boolean {
    return this.pos >= this.end
  }

  /** An unsigned varint of at most 64 bits, as a safe integer (offsets, sizes and file numbers). */
  varint (): number {
    let n = 0
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw new FileDamage('a varint runs past its block')
      const b = this.bytes[this.pos++]
      n += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(n)) throw new FileDamage('a varint out of range')
        return n
      }
    }
    throw new FileDamage('a varint longer than 10 bytes')
  }

  handle (): Handle {
    return { offset: this.varint(), size: this.varint() }
  }

  skip (n: number): void {
    if (this.pos + n > this.end) throw new FileDamage('an entry runs past its block')
    this.pos += n
  }

  take (n: number): Uint8Array {
    const start = this.pos
    this.skip(n)
    return this.bytes.subarray(start, start + n)
  }

  /** A varint length, then that many bytes. */
  slice (): Uint8Array {
    return this.take(this.varint())
  }
}
