/**
 * Named errors of the node (daemon) layer. Each subclass sets `name` (tests
 * assert on it, never on message text) and a stable `reason` (a short
 * snake_case code that doubles as a metric label). Messages say what was
 * wrong and what to do; they name files and peers, never key material.
 *
 * Each also says whose fault it is through `category` (see ErrorCategory):
 * `internal` unless the class overrides it, because most node errors are
 * about the node's own files, state or bugs, and the HTTP API must never
 * blame a request for those. A class a caller can cause overrides it with
 * `override get category (): ErrorCategory { return 'input' }` (or
 * not_found, conflict, unavailable).
 */
import type { ErrorCategory } from '../protocol/errors.js'

export type { ErrorCategory } from '../protocol/errors.js'

export class NodeError extends Error {
  readonly reason: string
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NodeError'
    this.reason = reason
  }

  get category (): ErrorCategory { return 'internal' }
}

/** A key file is readable or writable by group or others. */
export class InsecureKeyFileError extends NodeError {
  readonly file: string
  constructor (file: string, mode: number) {
    super('insecure_key_file', `key file ${file} has mode ${formatMode(mode)}, which lets other users read or change it; refusing to load it. Fix: chmod 600 ${file}`)
    this.name = 'InsecureKeyFileError'
    this.file = file
  }
}

/** `generateNodeKeys` found keys already present and will not replace them. */
export class KeyFileExistsError extends NodeError {
  readonly file: string
  constructor (file: string) {
    super('key_file_exists', `key file ${file} already exists; refusing to overwrite a node's keys. Use a new node directory, or move the old keys away first if you really mean to replace this node's identity`)
    this.name = 'KeyFileExistsError'
    this.file = file
  }

  override get category (): ErrorCategory { return 'conflict' }
}

/** An expected key file is absent. */
export class KeyFileMissingError extends NodeError {
  readonly file: string
  constructor (file: string) {
    super('key_file_missing', `key file ${file} does not exist; initialise the node directory first (alliance init)`)
    this.name = 'KeyFileMissingError'
    this.file = file
  }
}

/** A key file exists but its contents are not a key of the expected form. */
export class MalformedKeyFileError extends NodeError {
  readonly file: string
  constructor (file: string, what: string, options?: ErrorOptions) {
    super('malformed_key_file', `key file ${file} is not valid: ${what}. Restore it from a backup`, options)
    this.name = 'MalformedKeyFileError'
    this.file = file
  }
}

/** Host configuration failed validation at start. */
export class InvalidHostConfigError extends NodeError {
  readonly field: string
  constructor (field: string, what: string, options?: ErrorOptions) {
    super('invalid_host_config', `invalid network configuration: ${field} ${what}`, options)
    this.name = 'InvalidHostConfigError'
    this.field = field
  }
}

/** An operation was attempted on a peer outside the current allow-set. */
export class PeerNotAllowedError extends NodeError {
  readonly peerId: string
  constructor (peerId: string) {
    super('peer_not_allowed', `peer ${peerId} is not in the current roster's allow-set`)
    this.name = 'PeerNotAllowedError'
    this.peerId = peerId
  }

  override get category (): ErrorCategory { return 'input' }
}

/** An operation needs a started host. */
export class HostNotStartedError extends NodeError {
  constructor (operation: string) {
    super('host_not_started', `cannot ${operation}: the network host is not started; call start() first`)
    this.name = 'HostNotStartedError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

function formatMode (mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0')
}

/** A string passed as a peer id at runtime is not one */
export class InvalidPeerIdError extends NodeError {
  constructor (value: string, options?: ErrorOptions) {
    super('invalid_peer_id', `${JSON.stringify(value.slice(0, 100))} is not a libp2p peer id (expected e.g. 12D3KooW…)`, options)
    this.name = 'InvalidPeerIdError'
  }

  override get category (): ErrorCategory { return 'input' }
}

/** A member card would carry no address another machine can dial, and the node cannot pick one itself (node/card-addrs.ts). */
export class CardAddressError extends NodeError {
  constructor (why: string) {
    super('card_address', why)
    this.name = 'CardAddressError'
  }

  override get category (): ErrorCategory { return 'input' }
}

/**
 * A path in a request (evidence, listings, decisions, rejects, a bundle) is
 * not one the node may use: inside the node directory (keys, API token,
 * data), outside the directories `files.read` / `files.write` of
 * config.json allow, a symbolic link, not a regular file, or the same file
 * as one of the node's secrets. Nothing was read or written.
 */
export class FileNotAllowedError extends NodeError {
  readonly path: string
  /** Which rule refused it: the place (node directory, allow-list), a symbolic link, not a regular file, a secret's inode. */
  readonly rule: 'place' | 'link' | 'not_a_file' | 'secret'
  constructor (what: string, path: string, why: string, rule: FileNotAllowedError['rule'] = 'place') {
    super('file_not_allowed', `${what} ${path} ${why}; nothing was read or written (config.json "files" says where the node may read and write)`)
    this.name = 'FileNotAllowedError'
    this.path = path
    this.rule = rule
  }

  override get category (): ErrorCategory { return 'input' }
}

/** A file a request would write exists, and the request did not ask to replace it (`force`). */
export class OutputExistsError extends NodeError {
  readonly path: string
  constructor (what: string, path: string) {
    super('already_exists', `${what} ${path} already exists; choose another path, or pass --force (force: true) to replace it`)
    this.name = 'OutputExistsError'
    this.path = path
  }

  override get category (): ErrorCategory { return 'conflict' }
}
