/**
 * `POST /v1/match` as a platform's pipeline calls it (issue 16 items 4, 5
 * and 10), against a real daemon (node + HTTP API) on a real node
 * directory: a missing or unreadable listings file is a named 400, not the
 * node's internal error; columns the matcher does not know come back in the
 * response (ignoredColumns) or refuse the file; a scan that fails leaves no
 * decisions, rejects or temporary file behind, also when it fails half-way
 * through the file; `outputFormat: csv` applies to the rejects too; and a
 * running scan's progress can be read.
 */
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDaemon } from '../../../node/daemon.js'
import { readApiInfo } from '../../../node/home.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'

type Daemon = Awaited<ReturnType<typeof startDaemon>>

describe('integration: POST /v1/match refusals and outputs (issue 16)', function () {
  this.timeout(120_000)
  let net: TestNet
  let daemon: Daemon
  let work: string

  before(async () => {
    net = await makeNodeDirs([{ org: 'platform', role: 'platform' }], { quorum: 1 })
    daemon = await startDaemon(net.dirs.platform, { logLevel: 'error', logSink: () => {} })
    work = join(net.root, 'work')
    mkdirSync(work)
  })
  after(async () => {
    await daemon?.stop()
    net?.cleanup()
  })

  async function call (method: string, path: string, body?: unknown): Promise<{ status: number, json: Record<string, any> }> {
    const info = await readApiInfo(net.dirs.platform)
    assert.ok(info !== undefined)
    const res = await fetch(`${info.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${info.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
    return { status: res.status, json: await res.json() as Record<string, any> }
  }

  const match = async (body: Record<string, unknown>): Promise<{ status: number, json: Record<string, any> }> => await call('POST', '/v1/match', body)
  const outputs = (): string[] => readdirSync(work).filter(f => !f.endsWith('.csv') || f.startsWith('out')).sort()

  it('a missing listings file is 400 listings_missing, a folder 400 listings_not_a_file; nothing is written', async () => {
    const missing = await match({ listings: join(work, 'nope.csv'), out: join(work, 'out.jsonl'), rejects: join(work, 'rej.jsonl') })
    assert.equal(missing.status, 400, JSON.stringify(missing.json))
    assert.equal(missing.json.error, 'listings_missing')
    assert.match(missing.json.message, /nope\.csv/)
    mkdirSync(join(work, 'folder.csv'))
    const folder = await match({ listings: join(work, 'folder.csv'), out: join(work, 'out.jsonl') })
    assert.equal(folder.status, 400, JSON.stringify(folder.json))
    assert.equal(folder.json.error, 'listings_not_a_file')
    assert.deepEqual(outputs(), [])
  })

  it('columns the matcher does not know are in the answer; strictColumns (or no known column) is 400 unknown_columns and writes nothing', async () => {
    writeFileSync(join(work, 'typos.csv'), 'listing_id,seller_acount,phone_number,email,title\nL1,shopmart:AbC1,+44 20 7946 0958,a@example.com,shoes\n')
    const ok = await match({ listings: join(work, 'typos.csv') })
    assert.equal(ok.status, 200, JSON.stringify(ok.json))
    assert.deepEqual(ok.json.ignoredColumns, [{ name: 'seller_acount', suggestion: 'seller_account' }, { name: 'phone_number', suggestion: 'phone' }, { name: 'title' }])
    const strict = await match({ listings: join(work, 'typos.csv'), out: join(work, 'out-strict.jsonl'), strictColumns: true })
    assert.equal(strict.status, 400)
    assert.equal(strict.json.error, 'unknown_columns')
    writeFileSync(join(work, 'none.csv'), 'listing_id,seller_acount\nL1,shopmart:AbC1\n')
    const none = await match({ listings: join(work, 'none.csv'), out: join(work, 'out-none.jsonl') })
    assert.equal(none.status, 400)
    assert.equal(none.json.error, 'unknown_columns')
    writeFileSync(join(work, 'clean.csv'), 'listing_id,email\nL1,a@example.com\n')
    const clean = await match({ listings: join(work, 'clean.csv') })
    assert.deepEqual(clean.json.ignoredColumns, [])
    assert.deepEqual(outputs(), [])
  })

  it('a scan that fails leaves no outputs and no temporary files: at the header, and half-way through a file', async () => {
    writeFileSync(join(work, 'noid.csv'), 'id,email\nL1,a@example.com\n')
    const early = await match({ listings: join(work, 'noid.csv'), out: join(work, 'out-early.jsonl'), rejects: join(work, 'out-early.rej') })
    assert.equal(early.status, 400)
    assert.equal(early.json.error, 'listings_format')
    // 3 MiB of good rows (several chunks decided and written), then a record longer than a chunk: the scan fails late
    const good = Array.from({ length: 60_000 }, (_, i) => `L${i},bad-email-${i}`).join('\n')
    writeFileSync(join(work, 'late.csv'), `listing_id,email\n${good}\nLX,"${'x'.repeat(2 << 20)}\n`)
    const late = await match({ listings: join(work, 'late.csv'), out: join(work, 'out-late.jsonl'), rejects: join(work, 'out-late.rej'), emit: 'all' })
    assert.equal(late.status, 400, JSON.stringify(late.json))
    assert.equal(late.json.error, 'listings_format')
    assert.deepEqual(outputs(), [], 'no decisions, no rejects, no .partial file')
  })

  it('outputFormat csv applies to decisions and rejects; a good scan publishes both under their names only', async () => {
    writeFileSync(join(work, 'mixed.csv'), 'listing_id,email,phone\nL1,a@example.com,+44 7700 900123\nL2,"not, an email",\n')
    const res = await match({ listings: join(work, 'mixed.csv'), out: join(work, 'out-d.csv'), rejects: join(work, 'out-r.csv'), outputFormat: 'csv', emit: 'all' })
    assert.equal(res.status, 200, JSON.stringify(res.json))
    assert.deepEqual(outputs(), ['out-d.csv', 'out-r.csv'])
    const rejects = readFileSync(join(work, 'out-r.csv'), 'utf8').trim().split('\n')
    assert.equal(rejects[0], 'line,listing_id,column,kind,why,bytes,value,reason')
    assert.deepEqual(rejects.slice(1).map(l => l.split(',').slice(0, 3).join(',')), ['2,L1,phone', '3,L2,email'])
    assert.match(rejects[2], /"not, an email"/, 'a value with a comma is quoted')
    assert.equal(readFileSync(join(work, 'out-d.csv'), 'utf8').split('\n')[0], 'line,listing_id,action,column,kind,status,match_action,fingerprint,orgs,disputed_by,expires')
    // the same outputs again: 409 already_exists, the files untouched, no temporary file left
    const before = readFileSync(join(work, 'out-r.csv'))
    const again = await match({ listings: join(work, 'mixed.csv'), out: join(work, 'out-d.csv'), rejects: join(work, 'out-r.csv'), outputFormat: 'csv' })
    assert.equal(again.status, 409)
    assert.deepEqual(readFileSync(join(work, 'out-r.csv')), before)
    assert.deepEqual(outputs(), ['out-d.csv', 'out-r.csv'])
  })

  it('GET /v1/match/progress: null when idle, the running scan\'s bytes and rows while one runs', async () => {
    const idle = await call('GET', '/v1/match/progress')
    assert.equal(idle.status, 200)
    assert.equal(idle.json.scan, null)
    const rows = Array.from({ length: 200_000 }, (_, i) => `L${i},seller${i}@example.com`).join('\n')
    writeFileSync(join(work, 'big.csv'), `listing_id,email\n${rows}\n`)
    const scanning = match({ listings: join(work, 'big.csv'), workers: 1 })
    let seen: Record<string, any> | null = null
    for (let i = 0; i < 400 && seen === null; i++) {
      const p = await call('GET', '/v1/match/progress')
      if (p.json.scan !== null) seen = p.json.scan
      else await new Promise(resolve => setTimeout(resolve, 10))
    }
    const done = await scanning
    assert.equal(done.status, 200)
    assert.ok(seen !== null, 'the running scan was seen')
    assert.equal(seen.file, 'big.csv')
    assert.equal(seen.totalBytes, readFileSync(join(work, 'big.csv')).length)
    assert.ok(seen.bytes <= seen.totalBytes)
    assert.equal((await call('GET', '/v1/match/progress')).json.scan, null)
  })
})
