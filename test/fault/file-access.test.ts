/**
 * The API token does not grant the node's file system (issue 12 item 9).
 *
 * Real daemons (node + HTTP API, startDaemon) on real node directories;
 * every request over HTTP with the token. An attacker holding the token
 * tries to have the node read its own signing key as report evidence
 * (directly, through a symbolic link, a linked directory and a hard link)
 * and to have a scan or an export write over the node's files, over an
 * existing file and through a symbolic link. Each is refused by name
 * (400 file_not_allowed, 409 already_exists), nothing is queued and no
 * byte of the targeted files changes; the same requests with honest paths
 * succeed, and a `files` allow-list in config.json confines them further.
 */
import assert from 'node:assert/strict'
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDaemon } from '../../node/daemon.js'
import { API_FILE, CONFIG_FILE, readApiInfo } from '../../node/home.js'
import { keyFilePaths } from '../../node/keys.js'
import { makeNodeDirs, type TestNet } from '../helpers/nodes.js'
import { reportInput } from '../integration/reports/helpers.js'
import { record } from './helpers/scale.js'

type Daemon = Awaited<ReturnType<typeof startDaemon>>

describe('fault: file access through the API (issue 12 item 9)', function () {
  this.timeout(120_000)
  let net: TestNet
  const daemons: Record<string, Daemon> = {}
  const refused: Record<string, number> = {}

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'platform', role: 'platform' }, { org: 'police', role: 'law-enforcement' }])
    for (const org of ['brand-a', 'platform']) daemons[org] = await startDaemon(net.dirs[org], { logLevel: 'error', logSink: () => {} })
  })
  after(async () => {
    for (const d of Object.values(daemons)) await d.stop()
    record('file access through the API', refused)
    net?.cleanup()
  })

  async function call (org: string, method: string, path: string, body: unknown): Promise<{ status: number, error?: string, body: Record<string, unknown> }> {
    const info = await readApiInfo(net.dirs[org])
    assert.ok(info !== undefined)
    const res = await fetch(`${info.url}${path}`, { method, headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const json = await res.json() as Record<string, unknown>
    return { status: res.status, error: typeof json.error === 'string' ? json.error : undefined, body: json }
  }

  async function sendEvidence (path: string): Promise<{ status: number, error?: string, body: Record<string, unknown> }> {
    return await call('brand-a', 'POST', '/v1/reports', { to: ['police'], report: reportInput([]), evidence: [path] })
  }

  async function outboxSize (): Promise<number> {
    const res = await fetch(`${daemons['brand-a'].apiUrl}/v1/reports/outbox`, { headers: { authorization: `Bearer ${(await readApiInfo(net.dirs['brand-a']))?.token ?? ''}` } })
    return (await res.json() as unknown[]).length
  }

  it('evidence: the node\'s signing key is refused as evidence directly, through a symbolic link, a linked directory and a hard link; nothing is queued', async () => {
    const key = keyFilePaths(net.dirs['brand-a']).sign
    const before = readFileSync(key)
    const attempts: Record<string, string> = {
      direct: key,
      'dot-dot': join(net.root, 'platform', '..', 'brand-a', 'keys', 'sign.key'),
      'api token': join(net.dirs['brand-a'], API_FILE),
      'symbolic link': join(net.root, 'innocent.pdf'),
      'linked directory': join(net.root, 'case-files', 'sign.key'),
      'hard link': join(net.root, 'photo.jpg')
    }
    symlinkSync(key, attempts['symbolic link'])
    symlinkSync(keyFilePaths(net.dirs['brand-a']).dir, join(net.root, 'case-files'))
    linkSync(key, attempts['hard link'])
    for (const [how, path] of Object.entries(attempts)) {
      const res = await sendEvidence(path)
      assert.equal(res.status, 400, `${how}: ${res.status} ${JSON.stringify(res.body)}`)
      assert.equal(res.error, 'file_not_allowed', how)
      refused[`evidence ${how}`] = 1
    }
    assert.equal(await outboxSize(), 0, 'nothing was queued')
    assert.deepEqual(readFileSync(key), before)

    // the control: an honest evidence file is read, signed and queued
    const honest = join(net.root, 'test-buy.txt')
    writeFileSync(honest, 'receipt of a test buy\n')
    const ok = await sendEvidence(honest)
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    assert.equal(await outboxSize(), 1)
  })

  it('match: out and rejects never write into the node directory, over an existing file (unless force) or through a symbolic link', async () => {
    const dir = net.dirs.platform
    const listings = join(net.root, 'listings.csv')
    writeFileSync(listings, 'listing_id,seller_account\nL1,shopmart:someone\n')
    const victim = join(net.root, 'victim.txt')
    writeFileSync(victim, 'precious\n')
    symlinkSync(victim, join(net.root, 'decisions-link.jsonl'))
    const token = readFileSync(join(dir, API_FILE))
    const config = readFileSync(join(dir, CONFIG_FILE))
    const attempts: Array<[string, Record<string, unknown>, number, string]> = [
      ['out = api.json', { out: join(dir, API_FILE) }, 400, 'file_not_allowed'],
      ['rejects = config.json', { out: join(net.root, 'd1.jsonl'), rejects: join(dir, CONFIG_FILE) }, 400, 'file_not_allowed'],
      ['out = a new file in keys/', { out: join(dir, 'keys', 'new.key') }, 400, 'file_not_allowed'],
      ['listings = the signing key', { listings: keyFilePaths(dir).sign, out: join(net.root, 'd2.jsonl') }, 400, 'file_not_allowed'],
      ['out through a symbolic link', { out: join(net.root, 'decisions-link.jsonl') }, 400, 'file_not_allowed'],
      ['out over an existing file', { out: victim }, 409, 'already_exists']
    ]
    for (const [how, req, status, error] of attempts) {
      const res = await call('platform', 'POST', '/v1/match', { listings, workers: 1, ...req })
      assert.equal(res.status, status, `${how}: ${res.status} ${JSON.stringify(res.body)}`)
      assert.equal(res.error, error, how)
      refused[`match ${how}`] = 1
    }
    assert.deepEqual(readFileSync(join(dir, API_FILE)), token)
    assert.deepEqual(readFileSync(join(dir, CONFIG_FILE)), config)
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n')
    assert.ok(!existsSync(join(dir, 'keys', 'new.key')))
    assert.ok(!existsSync(join(net.root, 'd1.jsonl')), 'a refused rejects file leaves no decisions file behind')

    // the controls: a new file is written; force replaces an existing one
    const fresh = await call('platform', 'POST', '/v1/match', { listings, out: join(net.root, 'decisions.jsonl'), emit: 'all', workers: 1 })
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body))
    assert.match(readFileSync(join(net.root, 'decisions.jsonl'), 'utf8'), /L1/)
    const forced = await call('platform', 'POST', '/v1/match', { listings, out: victim, emit: 'all', workers: 1, force: true })
    assert.equal(forced.status, 200, JSON.stringify(forced.body))
    assert.match(readFileSync(victim, 'utf8'), /L1/)
  })

  it('export: a bundle is never written into the node directory', async () => {
    const [sent] = await (await fetch(`${daemons['brand-a'].apiUrl}/v1/reports/outbox`, { headers: { authorization: `Bearer ${(await readApiInfo(net.dirs['brand-a']))?.token ?? ''}` } })).json() as Array<{ id: string }>
    const res = await call('brand-a', 'POST', `/v1/reports/${sent.id}/export`, { out: join(net.dirs['brand-a'], 'keys', 'bundle') })
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.equal(res.error, 'file_not_allowed')
    refused['export into keys/'] = 1
    const ok = await call('brand-a', 'POST', `/v1/reports/${sent.id}/export`, { out: join(net.root, 'case.bundle') })
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
  })

  it('config.json files.read / files.write confine requests to the directories they name', async () => {
    const dir = net.dirs.platform
    await daemons.platform.stop()
    const inbox = join(net.root, 'scans-in')
    const outbox = join(net.root, 'scans-out')
    mkdirSync(inbox)
    mkdirSync(outbox)
    const config = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as Record<string, unknown>
    writeFileSync(join(dir, CONFIG_FILE), JSON.stringify({ ...config, files: { read: [inbox], write: [outbox] } }))
    daemons.platform = await startDaemon(dir, { logLevel: 'error', logSink: () => {} })
    const inside = join(inbox, 'listings.csv')
    writeFileSync(inside, 'listing_id,seller_account\nL1,shopmart:someone\n')
    const outside = join(net.root, 'listings-elsewhere.csv')
    writeFileSync(outside, 'listing_id,seller_account\nL1,shopmart:someone\n')
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['listings outside files.read', { listings: outside, out: join(outbox, 'a.jsonl') }],
      ['out outside files.write', { listings: inside, out: join(net.root, 'b.jsonl') }],
      ['out in files.read only', { listings: inside, out: join(inbox, 'c.jsonl') }]
    ]
    for (const [how, req] of attempts) {
      const res = await call('platform', 'POST', '/v1/match', { workers: 1, ...req })
      assert.equal(res.status, 400, `${how}: ${res.status} ${JSON.stringify(res.body)}`)
      assert.equal(res.error, 'file_not_allowed', how)
      refused[how] = 1
    }
    const ok = await call('platform', 'POST', '/v1/match', { listings: inside, out: join(outbox, 'd.jsonl'), workers: 1 })
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
  })
})
