/** Shared by the toprf unit tests: subsets, and an in-memory guardian network standing in for the node's transport. */
import { createToprfGuardian, type ToprfEvaluation, type ToprfGuardian } from '../../../../../protocol/fingerprint/toprf/index.js'
import { randomScalar } from '../../../../../protocol/fingerprint/toprf/group.js'
import { splitSecret } from '../../../../../protocol/fingerprint/toprf/shamir.js'

/** All k-element subsets of xs, in order. */
export function subsets<T> (xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]]
  if (xs.length < k) return []
  const [head, ...rest] = xs
  return [...subsets(rest, k - 1).map(s => [head, ...s]), ...subsets(rest, k)]
}

export interface Dealt {
  key: Uint8Array
  commitments: Uint8Array[]
  shares: Uint8Array[]
  guardians: ToprfGuardian[]
}

/** A key split t-of-g, without sealing (dealer.test.ts covers sealing), and one guardian object per share. */
export function dealInMemory (t: number, g: number, epoch: number): Dealt {
  const key = randomScalar()
  const { commitments, shares } = splitSecret(key, t, g)
  const guardians = shares.map((share, i) => createToprfGuardian({ epoch, index: i + 1, share, commitments }))
  return { key, commitments, shares, guardians }
}

export type Behaviour = (blinded: Uint8Array[], honest: () => ToprfEvaluation) => Promise<ToprfEvaluation>

/**
 * The transport double: guardian "g<i>" answers from its guardian object,
 * unless `behaviour[id]` says otherwise. Counts calls per guardian.
 */
export function network (guardians: readonly ToprfGuardian[], behaviour: Record<string, Behaviour> = {}): {
  evaluate: (id: string, blinded: Uint8Array[], signal: AbortSignal) => Promise<ToprfEvaluation>
  calls: Map<string, number>
} {
  const calls = new Map<string, number>()
  const evaluate = async (id: string, blinded: Uint8Array[], signal: AbortSignal): Promise<ToprfEvaluation> => {
    calls.set(id, (calls.get(id) ?? 0) + 1)
    signal.throwIfAborted()
    const g = guardians.find(x => `g${x.index}` === id)
    if (g === undefined) throw new Error(`no guardian ${id}`)
    const honest = (): ToprfEvaluation => g.evaluate(blinded)
    const b = behaviour[id]
    return b === undefined ? honest() : await b(blinded, honest)
  }
  return { evaluate, calls }
}

export const refs = (guardians: readonly ToprfGuardian[]): Array<{ id: string, index: number }> => guardians.map(g => ({ id: `g${g.index}`, index: g.index }))
