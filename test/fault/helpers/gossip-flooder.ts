/**
 * A roster member gone bad, as its own process: joins the alliance's gossip
 * topic with its real keys, says READY once it sees every target in the
 * topic, then on GO publishes invalid messages as fast as it can until STOP
 * (or stdin closes). On COUNT, and at STOP, it reports
 * `COUNT {"sent":…,"noRecipients":…,"failed":…}`: messages handed to at least
 * one peer, published to nobody, and publishes that threw.
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
const count = { sent: 0, noRecipients: 0, failed: 0 }
async function flood (): Promise<void> {
  let n = 0
  while (flooding) {
    // malformed segments: every one is rejected by the validator
    try {
      const { recipients } = await host.publish(topic, new Uint8Array(randomBytes(200)))
      if (recipients > 0) count.sent++
      else count.noRecipients++
    } catch {
      count.failed++
    }
    if (++n % 50 === 0) await new Promise(resolve => setImmediate(resolve))
  }
}

const stop = async (): Promise<void> => {
  flooding = false
  out(`COUNT ${JSON.stringify(count)}`)
  await host.stop()
  process.exit(0)
}

createInterface({ input: process.stdin }).on('line', line => {
  if (line === 'GO' && !flooding) { flooding = true; void flood() }
  if (line === 'COUNT') out(`COUNT ${JSON.stringify(count)}`)
  if (line === 'STOP') void stop()
}).on('close', () => { void stop() })
