/**
 * The host's configuration (node/net/host.ts): `HostInit` with its
 * defaults, merged once and validated at start-up with a named error
 * (STYLE.md §5, §6), and the roster peers parsed from it. Kept apart from
 * the host itself: checking what a user wrote is one job, running libp2p
 * another.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidHostConfigError } from '../errors.js'

/** A roster member's node as the network sees it */
export interface RosterPeer {
  /** libp2p peer id (base58btc `12D3Koo…` or CID form) */
  peerId: string
  /** Multiaddrs to dial, e.g. `/ip4/203.0.113.7/tcp/4001` (a trailing `/p2p/<peerId>` is allowed) */
  addrs: string[]
}

export interface HostInit {
  /**
   * Multiaddrs to listen on.
   *
   * @default ['/ip4/127.0.0.1/tcp/0']
   */
  listen?: string[]
  /**
   * Multiaddrs to announce instead of the listen addresses (NAT, port
   * forwarding). Empty announces the listen addresses.
   *
   * @default []
   */
  announce?: string[]
  /**
   * The roster's nodes: the only peers allowed to connect, and where to dial
   * them. Our own peer id may be listed; it is skipped.
   *
   * @default []
   */
  peers?: RosterPeer[]
  /**
   * Gossip topics scored from the start. `subscribe()` adds its topic too;
   * list topics here so scoring also covers topics we relay but do not
   * subscribe to.
   *
   * @default []
   */
  gossipTopics?: string[]
  /**
   * Largest gossip message accepted, in bytes (a signed entry is far smaller;
   * bulk data goes over sync streams, not gossip).
   *
   * @default 1048576 (1 MiB)
   */
  maxGossipMessageBytes?: number
  /**
   * Time limit of one dial, including the Noise handshake; also the default
   * time limit of `dialProtocol` when no signal is given.
   *
   * @default 10000
   */
  dialTimeoutMs?: number
  /**
   * First reconnect delay to an allowed peer after a failed dial or a
   * disconnect; doubles per failure up to `reconnectMaxDelayMs`.
   *
   * @default 1000
   */
  reconnectMinDelayMs?: number
  /**
   * Reconnect backoff cap. Retries never stop.
   *
   * @default 60000
   */
  reconnectMaxDelayMs?: number
  /**
   * A connection that stays up this long resets the reconnect backoff.
   *
   * @default 30000
   */
  reconnectStableAfterMs?: number
  /**
   * Connection limit. 0: from the roster's size at start,
   * `connectionLimitFor(peers)` (at least 512).
   *
   * @default 0
   */
  maxConnections?: number
  /**
   * Inbound connections still in their handshake (Noise, muxer) at once,
   * from addresses that are not a roster member's. An outsider's idle
   * sockets hold these; roster members' IP addresses (from their roster
   * addresses) bypass the limit, so they can always get in.
   *
   * @default 64
   */
  maxIncomingPendingConnections?: number
  /**
   * How long an inbound connection may take to finish its handshake before it
   * is closed (Noise + muxer take milliseconds; an idle socket holds a pending
   * slot this long; a loaded 2-core machine still finishes in well under 1 s).
   *
   * @default 5000
   */
  inboundUpgradeTimeoutMs?: number
  /**
   * New inbound connections per second from one IP address that is not a
   * roster member's. With `inboundUpgradeTimeoutMs`, it bounds the pending
   * slots one address can hold (5/s × 5 s = 25 of 64).
   *
   * @default 5
   */
  inboundConnectionsPerSecond?: number
  /**
   * How often libp2p's connection monitor pings each connection (from both
   * ends: a new stream each time) to find dead ones. 0: from the roster's
   * size at start, `pingIntervalFor(peers)`.
   *
   * @default 0
   */
  pingIntervalMs?: number
}

/**
 * The connection monitor's ping interval for an alliance of `peers` other
 * nodes: libp2p's 10 s up to 50 peers, then longer, so that a node opens at
 * most ~5 ping streams a second (each end pings every connection: at 500
 * members and 10 s that was 100 streams a second per node, most of an idle
 * node's work). A dead connection is then found within one interval plus
 * the ping's timeout; anti-entropy and gossip do not wait for it (a pull
 * gives up after its own deadline, and every round redials lost peers).
 */
export function pingIntervalFor (peers: number): number {
  return Math.max(10_000, peers * 200)
}

/**
 * The connection limit for an alliance of `peers` other nodes: room for two
 * connections per peer (two nodes that dial each other at once both keep
 * theirs: ~1.1–1.3 per pair in `bench scale`) and 64 more for outsiders'
 * attempts, at least 512. Above the limit libp2p closes connections, and the
 * keeper dials them again: at 500 members a fixed 512 would churn for ever.
 */
export function connectionLimitFor (peers: number): number {
  return Math.max(512, 2 * peers + 64)
}

/** Gossip messages larger than this are dropped while decoding (see HostInit) */
export const DEFAULT_MAX_GOSSIP_MESSAGE_BYTES = 1024 * 1024

