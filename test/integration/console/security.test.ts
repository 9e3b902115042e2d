/**
 * The web console's locks, against a real node (startDaemon: the node, its
 * HTTP API and the console on a loopback port) with plain HTTP requests, as
 * an attacker without a browser would send them: no session → 401 (pages:
 * the signed-out page), a login link works once, a forged cookie and a
 * missing or wrong CSRF token are refused by name, sessions cannot reach
 * bearer-only routes, every answer carries the CSP, and a raw identifier
 * looked up through the console reaches neither a URL nor the node's log.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { runCli } from '../../../node/cli/index.js'
import { eventually } from '../../helpers/wait.js'
import { startDaemon } from '../../../node/daemon.js'
import { CONTENT_SECURITY_POLICY } from '../../../node/console/server.js'
import { readApiInfo } from '../../../node/home.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'

describe('integration: console security', function () {
  this.timeout(60_000)
  let net: TestNet
  let daemon: Awaited<ReturnType<typeof startDaemon>>
  let url: string
  let token: string
  const logs: string[] = []

  before(async () => {
    net = await makeNodeDirs([{ org: 'brand-a', role: 'brand' }, { org: 'brand-b', role: 'brand' }], { quorum: 1 })
    daemon = await startDaemon(net.dirs['brand-a'], { logLevel: 'debug', logSink: line => logs.push(line) })
    url = daemon.apiUrl
    token = (await readApiInfo(net.dirs['brand-a']))?.token as string
  })

  after(async () => {
    await daemon?.stop()
    net?.cleanup()
  })

  async function link (): Promise<string> {
    const res = await fetch(`${url}/v1/console/link`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200)
    const body = await res.json() as { url: string, expiresAt: string }
    assert.ok(body.url.startsWith(`${url}/console/login?token=`))
    return body.url
  }

  /** Logs in with a fresh link: the session cookie and the page's CSRF token. */
  async function login (): Promise<{ cookie: string, csrf: string }> {
    const res = await fetch(await link(), { redirect: 'manual' })
    assert.equal(res.status, 303)
    const set = res.headers.get('set-cookie') as string
    assert.match(set, /HttpOnly/)
    assert.match(set, /SameSite=Strict/)
    assert.match(set, /Max-Age=\d+/)
    const cookie = set.split(';')[0]
    const page = await fetch(`${url}/console/lookup`, { headers: { cookie } })
    assert.equal(page.status, 200)
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1] as string
    assert.ok(csrf.length >= 40)
    return { cookie, csrf }
  }

  it('without a session: API routes 401, pages the signed-out page (401), assets public', async () => {
    const api = await fetch(`${url}/v1/status`)
    assert.equal(api.status, 401)
    const page = await fetch(`${url}/console/blocklist`)
    assert.equal(page.status, 401)
    assert.match(await page.text(), /data-reason="no_session"/)
    const css = await fetch(`${url}/console/assets/console.css`)
    assert.equal(css.status, 200)
    assert.match(css.headers.get('content-type') as string, /text\/css/)
  })

  it('a login link works once; a forged cookie is refused', async () => {
    const l = await link()
    const first = await fetch(l, { redirect: 'manual' })
    assert.equal(first.status, 303)
    const again = await fetch(l, { redirect: 'manual' })
    assert.equal(again.status, 401)
    assert.match(await again.text(), /data-reason="login_link_invalid"/)
    const cookie = (first.headers.get('set-cookie') as string).split(';')[0]
    const name = cookie.split('=')[0]
    const forged = await fetch(`${url}/v1/status`, { headers: { cookie: `${name}=${'A'.repeat(43)}` } })
    assert.equal(forged.status, 401)
    assert.equal((await forged.json() as { error: string }).error, 'no_session')
    const ok = await fetch(`${url}/v1/status`, { headers: { cookie } })
    assert.equal(ok.status, 200)
  })

  it('POSTs need the session\'s CSRF token: missing and wrong ones are refused by name and change nothing', async () => {
    const { cookie, csrf } = await login()
    const body = JSON.stringify({ items: [{ kind: 'email', value: 'csrf.victim@mail.example' }] })
    const headers = { cookie, 'content-type': 'application/json' }
    const missing = await fetch(`${url}/v1/attest`, { method: 'POST', headers, body })
    assert.equal(missing.status, 403)
    assert.equal((await missing.json() as { error: string }).error, 'csrf_missing')
    const wrong = await fetch(`${url}/v1/attest`, { method: 'POST', headers: { ...headers, 'x-csrf-token': csrf.slice(1) + 'x' }, body })
    assert.equal(wrong.status, 403)
    assert.equal((await wrong.json() as { error: string }).error, 'csrf_mismatch')
    const other = await login()
    const foreign = await fetch(`${url}/v1/attest`, { method: 'POST', headers: { ...headers, 'x-csrf-token': other.csrf }, body })
    assert.equal((await foreign.json() as { error: string }).error, 'csrf_mismatch', 'another session\'s token does not do')
    const crossSite = await fetch(`${url}/v1/attest`, { method: 'POST', headers: { ...headers, 'x-csrf-token': csrf, origin: 'http://evil.example' }, body })
    assert.equal((await crossSite.json() as { error: string }).error, 'cross_origin')
    assert.equal((await daemon.node.status()).entries.applied, 0, 'nothing was attested')
    const good = await fetch(`${url}/v1/attest`, { method: 'POST', headers: { ...headers, 'x-csrf-token': csrf }, body })
    assert.equal(good.status, 200)
    assert.equal((await daemon.node.status()).blocklist.listed, 1)
  })

  it('a session reaches only the console\'s routes, on a loopback Host', async () => {
    const { cookie, csrf } = await login()
    const h = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }
    for (const [method, path, body] of [['POST', '/v1/console/link', '{}'], ['POST', '/v1/match', '{"listings":"/etc/passwd"}'], ['GET', '/v1/explain?kind=email&value=x%40y.example', undefined], ['GET', '/openapi.json', undefined]] as const) {
      const res = await fetch(`${url}${path}`, { method, headers: h, body })
      assert.equal(res.status, 403, `${method} ${path}`)
      assert.equal((await res.json() as { error: string }).error, 'not_for_console')
    }
    // DNS rebinding: a page of attacker.example whose name now resolves to 127.0.0.1 (fetch cannot set Host: node:http can)
    const rebound = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = request(`${url}/v1/status`, { headers: { cookie, host: 'attacker.example' } }, res => {
        let body = ''
        res.on('data', (d: Buffer) => { body += d.toString() })
        res.on('end', () => resolve({ status: res.statusCode as number, body }))
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(rebound.status, 421)
    assert.equal((JSON.parse(rebound.body) as { error: string }).error, 'bad_host')
  })

  it('`alliance console <dir> --open` prints a working link and hands it to $BROWSER', async () => {
    const seen = join(net.root, 'browser-got')
    const fake = join(net.root, 'fake-browser.sh')
    writeFileSync(fake, `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`, { mode: 0o700 })
    const out = new PassThrough()
    let printed = ''
    out.on('data', (d: Buffer) => { printed += d.toString() })
    const saved = process.env.BROWSER
    process.env.BROWSER = fake
    try {
      assert.equal(await runCli(['console', net.dirs['brand-a'], '--open'], { stdout: out, stderr: new PassThrough(), stderrIsTTY: false }), 0)
    } finally {
      if (saved === undefined) delete process.env.BROWSER
      else process.env.BROWSER = saved
    }
    const link = printed.split('\n')[0]
    assert.ok(link.startsWith(`${url}/console/login?token=`), printed)
    await eventually(() => existsSync(seen) && readFileSync(seen, 'utf8') === link, 5000, 'the browser got the link')
    const res = await fetch(link, { redirect: 'manual' })
    assert.equal(res.status, 303)
  })

  it('every answer carries the strict CSP and friends', async () => {
    const { cookie } = await login()
    for (const path of ['/console/lookup', '/console/assets/lib.js', '/v1/status', '/console/login?token=nope']) {
      const res = await fetch(`${url}${path}`, { headers: { cookie }, redirect: 'manual' })
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, path)
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
      assert.equal(res.headers.get('x-frame-options'), 'DENY')
    }
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/)
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe|https?:/)
  })

  it('a raw identifier looked up through the console is in no log line', async () => {
    const { cookie, csrf } = await login()
    const raw = '+44 20 7946 0958'
    const res = await fetch(`${url}/v1/explain`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'phone', value: raw }) })
    assert.equal(res.status, 200)
    const text = logs.join('\n')
    assert.ok(logs.some(l => l.includes('/v1/explain')), 'the request was logged (by route)')
    for (const needle of [raw, '7946', encodeURIComponent(raw), csrf, cookie.split('=')[1]]) assert.ok(!text.includes(needle), `no ${needle} in the log`)
  })
})
