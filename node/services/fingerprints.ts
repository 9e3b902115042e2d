/**
 * The FingerprintService: the only reader of fingerprint keys on a node, and
 * the one way raw identifiers become fingerprints (attest, retract, allow,
 * explain, matching). Nothing else in node/ names a fingerprint suite.
 *
 * It follows the roster's key epochs. At any time it holds:
 * - `current`: the epoch new statements are made under — the highest epoch
 *   of the roster chain whose key this node opened;
 * - `retiring`: during a rotation, the epoch being replaced, until the
 *   node's cut-over (node/services/rotation.ts) destroys it.
 *
 * Keys arrive sealed to this node's box key, in the roster file at install
 * or in a peer's `key-epoch` log entry; `acceptSealed` opens the node's
 * copy, checks it against the commitment of the roster version that opened
 * the epoch, and keeps it in keys/epoch-<n>.key (0600). `destroy(epoch)`
 * wipes the suite and deletes the file.
 *
 * For `toprf-ristretto255` no member holds a key: the suite of an epoch is
 * built from the roster policy (guardians, threshold, commitments) and the
 * guardian transport (node/services/guardian.ts), with the node-local cache
 * in front (fingerprint-cache.ts). A guardian node additionally holds its
 * share in keys/toprf-share-<n>.key (0600), opened from the sealed shares
 * of the roster file or key-epoch entry, and serves evaluations with it
 * (`guardianFor`).
 *
 * Callers use the asynchronous batched interface (`fingerprintValues`),
 * which fits a local suite and an online one alike; the matcher's worker
 * threads get the key itself through `matcherKey` where the suite has a
 * local fast path.
 */
import { rm } from 'node:fs/promises'
import type { CountryCode } from 'libphonenumber-js'
import { canonicalBytes } from '../../protocol/canonical/index.js'
import { ProtocolError } from '../../protocol/errors.js'
import { createSuite, isLocalSuite, openEpochKey, sealEpochKey, TOPRF_RISTRETTO255, type FingerprintSuite, type SuiteName } from '../../protocol/fingerprint/index.js'
import type { ToprfEvaluateFn, ToprfGuardian } from '../../protocol/fingerprint/toprf/index.js'
import { guardianByBoxKey } from '../../protocol/roster/guardians.js'
import type { Kind } from '../../protocol/kinds.js'
import type { KeyEpoch, Policy, SealedKey } from '../../protocol/types.js'
import { NodeError } from '../errors.js'
import { EpochKeyUnavailableError, NoLocalSuiteError } from './errors.js'
import { epochKeyPath, readEpochKey, readShareKey, shareKeyPath, writeEpochKey, writeShareKey } from '../home.js'
import type { MetricsRegistry } from '../api/metrics.js'
import type { FingerprintCache } from './fingerprint-cache.js'
import type { NodeKeys } from '../keys.js'
import type { ComponentLogger } from '../logger.js'
import type { ConsensusState } from './consensus-state.js'

export interface FingerprintServiceInit {
  /** The node directory (keys/epoch-<n>.key live under it). */
  dir: string
  /** Country of national-format phone numbers (config.defaultCountry). */
  defaultCountry?: string
}

export interface FingerprintServiceComponents {
  state: ConsensusState
  keys: NodeKeys
  logger: ComponentLogger
  /** toprf: the guardian transport of an epoch (GuardianService.evaluate). */
  oprf?: (epoch: number) => ToprfEvaluateFn
  /** toprf: the node-local cache put in front of the online suite. */
  cache?: FingerprintCache
  metrics?: MetricsRegistry
}

/** One raw identifier's outcome: its fingerprint, or why it is not a valid identifier of its kind. */
export type FingerprintOutcome =
  | { ok: true, fingerprint: Uint8Array }
  | { ok: false, why: string, message: string }

/** What the matcher's worker threads need to fingerprint locally. */
export interface LocalKey {
  suite: SuiteName
  epoch: number
  /** The epoch key; the caller wipes it once its suite holds the derived state. */
  key: Uint8Array
}

export interface EpochView {
  suite: string
  current: number
  retiring: number | undefined
  /** The epoch the roster says is in force; ahead of `current` while its key has not arrived. */
  roster: number
}

