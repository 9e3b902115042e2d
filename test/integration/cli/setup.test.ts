/** What a new member trips over while setting up (issue 16): country codes, phone reasons, folders that are not nodes. */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alliance, type Run } from './helpers.js'

function oneLine (r: Run): string {
  const lines = r.stderr.split('\n').filter(l => l.length > 0)
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${r.stderr}`)
  return lines[0]
}

describe('integration: alliance set-up details (CLI)', function () {
  this.timeout(120_000)
  let tmp: string
  before(async () => { tmp = await mkdtemp(join(tmpdir(), 'alliance-setup-')) })
  after(async () => { await rm(tmp, { recursive: true, force: true }) })

  it('init --country UK is refused (the phone rules know GB) and creates nothing; gb is stored as GB', async () => {
    const bad = await alliance(['init', join(tmp, 'uk'), '--org', 'brand-a', '--role', 'brand', '--country', 'UK'])
    assert.equal(bad.code, 2)
    assert.match(oneLine(bad), /GB/)
    await assert.rejects(stat(join(tmp, 'uk')), { code: 'ENOENT' })

    const ok = await alliance(['init', join(tmp, 'gb'), '--org', 'brand-a', '--role', 'brand', '--country', 'gb', '--json'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal((JSON.parse(await readFile(join(tmp, 'gb', 'config.json'), 'utf8')) as { defaultCountry: string }).defaultCountry, 'GB')
  })

  it('a config.json edited to an unknown country is refused when read, naming the file', async () => {
    const file = join(tmp, 'gb', 'config.json')
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    await writeFile(file, JSON.stringify({ ...config, defaultCountry: 'UK' }))
    const r = await alliance(['card', join(tmp, 'gb')])
    assert.equal(r.code, 2)
    assert.ok(oneLine(r).includes(file))
    await writeFile(file, JSON.stringify(config))
  })

  it('status on a folder that is not a node says so (exit 2), not "no daemon running"', async () => {
    await mkdir(join(tmp, 'empty'))
    const r = await alliance(['status', join(tmp, 'empty')])
    assert.equal(r.code, 2)
    assert.match(oneLine(r), /not a node directory/)
    const node = await alliance(['status', join(tmp, 'gb')])
    assert.equal(node.code, 3, 'a node directory without its daemon: exit 3 as before')
  })
})
