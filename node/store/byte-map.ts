/**
 * A small string-keyed map of byte values, in memory or in its own LevelDB
 * folder: what the vault (node/services/vault.ts) and the fingerprint cache
 * (node/services/fingerprint-cache.ts) keep. One test suite covers both
 * implementations through their users.
 */
import { Level } from 'level'

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

export class LevelByteMap implements ByteMap {
  readonly #db: Level<string, Uint8Array>
  constructor (path: string) {
    this.#db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  }

  async open (): Promise<void> { await this.#db.open() }
  async close (): Promise<void> { await this.#db.close() }
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
