/**
 * A node's start-up checkpoint: its consensus state written at a clean stop
 * (`AllianceNode.stop`), so the next start skips decoding and applying every
 * stored entry. One file, `<node dir>/data-checkpoint`, mode 0600, written
 * atomically (temp file, fsync, rename, fsync of the directory), in the
 * layout of format.ts with a domain-separated SHA-256 over all of it.
 *
 * At open (node/startup.ts) it is read and deleted at once, before the node
 * can append: a crash later never leaves a checkpoint that looks current; a
 * kill -9 means a full pass at the next start. It is used only when its hash
 * verifies, its format version, alliance and roster chain are the node's,
 * and every log it covers is still in the store up to the same entry (seq
 * and id; entries appended after it are replayed on top of it, per log).
 * Anything else is refused with a named reason (errors.ts) and the node
 * rebuilds its state from the store. The chain check runs either way.
 */
import { constants as fsConstants } from 'node:fs'
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir } from '../keys.js'
import { bytesEqual, toHex } from '../../protocol/bytes.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { Store } from '../store/types.js'
import { CheckpointRefusedError } from './errors.js'
import { encodeCheckpoint, type Checkpoint } from './format.js'

export { CheckpointRefusedError, type CheckpointRefusal } from './errors.js'
export { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointHead } from './format.js'

/** The checkpoint's file name in the node directory. */
export const CHECKPOINT_FILE = 'data-checkpoint'

/** Writes the checkpoint atomically, mode 0600; an earlier one is replaced. Returns its size in bytes. */
export async function writeCheckpoint (dir: string, c: Checkpoint): Promise<number> {
  const file = join(dir, CHECKPOINT_FILE)
  const tmp = `${file}.tmp-${process.pid}`
  const parts = encodeCheckpoint(c)
  let size = 0
  const handle = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o600)
  try {
    // in slabs of a few MB: one writev per part would pass thousands of small buffers
    let batch: Uint8Array[] = []
    let bytes = 0
    for (const p of parts) {
      batch.push(p)
      bytes += p.length
      if (bytes >= 8 * 1024 * 1024) { await handle.writev(batch); size += bytes; batch = []; bytes = 0 }
    }
    if (batch.length > 0) { await handle.writev(batch); size += bytes }
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(tmp).catch(() => {})
    throw err
  }
  await handle.close()
  await rename(tmp, file)
  await fsyncDir(dir)
  return size
}

/**
 * Reads the checkpoint and deletes it (and any temp file a crash left),
 * before anything else can happen; undefined when there is none.
 */
export async function takeCheckpoint (dir: string): Promise<Uint8Array | undefined> {
  const file = join(dir, CHECKPOINT_FILE)
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  await unlink(file)
  await fsyncDir(dir)
  return bytes
}

/** Deletes a checkpoint if there is one (a node that cannot vouch for its state at stop). */
export async function dropCheckpoint (dir: string): Promise<void> {
  await unlink(join(dir, CHECKPOINT_FILE)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
}

export interface NodeView {
  chain: RosterChain
  store: Store
  /** Keys flagged by the store's evidence. */
  flagged: Uint8Array[]
  now: number
}

/**
 * Throws CheckpointRefusedError unless `c` describes this node's state as
 * far as it goes: same alliance and roster chain, no flagged key it does not
 * know of, and every log it covers held at least as far, with the same last
 * entry where the store's head is that entry. (Where the store's log is
 * longer, the chain check compares the id at the checkpoint's seq.)
 */
export function matchCheckpoint (c: Checkpoint, node: NodeView): void {
  if (c.alliance !== node.chain.alliance) throw new CheckpointRefusedError('checkpoint_other_alliance', `written for alliance ${c.alliance}`)
  const current = node.chain.current
  const held = node.chain.versions[c.roster.version - 1]
  if (c.roster.version !== current.roster.version || held === undefined || !bytesEqual(held.id, c.roster.id)) {
    throw new CheckpointRefusedError('checkpoint_other_roster', `written under roster version ${c.roster.version} ${toHex(c.roster.id).slice(0, 16)}, this node holds version ${current.roster.version}`)
  }
  if (c.index.now > node.now) throw new CheckpointRefusedError('checkpoint_stale', 'written at a time after this node\'s clock')
  const flagged = new Set(node.flagged.map(toHex))
  for (const k of c.flagged) if (!flagged.has(toHex(k))) throw new CheckpointRefusedError('checkpoint_stale', `it excludes key ${toHex(k).slice(0, 16)}, whose evidence the store does not hold`)
  for (const h of c.heads) {
    const now = node.store.head(h.author)
    if (now === undefined || now.seq < h.seq) throw new CheckpointRefusedError('checkpoint_stale', `log ${toHex(h.author).slice(0, 16)} is held to ${now?.seq ?? 0}, the checkpoint covers it to ${h.seq}`)
    if (now.seq === h.seq && !bytesEqual(now.id, h.id)) throw new CheckpointRefusedError('checkpoint_stale', `log ${toHex(h.author).slice(0, 16)} holds another entry ${h.seq}`)
  }
}
