/**
 * Chain of custody: who did what with a report on this node, and when
 * (received, opened, exported), in an append-only log that is itself
 * tamper-evident. Each record names the hash of the one before it and its
 * own hash is signed with the node's key:
 *
 *   hash      = SHA-256("alliance-node/v1/custody-record" 0x00 || JSON [seq, time, action, report, detail, prev])
 *   signature = Ed25519(node key, "alliance-node/v1/custody-signature" 0x00 || hash)
 *
 * Changing, dropping or reordering a record breaks every later link, and
 * rewriting the whole tail needs the node's signing key. The log is checked
 * when the service starts (LevelDB can silently lose history after on-disk
 * damage, TOOLCHAIN.md); a damaged log is reported, never repaired.
 *
 * The tag is node-local (this log never travels), so it is defined here
 * rather than in protocol/hash.ts.
 */
import { TAGS, signedMessage, taggedHash } from '../../protocol/hash.js'
import { toHex, fromHex } from '../../protocol/bytes.js'
import { verifySignature, type Signer } from '../../protocol/ed25519.js'
import { CUSTODY_ACTIONS, custodyKey, type CustodyAction, type CustodyRecord } from './records.js'

export const CUSTODY_TAG = TAGS.custodyRecord
const GENESIS_PREV = '0'.repeat(64)

export { CUSTODY_ACTIONS, custodyKey, type CustodyAction, type CustodyRecord }

/** A record the store could not read back (not JSON, or not of the record's shape): `seq` from its key. */
export interface UnreadableCustodyRecord {
  damaged: string
  seq: number
}

export function custodyHash (r: Omit<CustodyRecord, 'hash' | 'signature'>): string {
  return toHex(taggedHash(TAGS.custodyRecord, Buffer.from(JSON.stringify([r.seq, r.time, r.action, r.report, r.detail, r.prev]), 'utf8')))
}

function custodyMessage (hash: string): Uint8Array {
  return signedMessage(TAGS.custodySignature, fromHex(hash))
}

/** Why a log does not verify, naming the first bad record; undefined if it does. */
export function checkCustodyRecord (r: CustodyRecord, expectedSeq: number, prev: string, nodeKey: Uint8Array): string | undefined {
  if (r.seq !== expectedSeq) return `record ${expectedSeq} is missing (found ${String(r.seq)})`
  if (r.prev !== prev) return `record ${r.seq} does not follow record ${r.seq - 1}`
  if (custodyHash(r) !== r.hash) return `record ${r.seq} was altered`
  if (!/^[0-9a-f]{128}$/.test(r.signature) || !verifySignature(nodeKey, custodyMessage(r.hash), fromHex(r.signature))) return `record ${r.seq} is not signed by this node`
  return undefined
}

/**
 * The log's head, and records built on it. Appends are prepared here and
 * written by the caller in the same LevelDB batch as the state they record;
 * `commit` moves the head once that batch has been written (the caller
 * serialises appends through one write queue).
 */
export class CustodyLog {
  readonly #signer: Signer
  #seq = 0
  #head = GENESIS_PREV
  #damage: string | undefined

  constructor (signer: Signer) {
    this.#signer = signer
  }

  /** Where the log breaks, if it does (checked by `load`). */
  get damage (): string | undefined { return this.#damage }
  get length (): number { return this.#seq }

  /** Walks the whole log, checking every link and signature; sets the head after the last record. */
  async load (records: AsyncIterable<CustodyRecord | UnreadableCustodyRecord>): Promise<void> {
    let seq = 0
    let prev = GENESIS_PREV
    this.#damage = undefined
    for await (const r of records) {
      seq++
      if ('damaged' in r) {
        this.#damage ??= `record ${r.seq} is unreadable (${r.damaged})`
        prev = ''
        if (Number.isSafeInteger(r.seq)) seq = r.seq
        continue
      }
      this.#damage ??= checkCustodyRecord(r, seq, prev, this.#signer.publicKey)
      prev = r.hash
      seq = r.seq
    }
    this.#seq = seq
    this.#head = prev
  }

  /** The next record, signed, and the function that makes it the head once stored. */
  prepare (action: CustodyAction, report: string, detail: Record<string, string | number>, time: number): { key: string, record: CustodyRecord, commit: () => void } {
    const base = { seq: this.#seq + 1, time: new Date(time).toISOString(), action, report, detail, prev: this.#head }
    const hash = custodyHash(base)
    const record: CustodyRecord = { ...base, hash, signature: toHex(this.#signer.sign(custodyMessage(hash))) }
    return {
      key: custodyKey(record.seq),
      record,
      commit: () => { this.#seq = record.seq; this.#head = hash }
    }
  }
}
