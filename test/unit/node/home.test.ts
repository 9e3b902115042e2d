import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { freePort } from '../../../node/home.js'

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
