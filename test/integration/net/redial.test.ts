/**
 * A roster peer that comes back is dialled at once, not after the reconnect
 * backoff (issue 12 item 14). After a long outage the keeper waits up to
 * `reconnectMaxDelayMs` between tries, and anti-entropy pulls only from
 * connected peers: an isolated node rejoined only when some backoff ran out.
 * Each anti-entropy round now calls `redialRosterPeers()`.
 *
 * Real hosts on loopback. B's port first answers with a bare TCP server
 * that drops every connection (A's dials fail, its backoff grows: counted
 * by the attempts the server sees); then B's real host listens there. B
 * does not dial A (A has no address in B's roster view), so only A's dial
 * can join them.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../../node/home.js'
import { generateNodeKeys } from '../../../node/keys.js'
import { silentLogger } from '../../../node/logger.js'
import { createHost, type Host } from '../../../node/net/host.js'
import { nextEvent } from './helpers.js'

describe('network host: a roster peer back after an outage is redialled at once', function () {
  this.timeout(60_000)
  const hosts: Host[] = []
  let dir: string
  after(async () => {
    for (const h of hosts) await h.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('redialRosterPeers() joins a peer whose backoff still has seconds to run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'alliance-redial-'))
    const keysA = await generateNodeKeys(join(dir, 'a'))
    const keysB = await generateNodeKeys(join(dir, 'b'))
    const port = await freePort()
    const addrB = `/ip4/127.0.0.1/tcp/${port}`
    // A: reconnect backoff from 100 ms doubling to 60 s (the default cap)
    const a = await createHost({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      peers: [{ peerId: keysB.peerId.toString(), addrs: [addrB] }],
      reconnectMinDelayMs: 100,
      reconnectMaxDelayMs: 60_000,
      dialTimeoutMs: 3000
    }, { keys: keysA, logger: silentLogger() })
    hosts.push(a)

    // B's port is down: every connection A makes is dropped; wait for the 7th attempt (the next backoff is 3.2–6.4 s)
    let attempts = 0
    let seventh!: () => void
    const reached = new Promise<void>(resolve => { seventh = resolve })
    const refuser: Server = createServer(socket => { socket.destroy(); if (++attempts === 7) seventh() })
    await new Promise<void>(resolve => refuser.listen(port, '127.0.0.1', resolve))
    await a.start()
    await reached
    // let A see its 7th dial fail (the server dropped it at once; A retries 3.2–6.4 s later)
    await new Promise(resolve => setTimeout(resolve, 300))
    await new Promise<void>(resolve => refuser.close(() => resolve()))
    assert.equal(attempts, 7, 'no 8th dial yet')

    const b = await createHost({
      listen: [addrB],
      peers: [{ peerId: keysA.peerId.toString(), addrs: [] }],
      reconnectMinDelayMs: 100,
      reconnectMaxDelayMs: 60_000
    }, { keys: keysB, logger: silentLogger() })
    hosts.push(b)
    await b.start()

    const joined = nextEvent(a, 'peer:connect', p => p === keysB.peerId.toString(), 20_000)
    const t0 = performance.now()
    assert.equal(a.redialRosterPeers(), 1, 'one roster peer not connected, dialled')
    await joined
    const ms = performance.now() - t0
    assert.ok(ms < 1500, `joined ${Math.round(ms)} ms after the redial (the backoff alone: ≥ 3,200 ms)`)
    assert.equal(a.redialRosterPeers(), 0, 'a connected peer is not dialled again')
  })
})
