/**
 * Commands against a running node process, as a platform runs them from a
 * script: `match` (a missing listings file is named, exit 2; a failed scan
 * leaves no decisions or rejects file behind; --account-platform),
 * `canonical`, and the notice of an `attest --ttl` the roster caps.
 */
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'
import { alliance, BIN, run, type Run } from './helpers.js'

function oneLine (r: Run): string {
  const lines = r.stderr.split('\n').filter(l => l.length > 0)
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${r.stderr}`)
  return lines[0]
}

describe('integration: CLI commands against a node process (match, canonical, attest --ttl)', function () {
  this.timeout(180_000)
  let net: TestNet
  let node: NodeProcess | undefined
  let dir: string
  let work: string

  before(async () => {
    net = await makeNodeDirs([{ org: 'platform', role: 'platform' }], { quorum: 1 })
    dir = net.dirs.platform
    work = join(net.root, 'work')
    await mkdir(work)
    node = await spawnNode(dir)
  })

  after(async () => {
    if (node !== undefined) await stopNode(node)
    net?.cleanup()
  })

  it('a missing listings file is named in one line (exit 2) and nothing is written', async () => {
    const r = await alliance(['match', dir, '--listings', 'missing.csv', '--out', 'decisions.jsonl'], { cwd: work })
    assert.equal(r.code, 2)
    assert.match(oneLine(r), /missing\.csv/)
    assert.deepEqual(await readdir(work), [])
  })

  it('a scan the node refuses leaves no decisions or rejects file; a good scan leaves both and no partial file', async () => {
    await writeFile(join(work, 'bad.csv'), 'id,seller\nL1,shopmart:x\n') // no listing_id column
    const bad = await alliance(['match', dir, '--listings', 'bad.csv', '--out', 'decisions.jsonl'], { cwd: work })
    assert.notEqual(bad.code, 0)
    oneLine(bad)
    assert.deepEqual(await readdir(work), ['bad.csv'])

    await writeFile(join(work, 'good.csv'), 'listing_id,phone\nL1,+44 20 7946 0958\nL2,+44 7700 900123\n')
    const good = await alliance(['match', dir, '--listings', 'good.csv', '--out', 'decisions.jsonl', '--emit', 'all'], { cwd: work })
    assert.equal(good.code, 0, good.stderr)
    assert.deepEqual((await readdir(work)).sort(), ['bad.csv', 'decisions.jsonl', 'decisions.jsonl.rejects.jsonl', 'good.csv'])
    assert.equal((await readFile(join(work, 'decisions.jsonl'), 'utf8')).trim().split('\n').length, 2)
    const rejects = (await readFile(join(work, 'decisions.jsonl.rejects.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { why: string })
    assert.deepEqual(rejects.map(r => r.why), ['unassigned_number'])

    // issue 12 item 9: the same outputs again are refused (nothing replaced) unless --force
    const before = await readFile(join(work, 'decisions.jsonl'), 'utf8')
    const again = await alliance(['match', dir, '--listings', 'good.csv', '--out', 'decisions.jsonl'], { cwd: work })
    assert.equal(again.code, 1, again.stderr)
    oneLine(again)
    assert.equal(await readFile(join(work, 'decisions.jsonl'), 'utf8'), before)
    const forced = await alliance(['match', dir, '--listings', 'good.csv', '--out', 'decisions.jsonl', '--force'], { cwd: work })
    assert.equal(forced.code, 0, forced.stderr)
    assert.notEqual(await readFile(join(work, 'decisions.jsonl'), 'utf8'), before, 'replaced (emit actions: no line for these listings)')
  })

  it('canonical shows the canonical form and what is case-folded, and with --node the fingerprint the node uses', async () => {
    const local = await alliance(['canonical', '--kind', 'seller-account', '--value', ' ShopMart:AbC1 ', '--json'], { cwd: work })
    assert.equal(local.code, 0, local.stderr)
    const l = JSON.parse(local.stdout) as { canonical: string, case: string, fingerprint?: string }
    assert.equal(l.canonical, 'shopmart:AbC1', 'platform folded, id kept')
    assert.equal(l.fingerprint, undefined, 'no key without a node')
    const withNode = await alliance(['canonical', '--kind', 'seller-account', '--value', 'SHOPMART:AbC1', '--node', dir, '--json'], { cwd: work })
    assert.equal(withNode.code, 0, withNode.stderr)
    const explain = await alliance(['explain', dir, '--kind', 'seller-account', '--value', 'shopmart:AbC1', '--json'], { cwd: work })
    assert.equal((JSON.parse(withNode.stdout) as { fingerprint: string }).fingerprint, (JSON.parse(explain.stdout) as { fingerprint: string }).fingerprint)
    const phone = await alliance(['canonical', '--kind', 'phone', '--value', '+44 7700 900123'], { cwd: work })
    assert.equal(phone.code, 2)
    oneLine(phone)
  })

  it('match --account-platform reads bare seller ids as <platform>:<id>', async () => {
    const attest = await alliance(['attest', dir, '--kind', 'seller-account', '--value', 'shopmart:AbC1'], { cwd: work })
    assert.equal(attest.code, 0, attest.stderr)
    await writeFile(join(work, 'bare.csv'), 'listing_id,seller_account\nL1,AbC1\nL2,abc1\n')
    const bare = await alliance(['match', dir, '--listings', 'bare.csv', '--account-platform', 'shopmart', '--emit', 'all'], { cwd: work })
    assert.equal(bare.code, 0, bare.stderr)
    const decisions = bare.stdout.trim().split('\n').map(line => JSON.parse(line) as { listingId: string, action: string })
    assert.deepEqual(decisions.map(d => [d.listingId, d.action]), [['L1', 'block'], ['L2', 'none']], 'the id keeps its case')
    const without = await alliance(['match', dir, '--listings', 'bare.csv', '--emit', 'all', '--json'], { cwd: work })
    assert.equal(without.code, 0, without.stderr)
    assert.ok(without.stdout.split('\n').filter(l => l.includes('"block"')).length === 0, 'bare ids match nothing without it')
  })

  it('attest --ttl beyond the roster\'s maximum lifetime (365 d) says it was capped; within it, no notice', async () => {
    const long = await alliance(['attest', dir, '--kind', 'email', '--value', 'long@example.com', '--ttl', '400d', '--json'], { cwd: work })
    assert.equal(long.code, 0, long.stderr)
    assert.match(oneLine(long), /notice/)
    const l = JSON.parse(long.stdout) as { capped: boolean, expires: string }
    assert.equal(l.capped, true)
    assert.ok(Math.abs(Date.parse(l.expires) - Date.now() - 365 * 86_400_000) < 120_000, l.expires)
    const short = await alliance(['attest', dir, '--kind', 'email', '--value', 'short@example.com', '--ttl', '30d', '--json'], { cwd: work })
    assert.equal(short.code, 0, short.stderr)
    assert.equal(short.stderr, '')
    assert.equal((JSON.parse(short.stdout) as { capped: boolean }).capped, false)
  })

  it('listings columns the matcher does not know are reported (summary and --json); --strict-columns, or no known column, refuses the file', async () => {
    await writeFile(join(work, 'typos.csv'), 'listing_id,seller_acount,phone_number,email,title\nL1,shopmart:AbC1,+44 20 7946 0958,a@example.com,shoes\n')
    const r = await alliance(['match', dir, '--listings', 'typos.csv', '--out', 'typos.jsonl', '--json'], { cwd: work })
    assert.equal(r.code, 0, r.stderr)
    const summary = JSON.parse(r.stdout) as { ignoredColumns: Array<{ name: string, suggestion?: string }> }
    assert.deepEqual(summary.ignoredColumns, [{ name: 'seller_acount', suggestion: 'seller_account' }, { name: 'phone_number', suggestion: 'phone' }, { name: 'title' }])
    const human = await alliance(['match', dir, '--listings', 'typos.csv', '--out', 'typos2.jsonl'], { cwd: work })
    assert.match(human.stderr, /ignored columns +seller_acount \(did you mean seller_account\?\)/)

    const strict = await alliance(['match', dir, '--listings', 'typos.csv', '--out', 'strict.jsonl', '--strict-columns'], { cwd: work })
    assert.equal(strict.code, 2)
    assert.match(oneLine(strict), /seller_acount/)
    await writeFile(join(work, 'none.csv'), 'listing_id,seller_acount,phone_number\nL1,shopmart:AbC1,+44 20 7946 0958\n')
    const none = await alliance(['match', dir, '--listings', 'none.csv', '--out', 'none.jsonl'], { cwd: work })
    assert.equal(none.code, 2, 'no known identifier column: refused without the flag')
    oneLine(none)
    assert.ok(!(await readdir(work)).some(f => f.startsWith('strict.jsonl') || f.startsWith('none.jsonl')), 'nothing written')
  })

  it('a large scan draws a progress bar on a terminal (a pseudo-terminal through script), none when stderr is not one', async function () {
    this.timeout(420_000)
    const script = await run('sh', ['-c', 'command -v script'])
    if (script.code !== 0) this.skip() // util-linux script gives the pseudo-terminal
    const rows = Array.from({ length: 300_000 }, (_, i) => `L${i},seller${i}@example.com,+44 7700 9${String(i % 100000).padStart(5, '0')}`).join('\n')
    await writeFile(join(work, 'big.csv'), `listing_id,email,phone\n${rows}\n`)
    const piped = await alliance(['match', dir, '--listings', 'big.csv', '--out', 'big-1.jsonl', '--workers', '1'], { cwd: work, timeoutMs: 180_000 })
    assert.equal(piped.code, 0, piped.stderr)
    assert.doesNotMatch(piped.stderr, /scanning big\.csv|%/, 'no bar in a pipe or a log')
    const command = [process.execPath, BIN, 'match', dir, '--listings', 'big.csv', '--out', 'big-2.jsonl', '--workers', '1'].map(a => `'${a}'`).join(' ')
    const tty = await run('script', ['-qec', command, '/dev/null'], { cwd: work, timeoutMs: 180_000 })
    assert.equal(tty.code, 0, tty.stdout)
    assert.match(tty.stdout, /scanning big\.csv .*\d+% \| [\d,]+ rows/, 'the bar, with its percentage and rows')
  })
})
