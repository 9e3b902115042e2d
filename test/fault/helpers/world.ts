/**
 * The world the fuzz targets run in: a three-member alliance on disk (real
 * key files, a signed roster, LevelDB), one node opened in this process
 * holding logs of all three members (so its blocklist is not empty), and a
 * corpus of valid signed segments to mutate — some the node already holds,
 * some it does not.
 */
import { AllianceNode } from '../../../node/alliance-node.js'
import type { NodeKeys } from '../../../node/keys.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { DAY, attestation, feed, memberKeys, signed, type Signed } from './fixtures.js'

export const WORLD_ORGS = [
  { org: 'brand-a', role: 'brand' as const },
  { org: 'brand-b', role: 'brand' as const },
  { org: 'brand-c', role: 'brand' as const }
]

export interface FuzzWorld {
  net: TestNet
  /** brand-a's node, opened (not started unless `start` was asked for). */
  node: AllianceNode
  keys: Record<string, NodeKeys>
  /** Valid signed segments the node holds (replays: 'duplicate'). */
  held: Signed[]
  /** Valid signed segments the node does not hold yet (brand-b's next entries). */
  fresh: Signed[]
  close: () => Promise<void>
}

export async function fuzzWorld (opts: { start?: boolean } = {}): Promise<FuzzWorld> {
  const net = await makeNodeDirs(WORLD_ORGS, { quorum: 2 })
  const keys = await memberKeys(net)
  const node = await AllianceNode.open({ dir: net.dirs['brand-a'], logLevel: 'error', logSink: () => {} })
  if (opts.start === true) await node.start()
  const held: Signed[] = []
  // brand-a's own log, through the authoring path
  await node.attest(Array.from({ length: 20 }, (_, i) => ({ kind: 'email' as const, value: `seller${i}@example.com` })))
  // brand-b and brand-c vouch for overlapping fingerprints: some are listed
  for (const size of [1, 5, 20]) held.push(...await feed(node, keys['brand-b'].sign, 1, size))
  for (const size of [1, 12]) held.push(...await feed(node, keys['brand-c'].sign, 1, size))
  const now = Date.now()
  const head = node.ingestor.headOf(keys['brand-b'].sign.publicKey)
  const next = (head?.seq ?? 0) + 1
  const fresh = [
    signed(keys['brand-b'].sign, node.alliance, head, [attestation(next, now + 30 * DAY, 7)], now),
    signed(keys['brand-b'].sign, node.alliance, head, [0, 1, 2].map(i => attestation(next + i, now + 30 * DAY, 8)), now)
  ]
  return {
    net,
    node,
    keys,
    held,
    fresh,
    close: async () => {
      await node.stop()
      net.cleanup()
    }
  }
}
