/**
 * The toprf guardian role and its client (DESIGN.md §3, issue 11).
 *
 * Serving (a node whose box key holds a share of an epoch's key): answers
 * `/alliance/<id>/oprf/1.0.0` requests from roster peers with its share's
 * evaluation and DLEQ proof. Before evaluating, it charges the requesting
 * org's daily quota (roster policy `quotas`, per UTC day, per guardian): a
 * request that would cross it is refused whole with `quota_exceeded` and the
 * reset time. Counts are written to <dir>/guardian-counts.json before the
 * answer leaves (a restart cannot reset a quota), and published as signed
 * `guardian-counts` entries in this node's log every `countsIntervalMs`
 * when they changed, so every member can audit them.
 *
 * Asking (every node of a toprf alliance): `evaluate(epoch, guardianOrg,
 * blinded, signal)` is the transport the suite (protocol/fingerprint/toprf)
 * is built with. It dials the guardian's node, or answers in-process when
 * this node is that guardian (charged like any request).
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { join } from 'node:path'
import type { ToprfGuardian } from '../../protocol/fingerprint/toprf/guardian.js'
import type { ToprfEvaluation } from '../../protocol/fingerprint/toprf/suite.js'
import { guardianByBoxKey, quotaOf } from '../../protocol/roster/guardians.js'
import type { Body, Policy } from '../../protocol/types.js'
import { writeFileAtomic } from '../home.js'
import type { NodeKeys } from '../keys.js'
import type { ComponentLogger } from '../logger.js'
import type { Host } from '../net/host.js'
import { oprfProtocol } from '../protocols.js'
import type { MetricsRegistry } from '../api/metrics.js'
import type { ConsensusState } from './consensus-state.js'
import { DAY_MS, utcDay } from './guardian-counts.js'
import { GuardianPool } from './guardian-pool.js'
import { askGuardian, decodeAnswer, encodeAnswer, encodeRefusal, GuardianRefusedError, serveGuardian } from './oprf-wire.js'

export const GUARDIAN_COUNTS_FILE = 'guardian-counts.json'
/** Days of counts a guardian keeps (the rest is in the signed log). */
const KEEP_DAYS = 35
export const DEFAULT_COUNTS_INTERVAL_MS = 10 * 60_000
export const DEFAULT_GUARDIAN_TIMEOUT_MS = 10_000
export const defaultGuardianWorkers = (): number => Math.min(8, availableParallelism())

/** What the service needs of the fingerprint service: this node's guardian of an epoch, if it is one. */
export interface GuardianShares {
  guardianFor: (epoch: number) => ToprfGuardian | undefined
  /** Subscribes to epochs whose share is wiped (the pool's workers wipe their copies). */
  onEpochDestroyed?: (fn: (epoch: number) => void) => void
}

export interface GuardianServiceInit {
  dir: string
  countsIntervalMs?: number
  requestTimeoutMs?: number
  /**
   * Worker threads that evaluate requests (guardian-pool.ts); 0 evaluates
   * on the node's main thread.
   * @default availableParallelism(), at most 8
   */
  workers?: number
}

export interface GuardianServiceComponents {
  alliance: string
  host: Host
  state: ConsensusState
  keys: NodeKeys
  shares: GuardianShares
  orgOfPeer: (peer: string) => string | undefined
  publish: (bodies: Body[]) => Promise<unknown>
  logger: ComponentLogger
  metrics: MetricsRegistry
  clock: () => number
}

export interface GuardianView {
  org: string
  index: number
  self: boolean
  /** Whether this node is connected to the guardian's node (always true for itself). */
  connected: boolean
  /** The last request to it failed (and why), if it did. */
  lastError: string | null
}

export interface QuotaView {
  /** Evaluations per UTC day, per guardian, for this node's org; null: no limit. */
  limit: number | null
  /** Elements this node asked each guardian to evaluate today (its own tally), the most of any guardian. */
  usedToday: number
  resetAt: string
}

type Counts = Record<string, Record<string, number>> // `${epoch}/${day}` → org → n

export class GuardianService {
  readonly protocol: string
  readonly #init: GuardianServiceInit
  readonly #c: GuardianServiceComponents
  #counts: Counts = {}
  #published = new Map<string, string>()
  #timer: NodeJS.Timeout | undefined
  /** Writes of the counts file, one at a time. */
  #writing: Promise<void> = Promise.resolve()
  readonly #lastError = new Map<string, string>()
  /** This node's own tally of elements asked today, per guardian. */
  #asked = { day: -1, byGuardian: new Map<string, number>() }
  readonly #pool: GuardianPool

