/**
 * What an operator sees of the alliance (issue 16 item 9), with real node
 * processes: `status` lists every member of the roster, the offline ones
 * too, with the last contact (kept across a restart of the node asking),
 * and `roster show` puts a roster file or a node's roster in words, with
 * the genesis id that `report verify --genesis` pins.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toHex } from '../../../protocol/bytes.js'
import { installedRoster } from '../../../node/roster-file.js'
import type { NodeStatus } from '../../../node/service.js'
import type { RosterShowView } from '../../../node/cli/roster-show.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'
import { eventually } from '../../helpers/wait.js'
import { alliance } from './helpers.js'

describe('integration: status lists every member with its last contact; roster show (real processes)', function () {
  this.timeout(300_000)
  let net: TestNet
  const procs: Record<string, NodeProcess> = {}

  before(async () => {
    net = await makeNodeDirs([
      { org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' },
      { org: 'police', role: 'law-enforcement' }, { org: 'platform', role: 'platform' }
    ], { quorum: 2 })
    for (const org of ['brand-a', 'brand-b', 'police']) procs[org] = await spawnNode(net.dirs[org])
  })
  after(async () => {
    for (const p of Object.values(procs)) await stopNode(p)
    net?.cleanup()
  })

  const members = async (): Promise<Record<string, NodeStatus['members'][number]>> =>
    Object.fromEntries((await api<NodeStatus>(procs['brand-a'], '/v1/status')).members.map(m => [m.org, m]))

  it('an offline member is listed with its last contact, a member never seen as never contacted; kept across a restart', async () => {
    await eventually(async () => { const m = await members(); return m['brand-b'].connected === 1 && m.police.connected === 1 }, 60_000, 'brand-a connects to brand-b and police')
    const stoppedAt = Date.now()
    await stopNode(procs.police)
    delete procs.police
    await eventually(async () => (await members()).police.connected === 0, 30_000, 'brand-a sees police gone')

    const r = await alliance(['status', net.dirs['brand-a'], '--json'])
    assert.equal(r.code, 0, r.stderr)
    const m = Object.fromEntries((JSON.parse(r.stdout) as NodeStatus).members.map(x => [x.org, x]))
    assert.deepEqual(Object.keys(m), ['brand-a', 'brand-b', 'police', 'platform'], 'every member, in roster order')
    assert.equal(m['brand-a'].self, true)
    assert.equal(m['brand-b'].connected, 1)
    assert.equal(m.police.connected, 0)
    assert.ok(m.police.lastContact !== null && Math.abs(Date.parse(m.police.lastContact) - stoppedAt) < 30_000, `police last contact ${String(m.police.lastContact)}`)
    assert.equal(m.platform.lastContact, null, 'never started: never contacted')
    assert.deepEqual(m.police.roles, ['law-enforcement'])

    const human = await alliance(['status', net.dirs['brand-a']])
    assert.match(human.stdout, /police \(law-enforcement\): OFFLINE, last contact \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ (s|min) ago\)/)
    assert.match(human.stdout, /platform \(platform\): OFFLINE, never contacted/)
    assert.match(human.stdout, /brand-b \(brand\): connected/)

    // brand-a restarts: police is still down, and its last contact is remembered
    await stopNode(procs['brand-a'])
    procs['brand-a'] = await spawnNode(net.dirs['brand-a'])
    const after = await members()
    assert.equal(after.police.connected, 0)
    assert.equal(after.police.lastContact, m.police.lastContact, 'the last contact survived the restart')
  })

  it('roster show: a roster file and a node directory in words, with the genesis id report verify --genesis takes', async () => {
    const genesis = toHex((await installedRoster(net.dirs['brand-a'])).chain.versions[0].id)
    const file = join(net.root, 'roster.json')
    writeFileSync(file, JSON.stringify(net.roster))
    const r = await alliance(['roster', 'show', file, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const v = JSON.parse(r.stdout) as RosterShowView
    assert.equal(v.genesisId, genesis)
    assert.deepEqual({ version: v.version, quorum: v.quorum, governance: v.governanceThreshold, suite: v.suite, epoch: v.epoch, guardians: v.guardians },
      { version: 1, quorum: 2, governance: 3, suite: 'hmac-sha256', epoch: 1, guardians: null })
    assert.deepEqual(v.members.map(m => [m.org, m.roles, m.nodes.length]), [['brand-a', ['brand'], 1], ['brand-b', ['brand'], 1], ['police', ['law-enforcement'], 1], ['platform', ['platform'], 1]])
    assert.deepEqual([...v.signedBy].sort(), ['brand-a', 'brand-b', 'platform', 'police'])

    const dir = await alliance(['roster', 'show', net.dirs['brand-b']])
    assert.equal(dir.code, 0, dir.stderr)
    assert.match(dir.stdout, new RegExp(`genesis id +${genesis}`))
    assert.match(dir.stdout, /in force on its running node/)
    assert.match(dir.stdout, /quorum +2 of 4 orgs must vouch/)
    assert.match(dir.stdout, /governance +3 of 4 orgs approve/)
    assert.match(dir.stdout, /police +law-enforcement/)

    const stopped = await alliance(['roster', 'show', net.dirs.platform, '--json'])
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.match((JSON.parse(stopped.stdout) as RosterShowView).source, /installed; its node is not running/)

    const missing = await alliance(['roster', 'show', join(net.root, 'nope.json')])
    assert.equal(missing.code, 2)
    assert.equal(missing.stderr.trim().split('\n').length, 1)
    // the genesis id is the one report verify pins
    assert.equal(v.genesisId?.length, 64)
  })
})
