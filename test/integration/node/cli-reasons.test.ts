/**
 * Named reasons and roster proposals as an operator meets them: three
 * `alliance start` processes, the CLI and the API.
 * - `attest --reason counterfeit` and `--reason 3` are accepted, an unknown
 *   name is refused naming the valid ones and attests nothing; `explain` and
 *   `blocklist` on another node name each org's reason;
 * - `roster next --reason …` drafts a new vocabulary; `roster propose` keeps
 *   the partly signed draft and lists who signed and who has not; a forged
 *   signature is refused; once adopted the proposal is gone and the new
 *   vocabulary is in force on every node.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BlocklistRow, ExplainResult, NodeStatus, ReasonsView, RosterProposalView } from '../../../node/service.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { eventually } from '../../helpers/wait.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'

const CLI = fileURLToPath(new URL('../../../bin/alliance.js', import.meta.url))

async function alliance (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr })
    })
  })
}

async function ok (...args: string[]): Promise<any> {
  const r = await alliance(...args, '--json')
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** The raw HTTP answer (api() throws on an error status). */
async function post (p: NodeProcess, path: string, body: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(`${p.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: await res.json() }
}

describe('integration: named reasons and roster proposals (CLI and API)', function () {
  this.timeout(180_000)
  const ORGS = ['brand-a', 'brand-b', 'brand-c']
  let net: TestNet
  const procs: Record<string, NodeProcess> = {}
  const PHONE = '+44 20 7946 0123'

  before(async () => {
    net = await makeNodeDirs(ORGS.map(org => ({ org, role: 'brand' as const })), { quorum: 2 })
    await Promise.all(ORGS.map(async org => { procs[org] = await spawnNode(net.dirs[org]) }))
    await eventually(async () => (await Promise.all(ORGS.map(async o => (await api<NodeStatus>(procs[o], '/v1/status')).peers.length))).every(n => n === 2), 60_000, 'a connected alliance', 250)
  })

  after(async () => {
    await Promise.all(Object.values(procs).map(async p => await stopNode(p)))
    net?.cleanup()
  })

  it('attest takes a reason by name or code; an unknown one is refused with the valid names and attests nothing; explain and blocklist name them', async () => {
    const vocab = await ok('roster', 'reasons', net.dirs['brand-a']) as ReasonsView
    assert.equal(vocab.defaults, true)
    assert.deepEqual(vocab.reasons.map(r => r.name), ['counterfeit', 'trademark-infringement', 'copyright', 'design-right', 'unauthorised-reseller', 'fraud'])

    const bad = await alliance('attest', net.dirs['brand-c'], '--kind', 'phone', '--value', PHONE, '--reason', 'knock-off')
    assert.equal(bad.code, 2, bad.stderr)
    for (const r of vocab.reasons) assert.ok(bad.stderr.includes(r.name), `the refusal lists ${r.name}: ${bad.stderr}`)
    const api400 = await post(procs['brand-c'], '/v1/attest', { items: [{ kind: 'phone', value: PHONE, reason: 'fraud' }, { kind: 'email', value: 'x@example.com', reason: 'nope' }] })
    assert.deepEqual([api400.status, api400.json.error], [400, 'unknown_reason'])
    assert.equal((await api<ExplainResult>(procs['brand-c'], '/v1/explain', { kind: 'phone', value: PHONE })).status, 'absent', 'the refused request attested nothing')

    await ok('attest', net.dirs['brand-a'], '--kind', 'phone', '--value', PHONE, '--reason', 'counterfeit')
    await ok('attest', net.dirs['brand-b'], '--kind', 'phone', '--value', '020 7946 0123', '--reason', '3')
    let e!: ExplainResult
    await eventually(async () => {
      e = await ok('explain', net.dirs['brand-c'], '--kind', 'phone', '--value', PHONE) as ExplainResult
      return e.status === 'listed'
    }, 30_000, 'listed on brand-c', 250)
    assert.deepEqual(e.positive.map(v => [v.org, v.reason]), [['brand-a', { code: 1, name: 'counterfeit' }], ['brand-b', { code: 3, name: 'copyright' }]])
    const human = await alliance('explain', net.dirs['brand-c'], '--kind', 'phone', '--value', PHONE)
    assert.match(human.stdout, /brand-a \(attestation: counterfeit,/)

    const rows = (await alliance('blocklist', net.dirs['brand-c'], '--json')).stdout.trim().split('\n').map(l => JSON.parse(l) as BlocklistRow)
    assert.deepEqual(rows.find(r => r.fingerprint === e.fingerprint)?.reasons, { 'brand-a': 'counterfeit', 'brand-b': 'copyright' })
    const csv = (await alliance('blocklist', net.dirs['brand-c'], '--format', 'csv')).stdout
    assert.ok(csv.includes(`${e.fingerprint},phone,listed,brand-a;brand-b,2,`) && csv.includes(',brand-a=counterfeit;brand-b=copyright\n'), csv)
  })

  it('roster propose keeps a partly signed v2 with who signed and who has not; a forged signature is refused; adopted, it is gone and its vocabulary is in force', async () => {
    const v2 = join(net.root, 'roster-v2.json')
    // a kept code cannot change its name: refused while drafting
    const renamed = await alliance('roster', 'next', net.dirs['brand-a'], '--out', v2, '--reason', '1:knock-off:fakes')
    assert.equal(renamed.code, 2, renamed.stderr)
    assert.equal(existsSync(v2), false)
    await ok('roster', 'next', net.dirs['brand-a'], '--out', v2, '--reason', '1:counterfeit:Fake goods', '--reason', '7:grey-import:Genuine goods imported outside the authorised channel')
    await ok('roster', 'sign', net.dirs['brand-a'], v2)

    const first = await ok('roster', 'propose', net.dirs['brand-a'], v2) as RosterProposalView
    assert.deepEqual({ version: first.version, signedBy: first.signedBy, missing: first.missing, need: first.need, ready: first.ready }, { version: 2, signedBy: ['brand-a'], missing: ['brand-b', 'brand-c'], need: 2, ready: false })
    assert.ok(first.changes.includes('adds reasons grey-import'), first.changes.join('; '))
    assert.ok(existsSync(first.file))
    const listed = await api<{ proposals: RosterProposalView[] }>(procs['brand-a'], '/v1/roster/proposals')
    assert.deepEqual(listed.proposals.map(p => p.id), [first.id])

    // a signature that does not verify: refused, and the proposal held is unchanged
    const doc = JSON.parse(readFileSync(v2, 'utf8'))
    const forged = { ...doc, signatures: [...doc.signatures, { ...doc.signatures[0], key: doc.signatures[0].key, signature: 'ab'.repeat(64) }] }
    const refused = await post(procs['brand-a'], '/v1/roster/proposals', forged)
    assert.deepEqual([refused.status, refused.json.error], [400, 'bad_roster_signature'])
    assert.deepEqual((await api<{ proposals: RosterProposalView[] }>(procs['brand-a'], '/v1/roster/proposals')).proposals.map(p => p.signedBy), [['brand-a']])

    // brand-b signs its own copy of the draft (without brand-a's signature); proposing it merges the signatures
    const copy = join(net.root, 'roster-v2-b.json')
    writeFileSync(copy, JSON.stringify({ ...doc, signatures: [] }))
    await ok('roster', 'sign', net.dirs['brand-b'], copy)
    const second = await ok('roster', 'propose', net.dirs['brand-a'], copy) as RosterProposalView
    assert.deepEqual({ id: second.id, signedBy: second.signedBy, missing: second.missing, ready: second.ready }, { id: first.id, signedBy: ['brand-a', 'brand-b'], missing: ['brand-c'], ready: true })

    const installed = await ok('roster', 'install', net.dirs['brand-a'], second.file)
    assert.deepEqual({ version: installed.version, changed: installed.changed }, { version: 2, changed: true })
    assert.deepEqual((await api<{ proposals: RosterProposalView[] }>(procs['brand-a'], '/v1/roster/proposals')).proposals, [])
    assert.equal(existsSync(second.file), false, 'the adopted proposal\'s file is gone')

    // the new vocabulary is in force everywhere: grey-import is accepted, copyright (retired) is not, and old votes keep their names
    await eventually(async () => (await api<NodeStatus>(procs['brand-c'], '/v1/status')).rosterVersion === 2, 30_000, 'brand-c adopts v2')
    const now = await ok('roster', 'reasons', net.dirs['brand-c']) as ReasonsView
    assert.deepEqual({ defaults: now.defaults, names: now.reasons.map(r => r.name) }, { defaults: false, names: ['counterfeit', 'grey-import'] })
    await ok('attest', net.dirs['brand-c'], '--kind', 'phone', '--value', PHONE, '--reason', 'grey-import')
    assert.equal((await alliance('attest', net.dirs['brand-c'], '--kind', 'phone', '--value', PHONE, '--reason', 'copyright')).code, 2)
    const e = await ok('explain', net.dirs['brand-c'], '--kind', 'phone', '--value', PHONE) as ExplainResult
    assert.deepEqual(e.positive.map(v => [v.org, v.reason?.name]), [['brand-a', 'counterfeit'], ['brand-b', 'copyright'], ['brand-c', 'grey-import']])
  })
})
