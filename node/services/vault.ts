/**
 * The vault: the raw identifiers this node attested or allowed, with the
 * terms of each statement, kept on this machine only so that they can be
 * re-stated under a new key epoch after a rotation (fingerprints cannot be
 * converted from one key to another: that is the point of rotating).
 *
 * - Encrypted at rest: each record is XChaCha20-Poly1305 under a key
 *   derived from keys/vault.key (32 random bytes, 0600, made at first use),
 *   with the record id as associated data, so records cannot be swapped.
 * - Record ids are a keyed hash of (kind, canonical value) under another
 *   derived key: the vault's keys say nothing about its values, and one
 *   identifier is one record (re-attesting it replaces the terms).
 * - Never sent anywhere, never in an export; `alliance init --no-vault`
 *   turns it off (then `status` counts what a rotation cannot re-state).
 *
 * Storage is behind a two-method-pair backend: LevelDB (<dir>/vault/) for
 * the node and memory for unit tests, one suite run against both.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { LevelByteMap, MemoryByteMap, type ByteMap } from '../store/byte-map.js'
import { z } from 'zod'
import { concatBytes, toHex, utf8 } from '../../protocol/bytes.js'
import { TAGS } from '../../protocol/hash.js'
import { isKind, type Kind } from '../../protocol/kinds.js'
import { VaultError } from './errors.js'
import { nodeLocalKey } from '../home.js'
import type { StatementTerms } from './author.js'

export const VAULT_DIR = 'vault'
export const VAULT_KEY_FILE = 'vault.key'
const NONCE_BYTES = 24

export interface VaultRecord {
  kind: Kind
  value: string
  terms: StatementTerms
}

const recordSchema = z.object({
  kind: z.string().refine(isKind),
  value: z.string(),
  terms: z.object({
    type: z.enum(['attestation', 'allow']),
    claim: z.enum(['counterfeit-seller', 'infringing-listing', 'counterfeit-supplier', 'accomplice']).optional(),
    reason: z.number().int().min(0).optional(),
    confidence: z.number().int().min(0).max(100).optional(),
    expires: z.number()
  })
})

/** Where sealed records live: ids (hex) to sealed bytes (node/store/byte-map.ts). */
export type VaultBackend = ByteMap
export { MemoryByteMap as MemoryVaultBackend, LevelByteMap as LevelVaultBackend }

/** Reads keys/vault.key, making it (0600) when it does not exist yet. */
export async function vaultKey (dir: string): Promise<Uint8Array> {
  return await nodeLocalKey(dir, VAULT_KEY_FILE, (path) => new VaultError('vault_key', `${path} is not a 32-byte hex key`))
}

export class Vault {
  readonly #backend: VaultBackend
  readonly #idKey: Uint8Array
  readonly #encKey: Uint8Array
  readonly #canonical: (kind: Kind, value: string) => Uint8Array

  /** `key`: 32 bytes (wiped by the caller afterwards; the vault keeps derived keys only). */
  constructor (key: Uint8Array, backend: VaultBackend, canonical: (kind: Kind, value: string) => Uint8Array) {
    this.#backend = backend
    this.#idKey = hkdf(sha256, key, utf8(TAGS.vaultRecordId), new Uint8Array(0), 32)
    this.#encKey = hkdf(sha256, key, utf8(TAGS.vaultEncryption), new Uint8Array(0), 32)
    this.#canonical = canonical
  }

  async open (): Promise<void> { await this.#backend.open() }
  async close (): Promise<void> {
    await this.#backend.close()
    this.#idKey.fill(0)
    this.#encKey.fill(0)
  }

  id (kind: Kind, value: string): string {
    return toHex(hmac(sha256, this.#idKey, concatBytes(utf8(kind), Uint8Array.of(0), this.#canonical(kind, value))))
  }

  async remember (items: Array<{ kind: Kind, value: string, terms: StatementTerms }>): Promise<void> {
    for (const r of items) {
      const id = this.id(r.kind, r.value)
      const nonce = new Uint8Array(randomBytes(NONCE_BYTES))
      const record: VaultRecord = { kind: r.kind, value: r.value, terms: r.terms }
      const ct = xchacha20poly1305(this.#encKey, nonce, utf8(id)).encrypt(utf8(JSON.stringify(record)))
      await this.#backend.put(id, concatBytes(nonce, ct))
    }
  }

  async forget (items: Array<{ kind: Kind, value: string }>): Promise<void> {
    await this.#backend.del(items.map(r => this.id(r.kind, r.value)))
  }

  /** Every record whose statement is still live at `now`; a record that does not open is a named error. */
  async * live (now: number): AsyncIterable<VaultRecord> {
    for await (const [id, sealed] of this.#backend.entries()) {
      let plain: Uint8Array
      try {
        plain = xchacha20poly1305(this.#encKey, sealed.subarray(0, NONCE_BYTES), utf8(id)).decrypt(sealed.subarray(NONCE_BYTES))
      } catch {
        throw new VaultError('vault_record', `record ${id.slice(0, 12)}… does not open with this node's vault key (damaged, or keys/vault.key was replaced)`)
      }
      const parsed = recordSchema.safeParse(JSON.parse(Buffer.from(plain).toString('utf8')))
      if (!parsed.success) throw new VaultError('vault_record', `record ${id.slice(0, 12)}… is not a vault record`)
      const r = parsed.data as VaultRecord
      if (r.terms.expires > now) yield r
    }
  }

  async size (): Promise<number> {
    let n = 0
    for await (const _ of this.#backend.entries()) n++
    return n
  }
}

/** The node's vault in <dir>/vault, or undefined when the node was made with --no-vault. */
export async function openVault (dir: string, enabled: boolean, canonical: (kind: Kind, value: string) => Uint8Array): Promise<Vault | undefined> {
  if (!enabled) return undefined
  const key = await vaultKey(dir)
  try {
    const v = new Vault(key, new LevelByteMap({ path: join(dir, VAULT_DIR), what: 'vault', damagedTables: 'refuse' }), canonical)
    await v.open()
    return v
  } finally {
    key.fill(0)
  }
}
