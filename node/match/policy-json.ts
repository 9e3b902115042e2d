/**
 * The policy JSON (format in policy.ts) validated with zod: named errors
 * that list every problem by path.
 */
import { z } from 'zod'
import { KINDS, type Kind } from '../../protocol/kinds.js'
import { InvalidMatchPolicyError } from './errors.js'
import { ACTIONS, DEFAULT_POLICY, type MatchPolicy } from './policy.js'
import { issueLines } from '../issues.js'

const action = z.enum(ACTIONS)
const statusActions = z.strictObject({ listed: action, disputed: action, candidate: action }).partial()
const schema = z.strictObject({
  version: z.literal(1).optional(),
  actions: statusActions.optional(),
  kinds: z.partialRecord(z.enum(KINDS), statusActions).optional()
})

/** Validates a parsed policy JSON value; throws InvalidMatchPolicyError naming every problem. */
export function parsePolicy (json: unknown): MatchPolicy {
  const r = schema.safeParse(json)
  if (!r.success) {
    throw new InvalidMatchPolicyError(issueLines(r.error.issues, '(policy)'))
  }
  const kinds: MatchPolicy['kinds'] = {}
  for (const [k, v] of Object.entries(r.data.kinds ?? {})) {
    if (v !== undefined && Object.keys(v).length > 0) kinds[k as Kind] = { ...v }
  }
  return { actions: { ...DEFAULT_POLICY.actions, ...r.data.actions }, kinds }
}

/** Parses policy JSON text (a file's contents); invalid JSON is an InvalidMatchPolicyError too. */
export function parsePolicyJson (text: string): MatchPolicy {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new InvalidMatchPolicyError([`(policy): not valid JSON (${(err as Error).message})`])
  }
  return parsePolicy(json)
}
