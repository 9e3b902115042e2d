/**
 * A roster member gone bad, as its own process: joins the alliance's gossip
 * topic with its real keys, says READY once it sees every target in the
 * topic, then on GO publishes invalid messages as fast as it can until STOP
 * (or stdin closes), and reports SENT <n>.
 *
 *   node --import tsx gossip-flooder.ts <node dir> <topic> <targets json>
 *
 * `targets` is a RosterPeer[] (peer id and multiaddrs).
 */
import '../../../node/polyfill.js'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { readConfig } from '../../../node/home.js'
import { loadNodeKeys } from '../../../node/keys.js'
import { silentLogger } from '../../../node/logger.js'
import { createHost, type RosterPeer } from '../../../node/net/host.js'

const [dir, topic, targetsJson] = process.argv.slice(2)
const targets = JSON.parse(targetsJson) as RosterPeer[]
const config = await readConfig(dir)
const host = await createHost({ listen: config.listen, peers: targets, gossipTopics: [topic] }, { keys: await loadNodeKeys(dir), logger: silentLogger() })
host.subscribe(topic, () => 'ignore', () => {})
await host.start()

const out = (line: string): void => { process.stdout.write(line + '\n') }
const ready = setInterval(() => {
  if (targets.every(t => host.topicPeers(topic).includes(t.peerId))) {
    clearInterval(ready)
    out('READY')
  }
}, 50)

let flooding = false
let sent = 0
async function flood (): Promise<void> {
  while (flooding) {
    // malformed segments: every one is rejected by the validator
    await host.publish(topic, new Uint8Array(randomBytes(200))).catch(() => undefined)
    sent++
    if (sent % 50 === 0) await new Promise(resolve => setImmediate(resolve))
  }
}

const stop = async (): Promise<void> => {
  flooding = false
  out(`SENT ${sent}`)
  await host.stop()
  process.exit(0)
}

createInterface({ input: process.stdin }).on('line', line => {
  if (line === 'GO' && !flooding) { flooding = true; void flood() }
  if (line === 'STOP') void stop()
}).on('close', () => { void stop() })