const defaults: Required<HostInit> = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  announce: [],
  peers: [],
  gossipTopics: [],
  maxGossipMessageBytes: DEFAULT_MAX_GOSSIP_MESSAGE_BYTES,
  dialTimeoutMs: 10_000,
  reconnectMinDelayMs: 1000,
  reconnectMaxDelayMs: 60_000,
  reconnectStableAfterMs: 30_000,
  maxConnections: 0,
  maxIncomingPendingConnections: 64,
  inboundUpgradeTimeoutMs: 5000,
  inboundConnectionsPerSecond: 5,
  pingIntervalMs: 0
}

/** A roster peer with its id and addresses parsed */
export interface ParsedPeer { peerId: PeerId, addrs: Multiaddr[] }

export function mergeHostInit (init: HostInit): Required<HostInit> {
  const merged = { ...defaults }
  for (const [k, v] of Object.entries(init) as Array<[keyof HostInit, unknown]>) {
    if (v !== undefined) (merged as Record<string, unknown>)[k] = v
  }
  return merged
}

/**
 * The IP addresses of the roster peers' addresses, as `/ip4/<a>` or
 * `/ip6/<a>` (libp2p's connection-manager allow-list: exempt from the
 * pending-connection limit and the per-address rate). DNS names are not
 * resolved; a member that connects from another address than it announces
 * (NAT) is not on the list and shares the limits with everyone. Taken from
 * the roster the host starts with.
 */
export function rosterIpAddrs (peers: ParsedPeer[]): string[] {
  const out = new Set<string>()
  for (const p of peers) {
    for (const a of p.addrs) {
      const ip = a.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
      if (ip?.value !== undefined) out.add(`/${ip.name}/${ip.value}`)
    }
  }
  return [...out]
}

/** Throws `InvalidHostConfigError` naming the first bad field; returns the parsed peers */
export function validateHostInit (opts: Required<HostInit>): ParsedPeer[] {
  if (!Array.isArray(opts.listen) || opts.listen.length === 0) {
    throw new InvalidHostConfigError('listen', 'must list at least one multiaddr, e.g. /ip4/0.0.0.0/tcp/4001')
  }
  opts.listen.forEach((a, i) => parseAddr(a, `listen[${i}]`))
  opts.announce.forEach((a, i) => parseAddr(a, `announce[${i}]`))
  for (const field of ['maxGossipMessageBytes', 'dialTimeoutMs', 'reconnectMinDelayMs', 'reconnectMaxDelayMs', 'reconnectStableAfterMs', 'maxIncomingPendingConnections', 'inboundUpgradeTimeoutMs', 'inboundConnectionsPerSecond'] as const) {
    const v = opts[field]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new InvalidHostConfigError(field, `must be a positive number, got ${String(v)}`)
    }
  }
  for (const field of ['pingIntervalMs', 'maxConnections'] as const) {
    const v = opts[field]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidHostConfigError(field, `must be 0 (from the roster's size) or a positive number, got ${String(v)}`)
    }
  }
  if (opts.reconnectMaxDelayMs < opts.reconnectMinDelayMs) {
    throw new InvalidHostConfigError('reconnectMaxDelayMs', `must be >= reconnectMinDelayMs (${opts.reconnectMinDelayMs})`)
  }
  opts.gossipTopics.forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0) throw new InvalidHostConfigError(`gossipTopics[${i}]`, 'must be a non-empty string')
  })
  return opts.peers.map((p, i) => parsePeer(p, `peers[${i}]`))
}

/** Parses one roster peer, naming `field` in the `InvalidHostConfigError` if it is malformed */
export function parsePeer (peer: RosterPeer, field: string): ParsedPeer {
  if (peer == null || typeof peer.peerId !== 'string') {
    throw new InvalidHostConfigError(field, 'must be { peerId: string, addrs: string[] }')
  }
  const peerId = parsePeerId(peer.peerId, `${field}.peerId`)
  if (!Array.isArray(peer.addrs)) throw new InvalidHostConfigError(`${field}.addrs`, 'must be an array of multiaddrs')
  const addrs = peer.addrs.map((a, i) => {
    const ma = parseAddr(a, `${field}.addrs[${i}]`)
    const embedded = ma.getComponents().findLast(c => c.name === 'p2p')?.value
    if (embedded != null && embedded !== peerId.toString()) {
      throw new InvalidHostConfigError(`${field}.addrs[${i}]`, `names peer ${embedded}, not ${peerId.toString()}`)
    }
    return ma
  })
  return { peerId, addrs }
}

function parsePeerId (s: string, field: string): PeerId {
  try {
    return peerIdFromString(s)
  } catch (err) {
    throw new InvalidHostConfigError(field, `is not a libp2p peer id: ${JSON.stringify(s)}`, { cause: err })
  }
}

function parseAddr (s: string, field: string): Multiaddr {
  try {
    return multiaddr(s)
  } catch (err) {
    throw new InvalidHostConfigError(field, `is not a multiaddr: ${JSON.stringify(s)} (expected e.g. /ip4/127.0.0.1/tcp/4001)`, { cause: err })
  }
}
