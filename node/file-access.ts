/**
 * Which files a request may make the node read or write (issue 12 item 9).
 *
 * The local API takes paths on the node's machine: evidence for a report,
 * the listings of a scan, and where decisions, rejects and bundles go.
 * Whoever holds the API token must not get the node's own secrets with
 * them (`<dir>/keys/sign.key` read as evidence would be signed and sent to
 * the police) nor overwrite files they name. So every such path is:
 *
 * - absolute, its directory resolved through symbolic links first, and
 *   refused when that lands inside the node directory (keys/, api.json,
 *   data/, reports/…; only the web console's own folders,
 *   NODE_DIR_REQUEST_PLACES, are allowed) or outside the directories `files.read` /
 *   `files.write` of config.json allow (when they are set; unset, anywhere
 *   else the node's user may go);
 * - opened with O_NOFOLLOW (a symbolic link as the last component is
 *   refused), as a regular file only, and refused if it is the same inode
 *   as one of the node's key files or its API token file (a hard link);
 * - re-checked after the open through /proc/self/fd, so a directory swapped
 *   for a link between the check and the open is caught (Linux);
 * - written only as a new file (O_EXCL), unless the request asks to replace
 *   it (`force`): then opened without truncation, checked, and truncated.
 *
 * Refusals are FileNotAllowedError (400 file_not_allowed) and
 * OutputExistsError (409 already_exists). A listings file is read by the
 * scan's worker threads by path: it gets the path checks, not the open.
 */
import { constants, ftruncate } from 'node:fs'
import { lstat, open, readdir, readlink, realpath, stat, unlink, type FileHandle } from 'node:fs/promises'
import { promisify } from 'node:util'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { FileNotAllowedError, OutputExistsError } from './errors.js'
import { API_FILE } from './home.js'
import { keyFilePaths } from './keys.js'

const truncate = promisify(ftruncate)

/** `files` in config.json. */
export interface FileAccessInit {
  /** The node directory: never read or written through a request. */
  nodeDir: string
  /** Absolute directories requests may read from (evidence, listings). @default anywhere outside the node directory */
  read?: string[]
  /** Absolute directories requests may write into (decisions, rejects, bundles). @default anywhere outside the node directory */
  write?: string[]
}

export type FileUse = 'read' | 'write'

/**
 * Folders inside the node directory that requests may use, because the node
 * itself fills them for its web console (node/console/server.ts): evidence
 * uploaded for a new report is read from `console/evidence`, bundles on
 * their way to the browser are written to `console/tmp`. Nothing else of the
 * node directory is ever read or written through a request.
 */
export const NODE_DIR_REQUEST_PLACES: Readonly<Record<FileUse, readonly string[]>> = Object.freeze({
  read: [join('console', 'evidence')],
  write: [join('console', 'tmp')]
})

function within (path: string, root: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

export class FileAccess {
  readonly #init: FileAccessInit

  constructor (init: FileAccessInit) {
    this.#init = init
  }

  /**
   * Checks `path` for `use` and returns it with its directory resolved
   * (the path to open). Throws FileNotAllowedError; the file need not exist.
   */
  async check (path: string, use: FileUse, what: string): Promise<string> {
    if (!isAbsolute(path)) throw new FileNotAllowedError(what, path, 'is not an absolute path on the node\'s machine')
    const name = basename(path)
    if (name === '' || name === '.' || name === '..' || path.endsWith(sep)) throw new FileNotAllowedError(what, path, 'names a directory, not a file', 'not_a_file')
    let dir: string
    try {
      dir = await realpath(dirname(path))
    } catch {
      throw new FileNotAllowedError(what, path, 'is in a directory that does not exist or cannot be reached')
    }
    const full = join(dir, name)
    await this.#checkPlace(full, path, use, what)
    const link = await lstat(full).catch(() => undefined)
    if (link?.isSymbolicLink() === true) throw new FileNotAllowedError(what, path, 'is a symbolic link; give the file it points to', 'link')
    return full
  }

  /** Opens a checked path for reading: O_NOFOLLOW, a regular file, not one of the node's secrets. */
  async openRead (path: string, what: string): Promise<FileHandle> {
    const full = await this.check(path, 'read', what)
    const fh = await this.#open(full, path, constants.O_RDONLY, what)
    try {
      await this.#checkOpened(fh, full, path, 'read', what)
      return fh
    } catch (err) {
      await fh.close()
      throw err
    }
  }

  /**
   * Opens a checked path for writing, mode 0600: a new file, or with
   * `force` an existing regular file, truncated only once it passed every check.
   */
  async openWrite (path: string, what: string, opts: { force?: boolean } = {}): Promise<FileHandle> {
    const full = await this.check(path, 'write', what)
    const force = opts.force === true
    const flags = constants.O_WRONLY | constants.O_CREAT | (force ? 0 : constants.O_EXCL)
    const fh = await this.#open(full, path, flags, what)
    try {
      await this.#checkOpened(fh, full, path, 'write', what)
      if (force) await truncate(fh.fd, 0)
      return fh
    } catch (err) {
      await fh.close()
      if (!force) await unlink(full).catch(() => {})
      throw err
    }
  }

  async #open (full: string, path: string, flags: number, what: string): Promise<FileHandle> {
    try {
      return await open(full, flags | constants.O_NOFOLLOW, 0o600)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ELOOP') throw new FileNotAllowedError(what, path, 'is a symbolic link; give the file it points to', 'link')
      if (code === 'EEXIST') throw new OutputExistsError(what, path)
      throw err
    }
  }

  async #checkOpened (fh: FileHandle, full: string, path: string, use: FileUse, what: string): Promise<void> {
    const st = await fh.stat()
    if (!st.isFile()) throw new FileNotAllowedError(what, path, 'is not a regular file', 'not_a_file')
    if ((await this.#secretInodes()).has(`${st.dev}:${st.ino}`)) throw new FileNotAllowedError(what, path, 'is one of the node\'s key or token files', 'secret')
    // what was opened, wherever a directory on the way points now (Linux; elsewhere the checks before the open stand)
    const opened = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined)
    if (opened !== undefined && opened !== full) await this.#checkPlace(opened, path, use, what)
  }

  async #checkPlace (full: string, path: string, use: FileUse, what: string): Promise<void> {
    const nodeDir = await realpath(this.#init.nodeDir).catch(() => this.#init.nodeDir)
    if (NODE_DIR_REQUEST_PLACES[use].some(place => within(full, join(nodeDir, place)) && full !== join(nodeDir, place))) return
    if (within(full, nodeDir)) throw new FileNotAllowedError(what, path, 'is inside the node directory (its keys, token and data are never read or written through a request)')
    const allowed = use === 'read' ? this.#init.read : this.#init.write
    if (allowed === undefined) return
    for (const root of allowed) {
      const real = await realpath(root).catch(() => undefined)
      if (real !== undefined && within(full, real)) return
    }
    throw new FileNotAllowedError(what, path, `is outside the directories config.json allows requests to ${use} (files.${use})`)
  }

  /** dev:ino of the node's key files and API token file, read afresh (hard links to them are refused). */
  async #secretInodes (): Promise<Set<string>> {
    const keys = keyFilePaths(this.#init.nodeDir).dir
    const files = [join(this.#init.nodeDir, API_FILE), ...(await readdir(keys).catch(() => [])).map(f => join(keys, f))]
    const out = new Set<string>()
    for (const f of files) {
      const st = await stat(f).catch(() => undefined)
      if (st !== undefined) out.add(`${st.dev}:${st.ino}`)
    }
    return out
  }
}
