/**
 * The node as a service (README "Run as a service"): `start --detach`,
 * `stop`, the API token kept in <dir>/api-token (0600) across restarts and
 * replaced only by `api rotate-token`, the API port kept, so a Prometheus
 * scrape set up once keeps working; and deploy/'s systemd unit checked by
 * systemd-analyze where it is installed.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processAlive } from '../../../node/cli/service.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { alliance, BIN, ROOT, run, type Run } from './helpers.js'

function oneLine (r: Run): string {
  const lines = r.stderr.split('\n').filter(l => l.length > 0)
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${r.stderr}`)
  return lines[0]
}

/** What Prometheus does: GET /metrics with the bearer token read from a credentials file. */
async function scrape (url: string, credentialsFile: string): Promise<number> {
  const token = (await readFile(credentialsFile, 'utf8')).trim()
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  await res.text()
  return res.status
}

function hasCommand (cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('integration: the node as a service (start --detach, stop, api-token)', function () {
  this.timeout(180_000)
  let net: TestNet
  let dir: string
  let tmp: string
  const pids: number[] = []

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }], { quorum: 1 })
    dir = net.dirs['brand-a']
    tmp = await mkdtemp(join(tmpdir(), 'alliance-svc-'))
  })

  after(async () => {
    for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL')
    net?.cleanup()
    await rm(tmp, { recursive: true, force: true })
  })

  const startDetached = async (): Promise<{ pid: number, apiUrl: string, log: string }> => {
    const r = await alliance(['start', dir, '--detach', '--json', '--log-level', 'warn'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as { pid: number, apiUrl: string, log: string }
    pids.push(out.pid)
    return out
  }

  it('start --detach returns with the node running; stop waits for it to exit; a restart keeps the API port and token', async () => {
    const first = await startDetached()
    assert.ok(processAlive(first.pid), 'the daemon runs after the command returned')
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { api: { port: number } }
    assert.equal(new URL(first.apiUrl).port, String(config.api.port), 'the port chosen at init')
    const tokenFile = join(dir, 'api-token')
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600)
    const monitoring = join(tmp, 'prometheus-token') // the README's copy of the token, made once
    await writeFile(monitoring, await readFile(tokenFile), { mode: 0o600 })
    assert.equal(await scrape(first.apiUrl, monitoring), 200)

    const twice = await alliance(['start', dir, '--detach'])
    assert.equal(twice.code, 1)
    assert.match(oneLine(twice), /already running/)

    const stop = await alliance(['stop', dir, '--json'])
    assert.equal(stop.code, 0, stop.stderr)
    assert.ok(!processAlive(first.pid), 'stop returns after the daemon exited')
    await assert.rejects(stat(join(dir, 'api.json')), { code: 'ENOENT' })

    const second = await startDetached()
    assert.notEqual(second.pid, first.pid)
    assert.equal(second.apiUrl, first.apiUrl)
    assert.equal(await scrape(second.apiUrl, monitoring), 200, 'the token copied before the restart still works')
  })

  it('api rotate-token: the running daemon takes the new token at once, the old one gets 401; the file stays 0600', async () => {
    const info = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { url: string, pid: number }
    const old = join(tmp, 'old-token')
    await writeFile(old, await readFile(join(dir, 'api-token')), { mode: 0o600 })
    const r = await alliance(['api', 'rotate-token', dir, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as { daemon: string }).daemon, 'reloaded')
    assert.ok(!r.stdout.includes((await readFile(join(dir, 'api-token'), 'utf8')).trim()), 'the token is never printed')
    assert.equal(await scrape(info.url, old), 401)
    assert.equal(await scrape(info.url, join(dir, 'api-token')), 200)
    assert.equal((await stat(join(dir, 'api-token'))).mode & 0o777, 0o600)
    assert.ok(processAlive(info.pid), 'not restarted')
    // the CLI follows: api.json carries the new token
    const status = await alliance(['status', dir, '--json'])
    assert.equal(status.code, 0, status.stderr)

    assert.equal((await alliance(['stop', dir])).code, 0)
    const again = await alliance(['stop', dir])
    assert.equal(again.code, 3, 'nothing to stop')
    oneLine(again)
  })

  it('a detached start that fails says why in one line (the log\'s last line) and leaves no process', async () => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { api: { port: number } }
    const squatter = createServer()
    await new Promise<void>(resolve => squatter.listen(config.api.port, '127.0.0.1', resolve))
    try {
      const r = await alliance(['start', dir, '--detach', '--log-level', 'warn'])
      assert.equal(r.code, 1)
      assert.match(oneLine(r), /EADDRINUSE|address already in use/i)
      await assert.rejects(stat(join(dir, 'api.json')), { code: 'ENOENT' })
    } finally {
      await new Promise(resolve => squatter.close(resolve))
    }
  })

  it('deploy/alliance.service passes systemd-analyze verify and its offline security check', async function () {
    if (!hasCommand('systemd-analyze')) this.skip() // Debian: apt-get install systemd (no running systemd needed)
    const unit = await readFile(join(ROOT, 'deploy/alliance.service'), 'utf8')
    assert.match(unit, /^User=alliance$/m)
    assert.match(unit, /^NoNewPrivileges=yes$/m)
    assert.match(unit, /^ProtectSystem=strict$/m)
    const execStart = /^ExecStart=\S+ start (\S+)$/m.exec(unit)
    assert.ok(execStart !== null)
    assert.deepEqual([...unit.matchAll(/^ReadWritePaths=(.*)$/gm)].map(m => m[1]), [execStart[1]], 'writable: the node directory only')
    // verify checks that ExecStart's program exists: point it at this checkout's launcher, nothing else changed
    const copy = join(tmp, 'alliance.service')
    await writeFile(copy, unit.replace('/usr/local/bin/alliance', BIN))
    const verify = await run('systemd-analyze', ['verify', copy])
    assert.equal(verify.code, 0, verify.stderr + verify.stdout)
    assert.equal(verify.stderr.trim(), '', 'no warnings')
    const security = await run('systemd-analyze', ['security', '--offline=yes', copy])
    const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout + security.stderr)
    assert.ok(exposure !== null, security.stdout + security.stderr)
    assert.ok(Number(exposure[1]) <= 2, `exposure ${exposure[1]} (systemd: ≤ 2 is "OK")`)
  })

  it('deploy/prometheus.yml scrapes the port and token file the README\'s set-up gives', async () => {
    const yml = await readFile(join(ROOT, 'deploy/prometheus.yml'), 'utf8')
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const port = /--api-port (\d+)/.exec(readme)?.[1]
    assert.ok(port !== undefined, 'the README\'s service set-up fixes the API port')
    assert.match(yml, new RegExp(`targets: \\['127\\.0\\.0\\.1:${port}'\\]`))
    const creds = /credentials_file: (\S+)/.exec(yml)?.[1]
    assert.ok(creds !== undefined)
    assert.ok(readme.includes(creds), 'the README copies the token to the file the scrape job reads')
    assert.match(yml, /type: Bearer/)
  })
})
