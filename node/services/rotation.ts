/**
 * Key rotation: moving a node from fingerprint epoch e to e+1 when a roster
 * version opens a new epoch (`alliance roster next --rotate-key`), without
 * a gap in blocking and without trusting anyone with old keys for longer
 * than needed.
 *
 * 1. Key. The adopting node publishes the version's sealed keys in a
 *    `key-epoch` entry; every member node finds its copy in the logs (also
 *    one that was offline: it syncs them), opens it, checks it against the
 *    commitment in the roster, and from then on makes new statements under
 *    e+1 — and, until its cut-over, under e too, so the blocklist of e that
 *    the platform still matches with stays complete.
 * 2. Re-attestation. A node re-states its live attestations and allowlist
 *    entries under e+1 from its vault (node/services/vault.ts), in segments
 *    of REATTEST_BATCH, skipping any its org already stated under e+1 — so
 *    a node killed half way resumes without duplicates. Then it announces
 *    the move: a `key-epoch` entry for e+1 with no sealed keys.
 * 3. Cut-over (the rule, the same on every node): epoch e is cut over when
 *    every org of the roster in force has announced its move to e+1, or
 *    when `rotationGraceMs` has passed since the roster version that opened
 *    e+1 took effect, whichever comes first. At cut-over the node's matcher
 *    switches to e+1 (listings it scanned under e are counted for a rescan:
 *    their e fingerprints cannot be compared with e+1 ones), and the e key
 *    is wiped from memory and its file deleted.
 *
 * Everything here is derived from the logs and the key files, so a restart
 * at any point resumes where the node was: the held key files say which
 * epochs are current and retiring, the logs say who has moved.
 */
import { toHex } from '../../protocol/bytes.js'
import type { Kind } from '../../protocol/kinds.js'
import type { Body, KeyEpoch } from '../../protocol/types.js'
import type { ComponentLogger } from '../logger.js'
import type { AuthorService } from './author.js'
import { attestationBody, opinionBody } from './author.js'
import type { ConsensusState } from './consensus-state.js'
import type { FingerprintService } from './fingerprints.js'
import type { Vault, VaultRecord } from './vault.js'

/** Statements re-made per own segment (one signature each). */
export const REATTEST_BATCH = 1000
/** How often a node re-checks the cut-over rule's deadline. */
export const ROTATION_CHECK_MS = 30_000

export type RotationPhase = 'steady' | 'waiting-for-key' | 're-attesting' | 'waiting-for-members'

export interface RotationView {
  phase: RotationPhase
  /** Epoch new statements are made under. */
  epoch: number
  /** Epoch being replaced, until cut-over. */
  retiring: number | null
  /** Orgs that announced their move to `epoch`. */
  moved: string[]
  /** Orgs of the roster in force that have not yet. */
  waitingFor: string[]
  /** When the cut-over happens at the latest (ISO), during a rotation. */
  cutoverBy: string | null
  /** Statements this node re-made under `epoch` since start. */
  reattested: number
  /** Whether this node keeps a vault; without one its old statements are not re-made (re-submit with attest --file). */
  vault: boolean
}

export interface RotationServiceInit {
  /** @default 7 days */
  graceMs: number
}

export interface RotationComponents {
  state: ConsensusState
  fingerprints: FingerprintService
  author: AuthorService
  vault: Vault | undefined
  org: string
  logger: ComponentLogger
  clock: () => number
  /** The node's matcher moves to the new epoch; resolves once it has. */
  cutoverMatcher: (from: number, to: number) => Promise<void>
}

export class RotationService {
  readonly #init: RotationServiceInit
  readonly #c: RotationComponents
  /** The newest key-epoch entry carrying sealed keys, per epoch. */
  readonly #sealed = new Map<number, KeyEpoch>()
  /** Orgs that announced their move, per epoch. */
  readonly #moved = new Map<number, Set<string>>()
  #queue: Promise<void> = Promise.resolve()
  #started = false
  #timer: NodeJS.Timeout | undefined
  #reattested = 0

  constructor (init: RotationServiceInit, components: RotationComponents) {
    this.#init = init
    this.#c = components
  }

