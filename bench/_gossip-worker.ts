/**
 * Bare-gossipsub worker for bench/gossip.ts: just the libp2p host of a node
 * directory (createHost, same roster-gated config, keys, addresses and topic
 * as the daemon), no storage, no validation work, no API.
 *
 *   node dist/bench/_gossip-worker.js <node dir> <publisher|receiver> <payload bytes>   (as the bench runs it)
 *   node --import tsx bench/_gossip-worker.ts …                                          (ALLIANCE_RUNTIME=tsx)
 *
 * Talks to the bench over the IPC channel:
 *   in:  { type: 'pub', seq }   publish a payload carrying seq and the send time
 *        { type: 'peers' }      report connections and topic peers
 *        { type: 'stop' }       stop the host and exit
 *   out: { type: 'ready', peerId }, { type: 'peers', connected, topicPeers },
 *        { type: 'recv', seq, sentAt, recvAt }  (receiver only; wall-clock ms)
 *
 * The payload is `u32 seq ‖ f64 sentAt ‖ filler`; sentAt is taken right
 * before publish, recvAt when the accepted message is delivered, both from
 * this machine's clock (performance.timeOrigin + performance.now()).
 */
import '../node/polyfill.js'
import { randomBytes } from 'node:crypto'
import { gossipTopic, rosterPeers } from '../node/alliance-node.js'
import { readConfig } from '../node/home.js'
import { loadNodeKeys } from '../node/keys.js'
import { createLogger } from '../node/logger.js'
import { createHost } from '../node/net/host.js'
import { installedRoster } from '../node/roster-file.js'
import { wallMs } from './_clock.js'

type Command = { type: 'pub', seq: number } | { type: 'peers' } | { type: 'stop' }

const [dir, role, sizeArg] = process.argv.slice(2)
const size = Math.max(12, Number(sizeArg))
const send = (m: unknown): void => { process.send?.(m) }

const config = await readConfig(dir)
const keys = await loadNodeKeys(dir)
const { chain } = await installedRoster(dir)
const topic = gossipTopic(chain.alliance)
const host = await createHost({
  listen: config.listen,
  announce: config.announce,
  peers: rosterPeers(chain),
  gossipTopics: [topic]
}, { keys, logger: createLogger({ level: 'warn' }) })

host.subscribe(topic, () => 'accept', (_from, data) => {
  if (role !== 'receiver') return
  const recvAt = wallMs()
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  send({ type: 'recv', seq: view.getUint32(0), sentAt: view.getFloat64(4), recvAt })
})
await host.start()

const filler = randomBytes(size)
process.on('message', (m: Command) => {
  if (m.type === 'pub') {
    const payload = new Uint8Array(size)
    payload.set(filler)
    const view = new DataView(payload.buffer)
    view.setUint32(0, m.seq)
    view.setFloat64(4, wallMs())
    host.publish(topic, payload).catch(err => process.stderr.write(`publish failed: ${(err as Error).message}\n`))
  } else if (m.type === 'peers') {
    send({ type: 'peers', connected: host.connectedPeers().length, topicPeers: host.topicPeers(topic).length })
  } else if (m.type === 'stop') {
    host.stop().finally(() => process.exit(0))
  }
})
process.on('disconnect', () => { host.stop().finally(() => process.exit(0)) })
send({ type: 'ready', peerId: host.peerId.toString() })
