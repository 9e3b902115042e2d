/**
 * Records to and from their stored form (JSON text, the layout of the first
 * release), shared by both stores so they accept and refuse the same values.
 */
import type { z } from 'zod'
import type { UnreadableCustodyRecord } from '../custody.js'
import { ReportStoreCorruptError } from '../errors.js'
import { custodyRecordSchema, type CustodyRecord } from '../records.js'

export const encode = (record: object): string => JSON.stringify(record)

function parse<T> (schema: z.ZodType<T>, text: string): { ok: true, record: T } | { ok: false, why: string } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, why: 'not JSON' }
  }
  const r = schema.safeParse(json)
  if (r.success) return { ok: true, record: r.data }
  const issue = r.error.issues[0]
  return { ok: false, why: `${issue.path.length > 0 ? issue.path.join('.') : 'value'}: ${issue.message}` }
}

/** The record stored at `where` (sublevel/key), parsed with its schema; ReportStoreCorruptError if it does not parse. */
export function decode<T> (schema: z.ZodType<T>, where: string, text: string): T {
  const r = parse(schema, text)
  if (!r.ok) throw new ReportStoreCorruptError(where, r.why)
  return r.record
}

/** A custody record, or what the log needs to name it as damage. */
export function decodeCustody (key: string, text: string): CustodyRecord | UnreadableCustodyRecord {
  const r = parse(custodyRecordSchema, text)
  return r.ok ? r.record : { damaged: r.why, seq: /^\d{1,16}$/.test(key) ? Number(key) : NaN }
}
