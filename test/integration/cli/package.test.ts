/**
 * The package as a server admin installs it (README "Install"): `npm pack`
 * in the checkout, `npm install -g ./alliance-node-<version>.tgz` into a
 * prefix, then `alliance` from PATH in an unrelated directory. The installed
 * package runs the JavaScript compiled when it was packed: no TypeScript, no
 * tsx, no build on first use.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distIsFresh } from '../../../bin/runtime.js'
import { makeNodeDirs } from '../../helpers/nodes.js'
import { ROOT, run, type Run } from './helpers.js'

const NPM = 'npm'

/** Every file under `dir`, relative, with its modification time. */
async function tree (dir: string, base = dir, out = new Map<string, number>()): Promise<Map<string, number>> {
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name)
    if (d.isDirectory()) await tree(p, base, out)
    else out.set(p.slice(base.length + 1), (await stat(p)).mtimeMs)
  }
  return out
}

describe('integration: the packed package, installed', function () {
  this.timeout(300_000)
  let tmp: string
  let prefix: string
  let pkgDir: string
  let env: NodeJS.ProcessEnv
  let version: string

  before(async () => {
    version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
    tmp = await mkdtemp(join(tmpdir(), 'alliance-pkg-'))
    prefix = join(tmp, 'prefix')
    pkgDir = join(prefix, 'lib', 'node_modules', 'alliance-node')
    // `npm pack` runs the build (prepare); `npm test` has just built, so skip it when dist/ is fresh
    if (!distIsFresh()) {
      const b = await run(NPM, ['run', 'build'], { timeoutMs: 240_000 })
      assert.equal(b.code, 0, b.stderr)
    }
    const p = await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', tmp])
    assert.equal(p.code, 0, p.stderr)
    const i = await run(NPM, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(tmp, `alliance-node-${version}.tgz`)], { cwd: tmp, timeoutMs: 240_000 })
    assert.equal(i.code, 0, i.stderr)
    // a user's shell: the prefix's bin on PATH, nothing of the checkout or of npm test
    env = { PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`, HOME: tmp }
  })

  after(async () => { await rm(tmp, { recursive: true, force: true }) })

  const alliance = async (args: string[], cwd: string): Promise<Run> => await run('alliance', args, { cwd, env })

  it('puts alliance on PATH; --version prints the package version from any directory', async () => {
    const elsewhere = join(tmp, 'elsewhere')
    await mkdir(elsewhere)
    const r = await alliance(['--version'], elsewhere)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), version)
  })

  it('holds compiled JavaScript only: no TypeScript sources, no tsx or typescript, marked private (never published by accident)', async () => {
    const files = [...(await tree(pkgDir)).keys()].filter(f => !f.startsWith('node_modules/'))
    assert.ok(files.includes('dist/node/cli/index.js'))
    assert.ok(files.includes('deploy/alliance.service') && files.includes('deploy/prometheus.yml'), 'the service files travel with it')
    assert.ok(files.includes('node/console/assets/layout.html'), 'the web console\'s assets travel with it')
    assert.deepEqual(files.filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts')), [])
    assert.ok(!files.some(f => f.startsWith('dist/test/') || f.startsWith('dist/bench/')), 'tests and benchmarks stay out')
    for (const dev of ['tsx', 'typescript', 'mocha']) {
      await assert.rejects(stat(join(pkgDir, 'node_modules', dev)), { code: 'ENOENT' }, `${dev} installed`)
    }
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { private?: boolean }
    assert.equal(pkg.private, true)
  })

  it('init from another directory creates a node there and builds nothing in the package', async () => {
    const before = await tree(pkgDir)
    const work = join(tmp, 'server')
    await mkdir(work)
    const r = await alliance(['init', './node', '--org', 'brand-a', '--role', 'brand', '--json'], work)
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as { org: string }).org, 'brand-a')
    assert.equal((JSON.parse(await readFile(join(work, 'node', 'config.json'), 'utf8')) as { org: string }).org, 'brand-a')
    const card = await alliance(['card', './node', '--json'], work)
    assert.equal(card.code, 0, card.stderr)
    assert.deepEqual(await tree(pkgDir), before, 'no file of the package written or changed on first use')
  })

  it('the installed alliance runs a node: start --detach, status, stop', async () => {
    const net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }], { quorum: 1 })
    try {
      const dir = net.dirs['brand-a']
      const start = await alliance(['start', dir, '--detach', '--json', '--log-level', 'warn'], tmp)
      assert.equal(start.code, 0, start.stderr + await readFile(join(dir, 'node.log'), 'utf8').catch(() => ''))
      const status = await alliance(['status', dir, '--json'], tmp)
      assert.equal(status.code, 0, status.stderr)
      assert.equal((JSON.parse(status.stdout) as { org: string }).org, 'brand-a')
      const stop = await alliance(['stop', dir], tmp)
      assert.equal(stop.code, 0, stop.stderr)
    } finally {
      net.cleanup()
    }
  })
})
