/**
 * The roster update path as an operator runs it: three `alliance start`
 * processes, then `alliance roster next / sign / install` from the shell.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { epochKeyPath } from '../../../node/home.js'
import type { NodeStatus } from '../../../node/service.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../../../bin/alliance.js', import.meta.url))
const alliance = async (...args: string[]): Promise<{ stdout: string }> => await run(process.execPath, [CLI, ...args])

describe('integration: roster update from the CLI', function () {
  this.timeout(120_000)
  let net: TestNet
  const procs: Record<string, NodeProcess> = {}

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }, { org: 'brand-c', role: 'brand' }], { quorum: 2 })
    for (const org of ['brand-a', 'brand-b', 'brand-c']) procs[org] = await spawnNode(net.dirs[org])
  })

  after(async () => {
    await Promise.all(Object.values(procs).map(async p => await stopNode(p)))
    net?.cleanup()
  })

  it('roster next → sign by the governance threshold → install removes a member on every node', async () => {
    const v2 = join(net.root, 'roster-v2.json')
    const drafted = JSON.parse((await alliance('roster', 'next', net.dirs['brand-a'], '--remove', 'brand-c', '--rotate-key', '--out', v2, '--json')).stdout)
    assert.deepEqual({ epoch: drafted.epoch, rotateKey: drafted.rotateKey }, { epoch: 2, rotateKey: true })
    const first = JSON.parse((await alliance('roster', 'sign', net.dirs['brand-a'], v2, '--json')).stdout)
    assert.deepEqual(first.signedBy, ['brand-a'])
    await assert.rejects(alliance('roster', 'install', net.dirs['brand-a'], v2), (err: { code?: number, stderr?: string }) => err.code !== 0 && /signatures of 1 orgs, needs 2/.test(err.stderr ?? ''))
    await alliance('roster', 'sign', net.dirs['brand-b'], v2)
    const out = JSON.parse((await alliance('roster', 'install', net.dirs['brand-a'], v2, '--json')).stdout)
    assert.deepEqual({ version: out.version, changed: out.changed }, { version: 2, changed: true })
    await eventually(async () => (await api<NodeStatus>(procs['brand-b'], '/v1/status')).rosterVersion === 2, 30_000, 'brand-b adopts v2')
    await eventually(async () => !(await api<NodeStatus>(procs['brand-b'], '/v1/status')).peers.some(p => p.org === 'brand-c'), 30_000, 'brand-c cut off')
    // the key epoch rotated: both remaining members moved to epoch 2 and cut over; brand-c holds no key of it
    for (const org of ['brand-a', 'brand-b']) {
      await eventually(async () => {
        const k = (await api<NodeStatus>(procs[org], '/v1/status')).keyEpoch
        return k.epoch === 2 && k.phase === 'steady'
      }, 30_000, `${org} moves to epoch 2 and cuts over`)
      assert.equal(existsSync(epochKeyPath(net.dirs[org], 1)), false, `${org} destroyed the epoch-1 key`)
    }
    assert.equal(existsSync(epochKeyPath(net.dirs['brand-c'], 2)), false, 'the removed member never gets the new key')
    const status = (await alliance('status', net.dirs['brand-b'])).stdout
    assert.match(status, /key epoch\s+hmac-sha256 epoch 2/)
  })
})
