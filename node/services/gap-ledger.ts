/**
 * Gap syncs that bring nothing, per relaying peer.
 *
 * A gossiped entry that leaves a gap in its author's log is ignored (no
 * score penalty: the relayer is usually right and we are behind) and starts
 * a sync with the relayer. An honest relayer validated the entry before
 * relaying it, so it holds what the entry follows, and the sync brings it.
 * A member that relays entries with made-up gaps (its own log, seq 100 after
 * seq 1, say) could otherwise make this node run a whole sync exchange per
 * message, at no cost to its score. So: after `strikes` gap syncs with one
 * peer that completed and brought nothing, further gaps relayed by it are
 * rejected (gossipsub lowers its score: three rejections graylist it) and
 * start no sync. A gap sync that brings something clears the peer's strikes;
 * each strike expires after `forgetMs`. Pure state, no timers.
 */

/** Empty gap syncs after which a peer's gaps are rejected. */
export const EMPTY_GAP_STRIKES = 3
/** How long one empty gap sync counts against a peer. */
export const EMPTY_GAP_FORGET_MS = 10 * 60_000

export class GapLedger {
  readonly #strikes: number
  readonly #forgetMs: number
  /** Times of recent empty gap syncs, per peer. */
  readonly #empty = new Map<string, number[]>()

  constructor (opts: { strikes?: number, forgetMs?: number } = {}) {
    this.#strikes = opts.strikes ?? EMPTY_GAP_STRIKES
    this.#forgetMs = opts.forgetMs ?? EMPTY_GAP_FORGET_MS
  }

  #recent (peer: string, now: number): number[] {
    const t = (this.#empty.get(peer) ?? []).filter(at => now - at < this.#forgetMs)
    if (t.length === 0) this.#empty.delete(peer)
    else this.#empty.set(peer, t)
    return t
  }

  /** Whether gaps relayed by `peer` are to be rejected now. */
  exhausted (peer: string, now: number): boolean {
    return this.#recent(peer, now).length >= this.#strikes
  }

  /** A gap sync with `peer` completed having applied `accepted` entries. */
  settle (peer: string, accepted: number, now: number): void {
    if (accepted > 0) { this.#empty.delete(peer); return }
    const t = this.#recent(peer, now)
    t.push(now)
    this.#empty.set(peer, t)
  }

  /** Empty gap syncs currently held against `peer` (status, tests). */
  strikes (peer: string, now: number): number {
    return this.#recent(peer, now).length
  }
}
