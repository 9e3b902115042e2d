/** Shared fixtures of the matcher tests: a key, a suite, blocklists built from attestations. */
import { PassThrough } from 'node:stream'
import { canonicalBytes } from '../../../../protocol/canonical/index.js'
import { createSuite, type LocalFingerprintSuite } from '../../../../protocol/fingerprint/index.js'
import type { Kind } from '../../../../protocol/kinds.js'
import type { Status } from '../../../../protocol/consensus/rule.js'
import { BlocklistIndex, type IndexInput } from '../../../../node/match/index.js'
import type { FingerprintKey } from '../../../../node/match/index.js'

export const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 5) & 0xff)
export const FP_KEY: FingerprintKey = { suite: 'hmac-sha256', epoch: 3, key: KEY }
export const suite: LocalFingerprintSuite = createSuite({ name: 'hmac-sha256', epoch: 3, key: KEY })
export const DAY = 86_400_000
export const T0 = Date.UTC(2026, 0, 1)

/** The fingerprint a member computes for a raw identifier. */
export function fp (kind: Kind, raw: string): Uint8Array {
  return suite.fingerprint(kind, canonicalBytes(kind, raw, { defaultCountry: 'GB' }))
}

export function entry (kind: Kind, raw: string, status: Status | 'absent', orgs: string[] = ['brand-a', 'brand-b'], negative: string[] = []): IndexInput {
  return { fingerprint: fp(kind, raw), kind, status, positive: orgs.map(org => ({ org })), negative: negative.map(org => ({ org })), expires: T0 + 90 * DAY }
}

export function indexOf (entries: IndexInput[]): BlocklistIndex {
  return BlocklistIndex.fromExplanations(entries, { initialCapacity: 16, maxEntries: 1 << 16 })
}

/** A writable that collects text. */
export function collector (): PassThrough & { text: () => string } {
  const s = new PassThrough() as PassThrough & { text: () => string }
  let text = ''
  s.on('data', (d: Buffer) => { text += d.toString() })
  s.text = () => text
  return s
}

/** Async iterable of one text, cut into pieces of `size` bytes (to cross chunk boundaries anywhere). */
export async function * pieces (text: string, size: number): AsyncGenerator<Uint8Array> {
  const b = Buffer.from(text)
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}
