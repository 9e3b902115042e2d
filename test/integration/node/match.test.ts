/**
 * Local matching through the running node: the platform scans a listings
 * file, decisions are explained, invalid identifiers go to the rejects file
 * with row numbers, a disputed fingerprint gives screen, and a fingerprint
 * listed after the scan produces a retroactive decision without a rescan.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { AllianceNode } from '../../../node/alliance-node.js'
import { SEEN_FILE } from '../../../node/home.js'
import { readSeenFile, writeSeenSnapshot } from '../../../node/match/seen-snapshot.js'
import { FOUR, useRunningNodes, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'

const LISTINGS = [
  'listing_id,seller_account,email,phone,shop_url',
  'L1,shopmart:fake_watches,,,', // listed (brands a + b) → block
  'L2,,Fake.Watches+deals@gmail.com,,', // same e-mail written differently, listed → block
  'L3,,honest@example.org,+44 7400 123456,', // nothing known → none
  'L4,,,07400 999001,', // one brand only → candidate → screen
  'L5,,,not-a-phone,https://cheap-rolex.myshopify.com/p/1', // invalid phone → rejects; shop disputed → screen
  'L6,shopmart:later_listed,,,' // candidate at scan time (screen), listed after the scan → retroactive block
].join('\n') + '\n'

describe('integration: local matching', function () {
  this.timeout(90_000)
  const alliance = useRunningNodes(FOUR)
  let net: TestNet
  let nodes: Record<string, AllianceNode>
  beforeEach(() => { ({ net, nodes } = alliance) })

  it('scans listings: block, screen, none with explanations; invalid values to the rejects file; retroactive decisions later', async () => {
    for (const org of ['brand-a', 'brand-b']) {
      await nodes[org].attest([
        { kind: 'seller-account', value: 'shopmart:fake_watches' },
        { kind: 'email', value: 'fakewatches@gmail.com' },
        { kind: 'domain', value: 'cheap-rolex.myshopify.com' }
      ])
    }
    await nodes['brand-c'].attest([{ kind: 'phone', value: '+44 7400 999001' }, { kind: 'seller-account', value: 'shopmart:later_listed' }])
    await nodes['brand-c'].allow({ kind: 'domain', value: 'https://cheap-rolex.myshopify.com' })
    const platform = nodes.platform
    await eventually(async () => {
      const s = await platform.status()
      return s.blocklist.listed === 2 && s.blocklist.disputed === 1 && s.blocklist.candidate === 2
    }, 20_000, 'the platform sees 2 listed, 1 disputed, 2 candidates')

    const listings = join(net.root, 'listings.csv')
    const out = join(net.root, 'decisions.jsonl')
    const rejects = join(net.root, 'rejects.jsonl')
    writeFileSync(listings, LISTINGS)
    const summary = await platform.match({ listings, out, rejects, emit: 'all', workers: 1 })
    assert.equal(summary.rows, 6)
    assert.deepEqual(summary.decisions, { block: 2, screen: 3, none: 1 })
    assert.equal(summary.invalid.identifiers, 1)
    // the scan is remembered for the console's Matching page: counts, never the path
    const [scan] = await platform.matchRecent()
    assert.deepEqual({ file: scan.file, rows: scan.rows, decisions: scan.decisions, rejects: scan.rejects }, { file: basename(listings), rows: 6, decisions: { block: 2, screen: 3, none: 1 }, rejects: 1 })

    const decisions = readFileSync(out, 'utf8').trim().split('\n').map(l => JSON.parse(l))
    const byId = Object.fromEntries(decisions.map(d => [d.listingId, d]))
    assert.equal(byId.L1.action, 'block')
    assert.deepEqual(byId.L1.matches[0].orgs, ['brand-a', 'brand-b'])
    assert.equal(byId.L1.matches[0].column, 'seller_account')
    assert.equal(byId.L2.action, 'block')
    assert.equal(byId.L3.action, 'none')
    assert.equal(byId.L4.action, 'screen')
    assert.equal(byId.L5.action, 'screen', 'a disputed fingerprint is screened, not blocked')
    assert.equal(byId.L5.matches[0].status, 'disputed')
    assert.equal(byId.L6.action, 'screen')
    const rejected = readFileSync(rejects, 'utf8').trim().split('\n').map(l => JSON.parse(l))
    assert.equal(rejected.length, 1)
    assert.equal(rejected[0].column, 'phone')
    assert.equal(rejected[0].line, 6, 'the row number of L5 in the file (header is line 1)')

    // retroactive: a second brand attests L6's seller after the scan
    const t = Date.now()
    await nodes['brand-a'].attest([{ kind: 'seller-account', value: 'shopmart:later_listed' }])
    await eventually(async () => (await platform.matchRetro(t)).some(d => d.listingId === 'L6' && d.action === 'block'), 20_000, 'a retroactive block for L6')
    const retro = (await platform.matchRetro(t)).find(d => d.listingId === 'L6')
    assert.deepEqual(retro?.matches[0].orgs, ['brand-a', 'brand-c'])
    // ISO times like every other answer (issue 16 item 10): when the listing was scanned, when the decision was made
    assert.match(retro?.seenAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    assert.ok(Date.parse(retro?.seenAt ?? '') <= t && Date.parse(retro?.decidedAt ?? '') >= Date.parse(retro?.seenAt ?? ''))
  })

  it('the scanned listings survive a restart of the platform\'s node: a fingerprint listed afterwards still gives a retroactive decision', async () => {
    const listings = join(net.root, 'listings-2.csv')
    writeFileSync(listings, 'listing_id,seller_account\nR1,shopmart:listed_after_restart\nR2,shopmart:never_mentioned\n')
    await nodes['brand-a'].attest([{ kind: 'seller-account', value: 'shopmart:listed_after_restart' }])
    await eventually(async () => (await nodes.platform.explain({ kind: 'seller-account', value: 'shopmart:listed_after_restart' })).status === 'candidate', 15_000, 'candidate on the platform')
    const summary = await nodes.platform.match({ listings })
    assert.equal(summary.rows, 2)
    assert.ok(existsSync(join(net.dirs.platform, SEEN_FILE)), 'the scan saved the seen listings')

    await nodes.platform.stop()
    const platform = await AllianceNode.open({ dir: net.dirs.platform, logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: 2000 })
    await platform.start()
    nodes.platform = platform // the suite's after hook stops it
    assert.ok(platform.matching.seen.listings >= 2, 'the listings of earlier scans were loaded')
    await eventually(() => platform.host.connectedPeers().length >= 3, 20_000, 'the platform reconnected')

    const t = Date.now()
    await nodes['brand-b'].attest([{ kind: 'seller-account', value: 'shopmart:listed_after_restart' }])
    await eventually(async () => (await platform.matchRetro(t)).some(d => d.listingId === 'R1' && d.action === 'block'), 20_000, 'a retroactive block for R1 after the restart')
    assert.ok(!(await platform.matchRetro(t)).some(d => d.listingId === 'R2'))
  })

  it('a seen.bin written under another key epoch is not used: the node starts with a warning and a fresh memory', async () => {
    const path = join(net.dirs.platform, SEEN_FILE)
    const policy = nodes.platform.ingestor.chain.current.roster.policy
    await nodes.platform.stop()
    const file = await readSeenFile(path)
    assert.ok(file !== undefined && file.arrays.idStart.length >= 2, 'the earlier scans are on disk')
    assert.equal(file.header.format, 2)
    assert.equal(file.header.fingerprints.suite, policy.suite, 'the file names the roster\'s suite')
    assert.equal(file.header.fingerprints.epoch, policy.epoch, 'the file names the roster\'s key epoch')

    await writeSeenSnapshot(path, file.arrays, { suite: policy.suite, epoch: policy.epoch + 1 })
    const lines: string[] = []
    const platform = await AllianceNode.open({ dir: net.dirs.platform, logLevel: 'warn', logSink: (l) => lines.push(l), antiEntropyIntervalMs: 2000 })
    await platform.start()
    nodes.platform = platform // the suite's after hook stops it
    assert.equal(platform.matching.seen.listings, 0, 'fingerprints of another epoch were not loaded')
    const warning = lines.map(l => JSON.parse(l)).find(e => e.msg.startsWith('seen listings not loaded'))
    assert.equal(warning?.level, 'warn')
    assert.equal(warning?.reason, 'seen_snapshot_epoch')
  })
})