interface Held {
  suite: FingerprintSuite
  policy: Policy
  /** toprf: this node's guardian of the epoch, when it holds a share. */
  guardian?: ToprfGuardian
}

/**
 * Opens this node's sealed copy of an epoch's key, checks it against the
 * policy's commitment, and keeps it in keys/epoch-<n>.key (0600): at
 * `alliance roster install`, and when a key-epoch entry brings a new epoch.
 */
export async function keepSealedKey (dir: string, keys: NodeKeys, args: { alliance: string, policy: Policy, sealed: SealedKey[] }): Promise<void> {
  const p = args.policy
  if (p.suite === TOPRF_RISTRETTO255) { await keepShare(dir, keys, args); return }
  const key = await openEpochKey({
    alliance: args.alliance,
    suite: p.suite,
    epoch: p.epoch,
    sealed: args.sealed,
    recipientPrivateKey: keys.box.privateKey,
    recipientPublicKey: keys.box.publicKey,
    commitment: p.epochKeyCommitment
  })
  try {
    await writeEpochKey(dir, p.epoch, key)
  } finally {
    key.fill(0)
  }
}

/**
 * toprf: a guardian node opens the share sealed to its box key, checks it
 * against the policy's commitments (Feldman) and keeps it in
 * keys/toprf-share-<n>.key (0600). Other nodes hold nothing.
 */
async function keepShare (dir: string, keys: NodeKeys, args: { alliance: string, policy: Policy, sealed: SealedKey[] }): Promise<boolean> {
  const p = args.policy
  const me = guardianByBoxKey(p, keys.box.publicKey)
  if (me === undefined) return false
  const { openToprfShare } = await import('../../protocol/fingerprint/toprf/index.js')
  const sealedShares = args.sealed.flatMap(s => {
    const g = guardianByBoxKey(p, s.recipient)
    return g === undefined ? [] : [{ ...s, index: g.index }]
  })
  const { share } = await openToprfShare({ alliance: args.alliance, epoch: p.epoch, commitments: p.shareCommitments, sealedShares, recipientPrivateKey: keys.box.privateKey, recipientPublicKey: keys.box.publicKey })
  try {
    await writeShareKey(dir, p.epoch, share)
  } finally {
    share.fill(0)
  }
  return true
}

/**
 * Seals the key this node holds for `policy.epoch` to more member nodes
 * (nodes added by a roster version that does not rotate the key).
 */
export async function sealHeldKey (dir: string, args: { alliance: string, policy: Policy, recipients: Uint8Array[] }): Promise<SealedKey[]> {
  if (args.recipients.length === 0) return []
  const key = await readEpochKey(dir, args.policy.epoch)
  try {
    return await sealEpochKey({ alliance: args.alliance, suite: args.policy.suite, epoch: args.policy.epoch, key, recipients: args.recipients })
  } finally {
    key.fill(0)
  }
}

export class FingerprintService {
  readonly #init: FingerprintServiceInit
  readonly #c: FingerprintServiceComponents
  readonly #log: ComponentLogger
  readonly #held = new Map<number, Held>()
  #current = -1
  #retiring: number | undefined
  /** toprf: the last quota refusal a guardian gave (turned into the batch's error). */
  #quotaRefusal: Error | undefined
  readonly #onDestroyed: Array<(epoch: number) => void> = []

  constructor (init: FingerprintServiceInit, components: FingerprintServiceComponents) {
    this.#init = init
    this.#c = components
    this.#log = components.logger
  }