  constructor (init: GuardianServiceInit, components: GuardianServiceComponents) {
    this.#init = init
    this.#c = components
    this.protocol = oprfProtocol(components.alliance)
    this.#pool = new GuardianPool({ dir: init.dir, workers: init.workers ?? defaultGuardianWorkers() })
    components.shares.onEpochDestroyed?.(epoch => this.#pool.forget(epoch))
  }

  /** Worker threads evaluating requests: configured, and running now (they start with the first large request). */
  get workers (): { configured: number, running: number } {
    return { configured: this.#pool.workers, running: this.#pool.running }
  }

  /** Asks the worker threads to wipe their copy of `epoch`'s share (the epoch was retired). */
  forgetEpoch (epoch: number): void {
    this.#pool.forget(epoch)
  }

  get #policy (): Policy { return this.#c.state.policy }

  async start (): Promise<void> {
    try {
      this.#counts = JSON.parse(await readFile(join(this.#init.dir, GUARDIAN_COUNTS_FILE), 'utf8')) as Counts
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    await this.#c.host.handle(this.protocol, (stream, connection) => {
      const signal = AbortSignal.timeout(this.#init.requestTimeoutMs ?? DEFAULT_GUARDIAN_TIMEOUT_MS)
      const org = this.#c.orgOfPeer(connection.remotePeer.toString())
      serveGuardian(stream, signal, async (req) => await this.#answer(org, req.epoch, req.blinded)).catch(err => {
        this.#c.logger.debug('oprf request failed', { error: (err as Error).message })
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 32 })
    this.#timer = setInterval(() => { void this.publishCounts() }, this.#init.countsIntervalMs ?? DEFAULT_COUNTS_INTERVAL_MS)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#c.host.unhandle(this.protocol).catch(() => undefined)
    await this.#writing
    await this.#pool.close()
  }

  /** The transport of the toprf suite of `epoch`: one guardian, one batch of blinded elements. */
  async evaluate (epoch: number, guardianOrg: string, blinded: Uint8Array[], signal: AbortSignal): Promise<ToprfEvaluation> {
    this.#tally(guardianOrg, blinded.length)
    try {
      const node = this.#guardianNode(epoch, guardianOrg)
      if (node.self) {
        const reply = await this.#answer(this.#selfOrg(), epoch, blinded)
        const a = decodeAnswer(reply, blinded.length)
        if (a.type === 'refusal') throw new GuardianRefusedError(guardianOrg, a.reason, a.message, a.resetAt)
        return { evaluated: a.evaluated, proof: a.proof }
      }
      const timeout = AbortSignal.timeout(this.#init.requestTimeoutMs ?? DEFAULT_GUARDIAN_TIMEOUT_MS)
      const both = AbortSignal.any([signal, timeout])
      const stream = await this.#c.host.dialProtocol(node.peerId, this.protocol, { signal: both })
      const r = await askGuardian(stream, guardianOrg, epoch, blinded, both)
      this.#lastError.delete(guardianOrg)
      return r
    } catch (err) {
      this.#lastError.set(guardianOrg, (err as Error).message)
      this.#c.metrics.guardianRequests.inc({ guardian: guardianOrg, result: err instanceof GuardianRefusedError ? err.refusal : 'failed' })
      throw err
    }
  }

  /** The guardians of `epoch` (default: the roster's) and whether this node reaches them. */
  guardians (epoch = this.#policy.epoch): GuardianView[] {
    const p = this.#policyOf(epoch)
    if (p === undefined) return []
    const connected = new Set(this.#c.host.connectedPeers())
    return p.guardians.map(g => {
      const n = this.#guardianNode(epoch, g.org)
      return { org: g.org, index: g.index, self: n.self, connected: n.self || connected.has(n.peerId), lastError: this.#lastError.get(g.org) ?? null }
    })
  }

  /** This node's org's quota and its own tally of today's use. */
  quota (): QuotaView {
    const now = this.#c.clock()
    const day = utcDay(now)
    const used = this.#asked.day === day ? Math.max(0, ...this.#asked.byGuardian.values()) : 0
    const me = this.#c.state.chain.current.member(this.#selfOrg())
    const limit = me === undefined ? undefined : quotaOf(this.#policy, me)
    return { limit: limit ?? null, usedToday: used, resetAt: new Date((day + 1) * DAY_MS).toISOString() }
  }

  /** Publishes this guardian's counts that changed since the last publication (signed entries in its log). */
  async publishCounts (): Promise<number> {
    const bodies: Body[] = []
    for (const [k, byOrg] of Object.entries(this.#counts)) {
      const snapshot = JSON.stringify(byOrg)
      if (this.#published.get(k) === snapshot) continue
      const [epoch, day] = k.split('/').map(Number)
      bodies.push({ type: 'guardian-counts', epoch, day, counts: Object.keys(byOrg).sort().map(org => ({ org, evaluations: byOrg[org] })) })
      this.#published.set(k, snapshot)
    }
    if (bodies.length === 0) return 0
    try {
      await this.#c.publish(bodies)
    } catch (err) {
      for (const b of bodies) if (b.type === 'guardian-counts') this.#published.delete(`${b.epoch}/${b.day}`)
      this.#c.logger.warn('guardian counts not published', { error: (err as Error).message })
      return 0
    }
    return bodies.length
  }

  /** One request from `org` (undefined: not a roster peer) for `epoch`: refusal or answer frame. */
  async #answer (org: string | undefined, epoch: number, blinded: Uint8Array[]): Promise<Uint8Array> {
    const refuse = (reason: string, message: string, resetAt?: number): Uint8Array => {
      this.#c.metrics.guardianEvaluations.inc({ org: org ?? 'unknown', result: reason }, blinded.length)
      return encodeRefusal({ reason, message, ...(resetAt !== undefined ? { resetAt } : {}) })
    }
    if (org === undefined) return refuse('not_a_member', 'this peer is not a node of a member org')
    const share = this.#c.shares.guardianFor(epoch)
    if (share === undefined) return refuse(this.#policyOf(epoch) === undefined ? 'unknown_epoch' : 'not_a_guardian', `this node holds no share of key epoch ${epoch}`)
    const member = this.#c.state.chain.current.member(org)
    if (member === undefined) return refuse('not_a_member', `${org} is not a member of the current roster`)
    const now = this.#c.clock()
    const day = utcDay(now)
    const key = `${epoch}/${day}`
    const limit = quotaOf(this.#policy, member)
    const used = this.#counts[key]?.[org] ?? 0
    if (limit !== undefined && used + blinded.length > limit) {
      const resetAt = (day + 1) * DAY_MS
      this.#c.logger.info('guardian quota exceeded', { org, used, asked: blinded.length, limit })
      return refuse('quota_exceeded', `${org} has used ${used} of its ${limit} evaluations today (UTC); this request asks ${blinded.length}; the quota resets at ${new Date(resetAt).toISOString()}`, resetAt)
    }
    // charge first, durably: an answer never leaves uncounted
    ;(this.#counts[key] ??= {})[org] = used + blinded.length
    await this.#persist(day)
    const r = await this.#pool.evaluate(share, this.#policyOf(epoch)?.shareCommitments ?? [], blinded)
    this.#c.metrics.guardianEvaluations.inc({ org, result: 'ok' }, blinded.length)
    return encodeAnswer(r.evaluated, r.proof)
  }

  async #persist (today: number): Promise<void> {
    for (const k of Object.keys(this.#counts)) if (Number(k.split('/')[1]) < today - KEEP_DAYS) delete this.#counts[k]
    const text = JSON.stringify(this.#counts)
    const write = this.#writing.then(async () => { await writeFileAtomic(join(this.#init.dir, GUARDIAN_COUNTS_FILE), text, 0o600) })
    this.#writing = write.catch(() => undefined)
    await write
  }

  #tally (guardian: string, n: number): void {
    const day = utcDay(this.#c.clock())
    if (this.#asked.day !== day) this.#asked = { day, byGuardian: new Map() }
    this.#asked.byGuardian.set(guardian, (this.#asked.byGuardian.get(guardian) ?? 0) + n)
  }

  #selfOrg (): string {
    return this.#c.state.chain.current.memberOf(this.#c.keys.sign.publicKey)?.member.org ?? ''
  }

  /** The policy of the first roster version of `epoch`. */
  #policyOf (epoch: number): Policy | undefined {
    return this.#c.state.chain.versions.find(v => v.roster.policy.epoch === epoch)?.roster.policy
  }

  #guardianNode (epoch: number, org: string): { self: boolean, peerId: string } {
    const p = this.#policyOf(epoch)
    const g = p?.guardians.find(x => x.org === org)
    if (p === undefined || g === undefined) throw new GuardianRefusedError(org, 'not_a_guardian', `${org} is not a guardian of key epoch ${epoch}`)
    if (guardianByBoxKey(p, this.#c.keys.box.publicKey)?.org === org) return { self: true, peerId: '' }
    for (const v of [...this.#c.state.chain.versions].reverse()) {
      const node = v.member(org)?.nodes.find(n => Buffer.compare(Buffer.from(n.boxKey), Buffer.from(g.boxKey)) === 0)
      if (node !== undefined) return { self: false, peerId: peerIdFromMultihash(Digest.decode(node.peerId)).toString() }
    }
    throw new GuardianRefusedError(org, 'not_a_guardian', `no node of ${org} holds the box key of its share`)
  }
}
