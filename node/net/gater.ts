/**
 * Connection gater that admits only the peers of the current roster.
 *
 * The allow-set is replaced at runtime when the roster changes
 * (`setAllowed`). The gater is consulted by libp2p at every checkpoint where
 * the remote peer id is known:
 * - before dialling a peer (`denyDialPeer`) or a multiaddr carrying `/p2p/<id>`;
 * - after the Noise handshake, inbound and outbound, when the remote id is
 *   authenticated (`deny*EncryptedConnection`): a stranger never reaches the
 *   muxer, so it cannot open any protocol stream;
 * - again after muxing (`deny*UpgradedConnection`), which closes the window
 *   where the set shrinks while a handshake is in flight.
 * Relaying is refused in every direction. Closing connections that already
 * exist when a peer is removed is the host's job (it owns the connections):
 * see `Host.setAllowedPeers`.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RosterGater {
  /** Pass as `createLibp2p({ connectionGater })` */
  gater: ConnectionGater
  /** Replace the allow-set (peer ids as base58/CID strings) */
  setAllowed: (peerIds: Iterable<string>) => void
  isAllowed: (peerId: PeerId | string) => boolean
  /** A copy of the current allow-set */
  allowed: () => Set<string>
}

export interface RosterGaterOptions {
  /** Our own peer id: its addresses stay storable in the peer store */
  self?: string
}

export function createRosterGater (initial: Iterable<string> = [], options: RosterGaterOptions = {}): RosterGater {
  let allowed = new Set<string>(initial)
  const self = options.self

  const isAllowed = (peerId: PeerId | string): boolean => allowed.has(peerId.toString())
  const deny = (peerId: PeerId): boolean => !isAllowed(peerId)

  const gater: ConnectionGater = {
    denyDialPeer: deny,
    denyDialMultiaddr: (ma: Multiaddr) => {
      const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      // without a peer id the check happens after Noise (denyOutboundEncryptedConnection)
      return id != null && !allowed.has(id)
    },
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
    denyInboundUpgradedConnection: deny,
    denyOutboundUpgradedConnection: deny,
    denyInboundRelayReservation: () => true,
    denyOutboundRelayedConnection: () => true,
    denyInboundRelayedConnection: () => true,
    // keep addresses of strangers out of the peer store (identify, gossip PX)
    filterMultiaddrForPeer: (peerId: PeerId) => isAllowed(peerId) || peerId.toString() === self
  }

  return {
    gater,
    setAllowed (peerIds: Iterable<string>): void {
      // replace, never mutate in place: a check in flight sees one whole set
      allowed = new Set(peerIds)
    },
    isAllowed,
    allowed: () => new Set(allowed)
  }
}
