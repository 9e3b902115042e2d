/**
 * The LevelDB database behind LevelStore (node/store/level.ts) as its parts
 * share it: opening it with its sublevels (layout in keys.ts), the types of
 * the handle and its batch operations, and telling LevelDB's corruption
 * errors from others. Apart from level.ts so the chain check
 * (level-chains.ts) and the chunked reads (level-read.ts) take the open
 * database as an argument instead of reaching into the store.
 */
import { Level, type BatchOperation } from 'level'
import { StoreLockedError } from './errors.js'
import { SUBLEVELS } from './keys.js'

export type DB = Level<Uint8Array, Uint8Array>

export type Op = BatchOperation<DB, Uint8Array, Uint8Array>

function binary (db: DB, name: string) {
  return db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
}
type Bin = ReturnType<typeof binary>

function textual (db: DB, name: string) {
  return db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
}

export interface Open {
  db: DB
  entries: Bin
  sigs: Bin
  heads: Bin
  rosters: Bin
  evidence: Bin
  /** key → JSON text */
  meta: ReturnType<typeof textual>
  /** Key prefixes of the sublevels written on the hot path, for keys built in one allocation. */
  prefix: { entries: Uint8Array, sigs: Uint8Array }
}

/** Opens the database at `path` (created if missing) with its sublevels; a StoreLockedError when another process holds it. */
export async function openLevel (path: string): Promise<Open> {
  const db: DB = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    await db.open()
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(path, { cause: err })
    throw err
  }
  const entries = binary(db, SUBLEVELS.entries)
  const sigs = binary(db, SUBLEVELS.sigs)
  return {
    db,
    entries,
    sigs,
    heads: binary(db, SUBLEVELS.heads),
    rosters: binary(db, SUBLEVELS.rosters),
    evidence: binary(db, SUBLEVELS.evidence),
    meta: textual(db, SUBLEVELS.meta),
    prefix: { entries: entries.prefixKey(new Uint8Array(0), 'view'), sigs: sigs.prefixKey(new Uint8Array(0), 'view') }
  }
}

/** LevelDB reports a damaged table block or file it cannot read around (thrown as is, or as the cause of a failed open). */
export function isCorruption (err: unknown): boolean {
  const e = err as { code?: unknown, cause?: { code?: unknown } } | undefined
  return e?.code === 'LEVEL_CORRUPTION' || e?.cause?.code === 'LEVEL_CORRUPTION'
}
