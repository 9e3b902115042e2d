/**
 * Blocklist export formats, shared by the API (which streams them) and the
 * CLI (which writes them from streamed rows), so both produce the same bytes.
 *
 * - JSONL: one BlocklistRow as JSON per line.
 * - CSV (RFC 4180): header `fingerprint,kind,status,orgs,weight,expires,reasons`;
 *   `orgs` joined with ';', `reasons` as `org=reason` joined with ';' (the
 *   column is last, so readers of the first six columns are unaffected),
 *   empty fields for null.
 */
import { csvField } from '../csv.js'
import type { BlocklistRow } from '../service.js'
import type { BlocklistFormat } from './schemas.js'

export const BLOCKLIST_CSV_HEADER = 'fingerprint,kind,status,orgs,weight,expires,reasons\n'

export const CONTENT_TYPES: Record<BlocklistFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8'
}

export function blocklistCsvLine (r: BlocklistRow): string {
  const reasons = Object.entries(r.reasons).map(([org, why]) => `${org}=${why}`).join(';')
  return [r.fingerprint, r.kind ?? '', r.status, r.orgs.join(';'), String(r.weight), r.expires ?? '', reasons].map(csvField).join(',') + '\n'
}

export function blocklistJsonLine (r: BlocklistRow): string {
  return JSON.stringify(r) + '\n'
}

export function blocklistLine (r: BlocklistRow, format: BlocklistFormat): string {
  return format === 'csv' ? blocklistCsvLine(r) : blocklistJsonLine(r)
}
