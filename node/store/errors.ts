/**
 * Named errors of the store. Each sets `name` (tests assert on it, never on
 * message text) and a stable `reason` (metric label). Authors appear in
 * messages as a short hex prefix of their public key, never anything secret.
 */
import { toHex } from '../../protocol/bytes.js'
import { NodeError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** Base of the store's errors: `catch` on it, switch on `name` or `reason`. */
export class StoreError extends NodeError {
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(reason, message, options)
    this.name = 'StoreError'
  }
}

/** An operation ran before `open()` resolved or after `close()` began. */
export class StoreNotOpenError extends StoreError {
  constructor (operation: string) {
    super('store_not_open', `cannot ${operation}: the store is not open; call open() first`)
    this.name = 'StoreNotOpenError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/**
 * `append` was given entries that do not continue the author's log as held
 * (first seq is not head.seq + 1, or a prev is not the id before it). Nothing
 * was written. The node verifies before storing, so this is a bug upstream
 * or a race with another writer: re-read the head and relate the entries to it.
 */
export class NonContiguousAppendError extends StoreError {
  readonly author: Uint8Array
  readonly expectedSeq: number
  readonly seq: number
  constructor (author: Uint8Array, expectedSeq: number, seq: number, what: 'seq' | 'prev') {
    super('non_contiguous_append', what === 'seq'
      ? `entries for ${short(author)} do not continue its log: expected seq ${expectedSeq}, got ${seq}; nothing was written`
      : `entry ${seq} of ${short(author)} does not chain onto the entry before it (prev mismatch); nothing was written`)
    this.name = 'NonContiguousAppendError'
    this.author = author
    this.expectedSeq = expectedSeq
    this.seq = seq
  }
}

/** `append` was called with input no log could hold (no entries, another author's entry, malformed id or key). */
export class InvalidAppendError extends StoreError {
  constructor (what: string) {
    super('invalid_append', `refusing to append: ${what}; nothing was written`)
    this.name = 'InvalidAppendError'
  }
}

/**
 * Stored data is not in the form this code wrote. Logs can be repaired by
 * `checkChains()` (run at start-up); other records need a restore or a resync.
 */
export class StoreCorruptError extends StoreError {
  constructor (what: string, options?: ErrorOptions) {
    super('store_corrupt', `store is corrupt: ${what}`, options)
    this.name = 'StoreCorruptError'
  }
}

function short (author: Uint8Array): string {
  return toHex(author.subarray(0, 8))
}

/** Another process (or another store in this one) has the LevelDB directory open. */
export class StoreLockedError extends StoreError {
  readonly path: string
  constructor (path: string, options?: ErrorOptions) {
    super('store_locked', `store ${path} is in use by another process; stop the other node using this directory, or give this one its own`, options)
    this.name = 'StoreLockedError'
    this.path = path
  }
}

/**
 * Table files of a LevelDB database whose block checksums fail
 * (table-check.ts), in a database whose data is held nowhere else: the node
 * refuses to open it rather than read damaged records or lose them silently.
 * Nothing was changed.
 */
export class DamagedTablesError extends StoreError {
  readonly files: string[]
  constructor (what: string, path: string, files: string[]) {
    super('damaged_tables', `the ${what} in ${path} has damaged table files (${files.join(', ')}): their block checksums fail. Restore ${path} from a backup, or move those files out of it to accept losing what they held; nothing was changed`)
    this.name = 'DamagedTablesError'
    this.files = files
  }
}