  /**
   * Opens the keys this node holds for the chain's epochs, newest first: the
   * roster's epoch if its key is here, else the newest earlier one (a key
   * still on its way), and as `retiring` the newest older key still on
   * disk (a rotation not yet cut over).
   */
  async start (): Promise<void> {
    const epochs = this.#policies()
    for (const [epoch] of [...epochs].sort((a, b) => b[0] - a[0])) {
      if (await this.#load(epoch)) { this.#current = epoch; break }
    }
    if (this.#current < 0) {
      const p = this.#c.state.policy
      throw new EpochKeyUnavailableError(p.epoch, 'keys/ holds no key of any epoch of the roster; install the roster with: alliance roster install <dir> <roster.json>')
    }
    // a rotation under way: the newest older epoch whose key is still here (cut-over deletes it)
    for (const [epoch] of [...epochs].sort((a, b) => b[0] - a[0])) {
      if (epoch < this.#current && await this.#load(epoch)) { this.#retiring = epoch; break }
    }
  }

  /** Calls `fn` with each epoch whose key (or share) `destroy` wipes, e.g. so guardian worker threads wipe their copies. */
  onEpochDestroyed (fn: (epoch: number) => void): void {
    this.#onDestroyed.push(fn)
  }

  /** toprf: this node's guardian of `epoch`, when it holds a share of it. */
  guardianFor (epoch: number): ToprfGuardian | undefined {
    return this.#held.get(epoch)?.guardian
  }

  /** The suite of `epoch` (default: current), e.g. to read its guardians. */
  suiteOf (epoch = this.#current): FingerprintSuite {
    return this.#get(epoch).suite
  }

  stop (): void {
    for (const h of this.#held.values()) { h.guardian?.destroy(); h.suite.destroy() }
    this.#held.clear()
  }

  get current (): number { return this.#current }
  get retiring (): number | undefined { return this.#retiring }
  /** The epoch decisions are made under: the retiring one until cut-over (its blocklist is complete), else the current one. */
  get decisionEpoch (): number { return this.#retiring ?? this.#current }

  view (): EpochView {
    return { suite: this.#c.state.policy.suite, current: this.#current, retiring: this.#retiring, roster: this.#c.state.policy.epoch }
  }

  holds (epoch: number): boolean { return this.#held.has(epoch) }

  /** The canonical bytes of a raw identifier (throws `InvalidIdentifierError`, a ProtocolError). */
  canonical (kind: Kind, value: string): Uint8Array {
    const country = this.#init.defaultCountry
    return canonicalBytes(kind, value, country !== undefined ? { defaultCountry: country as CountryCode } : undefined)
  }

  /**
   * Fingerprints raw identifiers under `epoch` (default: current). Invalid
   * identifiers come back as outcomes with their reason; the valid ones are
   * fingerprinted in one batch.
   */
  async fingerprintValues (items: ReadonlyArray<{ kind: Kind, value: string }>, opts: { epoch?: number, signal?: AbortSignal } = {}): Promise<FingerprintOutcome[]> {
    const held = this.#get(opts.epoch ?? this.#current)
    const out: FingerprintOutcome[] = new Array(items.length)
    const batch: Array<{ kind: Kind, canonical: Uint8Array }> = []
    const at: number[] = []
    for (let i = 0; i < items.length; i++) {
      try {
        batch.push({ kind: items[i].kind, canonical: this.canonical(items[i].kind, items[i].value) })
        at.push(i)
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err
        const e = err as ProtocolError & { why?: string }
        out[i] = { ok: false, why: e.why ?? e.reason, message: e.message }
      }
    }
    const fps = batch.length > 0 ? await this.#batch(held, batch, opts.signal) : []
    for (let j = 0; j < at.length; j++) out[at[j]] = { ok: true, fingerprint: fps[j] }
    return out
  }

  /**
   * Fingerprints canonical values under `epoch` (default: the decision
   * epoch) in one batch: the matcher's lanes of an online suite send what
   * they could not look up. toprf: the node's cache first, the guardians
   * for the rest (charged to this org's quota).
   */
  async fingerprintCanonical (items: ReadonlyArray<{ kind: Kind, canonical: Uint8Array }>, opts: { epoch?: number, signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
    return items.length > 0 ? await this.#batch(this.#get(opts.epoch ?? this.decisionEpoch), items, opts.signal) : []
  }

  /** toprf: what the node's cache holds for these values (undefined where nothing), asking no guardian. */
  cachedCanonical (items: ReadonlyArray<{ kind: Kind, canonical: Uint8Array }>, opts: { epoch?: number } = {}): Array<Uint8Array | undefined> {
    const epoch = opts.epoch ?? this.decisionEpoch
    this.#get(epoch)
    const cache = this.#c.cache
    return items.map(i => cache?.peek(epoch, i))
  }

  async #batch (held: Held, batch: ReadonlyArray<{ kind: Kind, canonical: Uint8Array }>, signal: AbortSignal | undefined): Promise<Uint8Array[]> {
    this.#quotaRefusal = undefined
    try {
      return await held.suite.fingerprintBatch(batch, signal !== undefined ? { signal } : {})
    } catch (err) {
      // not enough guardians because they refused this org's quota: say that, with the reset time
      const refusal = this.#quotaRefusal
      if ((err as Error).name === 'NotEnoughGuardiansError' && refusal !== undefined) throw refusal
      throw err
    }
  }

  /** Whether the suite of `epoch` (default: the decision epoch) fingerprints locally (matcherKey) or online (fingerprintCanonical). */
  isLocal (epoch = this.decisionEpoch): boolean {
    return isLocalSuite(this.#get(epoch).suite)
  }

  /** One identifier's fingerprint; throws its canonicalisation error. */
  async fingerprint (kind: Kind, value: string, epoch?: number): Promise<Uint8Array> {
    const [r] = await this.fingerprintValues([{ kind, value }], epoch !== undefined ? { epoch } : {})
    if (!r.ok) {
      // re-run to throw the named error itself (canonicalisation is cheap and pure)
      this.canonical(kind, value)
      throw new NodeError(r.why, r.message)
    }
    return r.fingerprint
  }

  /** The key of `epoch` (default: the decision epoch) for the matcher's local lanes. */
  async matcherKey (epoch = this.decisionEpoch): Promise<LocalKey> {
    const held = this.#get(epoch)
    if (!isLocalSuite(held.suite)) throw new NoLocalSuiteError(held.policy.suite)
    return { suite: held.suite.name, epoch, key: await readEpochKey(this.#init.dir, epoch) }
  }

  /**
   * A `key-epoch` entry or a roster file carries this epoch's key sealed to
   * members: open this node's copy (if it is a recipient), check it against
   * the commitment in the roster version that opened the epoch, keep it.
   * Returns whether the node now holds the epoch's key.
   */
  async acceptSealed (k: Pick<KeyEpoch, 'suite' | 'epoch' | 'commitment' | 'sealed'>): Promise<boolean> {
    const policy = this.#policies().get(k.epoch)
    if (policy?.suite === TOPRF_RISTRETTO255 && policy.suite === k.suite && Buffer.compare(Buffer.from(policy.epochKeyCommitment), Buffer.from(k.commitment)) === 0) {
      if (this.#held.get(k.epoch)?.guardian === undefined && await keepShare(this.#init.dir, this.#c.keys, { alliance: this.#c.state.alliance, policy, sealed: k.sealed })) {
        this.#held.get(k.epoch)?.suite.destroy()
        this.#held.delete(k.epoch)
        this.#log.info('toprf share of a new epoch opened: this node guards it', { epoch: k.epoch })
      }
      return this.#held.has(k.epoch) || await this.#load(k.epoch)
    }
    if (this.#held.has(k.epoch)) return true
    if (policy === undefined || policy.suite !== k.suite || Buffer.compare(Buffer.from(policy.epochKeyCommitment), Buffer.from(k.commitment)) !== 0) return false
    const mine = k.sealed.some(s => Buffer.compare(Buffer.from(s.recipient), Buffer.from(this.#c.keys.box.publicKey)) === 0)
    if (!mine) return false
    await keepSealedKey(this.#init.dir, this.#c.keys, { alliance: this.#c.state.alliance, policy, sealed: k.sealed })
    const loaded = await this.#load(k.epoch)
    if (loaded) this.#log.info('fingerprint key of a new epoch opened', { epoch: k.epoch, suite: k.suite })
    return loaded
  }

  /**
   * Moves new statements to `epoch` (whose key is held); the epoch in use so
   * far becomes `retiring`, kept until `destroy`.
   */
  advance (epoch: number): void {
    this.#get(epoch)
    if (epoch <= this.#current) return
    if (this.#retiring !== undefined && this.#retiring !== this.#current) this.#log.warn('a rotation started before the previous one was cut over; the older epoch stays until its cut-over', { retiring: this.#retiring })
    this.#retiring ??= this.#current
    this.#current = epoch
  }

  /** Wipes the key of `epoch` from memory and deletes its file (the cut-over of a rotation). */
  async destroy (epoch: number): Promise<void> {
    if (epoch === this.#current) throw new EpochKeyUnavailableError(epoch, 'the current epoch cannot be destroyed')
    // the file first: once `retiring` reads undefined, no copy of the key is left anywhere
    await rm(epochKeyPath(this.#init.dir, epoch), { force: true })
    await rm(shareKeyPath(this.#init.dir, epoch), { force: true })
    this.#held.get(epoch)?.guardian?.destroy()
    for (const fn of this.#onDestroyed) fn(epoch)
    this.#held.get(epoch)?.suite.destroy()
    await this.#c.cache?.dropEpoch(epoch)
    this.#held.delete(epoch)
    if (this.#retiring === epoch) this.#retiring = undefined
    this.#log.info('fingerprint key of a retired epoch destroyed', { epoch })
  }

  #get (epoch: number): Held {
    const held = this.#held.get(epoch)
    if (held === undefined) {
      throw new EpochKeyUnavailableError(epoch, epoch > this.#current ? 'its sealed key has not reached this node yet' : 'it was retired and its key destroyed')
    }
    return held
  }

  /** The policy of the first roster version of each epoch in the chain. */
  #policies (): Map<number, Policy> {
    const m = new Map<number, Policy>()
    for (const v of this.#c.state.chain.versions) {
      const p = v.roster.policy
      if (!m.has(p.epoch)) m.set(p.epoch, p)
    }
    return m
  }

  async #load (epoch: number): Promise<boolean> {
    const policy = this.#policies().get(epoch)
    if (policy === undefined) return false
    if (policy.suite === TOPRF_RISTRETTO255) {
      this.#held.set(epoch, await this.#toprf(epoch, policy))
      return true
    }
    let key: Uint8Array
    try {
      key = await readEpochKey(this.#init.dir, epoch)
    } catch (err) {
      if ((err as Error).name === 'KeyFileMissingError') return false
      throw err
    }
    try {
      this.#held.set(epoch, { suite: createSuite({ name: policy.suite, epoch, key }), policy })
    } finally {
      key.fill(0)
    }
    return true
  }

  /** The toprf suite of `epoch` (cached, over the guardian transport) and this node's guardian if it holds a share. */
  async #toprf (epoch: number, policy: Policy): Promise<Held> {
    const { createToprfGuardian, createToprfSuite } = await import('../../protocol/fingerprint/toprf/index.js')
    const oprf = this.#c.oprf
    if (oprf === undefined) throw new EpochKeyUnavailableError(epoch, `suite ${TOPRF_RISTRETTO255} needs the guardian transport, which this node was built without`)
    const metrics = this.#c.metrics
    const online = createToprfSuite({
      epoch,
      threshold: policy.guardianThreshold,
      commitments: policy.shareCommitments,
      guardians: policy.guardians.map(g => ({ id: g.org, index: g.index })),
      evaluate: oprf(epoch),
      onFault: (f) => {
        if ((f.error as { reason?: string })?.reason === 'quota_exceeded') this.#quotaRefusal = f.error as Error
        metrics?.guardianRequests.inc({ guardian: f.guardianId, result: f.reason })
        this.#log.warn('guardian answer not used', { guardian: f.guardianId, reason: f.reason, error: (f.error as Error)?.message })
      }
    })
    const suite = this.#c.cache !== undefined ? this.#c.cache.wrap(online) : online
    let guardian: ToprfGuardian | undefined
    const mine = guardianByBoxKey(policy, this.#c.keys.box.publicKey)
    if (mine !== undefined) {
      let share: Uint8Array | undefined
      try {
        share = await readShareKey(this.#init.dir, epoch)
        guardian = createToprfGuardian({ epoch, index: mine.index, share, commitments: policy.shareCommitments })
      } catch (err) {
        if ((err as Error).name !== 'KeyFileMissingError') throw err
        this.#log.warn('this node is a guardian of the epoch but holds no share yet', { epoch })
      } finally {
        share?.fill(0)
      }
    }
    return { suite, policy, ...(guardian !== undefined ? { guardian } : {}) }
  }
}
