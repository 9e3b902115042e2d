/**
 * The node's store: `createStore({ path })` for LevelDB, `createStore()` for
 * memory (unit tests). Start-up order: `open()`, then `checkChains()`, then
 * anything else.
 */
import { LevelStore } from './level.js'
import { MemoryStore } from './memory.js'
import type { Store } from './types.js'

export interface StoreInit {
  /**
   * Directory of the LevelDB database. Without it the store lives in memory
   * and is gone with the process.
   *
   * @default undefined
   */
  path?: string
  /**
   * LevelDB only: fsync at every segment boundary (each append is one
   * batch) and every other write, before acknowledging it: acknowledged
   * writes then survive a power cut, not only a killed process.
   *
   * @default false
   */
  durable?: boolean
}

export function createStore (init: StoreInit = {}): Store {
  return init.path === undefined ? new MemoryStore() : new LevelStore({ path: init.path, durable: init.durable })
}

export type { AuthorHead, ChainDamage, ChainVisitor, CheckedEntry, Store, StoredEntry } from './types.js'
export * from './errors.js'
export { LevelStore, type LevelStoreInit } from './level.js'
export { MemoryStore } from './memory.js'
export type { DamagedTable } from './table-check.js'
