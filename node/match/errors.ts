/**
 * Named errors of the matcher (STYLE.md §12). Each sets `name` and a stable
 * `reason` (a metric label); tests assert on those, never on message text.
 * No message ever carries an identifier: listings are the platform's
 * personal data, so messages name files, lines, columns and lengths only.
 *
 * An invalid identifier in a listing is NOT an error: it is reported as a
 * reject (see decision.ts) and the scan goes on. These errors are for what
 * stops a scan or a configuration: a file that is not a listings file, a bad
 * policy, a worker that died.
 */
import { NodeError } from '../errors.js'
import type { ErrorCategory } from '../errors.js'

/** The policy JSON does not match the documented schema. */
export class InvalidMatchPolicyError extends NodeError {
  /** Each problem as `path: message`, e.g. `actions.listed: expected one of block|screen|none`. */
  readonly issues: string[]
  constructor (issues: string[]) {
    super('invalid_match_policy', `invalid match policy: ${issues.join('; ')}. See node/match/README.md for the format`)
    this.name = 'InvalidMatchPolicyError'
    this.issues = issues
  }

  override get category (): ErrorCategory { return 'input' }
}

/** The input is not a listings file the matcher can read (no header, no listing_id column, an unclosed quote...). */
export class ListingsFormatError extends NodeError {
  /** 1-based line where the problem was noticed, when there is one. */
  readonly line: number | undefined
  constructor (what: string, line?: number) {
    super('listings_format', `${line === undefined ? '' : `line ${line}: `}${what}`)
    this.name = 'ListingsFormatError'
    this.line = line
  }

  override get category (): ErrorCategory { return 'input' }
}

/**
 * The listings file cannot be opened: it does not exist (`listings_missing`),
 * is not a regular file (`listings_not_a_file`) or cannot be read
 * (`listings_unreadable`, e.g. permissions). Nothing was scanned or written.
 */
export class ListingsFileError extends NodeError {
  readonly file: string
  /** The system's error code (ENOENT, EACCES, EISDIR…), when there is one. */
  readonly code: string | undefined
  constructor (file: string, reason: 'listings_missing' | 'listings_not_a_file' | 'listings_unreadable', code?: string, options?: ErrorOptions) {
    const why = reason === 'listings_missing' ? 'does not exist' : reason === 'listings_not_a_file' ? 'is not a regular file' : `cannot be read (${code ?? 'unknown error'})`
    super(reason, `listings file ${file} ${why}; nothing was scanned or written`, options)
    this.name = 'ListingsFileError'
    this.file = file
    this.code = code
  }

  override get category (): ErrorCategory { return 'input' }
}

/** A column of the listings file's header the matcher does not know, with the known column it most likely meant. */
export interface IgnoredColumn {
  name: string
  suggestion?: string
}

/**
 * The listings file has columns the matcher would ignore, and the scan was
 * asked to be strict about them (`strictColumns`), or it has no identifier
 * column the matcher knows at all (a scan would decide nothing). Nothing was
 * scanned or written.
 */
export class UnknownColumnsError extends NodeError {
  readonly ignored: IgnoredColumn[]
  /** Known identifier columns the file has. */
  readonly known: string[]
  constructor (file: string, ignored: IgnoredColumn[], known: string[], expected: readonly string[]) {
    const list = ignored.map(c => c.suggestion !== undefined ? `${c.name} (did you mean ${c.suggestion}?)` : c.name).join(', ')
    super('unknown_columns', `${file} has column${ignored.length === 1 ? '' : 's'} the matcher does not know: ${list}${known.length === 0 ? ', and none it knows' : ' (strict columns)'}; known: ${expected.join(', ')}`)
    this.name = 'UnknownColumnsError'
    this.ignored = ignored
    this.known = known
  }

  override get category (): ErrorCategory { return 'input' }
}

/** A matcher or matchFile option is invalid. */
export class MatcherConfigError extends NodeError {
  readonly field: string
  constructor (field: string, what: string) {
    super('matcher_config', `invalid matcher option ${field}: ${what}`)
    this.name = 'MatcherConfigError'
    this.field = field
  }

  override get category (): ErrorCategory { return 'input' }
}

/** The blocklist index cannot take another entry (its address space, `maxEntries`, is used up). */
export class IndexFullError extends NodeError {
  constructor (maxEntries: number) {
    super('index_full', `the blocklist index holds its maximum of ${maxEntries} fingerprints; create it with a larger maxEntries`)
    this.name = 'IndexFullError'
  }
}

/** A write was attempted on an index attached from another thread (only the owner writes). */
export class ReadOnlyIndexError extends NodeError {
  constructor () {
    super('read_only_index', 'this blocklist index is a read-only view attached from another thread; apply changes to the owning index')
    this.name = 'ReadOnlyIndexError'
  }
}

/** A match worker failed or exited; the scan is aborted (nothing after the last written decision was lost silently). */
export class MatchWorkerError extends NodeError {
  constructor (what: string, options?: ErrorOptions) {
    super('match_worker_failed', `match worker failed: ${what}`, options)
    this.name = 'MatchWorkerError'
  }
}

/**
 * `<dir>/seen.bin` (the seen-listings snapshot) cannot be used: damaged on
 * disk (checksum, truncated, appended to) or holding arrays that do not hang
 * together. The subclasses below name the other cases; the daemon treats all
 * of them alike: it logs a warning and starts a fresh seen memory, which the
 * next scan's snapshot replaces the file with.
 */
export class SeenSnapshotError extends NodeError {
  constructor (why: string, opts?: { cause?: unknown }, reason = 'seen_snapshot') {
    super(reason, `seen-listings snapshot: ${why}`, opts)
    this.name = 'SeenSnapshotError'
  }
}

/**
 * Not a seen-listings snapshot this node can read: another file, a format
 * version it does not know (written by a newer node), columns or a probe
 * table it cannot map, or another byte order.
 */
export class SeenSnapshotFormatError extends SeenSnapshotError {
  constructor (why: string, opts?: { cause?: unknown }) {
    super(why, opts, 'seen_snapshot_format')
    this.name = 'SeenSnapshotFormatError'
  }
}

/** What a snapshot's fingerprints were made under; undefined fields are unknown (format 1 files). */
export interface SeenFingerprintContext {
  suite: string | undefined
  epoch: number | undefined
  /** Canonical version per fingerprinted kind (protocol/kinds.ts). */
  canonicalVersions: Readonly<Record<string, number>> | undefined
}

/**
 * The snapshot's fingerprints were made under another fingerprint suite,
 * key epoch or canonical rule version than this node's: none of them can
 * match a fingerprint this node computes, so the snapshot is not used.
 * `differs` names what differs ('suite', 'epoch', 'canonical:<kind>').
 */
export class SeenSnapshotEpochError extends SeenSnapshotError {
  readonly written: SeenFingerprintContext
  readonly expected: SeenFingerprintContext
  readonly differs: string[]
  constructor (written: SeenFingerprintContext, expected: SeenFingerprintContext, differs: string[], note = '') {
    const show = (c: SeenFingerprintContext): string => `${c.suite ?? 'unknown suite'}, epoch ${c.epoch ?? 'unknown'}`
    super(`written under ${show(written)}, this node fingerprints under ${show(expected)} (differs: ${differs.join(', ')})${note}; its fingerprints cannot match, rescan the listings to rebuild it`, undefined, 'seen_snapshot_epoch')
    this.name = 'SeenSnapshotEpochError'
    this.written = written
    this.expected = expected
    this.differs = differs
  }
}
