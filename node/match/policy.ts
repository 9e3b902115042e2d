/**
 * The platform's match policy: which action a consensus status leads to.
 * Pure functions and data; the matcher compiles it into a lookup table.
 *
 * Policy JSON (every field optional; omitted ones take the default):
 *
 * ```json
 * {
 *   "version": 1,
 *   "actions": { "listed": "block", "disputed": "screen", "candidate": "screen" },
 *   "kinds": { "name": { "listed": "screen" }, "postal-address": { "listed": "screen", "candidate": "none" } }
 * }
 * ```
 *
 * - `actions`: status → action for every kind. Actions: `block` (take the
 *   listing down), `screen` (human review), `none`.
 * - `kinds`: per-kind overrides, e.g. names and addresses are weak
 *   identifiers, so a platform may only screen on them.
 * - A listing's action is the most severe over its matched identifiers
 *   (block > screen > none). An identifier that is absent from the
 *   blocklist never leads to an action.
 *
 * Default: listed → block, disputed → screen, candidate → screen, no
 * per-kind overrides (DESIGN.md §5, issue 4). Parsing and validation (zod)
 * are in policy-json.ts, so worker threads do not load zod.
 */
import { KINDS, type Kind } from '../../protocol/kinds.js'
import type { Status } from '../../protocol/consensus/rule.js'

export const ACTIONS = ['none', 'screen', 'block'] as const
/** What the platform does with a listing. */
export type Action = typeof ACTIONS[number]
/** Severity of an action: its position in ACTIONS (none 0 < screen 1 < block 2). */
export type ActionCode = 0 | 1 | 2

export const STATUSES: readonly Status[] = ['candidate', 'listed', 'disputed']

/** Status codes as the blocklist index stores them (same order as protocol/consensus STATUS_NAMES). */
export const STATUS_CODE = { absent: 0, candidate: 1, listed: 2, disputed: 3 } as const
export const STATUS_BY_CODE = ['absent', 'candidate', 'listed', 'disputed'] as const

export interface MatchPolicy {
  actions: Record<Status, Action>
  kinds: Partial<Record<Kind, Partial<Record<Status, Action>>>>
}

export const DEFAULT_POLICY: MatchPolicy = Object.freeze({
  actions: Object.freeze({ listed: 'block', disputed: 'screen', candidate: 'screen' }),
  kinds: Object.freeze({})
}) as MatchPolicy

/** The action for one matched identifier. */
export function actionFor (policy: MatchPolicy, kind: Kind, status: Status | 'absent'): Action {
  if (status === 'absent') return 'none'
  return policy.kinds[kind]?.[status] ?? policy.actions[status]
}

export function severity (a: Action): ActionCode {
  return ACTIONS.indexOf(a) as ActionCode
}

/** The more severe of two actions. */
export function mostSevere (a: Action, b: Action): Action {
  return severity(a) >= severity(b) ? a : b
}

/**
 * The policy as a table: `table[kindIndex * 4 + statusCode]` is an action
 * code, kindIndex the position in KINDS. One array read per matched identifier.
 */
export function compilePolicy (policy: MatchPolicy): Uint8Array {
  const table = new Uint8Array(KINDS.length * 4)
  KINDS.forEach((kind, k) => {
    for (const status of STATUSES) table[k * 4 + STATUS_CODE[status]] = severity(actionFor(policy, kind, status))
  })
  return table
}
