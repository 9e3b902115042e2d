/**
 * The org names of the blocklist index (blocklist-index.ts): entries keep
 * u16 org ids, and this table maps them to names. Append-only JSON lines in
 * a shared buffer, its length published in a control word after the bytes
 * are written, so a reader that met an id in a validated read always finds
 * its name without taking the seqlock. The owner assigns ids; readers in
 * other threads re-read the buffer when they meet an id they lack.
 */
import { MatcherConfigError } from './errors.js'

/** Bytes of org names the table may hold (its buffer reserves this much address space). */
export const MAX_ORG_BYTES = 16 << 20

const enc = new TextEncoder()
const dec = new TextDecoder()

export class OrgTable {
  readonly #ctrl: Int32Array
  readonly #buf: SharedArrayBuffer
  /** Control word holding the bytes written, and the one holding the number of names. */
  readonly #bytesWord: number
  readonly #countWord: number
  /** Writer: name → id. */
  readonly #ids = new Map<string, number>()
  /** Names by id (the writer's own; a reader's cache of the buffer). */
  #names: string[] = []

  constructor (ctrl: Int32Array, buf: SharedArrayBuffer, bytesWord: number, countWord: number) {
    this.#ctrl = ctrl
    this.#buf = buf
    this.#bytesWord = bytesWord
    this.#countWord = countWord
  }

  /** The name of org `id` (`org#<id>` if the table lacks it). */
  name (id: number): string {
    if (id >= this.#names.length) {
      // append-only: ids seen in a validated read are already published
      const len = Atomics.load(this.#ctrl, this.#bytesWord)
      const text = dec.decode(new Uint8Array(this.#buf, 0, len).slice())
      this.#names = text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as string)
    }
    return this.#names[id] ?? `org#${id}`
  }

  /** The id of `org`, added to the table if new (owner only). */
  id (org: string): number {
    let id = this.#ids.get(org)
    if (id !== undefined) return id
    id = this.#names.length
    if (id > 0xffff) throw new MatcherConfigError('orgs', 'more than 65,536 distinct orgs')
    const line = enc.encode(JSON.stringify(org) + '\n')
    const at = this.#ctrl[this.#bytesWord]
    const buf = this.#buf
    if (at + line.length > buf.byteLength) {
      if (at + line.length > buf.maxByteLength) throw new MatcherConfigError('orgs', 'org names exceed 16 MiB')
      buf.grow(Math.min(buf.maxByteLength, Math.max(buf.byteLength * 2, at + line.length)))
    }
    new Uint8Array(buf).set(line, at)
    Atomics.store(this.#ctrl, this.#bytesWord, at + line.length)
    Atomics.store(this.#ctrl, this.#countWord, id + 1)
    this.#ids.set(org, id)
    this.#names.push(org)
    return id
  }
}