  /** Every key-epoch entry, at replay and when applied (ingest listener). */
  onKeyEpoch (body: KeyEpoch, org: string): void {
    if (body.sealed.length > 0) this.#sealed.set(body.epoch, body)
    else this.#movedTo(body.epoch).add(org)
    if (this.#started) this.kick()
  }

  start (): void {
    this.#started = true
    this.#timer = setInterval(() => { this.kick() }, ROTATION_CHECK_MS)
    this.#timer.unref()
    this.kick()
  }

  async stop (): Promise<void> {
    this.#started = false
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#queue
  }

  /** Runs one step of the rotation (after whatever step is running). */
  kick (): void {
    this.#queue = this.#queue.then(async () => { if (this.#started) await this.#step() }).catch((err: unknown) => {
      this.#c.logger.error('key rotation step failed; retried at the next entry or check', { error: (err as Error).message, name: (err as Error).name })
    })
  }

  /** Resolves when the steps queued so far have run (tests). */
  async settled (): Promise<void> { await this.#queue }

  #movedTo (epoch: number): Set<string> {
    let s = this.#moved.get(epoch)
    if (s === undefined) { s = new Set(); this.#moved.set(epoch, s) }
    return s
  }

  /** When the first roster version of `epoch` took effect. */
  #openedAt (epoch: number): number | undefined {
    return this.#c.state.chain.versions.find(v => v.roster.policy.epoch === epoch)?.roster.time
  }

  async #step (): Promise<void> {
    const f = this.#c.fingerprints
    const target = this.#c.state.policy.epoch
    if (target > f.current && !f.holds(target)) {
      const sealed = this.#sealed.get(target)
      if (sealed !== undefined && !await f.acceptSealed(sealed)) {
        this.#c.logger.warn('the sealed key of a new epoch does not open for this node (not a recipient, or it does not match the roster\'s commitment)', { epoch: target })
      }
    }
    if (target > f.current && f.holds(target)) {
      const from = f.current
      f.advance(target)
      this.#c.logger.info('moved to a new fingerprint key epoch; re-attesting from the vault', { from, to: target })
    }
    if (f.retiring === undefined) return
    if (!this.#movedTo(f.current).has(this.#c.org)) {
      await this.#reattest(f.current)
      await this.#c.author.publish([this.#marker(f.current)])
    }
    if (this.#cutoverDue()) await this.#cutover()
  }

  #marker (epoch: number): Body {
    const p = this.#c.state.chain.versions.find(v => v.roster.policy.epoch === epoch)?.roster.policy ?? this.#c.state.policy
    return { type: 'key-epoch', suite: p.suite, epoch, commitment: p.epochKeyCommitment, sealed: [] }
  }

  #cutoverDue (): boolean {
    const f = this.#c.fingerprints
    const moved = this.#movedTo(f.current)
    if (this.#c.state.current.roster.members.every(m => moved.has(m.org))) return true
    const opened = this.#openedAt(f.current)
    return opened !== undefined && this.#c.clock() >= opened + this.#init.graceMs
  }

  async #cutover (): Promise<void> {
    const f = this.#c.fingerprints
    const from = f.retiring as number
    await this.#c.cutoverMatcher(from, f.current)
    await f.destroy(from)
    this.#c.logger.info('key rotation cut over: the old epoch\'s key is destroyed', { from, to: f.current })
  }

  /** Re-states every live vault record under `epoch` that this org has not stated under it yet. */
  async #reattest (epoch: number): Promise<void> {
    const vault = this.#c.vault
    if (vault === undefined) {
      this.#c.logger.warn('no vault on this node: its statements under the old epoch are not re-made; re-submit them with alliance attest --file', { epoch })
      return
    }
    let batch: VaultRecord[] = []
    for await (const r of vault.live(this.#c.clock())) {
      batch.push(r)
      if (batch.length >= REATTEST_BATCH) { await this.#restate(batch, epoch); batch = [] }
    }
    if (batch.length > 0) await this.#restate(batch, epoch)
  }

  async #restate (records: VaultRecord[], epoch: number): Promise<void> {
    const outcomes = await this.#c.fingerprints.fingerprintValues(records.map(r => ({ kind: r.kind, value: r.value })), { epoch })
    const bodies: Body[] = []
    const index = this.#c.state.index
    const seen = new Set<string>()
    for (const [i, o] of outcomes.entries()) {
      if (!o.ok) continue
      const hex = toHex(o.fingerprint)
      if (seen.has(hex)) continue
      seen.add(hex)
      const r = records[i]
      const e = index.explain(o.fingerprint)
      const already = [...e.positive, ...e.negative].some(v => v.org === this.#c.org)
      if (already) continue
      bodies.push(r.terms.type === 'attestation'
        ? attestationBody(o.fingerprint, r.kind as Kind, r.terms, epoch)
        : opinionBody(o.fingerprint, r.kind as Kind, 'authorised-reseller', r.terms.expires, epoch))
    }
    if (bodies.length === 0) return
    await this.#c.author.publish(bodies)
    this.#reattested += bodies.length
    this.#c.logger.info('re-attested under the new epoch', { epoch, statements: bodies.length, total: this.#reattested })
  }

  view (): RotationView {
    const f = this.#c.fingerprints
    const moved = this.#movedTo(f.current)
    const members = this.#c.state.current.roster.members.map(m => m.org)
    const target = this.#c.state.policy.epoch
    const opened = this.#openedAt(f.current)
    const phase: RotationPhase = target > f.current
      ? 'waiting-for-key'
      : f.retiring === undefined ? 'steady' : moved.has(this.#c.org) ? 'waiting-for-members' : 're-attesting'
    return {
      phase,
      epoch: f.current,
      retiring: f.retiring ?? null,
      moved: members.filter(o => moved.has(o)),
      waitingFor: f.retiring === undefined ? [] : members.filter(o => !moved.has(o)),
      cutoverBy: f.retiring !== undefined && opened !== undefined ? new Date(opened + this.#init.graceMs).toISOString() : null,
      reattested: this.#reattested,
      vault: this.#c.vault !== undefined
    }
  }
}
