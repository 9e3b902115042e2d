/**
 * The report service's store: `createReportStore({ path })` for LevelDB,
 * `createReportStore()` for memory (unit tests).
 */
import { LevelReportStore } from './level.js'
import { MemoryReportStore } from './memory.js'
import type { ReportStore } from './types.js'

export interface ReportStoreInit {
  /**
   * Directory of the LevelDB database. Without it the store lives in memory
   * and is gone with the process.
   *
   * @default undefined
   */
  path?: string
}

export function createReportStore (init: ReportStoreInit = {}): ReportStore {
  return init.path === undefined ? new MemoryReportStore() : new LevelReportStore({ path: init.path })
}

export type { ReportStore } from './types.js'
export { LevelReportStore, type LevelReportStoreInit } from './level.js'
export { MemoryReportStore } from './memory.js'
