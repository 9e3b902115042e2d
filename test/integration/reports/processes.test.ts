/**
 * Reports between nodes running as separate `alliance start` processes:
 * the recipient is offline when the report is sent, the sender is killed
 * and restarted, the recipient starts later — the report is delivered
 * exactly once and the receipt arrives. Then the recipient exports the
 * evidence bundle, and `alliance report verify` (a real process) accepts it
 * and names the part of any altered byte.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { fileURLToPath } from 'node:url'
import { toHex } from '../../../protocol/bytes.js'
import type { ReportCustodyLog, ReportCustodyView, ReportExportResult, ReportInboxItem, ReportOutboxItem, ReportSendResult } from '../../../node/service.js'
import { installedRoster } from '../../../node/roster-file.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'
import { bundleRecords, cli, randomFile, reportInput } from './helpers.js'

const CLI = fileURLToPath(new URL('../../../bin/alliance.js', import.meta.url))

/** `alliance …` as its own process: the exit code a shell sees. */
async function alliance (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr })
    })
  })
}

async function metric (p: NodeProcess, line: RegExp): Promise<boolean> {
  const res = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${p.token}` } })
  return line.test(await res.text())
}

describe('integration: reports between node processes', function () {
  this.timeout(90_000)
  let net: TestNet
  const procs: Record<string, NodeProcess | undefined> = {}
  let id: string
  let evidence: Buffer
  let bundle: string

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'police', role: 'law-enforcement' }], { quorum: 1 })
  })

  after(async () => {
    await Promise.all(Object.values(procs).map(async p => { if (p !== undefined) await stopNode(p, 'SIGKILL') }))
    net?.cleanup()
  })

  it('recipient offline at send, sender killed and restarted, recipient started later: one delivery, the receipt arrives', async () => {
    const file = join(net.root, 'listing.png')
    evidence = randomFile(file, 2 * 1024 * 1024 + 3)
    procs.brand = await spawnNode(net.dirs['brand-a'])
    const sent = await api<ReportSendResult>(procs.brand, '/v1/reports', { to: ['police'], report: reportInput([file], []), evidence: [] })
    id = sent.id
    assert.equal(sent.state, 'queued')
    await eventually(async () => (await api<ReportOutboxItem[]>(procs.brand as NodeProcess, '/v1/reports/outbox'))[0].deliveries[0].attempts >= 1, 20_000, 'a failed attempt')

    assert.equal(await stopNode(procs.brand, 'SIGKILL'), null)
    procs.brand = await spawnNode(net.dirs['brand-a'])
    const after = await api<ReportOutboxItem[]>(procs.brand, '/v1/reports/outbox')
    assert.equal(after.length, 1)
    assert.equal(after[0].id, id)
    assert.equal(after[0].deliveries[0].state, 'pending', 'the restarted sender still owes the delivery')

    procs.police = await spawnNode(net.dirs.police)
    await eventually(async () => (await api<ReportOutboxItem[]>(procs.brand as NodeProcess, '/v1/reports/outbox'))[0].state === 'delivered', 30_000, 'the receipt')
    const inbox = await api<ReportInboxItem[]>(procs.police, '/v1/reports/inbox')
    assert.deepEqual(inbox.map(i => i.id), [id])
    assert.ok(await metric(procs.police, /alliance_reports_received_total\{result="stored"\} 1\n/), 'stored once')
    assert.ok(readFileSync(join(net.dirs.police, 'reports', 'inbox', 'brand-a', id, 'evidence-0')).equals(evidence))

    // both restart: nothing is resent, nothing stored twice
    await Promise.all([stopNode(procs.brand), stopNode(procs.police)])
    ;[procs.police, procs.brand] = await Promise.all([spawnNode(net.dirs.police), spawnNode(net.dirs['brand-a'])])
    const again = await api<ReportOutboxItem[]>(procs.brand, '/v1/reports/outbox')
    assert.equal(again[0].state, 'delivered')
    assert.equal(again[0].deliveries[0].attempts >= 1, true)
    assert.equal((await api<ReportInboxItem[]>(procs.police, '/v1/reports/inbox')).length, 1)
  })

  it('the recipient exports the bundle; verify (offline, its own process) exits 0, and 4 naming the part of an altered byte', async function () {
    this.timeout(240_000) // a dozen CLI processes, each loading the stack
    bundle = join(net.root, 'case.bundle')
    const ex = await cli('report', 'export', net.dirs.police, id, '--out', bundle, '--as', 'DC Jones', '--json')
    assert.equal(ex.code, 0, ex.stderr)
    const res = JSON.parse(ex.stdout) as ReportExportResult
    assert.equal(res.receipts, 1)
    assert.equal(res.exporter, 'police')
    const again = await cli('report', 'export', net.dirs.police, id, '--out', bundle)
    assert.notEqual(again.code, 0, 'an existing bundle is never overwritten')
    const custody = await cli('report', 'show', net.dirs.police, id, '--json')
    assert.deepEqual(JSON.parse(custody.stdout).custody.map((c: { action: string }) => c.action), ['received', 'exported', 'opened'])
    // issue 16 item 8: each record names the operator (--as, else the OS user), and `report custody` reads the log without opening the report
    const log = await alliance('report', 'custody', net.dirs.police, id, '--json')
    assert.equal(log.code, 0, log.stderr)
    const records = (JSON.parse(log.stdout) as ReportCustodyLog).custody
    assert.deepEqual(records.map(c => [c.action, c.detail.by, c.detail.via]), [['received', undefined, undefined], ['exported', 'DC Jones', 'local API'], ['opened', userInfo().username, 'local API']])
    const human = await alliance('report', 'custody', net.dirs.police, id)
    assert.match(human.stdout, /exported +by DC Jones \(local API\)/)
    const badName = await alliance('report', 'show', net.dirs.police, id, '--as', 'x;rm -rf')
    assert.equal(badName.code, 2, 'an operator name that is not a name is refused')
    assert.equal((JSON.parse((await alliance('report', 'custody', net.dirs.police, id, '--json')).stdout) as ReportCustodyLog).custody.length, 3, 'neither custody nor a refused show added a record')

    const ok = await alliance('report', 'verify', bundle, '--node', net.dirs.police)
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stdout, /VERIFIED/)
    // a roster chain checked against nobody's genesis proves only internal consistency: exit 4 unless asked for
    const unpinned = await alliance('report', 'verify', bundle, '--json')
    assert.equal(unpinned.code, 4, unpinned.stderr)
    assert.equal(JSON.parse(unpinned.stdout).genesisPinned, false)
    assert.equal((await alliance('report', 'verify', bundle, '--unpinned')).code, 0)

    const bytes = readFileSync(bundle)
    const ev = bundleRecords(bytes).find(r => r.type === 'evidence')
    assert.ok(ev !== undefined)
    const bad = Buffer.from(bytes)
    bad[ev.offset + Math.floor(ev.length / 2)] ^= 0x01
    const tampered = join(net.root, 'tampered-evidence.bundle')
    writeFileSync(tampered, bad)
    const r = await alliance('report', 'verify', tampered)
    assert.equal(r.code, 4)
    assert.match(r.stderr, /^alliance: bundle verification failed: evidence:listing\.png digest mismatch/)
  })

  it('any altered byte of the report, its signature, a receipt, the export statement or the roster fails and is named; the genesis can be pinned', async () => {
    const bytes = readFileSync(bundle)
    const recs = bundleRecords(bytes)
    const at = (type: string): { offset: number, length: number } => recs.find(r => r.type === type) as { offset: number, length: number }
    const narrative = bytes.indexOf(Buffer.from('counterfeit: the sole'), at('report').offset)
    assert.ok(narrative > 0)
    const cases: Array<[string, number, string]> = [
      ['report content', narrative, 'report_signature'],
      ['author signature', at('report').offset + at('report').length - 1, 'report_signature'],
      ['receipt', at('receipt').offset + at('receipt').length - 1, 'receipt:police'],
      ['export statement', at('export').offset + at('export').length - 1, 'export'],
      ['roster', at('roster').offset + at('roster').length - 1, 'roster_chain']
    ]
    for (const [what, offset, part] of cases) {
      const bad = Buffer.from(bytes)
      bad[offset] ^= 0x01
      const f = join(net.root, `tampered-${part.replace(/[^a-z]/g, '-')}.bundle`)
      writeFileSync(f, bad)
      const r = await cli('report', 'verify', f, '--json')
      assert.equal(r.code, 4, `${what}: exit 4`)
      const verdict = JSON.parse(r.stdout) as { ok: boolean, failures: Array<{ part: string }> }
      assert.equal(verdict.ok, false)
      assert.equal(verdict.failures[0].part, part, `${what} is named first`)
    }

    const genesis = toHex((await installedRoster(net.dirs.police)).chain.versions[0].id)
    assert.equal((await cli('report', 'verify', bundle, '--genesis', genesis)).code, 0)
    assert.equal((await cli('report', 'verify', bundle, '--node', net.dirs['brand-a'])).code, 0)
    const other = await cli('report', 'verify', bundle, '--genesis', 'ab'.repeat(32), '--json')
    assert.equal(other.code, 4)
    assert.equal(JSON.parse(other.stdout).failures[0].reason, 'genesis_mismatch')
  })

  it('report evidence: the files under their names, verified, with manifest.json and SHA256SUMS that sha256sum -c accepts; logged as exported', async () => {
    const folder = join(net.root, 'case-0042')
    const r = await alliance('report', 'evidence', net.dirs.police, id, '--out', folder, '--as', 'analyst-7', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.ok(readFileSync(join(folder, 'evidence', 'listing.png')).equals(evidence))
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { report: string, files: Array<{ name: string, file: string, size: number, sha256: string }> }
    assert.equal(manifest.report, id)
    assert.deepEqual(manifest.files.map(f => [f.name, f.file, f.size]), [['listing.png', 'evidence/listing.png', evidence.length]])
    const sums = await new Promise<{ code: number, out: string }>(resolve => {
      execFile('sha256sum', ['-c', 'SHA256SUMS'], { cwd: folder }, (err, stdout) => { resolve({ code: err === null ? 0 : 1, out: stdout }) })
    })
    assert.equal(sums.code, 0, sums.out)
    assert.equal(sums.out.trim().split('\n').length, 2, 'the evidence file and the bundle')
    assert.equal((await alliance('report', 'verify', join(folder, `report-${id}.bundle`), '--node', net.dirs.police)).code, 0)
    const custody = await cli('report', 'show', net.dirs.police, id, '--json')
    assert.deepEqual(JSON.parse(custody.stdout).custody.filter((c: { action: string }) => c.action === 'exported').map((c: ReportCustodyView) => c.detail.by), ['DC Jones', 'analyst-7'])

    const again = await alliance('report', 'evidence', net.dirs.police, id, '--out', folder)
    assert.equal(again.code, 2, 'a folder that is not empty is refused')
  })
})
