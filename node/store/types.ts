/**
 * Storage behind a small interface (STYLE.md §11): a memory implementation
 * for unit tests and a LevelDB one for the node, one test suite run against
 * both. Every mutation that applies entries is ONE atomic batch, so a crash
 * leaves either all of a segment or none of it.
 */
import type { LogEntry, LogHead } from '../../protocol/log/index.js'
import type { SignedRoster } from '../../protocol/types.js'

/** A stored entry as sync sends it: exact bytes, plus the signature if one was made over this entry. */
export interface StoredEntry {
  seq: number
  bytes: Uint8Array
  id: Uint8Array
  /** Signature over this entry's id, if the author signed exactly here (end of a segment or a single entry). */
  signature?: Uint8Array
}

export interface AuthorHead extends LogHead {
  author: Uint8Array
}

import type { DamagedTable } from './table-check.js'

/** What `checkChains` found at start-up: logs whose history is no longer intact. */
export interface ChainDamage {
  author: Uint8Array
  /** Entries 1..validThrough are intact and chained; everything after was discarded from the index. */
  validThrough: number
  why: 'missing_entry' | 'broken_chain' | 'bad_id' | 'head_mismatch'
}

/** An entry the chain check verified: its id was recomputed from `bytes` and matched, and it continues the intact log before it. */
export interface CheckedEntry {
  author: Uint8Array
  seq: number
  id: Uint8Array
  bytes: Uint8Array
}

/**
 * Hands the chain check's verified entries to a consumer (the start-up
 * replay), so the store is read once for both.
 */
export interface ChainVisitor {
  /**
   * Each entry that is kept, in (author, seq) order: the walk stops at a
   * log's first damaged entry and truncates after the last good one, so the
   * entries handed over are exactly those left in the store.
   */
  entry: (e: CheckedEntry) => void
  /**
   * The walk starts over from the first log (LevelDB could not read a
   * damaged table block; the database was salvaged): everything handed over
   * so far must be forgotten. Rare.
   */
  restart: () => void | Promise<void>
}

export interface Store {
  open (): Promise<void>
  close (): Promise<void>

  /** The last entry held for `author`, or undefined. In memory: O(1). */
  head (author: Uint8Array): LogHead | undefined
  /** Every author's head (for sync requests and status). */
  heads (): AuthorHead[]
  /** Id of the entry at `seq` of `author`'s log, if held. */
  idAt (author: Uint8Array, seq: number): Promise<Uint8Array | undefined>
  /**
   * Entries of `author` from `fromSeq` on, at most `max` of them, in seq
   * order, for sync. Stops early at `maxBytes` of entry bytes.
   */
  range (author: Uint8Array, fromSeq: number, max: number, maxBytes?: number): Promise<StoredEntry[]>
  /** All entries of all authors in (author, seq) order: start-up rebuild of the consensus index. */
  all (): AsyncIterable<StoredEntry & { author: Uint8Array }>

  /**
   * Appends verified entries that continue `author`'s log (entries[0].seq =
   * head.seq + 1, chained). `signature`, if given, covers the last entry and
   * is stored with it. One atomic batch; the in-memory head moves only after
   * the batch is durable.
   */
  append (author: Uint8Array, entries: LogEntry[], signature?: Uint8Array): Promise<void>

  /** Equivocation evidence (encoded Equivocation), kept by author; flagged keys. */
  putEvidence (author: Uint8Array, seq: number, evidence: Uint8Array): Promise<void>
  evidence (): Promise<Array<{ author: Uint8Array, seq: number, evidence: Uint8Array }>>

  /** Roster versions in order (1, 2, …). */
  putRoster (version: number, signed: SignedRoster): Promise<void>
  /** Every stored version, decoded; a record that does not decode is a StoreCorruptError. */
  rosters (): Promise<SignedRoster[]>
  /** Every stored version in version order; one that does not decode comes back with `damaged` (why) instead of `signed`. */
  rosterRecords (): Promise<RosterRecord[]>
  /** Deletes the stored versions `fromVersion` and later (a damaged record and what followed it). */
  deleteRosters (fromVersion: number): Promise<void>

  /** Small JSON metadata (e.g. sync state, outbox cursors). */
  getMeta<T> (key: string): Promise<T | undefined>
  putMeta (key: string, value: unknown): Promise<void>

  /**
   * Start-up check of every hash chain: each log 1..head must be present,
   * each stored id must equal the hash of its bytes, and each prev the id
   * before it. LevelDB silently drops batches after WAL corruption; this is
   * how the node notices. Damaged logs are truncated back to their last
   * intact entry (so sync re-fetches the rest from peers) and reported.
   * With `visit`, every entry kept is handed to it as the walk verifies it.
   */
  checkChains (visit?: ChainVisitor): Promise<ChainDamage[]>
  /**
   * Table files found damaged when the store opened (their block checksums
   * failed) and set aside in `<path>/lost/`, the database rebuilt from the
   * rest: what they held is missing history that `checkChains` truncates and
   * sync re-fetches. Empty for a store without files.
   */
  readonly tablesSetAside: readonly DamagedTable[]
}

export type RosterRecord = { version: number, signed: SignedRoster, damaged?: undefined } | { version: number, signed?: undefined, damaged: string }
