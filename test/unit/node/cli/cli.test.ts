import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { cardSchema, initNodeDir, memberCard, writeApiInfo } from '../../../../node/home.js'
import { eventually } from '../../../helpers/wait.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const BIN = join(ROOT, 'bin/alliance.js')

interface Run { code: number, stdout: string, stderr: string }

/** The CLI as a user runs it: a child process, no TTY. */
async function alliance (...args: string[]): Promise<Run> {
  return await new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

function oneLine (r: Run): string {
  const lines = r.stderr.split('\n').filter(l => l.length > 0)
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${r.stderr}`)
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace')
  return lines[0]
}

async function mode (path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

describe('alliance CLI (child processes)', function () {
  this.timeout(60_000)
  let tmp: string
  const dir = (o: string): string => join(tmp, o)

  before(async () => { tmp = await mkdtemp(join(tmpdir(), 'alliance-cli-')) })
  after(async () => { await rm(tmp, { recursive: true, force: true }) })

  it('init creates the node directory with 0600 keys; a second init is refused with one line', async () => {
    const r = await alliance('init', dir('a'), '--org', 'brand-a', '--role', 'brand', '--name', 'Brand A', '--json')
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.org, 'brand-a')
    assert.match(out.listen[0], /^\/ip4\/127\.0\.0\.1\/tcp\/[1-9]\d*$/, 'port 0 replaced by a free port')
    const config = JSON.parse(await readFile(join(dir('a'), 'config.json'), 'utf8'))
    assert.equal(config.role, 'brand')
    assert.equal(config.name, 'Brand A')
    assert.equal(await mode(join(dir('a'), 'keys')), 0o700)
    for (const k of ['identity.key', 'sign.key', 'box.key']) assert.equal(await mode(join(dir('a'), 'keys', k)), 0o600, k)

    const again = await alliance('init', dir('a'), '--org', 'brand-a', '--role', 'brand')
    assert.equal(again.code, 2)
    assert.match(oneLine(again), /already a node directory/)
  })

  it('card --json prints a valid member card and no private key', async () => {
    const r = await alliance('card', dir('a'), '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n').length, 1)
    const card = cardSchema.parse(JSON.parse(r.stdout))
    assert.equal(card.org, 'brand-a')
    assert.deepEqual(card.roles, ['brand'])
    const seed = (await readFile(join(dir('a'), 'keys', 'sign.key'))).toString('hex')
    assert.ok(!r.stdout.includes(seed))
    await writeFile(join(tmp, 'a.card.json'), r.stdout)
  })

  it('roster create, sign by each org, install everywhere; an unsigned roster is refused naming who is missing', async () => {
    await initNodeDir(dir('b'), { org: 'brand-b', role: 'brand' })
    await initNodeDir(dir('p'), { org: 'platform', role: 'platform' })
    await writeFile(join(tmp, 'b.card.json'), JSON.stringify(await memberCard(dir('b'))))
    await writeFile(join(tmp, 'p.card.json'), JSON.stringify(await memberCard(dir('p'))))
    const roster = join(tmp, 'roster.json')

    const created = await alliance('roster', 'create', '--alliance', 'acme', '--quorum', '2',
      '--card', join(tmp, 'a.card.json'), join(tmp, 'b.card.json'), '--card', join(tmp, 'p.card.json'), '--out', roster)
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /3 \(brand-a, brand-b, platform\)/)

    const signA = await alliance('roster', 'sign', dir('a'), roster, '--json')
    assert.equal(signA.code, 0, signA.stderr)
    assert.deepEqual(JSON.parse(signA.stdout), { org: 'brand-a', signedBy: ['brand-a'], missing: ['brand-b', 'platform'], complete: false })
    const signB = await alliance('roster', 'sign', dir('b'), roster)
    assert.equal(signB.code, 0, signB.stderr)
    assert.match(signB.stdout, /missing\s+platform/)

    const early = await alliance('roster', 'install', dir('p'), roster)
    assert.equal(early.code, 4)
    assert.match(oneLine(early), /platform/)
    await assert.rejects(stat(join(dir('p'), 'roster.json')), { code: 'ENOENT' })

    const signP = await alliance('roster', 'sign', dir('p'), roster)
    assert.equal(signP.code, 0, signP.stderr)
    assert.match(signP.stdout, /missing\s+none/)

    const installs = await Promise.all(['a', 'b', 'p'].map(async o => await alliance('roster', 'install', dir(o), roster)))
    for (const [i, o] of ['a', 'b', 'p'].entries()) {
      assert.equal(installs[i].code, 0, installs[i].stderr)
      assert.match(installs[i].stdout, /installed roster acme v1/)
      JSON.parse(await readFile(join(dir(o), 'roster.json'), 'utf8'))
      assert.equal(await mode(join(dir(o), 'keys', 'epoch-1.key')), 0o600)
    }
  })

  it('without a daemon: status exits 3 with the start command; a bad file row is a usage error naming its line', async () => {
    const csv = join(tmp, 'ids.csv')
    await writeFile(csv, 'kind,value,ttl\nphone,+447700900123,90d\nemali,someone@example.com,\n')
    const [status, attest] = await Promise.all([alliance('status', dir('a')), alliance('attest', dir('a'), '--file', csv)])
    assert.equal(status.code, 3)
    assert.match(oneLine(status), new RegExp(`start it with: alliance start ${dir('a').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
    assert.equal(attest.code, 2)
    const line = oneLine(attest)
    assert.match(line, /line 3: unknown kind "emali"/)
    assert.ok(!line.includes('someone@example.com'), 'identifier values are never echoed')
  })
})

