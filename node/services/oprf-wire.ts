/**
 * The guardian evaluation protocol, `/alliance/<id>/oprf/1.0.0`: one stream
 * carries one request from a member node to a guardian node and one answer.
 * Both are single length-prefixed frames (unsigned varint length, as
 * `lpStream` writes it) of fixed binary layout, so a frame is checked by its
 * length before anything is built:
 *
 *   request   0x01 || u32be epoch || u16be n || n × 32-byte blinded element      (1 <= n <= 1024)
 *   answer    0x02 || u16be n || n × 32-byte evaluated element || 64-byte proof
 *   refusal   0x03 || UTF-8 JSON { reason, message, resetAt? }                   (<= 2 KiB)
 *
 * The guardian learns the requesting org from the connection (a roster
 * peer: the gater admits no one else), never anything about the inputs.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { MAX_EVALUATION_BATCH } from '../../protocol/fingerprint/toprf/guardian.js'
import { NodeError, type ErrorCategory } from '../errors.js'

export const ELEMENT = 32
export const PROOF = 64
export const FRAME = { request: 0x01, answer: 0x02, refusal: 0x03 } as const
export const MAX_REQUEST_FRAME = 1 + 4 + 2 + MAX_EVALUATION_BATCH * ELEMENT
export const MAX_ANSWER_FRAME = 1 + 2 + MAX_EVALUATION_BATCH * ELEMENT + PROOF
const MAX_REFUSAL_FRAME = 2048

/** A malformed frame on the oprf protocol (either side). */
export class OprfWireError extends NodeError {
  constructor (why: string) {
    super('oprf_wire', `oprf protocol: ${why}`)
    this.name = 'OprfWireError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/**
 * A guardian refused the evaluation by name: `quota_exceeded` (with the
 * time the org's quota resets), `not_a_guardian`, `unknown_epoch`,
 * `not_a_member`, `busy`.
 */
export class GuardianRefusedError extends NodeError {
  readonly guardian: string
  readonly refusal: string
  readonly resetAt: number | undefined
  constructor (guardian: string, refusal: string, message: string, resetAt?: number) {
    super(refusal === 'quota_exceeded' ? 'quota_exceeded' : 'guardian_refused', `guardian ${guardian} refused: ${message}`)
    this.name = 'GuardianRefusedError'
    this.guardian = guardian
    this.refusal = refusal
    this.resetAt = resetAt
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

export function encodeRequest (epoch: number, blinded: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(7 + blinded.length * ELEMENT)
  const v = new DataView(out.buffer)
  out[0] = FRAME.request
  v.setUint32(1, epoch)
  v.setUint16(5, blinded.length)
  blinded.forEach((b, i) => out.set(b, 7 + i * ELEMENT))
  return out
}

export function decodeRequest (f: Uint8Array): { epoch: number, blinded: Uint8Array[] } {
  if (f.length < 7 || f[0] !== FRAME.request) throw new OprfWireError('not a request frame')
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength)
  const n = v.getUint16(5)
  if (n < 1 || n > MAX_EVALUATION_BATCH) throw new OprfWireError(`a request carries 1..${MAX_EVALUATION_BATCH} elements, not ${n}`)
  if (f.length !== 7 + n * ELEMENT) throw new OprfWireError(`request of ${n} elements must be ${7 + n * ELEMENT} bytes, got ${f.length}`)
  const blinded: Uint8Array[] = []
  for (let i = 0; i < n; i++) blinded.push(f.slice(7 + i * ELEMENT, 7 + (i + 1) * ELEMENT))
  return { epoch: v.getUint32(1), blinded }
}

export function encodeAnswer (evaluated: readonly Uint8Array[], proof: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + evaluated.length * ELEMENT + PROOF)
  out[0] = FRAME.answer
  new DataView(out.buffer).setUint16(1, evaluated.length)
  evaluated.forEach((e, i) => out.set(e, 3 + i * ELEMENT))
  out.set(proof, 3 + evaluated.length * ELEMENT)
  return out
}

export interface Refusal { reason: string, message: string, resetAt?: number }

export function encodeRefusal (r: Refusal): Uint8Array {
  const json = Buffer.from(JSON.stringify({ reason: r.reason, message: r.message.slice(0, 1024), ...(r.resetAt !== undefined ? { resetAt: r.resetAt } : {}) }))
  const out = new Uint8Array(1 + json.length)
  out[0] = FRAME.refusal
  out.set(json, 1)
  return out
}

export type Answer = { type: 'answer', evaluated: Uint8Array[], proof: Uint8Array } | ({ type: 'refusal' } & Refusal)

export function decodeAnswer (f: Uint8Array, expected: number): Answer {
  if (f.length > 0 && f[0] === FRAME.refusal) {
    if (f.length > MAX_REFUSAL_FRAME) throw new OprfWireError('refusal frame too long')
    let j: unknown
    try { j = JSON.parse(Buffer.from(f.subarray(1)).toString('utf8')) } catch { throw new OprfWireError('refusal is not JSON') }
    const o = j as Partial<Refusal>
    if (typeof o?.reason !== 'string' || typeof o.message !== 'string') throw new OprfWireError('refusal without reason and message')
    return { type: 'refusal', reason: o.reason.slice(0, 64), message: o.message.slice(0, 1024), ...(typeof o.resetAt === 'number' ? { resetAt: o.resetAt } : {}) }
  }
  if (f.length < 3 || f[0] !== FRAME.answer) throw new OprfWireError('not an answer frame')
  const n = new DataView(f.buffer, f.byteOffset, f.byteLength).getUint16(1)
  if (n !== expected) throw new OprfWireError(`answer carries ${n} elements for ${expected} asked`)
  if (f.length !== 3 + n * ELEMENT + PROOF) throw new OprfWireError(`answer of ${n} elements must be ${3 + n * ELEMENT + PROOF} bytes, got ${f.length}`)
  const evaluated: Uint8Array[] = []
  for (let i = 0; i < n; i++) evaluated.push(f.slice(3 + i * ELEMENT, 3 + (i + 1) * ELEMENT))
  return { type: 'answer', evaluated, proof: f.slice(3 + n * ELEMENT) }
}

/** Requester side of one stream: sends the request, reads the one answer. */
export async function askGuardian (stream: Stream, guardian: string, epoch: number, blinded: readonly Uint8Array[], signal: AbortSignal): Promise<{ evaluated: Uint8Array[], proof: Uint8Array }> {
  const lp = lpStream(stream, { maxDataLength: Math.max(MAX_ANSWER_FRAME, MAX_REFUSAL_FRAME) })
  try {
    await lp.write(encodeRequest(epoch, blinded), { signal })
    const answer = decodeAnswer((await lp.read({ signal })).subarray(), blinded.length)
    if (answer.type === 'refusal') throw new GuardianRefusedError(guardian, answer.reason, answer.message, answer.resetAt)
    return { evaluated: answer.evaluated, proof: answer.proof }
  } finally {
    await stream.close().catch(() => stream.abort(new Error('closed')))
  }
}

/** Guardian side of one stream: reads one request, writes what `answer` returns. */
export async function serveGuardian (stream: Stream, signal: AbortSignal, answer: (req: { epoch: number, blinded: Uint8Array[] }) => Promise<Uint8Array>): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_FRAME })
  let reply: Uint8Array
  try {
    reply = await answer(decodeRequest((await lp.read({ signal })).subarray()))
  } catch (err) {
    if (!(err instanceof OprfWireError)) throw err
    reply = encodeRefusal({ reason: err.reason, message: err.message })
  }
  await lp.write(reply, { signal })
  await stream.close().catch(() => stream.abort(new Error('closed')))
}
