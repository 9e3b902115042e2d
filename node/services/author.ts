/**
 * The author service: this node's own statements. It turns requests
 * (attest, retract, allow, feedback) into entry bodies under the epochs the
 * FingerprintService says new statements go under, appends them to the
 * node's log as one signed segment through the same ingest pipeline as
 * everyone else's entries, and gossips them.
 *
 * One own segment at a time: reading the head and appending after it must
 * not interleave, or two concurrent requests would sign two entries at one
 * seq (a fork of our own log).
 *
 * A statement is answered once it is stored (durable, applied); its gossip
 * goes out right after, in order, without the caller waiting for it:
 * gossipsub's signing and the sends to every peer were a third of the attest
 * call's time (issue 15), and a failed publish is healed by sync anyway.
 * `gossiped()` waits for what is on its way (tests, shutdown).
 *
 * During a key rotation (a `retiring` epoch is held) every statement is
 * made under both epochs, so the retiring epoch's blocklist — the one the
 * platform still matches with until its cut-over — stays complete.
 */
import { toHex } from '../../protocol/bytes.js'
import { fileDigest } from '../../protocol/hash.js'
import { isKind, type Kind, type OpinionType } from '../../protocol/kinds.js'
import { appendSegment, type LogEntry } from '../../protocol/log/index.js'
import { resolveReason, vocabularyOf } from '../../protocol/roster/reasons.js'
import type { Attestation, Body, Opinion, Retraction, Segment } from '../../protocol/types.js'
import { OwnEntriesRefusedError, UnknownFingerprintError } from './errors.js'
import type { Ingestor } from '../ingest.js'
import type { NodeKeys } from '../keys.js'
import type { AttestItem, AttestResult, FeedbackItem, OpinionResult, RetractResult } from '../service.js'
import type { ConsensusState } from './consensus-state.js'
import type { FingerprintService } from './fingerprints.js'
import type { GossipService } from './gossip.js'
import { InvalidRequestError } from './errors.js'
import { parseFingerprint } from './views.js'

/** Own segments up to this many entries are gossiped whole; larger ones announce their signed tail and peers sync the rest. */
export const GOSSIP_WHOLE_SEGMENT_ENTRIES = 64
export const DEFAULT_TTL_MS = 90 * 24 * 3600_000

/** What an attestation or allowlist entry says besides the identifier: kept so it can be re-made under a new epoch. */
export interface StatementTerms {
  type: 'attestation' | 'allow'
  claim?: AttestItem['claim']
  reason?: number
  confidence?: number
  /** Absolute expiry, ms. */
  expires: number
}

export interface AuthorServiceComponents {
  state: ConsensusState
  ingestor: Ingestor
  keys: NodeKeys
  org: string
  fingerprints: FingerprintService
  gossip: GossipService
  clock: () => number
  /** Raw identifiers this node stated, with their terms (the local vault), for re-attestation after a rotation. */
  remember?: (items: Array<{ kind: Kind, value: string, terms: StatementTerms }>) => Promise<void>
  forget?: (items: Array<{ kind: Kind, value: string }>) => Promise<void>
  /** After each own segment (gauges). */
  onPublished?: () => void
}

export function attestationBody (fingerprint: Uint8Array, kind: Kind, terms: StatementTerms, epoch: number): Attestation {
  return {
    type: 'attestation',
    fingerprint,
    kind,
    claim: terms.claim ?? 'counterfeit-seller',
    reason: terms.reason ?? 0,
    confidence: terms.confidence ?? 100,
    evidenceDigest: new Uint8Array(0),
    expires: terms.expires,
    epoch
  }
}

export function opinionBody (fingerprint: Uint8Array, kind: Kind, opinion: OpinionType, expires: number, epoch: number, note?: string): Opinion {
  return {
    type: 'opinion',
    fingerprint,
    kind,
    opinion,
    expires,
    noteDigest: note !== undefined && note !== '' ? fileDigest(Buffer.from(note, 'utf8')) : new Uint8Array(0),
    epoch
  }
}

