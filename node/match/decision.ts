/**
 * What the matcher outputs: one decision per listing, with the explanation
 * of every identifier that matched, and rejects for invalid identifiers.
 *
 * Privacy: a decision names the platform's own listing id and column, the
 * fingerprint of the platform's own value (hex; the handle for
 * `alliance feedback`), the consensus status and the orgs that vouch or
 * object. It never carries another party's data (the node never had any)
 * and never the platform's raw identifier: the platform has the listing.
 *
 * Rejects carry line, listing id, column, kind, the `why` code of
 * protocol/canonical and the value's UTF-8 length. The raw value is added
 * only with `rejectsIncludeValue` (the platform's own rejects file, for
 * fixing its data); it is never logged.
 *
 * JSONL decision:
 *   {"line":12,"listingId":"L12","action":"block","matches":[{"column":"phone","kind":"phone",
 *    "fingerprint":"9f…","status":"listed","action":"block","orgs":["brand-a","brand-b"],
 *    "orgCount":2,"disputedBy":[],"confirmations":0,"expires":"2027-01-01T00:00:00.000Z"}]}
 * CSV decision (one row per matched identifier; a listing without a match,
 * written only with emit 'all', has one row with empty match fields):
 *   line,listing_id,action,column,kind,status,match_action,fingerprint,orgs,disputed_by,expires
 * JSONL reject:
 *   {"line":7,"listingId":"L7","column":"phone","kind":"phone","why":"not_e164","bytes":11}
 * CSV reject (with outputFormat csv, the rejects follow the decisions' format):
 *   line,listing_id,column,kind,why,bytes,value,reason
 */
import { csvField } from '../csv.js'
import { INVALID_WHY, type InvalidWhy } from '../../protocol/canonical/index.js'
import type { Kind } from '../../protocol/kinds.js'
import type { Status } from '../../protocol/consensus/rule.js'
import type { IdentifierColumn } from './columns.js'
import type { Action } from './policy.js'

export interface MatchExplanation {
  column: IdentifierColumn
  kind: Kind
  /** Hex fingerprint of the platform's own value in this column. */
  fingerprint: string
  status: Status
  /** The action this match alone leads to under the policy. */
  action: Action
  /** Orgs vouching for the fingerprint (up to 8 kept per fingerprint; orgCount is the true number). */
  orgs: string[]
  orgCount: number
  /** Orgs standing against it (false positive, upheld dispute, authorised reseller). */
  disputedBy: string[]
  confirmations: number
  /** When the status next changes by expiry alone (ISO time), null if never. */
  expires: string | null
}

/** Why a row could not be read, beyond invalid identifiers. */
export const ROW_WHY = {
  missing_listing_id: 'the row has no listing_id',
  listing_id_too_long: 'the listing_id is longer than 1024 bytes',
  bad_json: 'the line is not a JSON object',
  bad_value: 'a column holds something other than a string or number',
  not_fingerprinted: 'an identifier of the listing could not be fingerprinted (see reason); the listing is not decided'
} as const
export type RowWhy = keyof typeof ROW_WHY

export interface Reject {
  line: number
  /** The listing's id, when the row has one. */
  listingId?: string
  /** The column, or 'listing_id' / '(row)' for problems with the row itself. */
  column: IdentifierColumn | 'listing_id' | '(row)'
  kind?: Kind
  why: InvalidWhy | RowWhy
  /** UTF-8 length of the value. */
  bytes?: number
  /** The raw value: only with rejectsIncludeValue. */
  value?: string
  /** not_fingerprinted: why (the fingerprint service's error reason, e.g. not_enough_guardians, quota_exceeded). */
  reason?: string
}

export interface Decision {
  line: number
  listingId: string
  action: Action
  matches: MatchExplanation[]
  /** Invalid identifiers of this listing (matchListing / matchStream only; matchFile writes them to the rejects stream). */
  invalid?: Reject[]
}

/** Retroactive decision: an earlier listing whose identifier became matched later (see retro.ts). */
export interface RetroDecision {
  listingId: string
  action: Action
  matches: MatchExplanation[]
  retro: true
  /** When the listing was scanned (ms), if the seen-store keeps it. */
  seenAt?: number
}

export type OutputFormat = 'jsonl' | 'csv'

export const WHY_CODES: ReadonlyArray<InvalidWhy> = Object.keys(INVALID_WHY) as InvalidWhy[]
const WHY_CODE = new Map<string, number>(WHY_CODES.map((w, i) => [w, i + 1]))
/** Compact code of a `why` (1-based; 0 = unknown). */
export function whyCode (why: string): number { return WHY_CODE.get(why) ?? 0 }
export function whyOf (code: number): InvalidWhy { return WHY_CODES[code - 1] ?? 'bad_characters' }

export function isoOrNull (ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null
}

export const CSV_DECISION_HEADER = 'line,listing_id,action,column,kind,status,match_action,fingerprint,orgs,disputed_by,expires\n'

export function decisionJson (d: Decision): string {
  return JSON.stringify({ line: d.line, listingId: d.listingId, action: d.action, matches: d.matches }) + '\n'
}

export function decisionCsv (d: Decision): string {
  const head = `${d.line},${csvField(d.listingId)},${d.action}`
  if (d.matches.length === 0) return `${head},,,,,,,,\n`
  let s = ''
  for (const m of d.matches) {
    s += `${head},${m.column},${m.kind},${m.status},${m.action},${m.fingerprint},${csvField(m.orgs.join(' '))},${csvField(m.disputedBy.join(' '))},${m.expires ?? ''}\n`
  }
  return s
}

export function formatDecision (d: Decision, format: OutputFormat): string {
  return format === 'csv' ? decisionCsv(d) : decisionJson(d)
}

export function rejectJson (r: Reject): string {
  return JSON.stringify(r) + '\n'
}

export const CSV_REJECT_HEADER = 'line,listing_id,column,kind,why,bytes,value,reason\n'

export function rejectCsv (r: Reject): string {
  return `${r.line},${csvField(r.listingId ?? '')},${csvField(r.column)},${r.kind ?? ''},${r.why},${r.bytes ?? ''},${csvField(r.value ?? '')},${csvField(r.reason ?? '')}\n`
}

export function formatReject (r: Reject, format: OutputFormat): string {
  return format === 'csv' ? rejectCsv(r) : rejectJson(r)
}
