/**
 * The chain rules as pure functions, shared by both stores: do appended
 * entries continue the head, does a stored entry continue the intact prefix
 * before it, and does a head record agree with the last intact entry.
 */
import { bytesEqual } from '../../protocol/bytes.js'
import { ID_BYTES, KEY_BYTES, SIGNATURE_BYTES } from '../../protocol/limits.js'
import { entryId, type LogEntry, type LogHead } from '../../protocol/log/index.js'
import { headerTime } from './entry-header.js'
import { InvalidAppendError, NonContiguousAppendError } from './errors.js'
import type { ChainDamage } from './types.js'

export type DamageKind = ChainDamage['why']

const NO_PREV = new Uint8Array(0)

/**
 * Checks the entry stored under (`author`, `seq`) with id `storedId` against
 * `last`, the last intact entry before it (undefined at the start of a log).
 * Returns the new last intact entry, or what is wrong:
 * - `missing_entry`: the next stored seq skips one or more;
 * - `bad_id`: the bytes no longer hash to the stored id (flipped bits in
 *   either);
 * - `broken_chain`: the bytes are not an entry of this author at this seq
 *   whose prev is the id before it.
 */
export function checkLink (author: Uint8Array, last: LogHead | undefined, seq: number, storedId: Uint8Array, bytes: Uint8Array): LogHead | DamageKind {
  const expected = (last?.seq ?? 0) + 1
  if (seq > expected) return 'missing_entry'
  if (seq < expected) return 'broken_chain'
  const id = entryId(bytes)
  if (!bytesEqual(id, storedId)) return 'bad_id'
  const time = headerTime(bytes, author, seq, last?.id ?? NO_PREV)
  if (time < 0) return 'broken_chain'
  return { seq, id, time }
}

/**
 * `checkLink` for a value as the LevelDB store keeps it (stored id ‖ entry
 * bytes, `bytes` a view of its tail), comparing the stored id in place: the
 * start-up walk runs it once per stored entry. `idMatches` is the answer of
 * a check already made elsewhere (id-check.ts: the bytes hash to the stored
 * id, or not); without it the id is recomputed here. Either way a bad id is
 * reported only after the seq checks, as `checkLink` does.
 */
export function checkStored (author: Uint8Array, last: LogHead | undefined, seq: number, value: Uint8Array, bytes: Uint8Array, idMatches?: boolean): LogHead | DamageKind {
  const expected = (last?.seq ?? 0) + 1
  if (seq > expected) return 'missing_entry'
  if (seq < expected) return 'broken_chain'
  let id: Uint8Array
  if (idMatches === undefined) {
    id = entryId(bytes)
    for (let i = 0; i < ID_BYTES; i++) if (id[i] !== value[i]) return 'bad_id'
  } else {
    if (!idMatches) return 'bad_id'
    // a copy, as a plain Uint8Array (the value may be a Buffer, whose slice is a view)
    id = new Uint8Array(ID_BYTES)
    id.set(value.subarray(0, ID_BYTES))
  }
  const time = headerTime(bytes, author, seq, last?.id ?? NO_PREV)
  if (time < 0) return 'broken_chain'
  return { seq, id, time }
}

/** True when a head record says exactly what the last intact entry is (both absent counts). */
export function headAgrees (head: LogHead | undefined, last: LogHead | undefined): boolean {
  if (head === undefined || last === undefined) return head === last
  return head.seq === last.seq && head.time === last.time && bytesEqual(head.id, last.id)
}

/**
 * Throws unless `entries` continue `author`'s log from `head`: same author,
 * consecutive seqs from head.seq + 1, each prev the id before it. Ids are
 * trusted (the node computed them while verifying); `checkChains` would
 * catch a wrong one at the next start.
 */
export function assertContinues (author: Uint8Array, head: LogHead | undefined, entries: LogEntry[], signature: Uint8Array | undefined): void {
  if (author.length !== KEY_BYTES) throw new InvalidAppendError(`author key is ${author.length} bytes, not ${KEY_BYTES}`)
  if (entries.length === 0) throw new InvalidAppendError('no entries given')
  if (signature !== undefined && signature.length !== 0 && signature.length !== SIGNATURE_BYTES) {
    throw new InvalidAppendError(`signature is ${signature.length} bytes, not ${SIGNATURE_BYTES}`)
  }
  let seq = head?.seq ?? 0
  let prev = head?.id ?? NO_PREV
  for (const { entry, id } of entries) {
    if (!bytesEqual(entry.author, author)) throw new InvalidAppendError(`entry ${entry.seq} is by another author`)
    if (id.length !== ID_BYTES) throw new InvalidAppendError(`entry ${entry.seq} has a ${id.length}-byte id`)
    if (entry.seq !== seq + 1) throw new NonContiguousAppendError(author, seq + 1, entry.seq, 'seq')
    if (!bytesEqual(entry.prev, prev)) throw new NonContiguousAppendError(author, seq + 1, entry.seq, 'prev')
    seq = entry.seq
    prev = id
  }
}
