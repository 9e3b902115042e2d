/**
 * The local-matching views of the NodeService contract (`alliance match`,
 * node/matching.ts): a scan request, its summary and progress, retroactive
 * decisions, recent scans. Re-exported by node/service.ts; separate because
 * they change with the matcher alone.
 */
import type { MatchProgress, MatchResult } from './matching.js'

/** `alliance match`: scan a listings file on the node's machine (raw identifiers never leave it). */
export interface MatchRequestView {
  /** Absolute path of a CSV (header row) or JSONL listings file on the node's machine. */
  listings: string
  /** Absolute path for decisions; omitted: summary only. */
  out?: string
  /** Absolute path for rejected identifiers (JSONL with row numbers). */
  rejects?: string
  format?: 'csv' | 'jsonl'
  outputFormat?: 'jsonl' | 'csv'
  /** 'actions' (block/screen only, the default), 'matches' (any matched identifier) or 'all'. */
  emit?: 'actions' | 'matches' | 'all'
  /** Status → action policy JSON (see node/match/policy.ts). */
  policy?: unknown
  /** Worker threads for this and later scans. @default the node's cores */
  workers?: number
  /** Platform of bare seller ids in the file: "A1B2" is matched as "<accountPlatform>:A1B2". */
  accountPlatform?: string
  /** Replace `out` and `rejects` if they exist. @default false (409 already_exists) */
  force?: boolean
  /** Refuse a file with a column the matcher does not know (400 unknown_columns). @default false; on anyway when no known identifier column is found */
  strictColumns?: boolean
}

/** A scan's summary with the columns of the file the matcher ignored (each with the known column it most likely meant); the scan running now (GET /v1/match/progress). */
export type MatchResultView = MatchResult
export type MatchProgressView = MatchProgress

/** A decision for a listing scanned earlier, made when one of its fingerprints became listed or disputed. */
export interface RetroDecisionView {
  listingId: string
  action: 'none' | 'screen' | 'block'
  matches: Array<{ column: string, kind: string, fingerprint: string, status: string, action: string, orgs: string[], expires: string | null }>
  retro: true
  /** When the listing was scanned (ISO 8601). */
  seenAt?: string
  decidedAt: string
}

/** One scan of a listings file (`alliance match`), as the console's Matching page lists them. */
export interface ScanView {
  /** When the scan ended (ISO 8601). */
  at: string
  /** The listings file's name (no folder: the path is on the node's machine). */
  file: string
  rows: number
  decisions: { none: number, screen: number, block: number }
  /** Listings with at least one matched identifier. */
  matched: number
  /** Invalid identifiers plus rows that could not be matched at all. */
  rejects: number
  elapsedMs: number
}
