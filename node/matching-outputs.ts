/**
 * A scan's output files (node/matching.ts): decisions and rejects are
 * written under temporary names beside where they go, and take their names
 * only once the whole scan succeeded, all or nothing. A failed scan leaves
 * no decisions or rejects file a pipeline could read as "nothing to block".
 */
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { link, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { OutputExistsError } from './errors.js'
import type { FileAccess } from './file-access.js'

/** An output of a scan: written under a temporary name beside `final`, which it becomes only once the scan succeeded. */
export interface PendingOutput {
  what: string
  /** As the request named it (for errors). */
  path: string
  final: string
  tmp: string
  fh: FileHandle
}

/** Opens a temporary file beside each target ([what, path as requested]); on a failure none is left behind. */
export async function openOutputs (files: FileAccess, targets: Array<[string, string]>): Promise<PendingOutput[]> {
  const outputs: PendingOutput[] = []
  try {
    for (const [what, path] of targets) {
      const final = await files.check(path, 'write', what)
      const tmp = join(dirname(final), `.${basename(final)}.partial-${randomBytes(6).toString('hex')}`)
      outputs.push({ what, path, final, tmp, fh: await files.openWrite(tmp, what) })
    }
  } catch (err) {
    await discardOutputs(outputs)
    throw err
  }
  return outputs
}

/** Gives every finished output its name, or none of them (the caller discards the temporary files on a throw). */
export async function publishOutputs (outputs: PendingOutput[], force: boolean): Promise<void> {
  const published: PendingOutput[] = []
  try {
    for (const o of outputs) {
      await publishOutput(o, force)
      published.push(o)
    }
  } catch (err) {
    // all or nothing: a decisions file without its rejects file is taken back (only files this scan created)
    if (!force) for (const o of published) await unlink(o.final).catch(() => undefined)
    throw err
  }
}

/** Gives a finished output its name: replacing the file there only with `force`, else refusing if one appeared meanwhile. */
async function publishOutput (o: PendingOutput, force: boolean): Promise<void> {
  await o.fh.close().catch(() => undefined)
  if (force) {
    await rename(o.tmp, o.final)
    return
  }
  try {
    // link() never replaces an existing file: a file created at `final` while the scan ran is kept, and the scan refused
    await link(o.tmp, o.final)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new OutputExistsError(o.what, o.path)
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
    // a file system without hard links: checked, then renamed
    if (await stat(o.final).then(() => true, () => false)) throw new OutputExistsError(o.what, o.path)
    await rename(o.tmp, o.final)
    return
  }
  await unlink(o.tmp)
}

/** Removes the temporary files of a scan that failed (its outputs never get their names). */
export async function discardOutputs (outputs: PendingOutput[]): Promise<void> {
  for (const o of outputs) {
    await o.fh.close().catch(() => undefined)
    await unlink(o.tmp).catch(() => undefined)
  }
}
