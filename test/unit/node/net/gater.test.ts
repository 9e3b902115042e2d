import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createRosterGater } from '../../../../node/net/gater.js'
import type { MultiaddrConnection, PeerId } from '@libp2p/interface'

async function newPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('roster gater', () => {
  const maConn = {} as unknown as MultiaddrConnection

  it('denies every checkpoint for peers outside the set and none for members', async () => {
    const [member, stranger] = await Promise.all([newPeerId(), newPeerId()])
    const { gater, isAllowed } = createRosterGater([member.toString()])
    assert.ok(isAllowed(member))
    assert.ok(!isAllowed(stranger.toString()))
    for (const check of ['denyDialPeer', 'denyInboundEncryptedConnection', 'denyOutboundEncryptedConnection', 'denyInboundUpgradedConnection', 'denyOutboundUpgradedConnection'] as const) {
      const fn = gater[check] as (p: PeerId, c: MultiaddrConnection) => boolean
      assert.equal(fn(member, maConn), false, check)
      assert.equal(fn(stranger, maConn), true, check)
    }
    assert.equal(gater.denyDialMultiaddr?.(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${stranger.toString()}`)), true)
    assert.equal(gater.denyDialMultiaddr?.(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${member.toString()}`)), false)
    // without a peer id the decision waits for the Noise handshake
    assert.equal(gater.denyDialMultiaddr?.(multiaddr('/ip4/127.0.0.1/tcp/1')), false)
    assert.equal(gater.filterMultiaddrForPeer?.(stranger, multiaddr('/ip4/127.0.0.1/tcp/1')), false)
    assert.equal(gater.denyInboundRelayReservation?.(member), true)
  })

  it('replaces the allow-set at runtime', async () => {
    const [p1, p2] = await Promise.all([newPeerId(), newPeerId()])
    const g = createRosterGater([p1.toString()])
    const snapshot = g.allowed()
    g.setAllowed([p2.toString()])
    assert.equal(g.gater.denyDialPeer?.(p1), true)
    assert.equal(g.gater.denyDialPeer?.(p2), false)
    assert.deepEqual([...snapshot], [p1.toString()], 'snapshots are copies')
  })

  it('keeps our own addresses storable', async () => {
    const self = await newPeerId()
    const g = createRosterGater([], { self: self.toString() })
    assert.equal(g.gater.filterMultiaddrForPeer?.(self, multiaddr('/ip4/127.0.0.1/tcp/1')), true)
    assert.equal(g.gater.denyDialPeer?.(self), true)
  })
})
