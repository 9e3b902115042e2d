/**
 * Governance forks (two valid roster versions with one number) as the store
 * keeps them: JSON in the meta record `rosterForks`, each signed version in
 * full (base64), so the evidence stays checkable offline
 * (`verifyRosterFork`) even if the log entries that carried it are pruned.
 * Forks are rare; one record holds them all.
 */
import { bytesEqual } from '../../protocol/bytes.js'
import type { RosterFork } from '../../protocol/roster/bodies.js'
import type { SignedRoster } from '../../protocol/types.js'
import type { Store } from './types.js'

export const ROSTER_FORKS_META = 'rosterForks'

interface StoredSigned { roster: string, signatures: Array<{ key: string, signature: string }> }
interface StoredFork { version: number, a: StoredSigned, b: StoredSigned, orgs: string[] }

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const toSigned = (s: SignedRoster): StoredSigned => ({ roster: b64(s.roster), signatures: s.signatures.map(x => ({ key: b64(x.key), signature: b64(x.signature) })) })
const fromSigned = (s: StoredSigned): SignedRoster => ({ roster: unb64(s.roster), signatures: s.signatures.map(x => ({ key: unb64(x.key), signature: unb64(x.signature) })) })

/** The same pair of versions (forks are kept ordered by id). */
export function sameFork (x: RosterFork, y: RosterFork): boolean {
  return x.version === y.version && bytesEqual(x.a.roster, y.a.roster) && bytesEqual(x.b.roster, y.b.roster)
}

export async function saveRosterForks (store: Store, forks: readonly RosterFork[]): Promise<void> {
  await store.putMeta(ROSTER_FORKS_META, forks.map((f): StoredFork => ({ version: f.version, a: toSigned(f.a), b: toSigned(f.b), orgs: f.orgs })))
}

export async function loadRosterForks (store: Store): Promise<RosterFork[]> {
  const stored = await store.getMeta<StoredFork[]>(ROSTER_FORKS_META) ?? []
  return stored.map(f => ({ version: f.version, a: fromSigned(f.a), b: fromSigned(f.b), orgs: f.orgs }))
}
