import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, initNodeDir } from '../../../node/home.js'

describe('node/home initNodeDir', () => {
  it('makes the node directory 0700, also one that existed with a looser mode', async () => {
    const root = mkdtempSync(join(tmpdir(), 'alliance-home-'))
    try {
      const fresh = join(root, 'fresh')
      await initNodeDir(fresh, { org: 'brand-a', role: 'brand' })
      assert.equal(statSync(fresh).mode & 0o777, 0o700)
      const existing = join(root, 'existing')
      mkdirSync(existing, { mode: 0o755 })
      assert.equal(statSync(existing).mode & 0o077, 0o055 & ~process.umask())
      await initNodeDir(existing, { org: 'brand-b', role: 'brand' })
      assert.equal(statSync(existing).mode & 0o777, 0o700, 'an existing directory is tightened to 0700')
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('node/home freePort', () => {
  it('hands out distinct listenable ports below the ephemeral range (which outgoing connections use)', async () => {
    let start = 32768
    try { start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) } catch {}
    const ports = await Promise.all(Array.from({ length: 50 }, async () => await freePort()))
    assert.equal(new Set(ports).size, ports.length, 'no port handed out twice')
    for (const p of ports) assert.ok(p >= 1024 && p < start, `port ${p} is below ${start}`)
    // and one can listen on it
    await new Promise<void>((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen(ports[0], '127.0.0.1', () => srv.close(() => resolve()))
    })
  })
})
