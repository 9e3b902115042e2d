/**
 * The five-node scenario of the node tests with the toprf-ristretto255
 * suite, every node its own `alliance start` process: brand-a, platform and
 * police guard the key's shares (threshold 2). A phone written two ways is
 * listed at k = 2, a third brand's lone attestation is a candidate, a
 * retraction brings the phone back to candidate; with every guardian
 * stopped, no node can fingerprint a value it has not fingerprinted before,
 * whatever files it holds.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ExplainResult, NodeStatus } from '../../../node/service.js'
import { FIVE, makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { api, cli, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'
import { eventually } from '../../helpers/wait.js'

const GUARDIANS = ['brand-a', 'platform', 'police']
const alliance = cli

describe('integration: toprf-ristretto255, five node processes', function () {
  this.timeout(180_000)
  let net: TestNet
  const procs: Record<string, NodeProcess> = {}

  before(async function () {
    this.timeout(120_000)
    net = await makeNodeDirs(FIVE, { quorum: 2, roster: { policy: { suite: 'toprf-ristretto255' }, guardians: GUARDIANS, threshold: 2 } })
    // guardians publish their counts every second here (10 minutes by default)
    for (const g of GUARDIANS) {
      const f = join(net.dirs[g], 'config.json')
      writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), guardianCountsIntervalMs: 1000 }, null, 2))
    }
    await Promise.all(FIVE.map(async s => { procs[s.org] = await spawnNode(net.dirs[s.org]) }))
    await eventually(async () => (await Promise.all(FIVE.map(async s => await api<NodeStatus>(procs[s.org], '/v1/status')))).every(st => st.peers.length === FIVE.length - 1), 30_000, 'a full mesh')
  })

  after(async () => {
    await Promise.all(Object.values(procs).map(async p => await stopNode(p)))
    net?.cleanup()
  })

  const statusAll = async (fp: string): Promise<string[]> =>
    await Promise.all(FIVE.map(async s => (await api<ExplainResult>(procs[s.org], '/v1/explain', { fingerprint: fp })).status))

  it('status shows the guardians reachable and this org\'s quota', async () => {
    const s = await api<NodeStatus>(procs['brand-b'], '/v1/status')
    assert.equal(s.keyEpoch.suite, 'toprf-ristretto255')
    assert.equal(s.guardians?.threshold, 2)
    assert.deepEqual(s.guardians?.guardians.map(g => [g.org, g.connected]), GUARDIANS.map(o => [o, true]))
    assert.equal(s.guardians?.quota.limit, 1_000_000)
  })

  it('a phone in two notations is listed at k = 2, alone it is a candidate, a retraction brings it back', async () => {
    const a = await api<{ fingerprints: string[] }>(procs['brand-a'], '/v1/attest', { items: [{ kind: 'phone', value: '+44 20 7946 0958' }] })
    const fp = a.fingerprints[0]
    await eventually(async () => (await statusAll(fp)).every(s => s === 'candidate'), 20_000, 'candidate everywhere')
    const b = await api<{ fingerprints: string[] }>(procs['brand-b'], '/v1/attest', { items: [{ kind: 'phone', value: '020 7946 0958' }] })
    assert.equal(b.fingerprints[0], fp, 'a non-guardian gets the same fingerprint for the same phone written another way')
    await eventually(async () => (await statusAll(fp)).every(s => s === 'listed'), 20_000, 'listed everywhere')
    const c = await api<{ fingerprints: string[] }>(procs['brand-c'], '/v1/attest', { items: [{ kind: 'email', value: 'Lone.Seller@Example.com' }] })
    await eventually(async () => (await statusAll(c.fingerprints[0])).every(s => s === 'candidate'), 20_000, 'the lone attestation is a candidate everywhere')
    await api(procs['brand-b'], '/v1/retract', { kind: 'phone', value: '+442079460958' })
    await eventually(async () => (await statusAll(fp)).every(s => s === 'candidate'), 20_000, 'candidate again everywhere')
  })

  it('alliance quota shows each guardian\'s signed counts per org; alliance status names the guardians and the quota', async () => {
    await eventually(async () => {
      const q = JSON.parse((await alliance('quota', net.dirs['brand-c'], '--json')).stdout) as { days: Array<{ byOrg: Record<string, number>, byGuardian: Record<string, unknown> }> }
      return q.days.length > 0 && (q.days[0].byOrg['brand-a'] ?? 0) >= 1 && (q.days[0].byOrg['brand-b'] ?? 0) >= 1 && Object.keys(q.days[0].byGuardian).length >= 2
    }, 30_000, 'counts of brand-a and brand-b from at least two guardians, seen by brand-c')
    const text = (await alliance('quota', net.dirs['brand-c'], '--org', 'brand-b')).stdout
    assert.match(text, /quotas \(per UTC day, per guardian\): \*=1000000\/day/)
    assert.match(text, /brand-b\s+\d+ {2}\(/)
    const status = (await alliance('status', net.dirs['brand-b'])).stdout
    assert.match(status, /guardians\s+3 of 3 reachable, 2 needed/)
    assert.match(status, /quota\s+\d+ of 1000000 evaluations today/)
  })

  it('with every guardian stopped no node can fingerprint a new value (guardian or not); known values still are', async () => {
    await api(procs['brand-b'], '/v1/explain', { kind: 'email', value: 'known@example.com' })
    for (const g of GUARDIANS.filter(o => o !== 'brand-a')) await stopNode(procs[g])
    // brand-a holds a share but one share is not the key: it cannot fingerprint alone either
    for (const org of ['brand-a', 'brand-b']) {
      await assert.rejects(api(procs[org], '/v1/explain', { kind: 'email', value: `new-${org}@example.com` }), /HTTP 503 .*not_enough_guardians/)
    }
    await stopNode(procs['brand-a'])
    await assert.rejects(api(procs['brand-b'], '/v1/explain', { kind: 'email', value: 'another@example.com' }), /HTTP 503 .*not_enough_guardians/)
    const known = await api<ExplainResult>(procs['brand-b'], '/v1/explain', { kind: 'email', value: 'known@example.com' })
    assert.equal(known.status, 'absent')
  })
})
