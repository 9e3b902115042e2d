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
import { integerReply, RespConnection, RespScript } from './resp.js'
import type { DeadEntry } from './entry.js'

const COMMIT = `
local inS, outS, deadS, seenS = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, outMax, deadMax, version, epoch, cause, consumer = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local nDec, nDead, nAck = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local seen, decs, deads, acks = ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local unpackS = struct.unpack
local at = 1
for k = 1, nDec do
  local id, listing, decision, ex, inv, nx = unpackS('>Hc0Hc0Bc0I4c0I4c0', decs, at)
  at = nx
  if ex == '' and inv == '' then
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', id, 'listing', listing, 'decision', decision, 'cause', cause, 'version', version, 'epoch', epoch)
  elseif inv == '' then
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', id, 'listing', listing, 'decision', decision, 'cause', cause, 'version', version, 'epoch', epoch, 'explanation', ex)
  elseif ex == '' then
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', id, 'listing', listing, 'decision', decision, 'cause', cause, 'version', version, 'epoch', epoch, 'invalid', inv)
  else
    redis.call('XADD', outS, 'MAXLEN', '~', outMax, '*', 'id', id, 'listing', listing, 'decision', decision, 'cause', cause, 'version', version, 'epoch', epoch, 'explanation', ex, 'invalid', inv)
  end
end
at = 1
for k = 1, nDead do
  local id, reason, listing, nx = unpackS('>Hc0Hc0Hc0', deads, at)
  at = nx
  if listing == '' then
    redis.call('XADD', deadS, 'MAXLEN', '~', deadMax, '*', 'entry', id, 'reason', reason, 'group', group, 'consumer', consumer)
  else
    redis.call('XADD', deadS, 'MAXLEN', '~', deadMax, '*', 'entry', id, 'reason', reason, 'group', group, 'consumer', consumer, 'listing', listing)
  end
end
if seen ~= '' then
  redis.call('XADD', seenS, '*', 'v', version, 'd', seen)
end
local acked = 0
at = 1
local ids = {}
for k = 1, nAck do
  local id, nx = unpackS('>Hc0', acks, at)
  at = nx
  ids[#ids + 1] = id
  if #ids == 500 or k == nAck then
    acked = acked + redis.call('XACK', inS, group, unpack(ids))
    ids = {}
  end
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

/**
 * The script's packed arguments: every decision, dead letter and
 * acknowledged id as length-prefixed fields in one buffer each (the script
 * reads them with struct.unpack). Three buffers instead of ~6 arguments per
 * listing: the client's per-argument encoding was the largest cost of a
 * commit.
 */
export function packCommit (b: CommitBatch): { decisions: Buffer, dead: Buffer, ack: Buffer } {
  const w = new Packer(64 + b.decisions.length * 48)
  for (const d of b.decisions) {
    w.str16(d.id); w.str16(d.listingId); w.str8(d.action); w.str32(d.explanation); w.str32(d.invalid)
  }
  const decisions = w.take()
  for (const d of b.dead) { w.str16(d.id); w.str16(d.reason); w.str16(d.listingId ?? '') }
  const dead = w.take()
  for (const id of b.ack) w.str16(id)
  return { decisions, dead, ack: w.take() }
}

/** Runs the commit script; loads it into the server when the server does not know it (first use, or after a restart). */
export async function commitBatch (r: Redis | RespConnection, s: CommitStreams, b: CommitBatch): Promise<number> {
  const packed = packCommit(b)
  const args: Array<string | Buffer | number> = [4, s.input, s.output, s.dead, s.seen === '' ? s.output : s.seen,
    b.group, b.outMaxLen, b.deadMaxLen, b.version, b.epoch, b.cause, b.consumer, b.decisions.length, b.dead.length, b.ack.length, b.seen ?? '',
    packed.decisions, packed.dead, packed.ack]
  if (r instanceof RespConnection) return await commitResp(r, args)
  sha ??= await r.script('LOAD', COMMIT) as string
  try {
    return await r.call('EVALSHA', sha, ...args) as number
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err
    sha = await r.script('LOAD', COMMIT) as string
    return await r.call('EVALSHA', sha, ...args) as number
  }
}

const commitScript = new RespScript(COMMIT)

/** The script at the RESP level: its arguments written once into the command buffer, no client-side copies. */
async function commitResp (c: RespConnection, args: Array<string | Buffer | number>): Promise<number> {
  let size = 256
  for (const a of args) size += typeof a === 'string' ? a.length * 3 + 16 : typeof a === 'number' ? 32 : a.length + 16
  return integerReply(await commitScript.run(c, args.length, w => { for (const a of args) w.arg(a) }, size))
}

/** Length-prefixed UTF-8 fields (big-endian lengths), as the script's struct.unpack formats read them. */
class Packer {
  #buf: Buffer
  #at = 0
  #from = 0
  constructor (size: number) { this.#buf = Buffer.allocUnsafe(size) }

  #need (n: number): void {
    if (this.#at + n <= this.#buf.length) return
    const b = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n))
    this.#buf.copy(b, 0, this.#from, this.#at)
    this.#at -= this.#from
    this.#from = 0
    this.#buf = b
  }

  #str (s: string, lenBytes: 1 | 2 | 4, max: number): void {
    this.#need(lenBytes + s.length * 3)
    const at = this.#at + lenBytes
    const n = s.length === 0 ? 0 : this.#buf.write(s, at, 'utf8')
    if (n > max) throw new RangeError(`a commit field of ${n} bytes is longer than ${max}`)
    if (lenBytes === 1) this.#buf[this.#at] = n
    else if (lenBytes === 2) this.#buf.writeUInt16BE(n, this.#at)
    else this.#buf.writeUInt32BE(n, this.#at)
    this.#at = at + n
  }

  str8 (s: string): void { this.#str(s, 1, 0xff) }
  str16 (s: string): void { this.#str(s, 2, 0xffff) }
  str32 (s: string): void { this.#str(s, 4, 0xffffffff) }

  /** The fields written since the last take (a view: later writes never touch it). */
  take (): Buffer {
    const out = this.#buf.subarray(this.#from, this.#at)
    this.#from = this.#at
    return out
  }
}
