/**
 * Keeps this node connected to every allowed roster peer.
 *
 * Why not libp2p's own mechanisms: libp2p 3 has no auto-dialer; its
 * reconnect queue only redials `KEEP_ALIVE`-tagged peers after a disconnect,
 * gives up after a few retries (and drops the tag), and dials keep-alive
 * peers once at start, so a member that is offline when we start or stays
 * down for a while is never tried again. `@libp2p/bootstrap` likewise
 * announces its list once. Here every target that is not connected always
 * has exactly one timer pending: exponential backoff with jitter from
 * `minDelayMs` to `maxDelayMs`, never giving up. The backoff resets only after
 * a connection stayed up for `stableAfterMs`, so a peer that accepts and then
 * drops us is not hammered.
 *
 * The backoff must not outlast a partition's heal: after a long silent cut
 * every side waits up to `maxDelayMs` before it tries again, and anti-entropy
 * only pulls from connected peers. `redialNow()` (each anti-entropy round
 * calls it) dials every target that is neither connected nor being dialled
 * at once, without resetting its backoff: at most one extra dial per target
 * per round, and an isolated node rejoins within one round of the heal.
 */
import type { ComponentLogger } from '../logger.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

export interface KeeperInit {
  /** First retry delay after a failed dial or a disconnect */
  minDelayMs: number
  /** Backoff cap */
  maxDelayMs: number
  /** Per-dial time limit */
  dialTimeoutMs: number
  /** A connection that lasted this long resets the backoff */
  stableAfterMs: number
}

interface Target {
  peerId: PeerId
  attempt: number
  timer?: ReturnType<typeof setTimeout>
  dueAt?: number
  dialing: boolean
  connectedAt?: number
}

export class PeerKeeper {
  private readonly targets = new Map<string, Target>()
  private running = false
  private stopController = new AbortController()

  constructor (
    private readonly libp2p: Libp2p,
    private readonly log: ComponentLogger,
    private readonly init: KeeperInit
  ) {}

  /** Replace the set of peers to stay connected to (their addresses must be in the peer store) */
  setTargets (peerIds: PeerId[]): void {
    const next = new Map(peerIds.map(p => [p.toString(), p]))
    for (const [id, target] of this.targets) {
      if (!next.has(id)) {
        this.clearTimer(target)
        this.targets.delete(id)
      }
    }
    for (const [id, peerId] of next) {
      if (!this.targets.has(id)) {
        const target: Target = { peerId, attempt: 0, dialing: false }
        this.targets.set(id, target)
        if (this.running) this.schedule(target, 0)
      }
    }
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.stopController = new AbortController()
    this.libp2p.addEventListener('peer:connect', this.onConnect)
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    for (const target of this.targets.values()) this.schedule(target, 0)
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    this.libp2p.removeEventListener('peer:connect', this.onConnect)
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    this.stopController.abort()
    for (const target of this.targets.values()) {
      this.clearTimer(target)
      target.dialing = false
    }
  }

  /** Dials now every target not connected and not being dialled (its pending retry replaced); returns how many. */
  redialNow (): number {
    if (!this.running) return 0
    let n = 0
    for (const target of this.targets.values()) {
      if (target.dialing || this.libp2p.getConnections(target.peerId).length > 0) continue
      this.clearTimer(target)
      this.schedule(target, 0)
      n++
    }
    return n
  }

  /** Delay before retry number `attempt` (1-based), jittered to 50–100 % */
  backoff (attempt: number): number {
    const base = Math.min(this.init.maxDelayMs, this.init.minDelayMs * 2 ** Math.max(0, attempt - 1))
    return Math.round(base * (0.5 + Math.random() * 0.5))
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    const target = this.targets.get(evt.detail.toString())
    if (target == null) return
    target.connectedAt = Date.now()
    this.clearTimer(target)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const target = this.targets.get(evt.detail.toString())
    if (target == null || !this.running) return
    if (target.connectedAt != null && Date.now() - target.connectedAt >= this.init.stableAfterMs) {
      target.attempt = 0
    }
    target.connectedAt = undefined
    target.attempt++
    this.schedule(target, this.backoff(target.attempt))
  }

  private schedule (target: Target, delayMs: number): void {
    if (!this.running || target.dialing) return
    const dueAt = Date.now() + delayMs
    if (target.timer != null) {
      if (target.dueAt != null && target.dueAt <= dueAt) return
      this.clearTimer(target)
    }
    target.dueAt = dueAt
    target.timer = setTimeout(() => {
      target.timer = undefined
      target.dueAt = undefined
      void this.dial(target)
    }, delayMs)
    target.timer.unref?.()
  }

  private async dial (target: Target): Promise<void> {
    if (!this.running || this.targets.get(target.peerId.toString()) !== target) return
    if (this.libp2p.getConnections(target.peerId).length > 0) return
    target.dialing = true
    const signal = AbortSignal.any([this.stopController.signal, AbortSignal.timeout(this.init.dialTimeoutMs)])
    try {
      await this.libp2p.dial(target.peerId, { signal })
      this.log.debug('dialled roster peer', { peer: target.peerId.toString(), attempt: target.attempt })
    } catch (err) {
      target.dialing = false
      if (!this.running || this.targets.get(target.peerId.toString()) !== target) return
      target.attempt++
      const delay = this.backoff(target.attempt)
      this.log.debug('dial to roster peer failed; will retry', { peer: target.peerId.toString(), attempt: target.attempt, retryInMs: delay, err })
      this.schedule(target, delay)
      return
    }
    target.dialing = false
    // the connection may already be gone again (remote gater, crash): make sure a retry is pending
    if (this.running && this.libp2p.getConnections(target.peerId).length === 0) {
      target.attempt++
      this.schedule(target, this.backoff(target.attempt))
    }
  }

  private clearTimer (target: Target): void {
    if (target.timer != null) clearTimeout(target.timer)
    target.timer = undefined
    target.dueAt = undefined
  }
}
