/**
 * A small string-keyed map of byte values, in memory or in its own LevelDB
 * folder: what the vault (node/services/vault.ts) and the fingerprint cache
 * (node/services/fingerprint-cache.ts) keep. One test suite covers both
 * implementations through their users.
 */
import { Level } from 'level'
import { StoreNotOpenError } from './errors.js'
import { guardTables } from './table-check.js'

export interface ByteMap {
  open: () => Promise<void>
  close: () => Promise<void>
  put: (key: string, value: Uint8Array) => Promise<void>
  putMany: (entries: Array<[string, Uint8Array]>) => Promise<void>
  del: (keys: string[]) => Promise<void>
  /** Deletes every key starting with `prefix`; returns how many. */
  delPrefix: (prefix: string) => Promise<number>
  entries: () => AsyncIterable<[string, Uint8Array]>
}

export class MemoryByteMap implements ByteMap {
  readonly map = new Map<string, Uint8Array>()
  async open (): Promise<void> {}
  async close (): Promise<void> {}
  async put (key: string, value: Uint8Array): Promise<void> { this.map.set(key, value) }
  async putMany (entries: Array<[string, Uint8Array]>): Promise<void> { for (const [k, v] of entries) this.map.set(k, v) }
  async del (keys: string[]): Promise<void> { for (const k of keys) this.map.delete(k) }
  async delPrefix (prefix: string): Promise<number> {
    let n = 0
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) { this.map.delete(k); n++ }
    return n
  }

  async * entries (): AsyncIterable<[string, Uint8Array]> { yield * [...this.map.entries()] }
}

export interface LevelByteMapInit {
  path: string
  /** What the map holds, for errors ("vault"). */
  what: string
  /** Damaged table files (table-check.ts): a cache sets them aside and goes on, data held nowhere else refuses to open. */
  damagedTables: 'set-aside' | 'refuse'
}

export class LevelByteMap implements ByteMap {
  readonly #init: LevelByteMapInit
  #level: Level<string, Uint8Array> | undefined
  constructor (init: LevelByteMapInit) {
    this.#init = init
  }

  /** Checks the tables first, then opens (level opens a database by itself once constructed, so it is made here). */
  async open (): Promise<void> {
    if (this.#level !== undefined) return
    await guardTables(this.#init.path, this.#init.damagedTables, this.#init.what)
    const db = new Level<string, Uint8Array>(this.#init.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    this.#level = db
  }

  async close (): Promise<void> {
    const db = this.#level
    this.#level = undefined
    await db?.close()
  }

  get #db (): Level<string, Uint8Array> {
    if (this.#level === undefined) throw new StoreNotOpenError(`use the ${this.#init.what}`)
    return this.#level
  }

  async put (key: string, value: Uint8Array): Promise<void> { await this.#db.put(key, value) }
  async putMany (entries: Array<[string, Uint8Array]>): Promise<void> {
    await this.#db.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })))
  }

  async del (keys: string[]): Promise<void> { await this.#db.batch(keys.map(key => ({ type: 'del' as const, key }))) }
  async delPrefix (prefix: string): Promise<number> {
    const keys: string[] = []
    for await (const k of this.#db.keys({ gte: prefix, lt: prefix + '\uffff' })) keys.push(k)
    await this.del(keys)
    return keys.length
  }

  async * entries (): AsyncIterable<[string, Uint8Array]> {
    for await (const [k, v] of this.#db.iterator()) yield [k, v]
  }
}
