/**
 * Writing a batch's outcome in one step: a Lua script adds every decision
 * to the output stream (MAXLEN ~), every dead letter to the dead-letter
 * stream, the batch's seen listings to the worker's seen stream, and
 * acknowledges the input entries — atomically, so a worker killed at any
 * point leaves either all of it or none (its entries are then claimed and
 * decided again by another worker). One command per batch also keeps the
 * client's per-command cost off the hot path.
 *
 * Decision entry fields: id, listing, decision (block | screen | none),
 * cause (listing | retroactive), version (blocklist version: change-stream
 * id), epoch, and when present explanation (JSON of the matches, as in
 * `alliance match` decisions) and invalid (JSON: column, kind, why, bytes).
 * Dead-letter entry fields: entry (input entry id), reason, group,
 * consumer, and listing when it could be read.
 */
import type { Redis } from './redis.js'
import type { DeadEntry } from './entry.js'

const COMMIT = `
local inS, outS, deadS, seenS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, outMax, deadMax, version, epoch, cause, consumer = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local nDec, nDead, nAck = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local seen = ARGV[11]
local i = 12
for k = 1, nDec do
  local ex, inv = ARGV[i+3], ARGV[i+4]
  if ex == '' and inv == '' then
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', ARGV[i], 'listing', ARGV[i+1], 'decision', ARGV[i+2], 'cause', cause, 'version', version, 'epoch', epoch)
  elseif inv == '' then
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', ARGV[i], 'listing', ARGV[i+1], 'decision', ARGV[i+2], 'cause', cause, 'version', version, 'epoch', epoch, 'explanation', ex)
  elseif ex == '' then
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', ARGV[i], 'listing', ARGV[i+1], 'decision', ARGV[i+2], 'cause', cause, 'version', version, 'epoch', epoch, 'invalid', inv)
  else
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', ARGV[i], 'listing', ARGV[i+1], 'decision', ARGV[i+2], 'cause', cause, 'version', version, 'epoch', epoch, 'explanation', ex, 'invalid', inv)
  end
  i = i + 5
end
for k = 1, nDead do
  if ARGV[i+2] == '' then
    redis.call('XADD', deadS, 'MAXLEN', '~', deadMax, '*', 'entry', ARGV[i], 'reason', ARGV[i+1], 'group', group, 'consumer', consumer)
  else
    redis.call('XADD', deadS, 'MAXLEN', '~', deadMax, '*', 'entry', ARGV[i], 'reason', ARGV[i+1], 'group', group, 'consumer', consumer, 'listing', ARGV[i+2])
  end
  i = i + 3
end
if seen ~= '' then
  redis.call('XADD', seenS, '*', 'v', version, 'd', seen)
end
local acked = 0
while nAck > 0 do
  local n = math.min(nAck, 500)
  acked = acked + redis.call('XACK', inS, group, unpack(ARGV, i, i + n - 1))
  i = i + n
  nAck = nAck - n
end
return acked
`

export interface CommitStreams {
  input: string
  output: string
  dead: string
  /** The worker's seen stream ('' when nothing is remembered). */
  seen: string
}

export interface CommitBatch {
  group: string
  consumer: string
  outMaxLen: number
  deadMaxLen: number
  version: string
  epoch: number
  cause: 'listing' | 'retroactive'
  decisions: ReadonlyArray<{ id: string, listingId: string, action: string, explanation: string, invalid: string }>
  dead: readonly DeadEntry[]
  /** Encoded seen batch, or undefined. */
  seen?: Buffer
  ack: readonly string[]
}

let sha: string | undefined

/** Runs the commit script; loads it into the server when the server does not know it (first use, or after a restart). */
export async function commitBatch (r: Redis, s: CommitStreams, b: CommitBatch): Promise<number> {
  const args: Array<string | Buffer | number> = [4, s.input, s.output, s.dead, s.seen === '' ? s.output : s.seen,
    b.group, b.outMaxLen, b.deadMaxLen, b.version, b.epoch, b.cause, b.consumer, b.decisions.length, b.dead.length, b.ack.length, b.seen ?? '']
  for (const d of b.decisions) args.push(d.id, d.listingId, d.action, d.explanation, d.invalid)
  for (const d of b.dead) args.push(d.id, d.reason, d.listingId ?? '')
  for (const id of b.ack) args.push(id)
  sha ??= await r.script('LOAD', COMMIT) as string
  try {
    return await r.call('EVALSHA', sha, ...args) as number
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err
    sha = await r.script('LOAD', COMMIT) as string
    return await r.call('EVALSHA', sha, ...args) as number
  }
}
