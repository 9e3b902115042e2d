/**
 * The roster chain a node starts with, from its store, surviving damage on
 * disk. LevelDB does not checksum-verify every read by default, so a flipped
 * byte in a table can reach a stored roster version as a record that does
 * not decode or no longer verifies. The node must still start:
 *
 * - the chain is built from the stored versions in order, as far as they
 *   verify; the first that does not (and every later one) is deleted and
 *   reported;
 * - a damaged or missing genesis is restored from the roster file the
 *   operator installed in the node directory;
 * - versions lost that way come back from the roster entries carried in the
 *   members' logs (one pass over the stored entries, only after damage), and
 *   otherwise from peers as roster updates arrive.
 */
import { decodeEntry } from '../../protocol/codec/index.js'
import { RosterChain, rosterVersionOf } from '../../protocol/roster/index.js'
import type { SignedRoster } from '../../protocol/types.js'
import type { Store } from './types.js'

export interface RosterDamage {
  /** The first stored version that did not decode or verify (it and later ones were deleted). */
  version: number
  why: string
}

export interface LoadedRosters {
  chain: RosterChain
  damage?: RosterDamage
  /** Versions put back from the roster entries in the logs after damage. */
  recovered: number
}

/** loadStoredRosters, then (after damage) recoverRostersFromLogs: the whole start-up load. */
export async function loadRosterChain (store: Store, installedGenesis: SignedRoster): Promise<LoadedRosters> {
  const loaded = await loadStoredRosters(store, installedGenesis)
  if (loaded.damage === undefined) return loaded
  return { ...loaded, recovered: await recoverRostersFromLogs(store, loaded.chain) }
}

/**
 * The chain from the stored versions as far as they verify (the damaged one
 * and later ones deleted), or the installed genesis. Reads no log entry, so
 * it may run before the chain check; versions lost to damage are then put
 * back by `recoverRostersFromLogs`, after the chain check.
 */
export async function loadStoredRosters (store: Store, installedGenesis: SignedRoster): Promise<LoadedRosters> {
  let chain: RosterChain | undefined
  let damage: RosterDamage | undefined
  for (const r of await store.rosterRecords()) {
    try {
      if (r.signed === undefined) throw new Error(r.damaged)
      if (chain === undefined) {
        if (r.version !== 1) throw new Error(`the first stored version is ${r.version}, not 1`)
        chain = RosterChain.fromGenesis(r.signed)
      } else {
        const before = chain.versions.length
        chain.extend(r.signed)
        if (chain.versions.length !== before + 1 || chain.current.roster.version !== r.version) throw new Error(`record ${r.version} does not hold version ${before + 1}`)
      }
    } catch (err) {
      damage = { version: r.version, why: (err as Error).message }
      break
    }
  }
  if (damage !== undefined) await store.deleteRosters(damage.version)
  if (chain === undefined) {
    chain = RosterChain.fromGenesis(installedGenesis)
    await store.putRoster(1, installedGenesis)
  }
  return { chain, ...(damage !== undefined ? { damage } : {}), recovered: 0 }
}

/** Extends `chain` with the later versions carried in the logs (after damage to the stored ones); how many were put back. */
export async function recoverRostersFromLogs (store: Store, chain: RosterChain): Promise<number> {
  let recovered = 0
  // versions carried in the logs, in version order (several logs carry the same one)
  const carried = new Map<number, SignedRoster>()
  for await (const e of store.all()) {
    let body
    try {
      body = decodeEntry(e.bytes).body
    } catch {
      continue // the chain check already dropped what does not hash; nothing else to do here
    }
    if (body.type !== 'roster') continue
    try {
      const v = rosterVersionOf(body.signed).roster.version
      if (v > chain.current.roster.version) carried.set(v, body.signed)
    } catch {}
  }
  for (const v of [...carried.keys()].sort((a, b) => a - b)) {
    const signed = carried.get(v) as SignedRoster
    try {
      if (chain.extend(signed) === undefined) continue
    } catch {
      break // not the next valid version: the rest cannot extend the chain either
    }
    await store.putRoster(chain.current.roster.version, signed)
    recovered++
  }
  return recovered
}