export class AuthorService {
  readonly #c: AuthorServiceComponents
  #turn: Promise<unknown> = Promise.resolve()
  /** Own segments' gossip, one after the other in log order (peers that see seq n+1 before n pull a sync). */
  #gossip: Promise<void> = Promise.resolve()

  constructor (components: AuthorServiceComponents) {
    this.#c = components
  }

  /** The epochs new statements go under: current, and the retiring one during a rotation. */
  writeEpochs (): number[] {
    const f = this.#c.fingerprints
    return f.retiring !== undefined ? [f.current, f.retiring] : [f.current]
  }

  /** Appends bodies to this node's log as one signed segment, through the ingest pipeline, then gossips it. */
  async publish (bodies: Body[] | ((time: number) => Body[])): Promise<LogEntry[]> {
    const turn = this.#turn.then(async () => {
      const head = this.#c.ingestor.headOf(this.#c.keys.sign.publicKey)
      // the segment's time is taken here, in its turn: bodies whose expiry is relative to it are made now
      const time = Math.max(this.#c.clock(), head?.time ?? 0)
      const { entries, segment } = appendSegment({ signer: this.#c.keys.sign, alliance: this.#c.state.alliance, head, bodies: typeof bodies === 'function' ? bodies(time) : bodies, time })
      return { entries, segment, out: await this.#c.ingestor.ingest(segment) }
    })
    this.#turn = turn.catch(() => undefined)
    const { entries, segment, out } = await turn
    if (out.result !== 'accepted') {
      throw out.result === 'rejected' ? new OwnEntriesRefusedError(out.reason, out.message, out.category) : new OwnEntriesRefusedError(out.result, out.result)
    }
    const wire: Segment = entries.length <= GOSSIP_WHOLE_SEGMENT_ENTRIES
      ? segment
      : { entries: [entries[entries.length - 1].bytes], signature: segment.signature }
    // GossipService.publish never rejects (a failed publish is logged; peers sync)
    this.#gossip = this.#gossip.then(async () => { await this.#c.gossip.publish(wire) })
    this.#c.onPublished?.()
    return entries
  }

  /** Resolves once every own segment stored so far has been handed to gossip. */
  async gossiped (): Promise<void> {
    await this.#gossip
  }

  #ttl (ttlMs: number | undefined): number {
    return Math.min(ttlMs ?? DEFAULT_TTL_MS, this.#c.state.policy.maxLifetimeMs)
  }

  /**
   * A request with a reason the roster's vocabulary does not have is refused
   * whole (UnknownReasonError, naming the valid reasons): nothing is attested.
   */
  async attest (items: AttestItem[]): Promise<AttestResult> {
    const vocabulary = vocabularyOf(this.#c.state.policy)
    const reasons = items.map((item, i) => resolveReason(vocabulary, item.reason, items.length > 1 ? `item ${i}` : undefined))
    const rejected: AttestResult['rejected'] = []
    const valid: Array<{ index: number, kind: Kind, value: string, ttl: number, terms: StatementTerms }> = []
    for (const [index, item] of items.entries()) {
      if (!isKind(item.kind)) { rejected.push({ index, kind: String(item.kind), why: 'unknown_kind', message: `unknown kind ${String(item.kind)}` }); continue }
      const ttl = this.#ttl(item.ttlMs)
      valid.push({ index, kind: item.kind, value: item.value, ttl, terms: { type: 'attestation', claim: item.claim, reason: reasons[index], confidence: item.confidence, expires: this.#c.clock() + ttl } })
    }
    // expiry counts from the entry's time, not from the request's: a bulk upload slower than a short TTL is not refused by our own check
    const made: Array<{ fingerprint: Uint8Array, v: typeof valid[number], epoch: number }> = []
    const fingerprints: string[] = []
    const accepted: typeof valid = []
    for (const [e, epoch] of this.writeEpochs().entries()) {
      const outcomes = await this.#c.fingerprints.fingerprintValues(valid, { epoch })
      for (const [j, o] of outcomes.entries()) {
        const v = valid[j]
        if (!o.ok) {
          if (e === 0) rejected.push({ index: v.index, kind: v.kind, why: o.why, message: o.message })
          continue
        }
        made.push({ fingerprint: o.fingerprint, v, epoch })
        if (e === 0) { fingerprints.push(toHex(o.fingerprint)); accepted.push(v) }
      }
    }
    rejected.sort((a, b) => a.index - b.index)
    if (made.length === 0) return { entries: 0, fingerprints, rejected }
    // the vault first: a crash after it and before the entries only means a value remembered but not yet stated
    await this.#c.remember?.(accepted)
    const entries = await this.publish(time => made.map(m => attestationBody(m.fingerprint, m.v.kind, { ...m.v.terms, expires: time + m.v.ttl }, m.epoch)))
    return { entries: entries.length, fingerprints, rejected }
  }

  async retract (item: { kind: Kind, value: string }): Promise<RetractResult> {
    if (!isKind(item.kind)) throw new InvalidRequestError(`unknown kind ${String(item.kind)}`)
    const bodies: Retraction[] = []
    let first: Uint8Array | undefined
    for (const epoch of this.writeEpochs()) {
      const fingerprint = await this.#c.fingerprints.fingerprint(item.kind, item.value, epoch)
      first ??= fingerprint
      const mine = this.#c.state.index.explain(fingerprint).positive.filter(v => v.org === this.#c.org && v.source === 'attestation')
      bodies.push(...mine.map((v): Retraction => ({ type: 'retraction', target: v.entryId, fingerprint, kind: item.kind, epoch })))
    }
    if (bodies.length > 0) await this.publish(bodies)
    await this.#c.forget?.([item])
    return { retracted: bodies.filter(b => b.epoch === this.#c.fingerprints.current).length, fingerprint: toHex(first as Uint8Array) }
  }

  async allow (item: { kind: Kind, value: string, ttlMs?: number }): Promise<OpinionResult> {
    if (!isKind(item.kind)) throw new InvalidRequestError(`unknown kind ${String(item.kind)}`)
    const expires = this.#c.clock() + this.#ttl(item.ttlMs)
    const bodies: Opinion[] = []
    for (const epoch of this.writeEpochs()) {
      bodies.push(opinionBody(await this.#c.fingerprints.fingerprint(item.kind, item.value, epoch), item.kind, 'authorised-reseller', expires, epoch))
    }
    await this.#c.remember?.([{ kind: item.kind, value: item.value, terms: { type: 'allow', expires } }])
    const entries = await this.publish(bodies)
    return this.#opinionResult(bodies[0], entries[0])
  }

  /** The platform's outcome on a fingerprint it matched (by fingerprint: the raw value stays with the platform). */
  async feedback (item: FeedbackItem): Promise<OpinionResult> {
    if (!/^[0-9a-f]{64}$/i.test(item.fingerprint)) throw new InvalidRequestError('fingerprint must be 64 hex digits')
    const fingerprint = parseFingerprint(item.fingerprint)
    const known = this.#c.state.index.explain(fingerprint)
    if (known.kind === undefined) throw new UnknownFingerprintError()
    const body = opinionBody(fingerprint, known.kind, item.outcome, this.#c.clock() + this.#ttl(item.ttlMs), this.#c.fingerprints.current, item.note)
    const [entry] = await this.publish([body])
    return this.#opinionResult(body, entry)
  }

  #opinionResult (body: Opinion, entry: LogEntry): OpinionResult {
    return { fingerprint: toHex(body.fingerprint), opinion: body.opinion, entryId: toHex(entry.id), status: this.#c.state.index.status(body.fingerprint) }
  }
}
