/**
 * Putting listings into the input stream: one entry per listing, fields
 * named like the columns of a listings file. What a platform's listing
 * service does with its own client; here for `alliance pipeline feed`
 * (a CSV/JSONL file into the stream: trying the pipeline, back-fills),
 * the tests and the benchmark. Entries are added in batches by a Lua
 * script (one command per batch), with MAXLEN ~ when given.
 */
import { IDENTIFIER_COLUMNS, type ListingRow } from '../match/index.js'
import type { Redis } from './redis.js'

const FEED = `
local key, maxlen, n = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local i = 3
for k = 1, n do
  local f = tonumber(ARGV[i])
  if maxlen > 0 then
    redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(ARGV, i + 1, i + f))
  else
    redis.call('XADD', key, '*', unpack(ARGV, i + 1, i + f))
  end
  i = i + f + 1
end
return n
`

/** A listing as stream fields: listing_id first, then every non-empty identifier column; `extra` fields as given (tests: malformed entries). */
export function listingFields (row: ListingRow | Record<string, string>): string[] {
  const out: string[] = []
  const r = row as Record<string, unknown>
  if (r.listing_id !== undefined && r.listing_id !== null) out.push('listing_id', String(r.listing_id))
  for (const c of IDENTIFIER_COLUMNS) {
    const v = r[c]
    if (v === undefined || v === null || v === '') continue
    out.push(c, String(v))
  }
  return out
}

let sha: string | undefined

/** Adds entries (each a flat field list) to `stream` in one command. */
export async function addEntries (r: Redis, stream: string, entries: ReadonlyArray<readonly string[]>, maxLen = 0): Promise<void> {
  if (entries.length === 0) return
  const args: string[] = [String(maxLen), String(entries.length)]
  for (const e of entries) {
    args.push(String(e.length))
    for (const f of e) args.push(f)
  }
  sha ??= await r.script('LOAD', FEED) as string
  try {
    await r.call('EVALSHA', sha, 1, stream, ...args)
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err
    sha = await r.script('LOAD', FEED) as string
    await r.call('EVALSHA', sha, 1, stream, ...args)
  }
}

/** Feeds listing rows into `stream` in batches of `batch`; resolves with the count. */
export async function feedListings (r: Redis, stream: string, rows: AsyncIterable<ListingRow> | Iterable<ListingRow>, opts: { batch?: number, maxLen?: number, onProgress?: (n: number) => void } = {}): Promise<number> {
  const size = opts.batch ?? 1000
  let n = 0
  let part: string[][] = []
  for await (const row of rows) {
    part.push(listingFields(row))
    if (part.length >= size) {
      await addEntries(r, stream, part, opts.maxLen)
      n += part.length
      part = []
      opts.onProgress?.(n)
    }
  }
  await addEntries(r, stream, part, opts.maxLen)
  n += part.length
  return n
}
