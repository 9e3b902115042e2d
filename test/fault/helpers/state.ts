/**
 * What "the node's state did not change" means in the fault tier, and how
 * memory is measured.
 *
 * A node's observable state is its blocklist (the snapshot content hash),
 * every author's head (seq and id), the equivocation evidence it keeps and
 * the keys it has flagged. Fuzzed input must leave all four as they were.
 */
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { toHex } from '../../../protocol/bytes.js'
import type { AllianceNode } from '../../../node/alliance-node.js'

export interface NodeState {
  snapshotHash: string
  heads: string[]
  evidence: number
  flagged: number
}

export async function nodeState (node: AllianceNode): Promise<NodeState> {
  return {
    snapshotHash: node.snapshotHash(),
    heads: node.store.heads().map(h => `${toHex(h.author)}:${h.seq}:${toHex(h.id)}`).sort(),
    evidence: (await node.store.evidence()).length,
    flagged: node.ingestor.flagged.size
  }
}

export async function assertUnchanged (node: AllianceNode, before: NodeState, what: string): Promise<void> {
  assert.deepEqual(await nodeState(node), before, `${what} changed the node's state`)
}

/**
 * A cheap per-input fingerprint of the state: heads (in memory), blocklist
 * counts, and how many entries were ever applied (the consensus index only
 * changes through applied entries). `nodeState` is the full comparison.
 */
export function quickState (node: AllianceNode): () => string {
  let applied = 0
  const original = node.onApplied.bind(node)
  node.onApplied = (entries) => { applied += entries.length; original(entries) }
  return () => `${applied}|${JSON.stringify(node.ingestor.consensus.counts())}|${node.store.heads().map(h => `${toHex(h.author)}:${h.seq}`).sort().join()}`
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap plus array buffers after a full collection, in bytes. */
export function liveBytes (): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

export const MiB = 1024 * 1024

/** Throws when live memory grew by more than `limit` bytes since `start`. */
export function assertMemoryBounded (start: number, limit: number, what: string): number {
  const grew = liveBytes() - start
  assert.ok(grew < limit, `${what}: live memory grew by ${(grew / MiB).toFixed(1)} MiB (limit ${(limit / MiB).toFixed(0)} MiB)`)
  return grew
}
