import { strict as assert } from 'node:assert'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initNodeDir, readConfig } from '../../../node/home.js'

describe('node/home config.json', function () {
  this.timeout(20_000)
  let dir: string
  let good: Record<string, unknown>
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'alliance-config-')), 'node')
    await initNodeDir(dir, { org: 'brand-a', role: 'brand', name: 'Brand A' })
    good = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))
  })
  after(async () => { await rm(join(dir, '..'), { recursive: true, force: true }) })

  const write = async (c: unknown): Promise<void> => { await writeFile(join(dir, 'config.json'), typeof c === 'string' ? c : JSON.stringify(c)) }
  const refused = async (c: unknown, why: RegExp): Promise<void> => {
    await write(c)
    await assert.rejects(readConfig(dir), (err: Error) => err.name === 'InvalidConfigError' && why.test(err.message) && err.message.includes(join(dir, 'config.json')))
  }

  it('names the field and the rule of each bad value, the top level for an unknown key, and the file when it is not JSON', async () => {
    await refused({ ...good, antiEntropyPeers: 0, pingIntervalMs: 5 }, /antiEntropyPeers: Too small.*; pingIntervalMs: Too small/)
    await refused({ ...good, antiEntropyPeer: 8 }, /: \(top level\): Unrecognized key: "antiEntropyPeer"$/)
    await refused('{ "version": 1, }', /is not valid JSON \(/)
    await write(good)
    assert.equal((await readConfig(dir)).org, 'brand-a')
  })
})
