/** The ingest pipeline's limits (node/ingest.ts), each with its reason. */

/** Verified-but-uncovered entries kept per author from one peer while the signature is on its way (a 100k bulk segment fits). */
export const MAX_PENDING_PER_AUTHOR = 200_000
/**
 * Verified-but-uncovered entries kept from one sending peer, all authors
 * together. No signature vouches for them yet, so any peer can make a node
 * hold them (~1.6 KB of memory each): each peer gets its own room.
 */
export const MAX_PENDING_PER_PEER = MAX_PENDING_PER_AUTHOR
/**
 * Verified-but-uncovered entries kept across all peers: twice one peer's
 * room, so one member filling its own can never fill it for everyone
 * (~640 MiB at worst). Peers that send one bulk segment at once hold a copy
 * each; a peer past the total gets a gap and the entries again later.
 */
export const MAX_PENDING_TOTAL = 2 * MAX_PENDING_PER_PEER
/** The sender of segments given without one (this node's own, tests, tools). */
export const LOCAL_PEER = ''
/** Pending entries not covered by a signature within this time are dropped (and re-fetched by the next sync). */
export const PENDING_TTL_MS = 5 * 60_000
/**
 * With a roster rate limit, an org may add this many hours' worth of it per
 * hour of arrival at a node: a node catching up on an honest log takes in a
 * day of it per hour, a member dating entries into past hours is slowed to
 * this factor of the limit.
 */
export const RATE_CATCHUP_HOURS = 24
/**
 * A key the roster dropped (rotated out, or its org removed) may still have
 * entries dated before its removal on their way: they are taken in until
 * this long after the removal time of the version that dropped it, by this
 * node's clock; after that no new entry of the key is taken, whatever time
 * it claims. Honest entries signed before a removal reach every online node
 * within seconds (gossip) or one anti-entropy round; an hour also covers a
 * restart or a short partition. Whoever still holds the key can date
 * entries before the removal only within this hour.
 */
export const REMOVED_KEY_GRACE_MS = 60 * 60_000