/** In-process: the CLI against the real API server and an in-memory service double. */
describe('alliance CLI (in-process, against a test API)', () => {
  let tmp: string
  let server: { stop: () => Promise<void> }
  let service: import('../api/fake-service.js').FakeService
  let runCli: typeof import('../../../../node/cli/index.js').runCli

  class Sink extends Writable {
    text = ''
    override _write (chunk: Buffer, _enc: BufferEncoding, cb: () => void): void { this.text += chunk.toString(); cb() }
  }

  async function cli (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
    const stdout = new Sink()
    const stderr = new Sink()
    const code = await runCli(args, { stdout, stderr, stderrIsTTY: false })
    return { code, stdout: stdout.text, stderr: stderr.text }
  }

  before(async () => {
    ({ runCli } = await import('../../../../node/cli/index.js'))
    const { FakeService } = await import('../api/fake-service.js')
    const { createApiServer } = await import('../../../../node/api/server.js')
    const { createMetrics } = await import('../../../../node/api/metrics.js')
    const { silentLogger } = await import('../../../../node/logger.js')
    tmp = await mkdtemp(join(tmpdir(), 'alliance-cli-inproc-'))
    service = new FakeService()
    const token = 't'.repeat(32)
    const api = createApiServer({ service, token, logger: silentLogger(), metrics: createMetrics({ processMetrics: false }) })
    const { url } = await api.start()
    server = api
    await writeApiInfo(tmp, { url, token, pid: process.pid })
  })

  after(async () => {
    await server.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  beforeEach(() => {
    service.calls = []
    service.rejectIndexes = new Set()
  })

  it('attest --file sends one request and maps rejected items back to file lines', async () => {
    const csv = join(tmp, 'ids.csv')
    // line 1 header, line 2 blank (skipped), data on lines 3, 4, 6, 7
    await writeFile(csv, '\uFEFFKind,Value,Reason,TTL,notes\n\nphone,"+44 7700 900123",3,12h,x\nemail,a@example.com,,,\n\nphone,0000,,,"a, b"\ndomain,fake.example,,90d,\n')
    service.rejectIndexes = new Set([2])
    const r = await cli('attest', tmp, '--file', csv, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(service.calls.length, 1)
    const call = service.calls[0]
    assert.equal(call.method, 'attest')
    assert.deepEqual(call.method === 'attest' && call.items, [
      { kind: 'phone', value: '+44 7700 900123', reason: 3, ttlMs: 12 * 3_600_000 },
      { kind: 'email', value: 'a@example.com' },
      { kind: 'phone', value: '0000' },
      { kind: 'domain', value: 'fake.example', ttlMs: 90 * 86_400_000 }
    ])
    const out = JSON.parse(r.stdout)
    assert.equal(out.total, 4)
    assert.equal(out.accepted, 3)
    assert.deepEqual(out.rejected.map((x: { line: number, why: string }) => [x.line, x.why]), [[6, 'not_e164']])
    assert.deepEqual(out.fingerprints.map((x: { line: number }) => x.line), [3, 4, 7])
  })

  it('attest --file with JSONL, human output lists rejected lines; every row rejected → exit 1', async () => {
    const jsonl = join(tmp, 'ids.jsonl')
    await writeFile(jsonl, '{"kind":"phone","value":"+447700900123","ttl":"30m"}\n\n{"kind":"email","value":"b@example.com","ttlMs":60000,"claim":"infringing-listing","confidence":70}\n')
    service.rejectIndexes = new Set([1])
    const r = await cli('attest', tmp, '--file', jsonl)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^attested 1 of 2 identifiers/)
    assert.match(r.stdout, /line 3: email not_e164/)
    const c = service.calls[0]
    assert.deepEqual(c.method === 'attest' && c.items[1], { kind: 'email', value: 'b@example.com', ttlMs: 60000, claim: 'infringing-listing', confidence: 70 })

    service.rejectIndexes = new Set([0, 1])
    const all = await cli('attest', tmp, '--file', jsonl)
    assert.equal(all.code, 1)
  })

  it('single attest, retract, explain and status print short human text or JSON', async () => {
    const a = await cli('attest', tmp, '--kind', 'phone', '--value', '+447700900123', '--ttl', '1d12h', '--reason', '4')
    assert.equal(a.code, 0, a.stderr)
    assert.match(a.stdout, /^attested phone: fingerprint [0-9a-f]{64}\n$/)
    assert.deepEqual(service.calls[0], { method: 'attest', items: [{ kind: 'phone', value: '+447700900123', reason: 4, ttlMs: 36 * 3_600_000 }] })

    const rt = await cli('retract', tmp, '--kind', 'phone', '--value', '+447700900123', '--json')
    assert.deepEqual(JSON.parse(rt.stdout), { retracted: 1, fingerprint: '0'.repeat(63) + '7' })

    const ex = await cli('explain', tmp, '--kind', 'phone', '--value', '+447700900123')
    assert.equal(ex.code, 0, ex.stderr)
    assert.match(ex.stdout, /: listed\n/)
    assert.match(ex.stdout, /brand-a \(attestation/)

    const st = await cli('status', tmp)
    assert.match(st.stdout, /^node brand-a \(brand\)\n/)
    assert.match(st.stdout, /blocklist\s+2 listed, 0 disputed, 1 candidate/)
  })

  it('blocklist streams CSV, JSONL with --json, and a table by default', async () => {
    const csv = await cli('blocklist', tmp, '--format', 'csv')
    assert.equal(csv.code, 0, csv.stderr)
    assert.equal(csv.stdout.split('\n')[0], 'fingerprint,kind,status,orgs,weight,expires,reasons')
    assert.equal(csv.stdout.split('\n').length, 4)
    const jl = await cli('blocklist', tmp, '--json', '--status', 'candidate')
    assert.deepEqual(jl.stdout.trim().split('\n').map(l => JSON.parse(l).status), ['candidate'])
    assert.deepEqual(service.calls[1], { method: 'blocklist', filter: { status: 'candidate' } })
    const human = await cli('blocklist', tmp)
    assert.match(human.stdout, /^listed\s+phone\s+0{63}1\s+brand-a \(counterfeit\), brand-b/)
    assert.equal(human.stderr, '2 fingerprints\n')
  })

  it('watch prints status changes as they arrive: --json lines, a readable line by default; --count ends it', async () => {
    const { FP } = await import('../api/fake-service.js')
    const event = (n: number): import('../../../../node/service.js').StatusEvent => ({ type: 'status', at: '2026-11-28T12:00:00.000Z', fingerprint: FP(n), kind: 'email', from: 'candidate', to: 'listed', cause: 'entry', org: 'brand-b' })
    const emitWhenWatched = async (): Promise<void> => {
      await eventually(() => service.feed.subscribers === 1, 2000, 'the watch to subscribe', 5)
      service.feed.emit(event(1))
      service.feed.emit(event(2))
    }
    const [json] = await Promise.all([cli('watch', tmp, '--json', '--count', '2', '--status', 'listed'), emitWhenWatched()])
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(json.stdout.trim().split('\n').map(l => JSON.parse(l)), [event(1), event(2)])
    assert.deepEqual(service.calls.at(-1), { method: 'watch', filter: { status: 'listed' } })
    await eventually(() => service.feed.subscribers === 0, 2000, 'the first watch to hang up', 5)
    const [human] = await Promise.all([cli('watch', tmp, '--count', '1'), emitWhenWatched()])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /candidate +→ listed +email +0+1 +\(entry by brand-b\)/)
    const bad = await cli('watch', tmp, '--count', '0')
    assert.equal(bad.code, 2)
  })

  it('usage errors exit 2 with one line and reach no daemon', async () => {
    for (const args of [
      ['attest', tmp],
      ['attest', tmp, '--kind', 'phone', '--value', 'x', '--ttl', 'soon'],
      ['attest', tmp, '--kind', 'phone', '--value', 'x', '--file', 'f.csv'],
      ['attest', tmp, '--kind', 'telex', '--value', 'x'],
      ['explain', tmp, '--fingerprint', 'abc'],
      ['blocklist', tmp, '--format', 'xml'],
      ['roster', 'create', '--alliance', 'x', '--quorum', 'two', '--card', 'c.json', '--out', 'r.json']
    ]) {
      const r = await cli(...args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /^alliance: /)
    }
    assert.deepEqual(service.calls, [])
  })

  it('a node refusal (HTTP 400) is exit 2; --debug adds the stack', async () => {
    const { FakeNamedError } = await import('../api/fake-service.js')
    service.failNext = new FakeNamedError('InvalidIdentifierError', 'invalid_identifier', 'invalid phone identifier (1 characters)')
    const r = await cli('retract', tmp, '--kind', 'phone', '--value', 'x')
    assert.equal(r.code, 2)
    assert.equal(r.stderr, 'alliance: invalid phone identifier (1 characters)\n')
    service.failNext = new FakeNamedError('InvalidIdentifierError', 'invalid_identifier', 'invalid phone identifier (1 characters)')
    const d = await cli('retract', tmp, '--kind', 'phone', '--value', 'x', '--debug')
    assert.match(d.stderr, /ApiRequestError/)
    assert.match(d.stderr, /\n\s+at /)
  })
})
