/**
 * Evidence files are named in the report by size and SHA-256 (FIPS 180-4).
 * The caller reads the file; this module only hashes what it is given, a
 * piece at a time, so a file of any size is never held in memory.
 */
import { createHash, type Hash } from 'node:crypto'
import { EvidenceMismatchError } from './errors.js'
import { MAX_EVIDENCE_FILE_BYTES } from './limits.js'
import type { EvidenceFile } from './types.js'

/** SHA-256 and size of a stream, e.g. a file read with fs.createReadStream. */
export async function digestEvidence (source: AsyncIterable<Uint8Array>): Promise<{ sha256: Uint8Array, size: number }> {
  const h = createHash('sha256')
  let size = 0
  for await (const piece of source) {
    size += piece.length
    if (size > MAX_EVIDENCE_FILE_BYTES) throw new RangeError(`evidence file is over the limit of ${MAX_EVIDENCE_FILE_BYTES} bytes`)
    h.update(piece)
  }
  return { sha256: new Uint8Array(h.digest()), size }
}

/**
 * Passes a file's pieces through while hashing them, and fails as soon as
 * they exceed the size the report gives, or at the end if the size or the
 * SHA-256 differ (EvidenceMismatchError): the bytes sent or bundled are
 * always the bytes the author signed for.
 */
export async function * checkedEvidence (file: EvidenceFile, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const h: Hash = createHash('sha256')
  let size = 0
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) throw new TypeError('the evidence source must yield Uint8Array chunks')
    size += piece.length
    if (size > file.size) throw new EvidenceMismatchError(file.name, 'size', `more than the ${file.size} bytes the report gives`)
    h.update(piece)
    yield piece
  }
  if (size !== file.size) throw new EvidenceMismatchError(file.name, 'size', `${size} bytes, the report gives ${file.size}`)
  if (!h.digest().equals(file.sha256)) throw new EvidenceMismatchError(file.name, 'digest')
}
