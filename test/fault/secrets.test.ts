/**
 * Secrets: key material never leaves a node's key files.
 *
 * Two daemons run a full scenario in this process (startDaemon: node + HTTP
 * API, logs captured at debug level): attest, retract, explain, export in
 * both formats, roster, metrics, the OpenAPI document, sync between them,
 * refused requests and bad input on every route. Then every log line, every
 * API response body, every export, the metrics text and the messages and
 * inspections of the errors a user can provoke are searched for the key
 * bytes of keys/*.key (identity, signing, box and epoch keys) and the API
 * token — as hex, base64, base64url and JSON byte lists, whole and in
 * 12-byte windows.
 *
 * Also: key files are 0600 in a 0700 directory, and the node refuses to
 * start (InsecureKeyFileError) when any of them is readable by others; the
 * API refuses every route without the token and listens on 127.0.0.1 only
 * (checked in the kernel's socket table and on another loopback address).
 */
import assert from 'node:assert/strict'
import { chmodSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { AllianceNode } from '../../node/alliance-node.js'
import { startDaemon } from '../../node/daemon.js'
import { createApiServer } from '../../node/api/server.js'
import { openApiDocument } from '../../node/api/openapi.js'
import { API_FILE, readApiInfo } from '../../node/home.js'
import { loadNodeKeys } from '../../node/keys.js'
import { createLogger } from '../../node/logger.js'
import { makeNodeDirs, type TestNet } from '../helpers/nodes.js'
import { eventually } from '../helpers/wait.js'
import { record } from './helpers/scale.js'

const ORGS = ['brand-a', 'brand-b']

/** Every way a secret could be written out, whole or as a 12-byte window. */
function needles (secret: Uint8Array): string[] {
  const b = Buffer.from(secret)
  const out = new Set<string>()
  const hex = b.toString('hex')
  out.add(hex)
  out.add(hex.toUpperCase())
  for (let i = 0; i + 24 <= hex.length; i += 2) out.add(hex.slice(i, i + 24))
  for (let shift = 0; shift < 3; shift++) {
    for (const enc of ['base64', 'base64url'] as const) {
      const s = b.subarray(shift).toString(enc).replace(/=+$/, '')
      // whole 4-character groups only (the last one depends on what follows)
      for (let i = 0; i + 16 <= s.length - 4; i += 4) out.add(s.slice(i, i + 16))
    }
  }
  const bytes = [...b]
  for (let i = 0; i + 12 <= bytes.length; i++) {
    out.add(bytes.slice(i, i + 12).join(','))
    out.add(bytes.slice(i, i + 8).map((v, j) => `"${i + j}":${v}`).join(','))
  }
  return [...out]
}

function findLeaks (haystack: string, secrets: Record<string, string[]>): string[] {
  const leaks: string[] = []
  for (const [name, list] of Object.entries(secrets)) {
    for (const n of list) if (haystack.includes(n)) { leaks.push(`${name} (${n.slice(0, 8)}…)`); break }
  }
  return leaks
}

describe('fault: secrets never leave the key files', function () {
  this.timeout(120_000)
  let net: TestNet
  const logs: string[] = []
  const daemons: Record<string, Awaited<ReturnType<typeof startDaemon>>> = {}

  before(async () => {
    net = await makeNodeDirs(ORGS.map(org => ({ org, role: 'brand' as const })), { quorum: 2 })
  })

  after(async () => {
    for (const d of Object.values(daemons)) await d.stop().catch(() => undefined)
    net?.cleanup()
  })

  it('key bytes and the API token appear in no log line (debug level), error, export, metrics text or API response during a full scenario', async () => {
    for (const org of ORGS) {
      daemons[org] = await startDaemon(net.dirs[org], { logLevel: 'debug', logSink: line => logs.push(line), antiEntropyIntervalMs: 500 })
    }
    const secrets: Record<string, string[]> = {}
    for (const org of ORGS) {
      const keysDir = join(net.dirs[org], 'keys')
      for (const f of readdirSync(keysDir)) {
        const raw = readFileSync(join(keysDir, f))
        // epoch keys are stored as hex text; the others as raw bytes
        const bytes = f.startsWith('epoch-') ? Buffer.from(raw.toString('utf8').trim(), 'hex') : raw
        if (f === 'identity.key') {
          // libp2p's protobuf form: header, 32-byte seed, then the PUBLIC key (which the peer id carries): windows over the seed only
          secrets[`${org}/${f}`] = [...needles(bytes.subarray(bytes.length - 64, bytes.length - 32)), bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')]
        } else {
          secrets[`${org}/${f}`] = needles(bytes)
        }
      }
      const info = await readApiInfo(net.dirs[org])
      assert.ok(info !== undefined)
      secrets[`${org}/api token`] = [info.token]
    }

    const captured: string[] = []
    const call = async (org: string, method: string, path: string, body?: unknown, raw?: string, token?: string | null): Promise<{ status: number, text: string }> => {
      const info = await readApiInfo(net.dirs[org])
      const headers: Record<string, string> = {}
      if (token !== null) headers.authorization = `Bearer ${token ?? info?.token ?? ''}`
      if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
      // an event stream never ends by itself: keep what arrives in half a second
      const streaming = path.startsWith('/v1/events')
      const ctl = new AbortController()
      const timer = streaming ? setTimeout(() => ctl.abort(), 500) : undefined
      const res = await fetch(`${daemons[org].apiUrl}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)), signal: ctl.signal })
      let text = ''
      try {
        text = await readUntilAborted(res)
      } finally {
        clearTimeout(timer)
      }
      const hs: string[] = []
      res.headers.forEach((v, k) => { hs.push(`${k}: ${v}`) })
      captured.push(`${method} ${path} ${res.status} ${hs.join('; ')} ${text}`)
      return { status: res.status, text }
    }

    // the scenario
    const items = [
      { kind: 'email', value: 'Fake.Shop+x@gmail.com' }, { kind: 'phone', value: '+44 20 7946 0958' },
      { kind: 'domain', value: 'https://shop.fake-outlet.example.co.uk/x' }, { kind: 'payment-account', value: 'GB82WEST12345698765432' },
      { kind: 'seller-account', value: 'market:fake-seller' }, { kind: 'phone', value: 'not a phone' }
    ]
    assert.equal((await call('brand-a', 'POST', '/v1/attest', { items })).status, 200)
    assert.equal((await call('brand-b', 'POST', '/v1/attest', { items: items.slice(0, 3) })).status, 200)
    await eventually(async () => JSON.parse((await call('brand-b', 'GET', '/v1/status')).text).blocklist.listed >= 3, 15_000, 'listed on brand-b')
    await call('brand-a', 'POST', '/v1/retract', { kind: 'email', value: 'fake.shop@gmail.com' })
    await call('brand-a', 'POST', '/v1/explain', { kind: 'phone', value: '020 7946 0958' })
    await call('brand-a', 'GET', '/v1/explain?kind=email&value=x%40example.com')
    for (const org of ORGS) {
      for (const path of ['/v1/status', '/v1/blocklist', '/v1/blocklist?format=csv', '/v1/roster', '/metrics', '/openapi.json']) await call(org, 'GET', path)
    }
    // the event stream while something changes: fingerprints and statuses only
    const watched = call('brand-b', 'GET', '/v1/events')
    await eventually(async () => (await daemons['brand-b'].node.metrics.eventWatchers.get()).values[0]?.value === 1, 5000, 'the event stream is open')
    await call('brand-a', 'POST', '/v1/attest', { items: [{ kind: 'email', value: 'another.fake@gmail.com' }] })
    await call('brand-b', 'POST', '/v1/attest', { items: [{ kind: 'email', value: 'another.fake@gmail.com' }] })
    assert.match((await watched).text, /"type":"status"/, 'the event stream carried the change')
    // refused and bad requests on every POST route the API has
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> }
    for (const path of Object.keys(doc.paths)) {
      const p = path.replace(/\{[^}]+\}/g, '00'.repeat(16))
      for (const method of Object.keys(doc.paths[path]).map(m => m.toUpperCase())) {
        await call('brand-a', method, p, undefined, method === 'POST' ? '{"bad json' : undefined)
        await call('brand-a', method, p, method === 'POST' ? { items: [{ kind: 'email', value: 7 }], key: 'x' } : undefined)
        await call('brand-a', method, p, undefined, undefined, null)
        await call('brand-a', method, p, undefined, undefined, 'wrong-token-wrong-token-wrong')
      }
    }
    await call('brand-a', 'POST', '/v1/roster', { format: 'alliance-roster/1', roster: 'AAAA', signatures: [], keyEpoch: { suite: 'x', epoch: 1, commitment: '00', sealed: [] } })

    // errors a user can provoke, with their messages and full inspection (stack, cause, fields)
    const errors: unknown[] = []
    const keysDir = join(net.dirs['brand-b'], 'keys')
    await daemons['brand-b'].stop()
    for (const f of readdirSync(keysDir)) {
      chmodSync(join(keysDir, f), 0o644)
      errors.push(await AllianceNode.open({ dir: net.dirs['brand-b'], logSink: line => logs.push(line) }).then(n => n.stop(), err => err))
      chmodSync(join(keysDir, f), 0o600)
    }
    errors.push(await loadNodeKeys(join(net.root, 'nowhere')).catch(err => err))
    errors.push((() => { try { createApiServer({ service: daemons['brand-a'].node, token: 'x'.repeat(32), host: '0.0.0.0', logger: createLogger({ sink: l => logs.push(l) }), metrics: daemons['brand-a'].node.metrics }) } catch (err) { return err } })())
    errors.push(await daemons['brand-a'].node.adoptRoster({ format: 'alliance-roster/1' }).catch(err => err))
    errors.push(await daemons['brand-a'].node.explain({ fingerprint: 'zz' }).catch(err => err))
    const errorText = errors.map(e => `${String(e)} ${inspect(e, { depth: 6 })} ${JSON.stringify(e)}`).join('\n')
    assert.ok(errors.every(e => e instanceof Error), 'every provoked failure is an error')

    // the in-memory key objects as a careless caller would print them
    const keys = await loadNodeKeys(net.dirs['brand-a'])
    const objects = `${inspect(keys, { depth: 6, showHidden: true })} ${JSON.stringify(keys)} ${String(keys.sign)} ${JSON.stringify({ ...keys })}`

    const where: Record<string, string> = {
      logs: logs.join('\n'),
      'api responses': captured.join('\n'),
      errors: errorText,
      'key objects': objects
    }
    const found = Object.entries(where).map(([name, text]) => ({ name, leaks: findLeaks(text, secrets) }))
    for (const { name, leaks } of found) assert.deepEqual(leaks, [], `secrets found in ${name}`)
    // the scan is not vacuous: the public halves are there, the searched forms match the files
    assert.ok(where.logs.length > 10_000 && logs.some(l => l.includes('"level":"debug"')), 'debug logs were captured')
    assert.deepEqual(findLeaks(readFileSync(join(net.dirs['brand-a'], 'keys', 'sign.key')).toString('hex'), secrets).length, 1)
    record('secrets', {
      logLines: logs.length,
      apiResponses: captured.length,
      errorsInspected: errors.length,
      secretsSearched: Object.keys(secrets).length,
      forms: Object.values(secrets).reduce((n, l) => n + l.length, 0),
      leaks: found.reduce((n, f) => n + f.leaks.length, 0)
    })
  })

  it('key files are 0600 in a 0700 directory; the node refuses to start while any key file is readable by others', async () => {
    const dir = net.dirs['brand-b']
    await daemons['brand-b']?.stop()
    const keysDir = join(dir, 'keys')
    assert.equal(statSync(keysDir).mode & 0o777, 0o700)
    const files = readdirSync(keysDir)
    assert.ok(files.includes('sign.key') && files.includes('box.key') && files.includes('identity.key') && files.some(f => /^epoch-\d+\.key$/.test(f)))
    for (const f of files) assert.equal(statSync(join(keysDir, f)).mode & 0o777, 0o600, `${f} is 0600`)
    let refused = 0
    for (const f of files) {
      for (const mode of [0o644, 0o640, 0o604]) {
        chmodSync(join(keysDir, f), mode)
        try {
          await assert.rejects(AllianceNode.open({ dir, logSink: () => {} }), { name: 'InsecureKeyFileError' }, `${f} at ${mode.toString(8)}`)
          refused++
        } finally {
          chmodSync(join(keysDir, f), 0o600)
        }
      }
    }
    const n = await AllianceNode.open({ dir, logSink: () => {} })
    await n.stop()
    record('secrets', { keyFilesChecked: files.length, insecureModesRefused: refused })
  })

  it('the API answers 401 on every route without the right token, and listens on loopback only', async () => {
    const a = daemons['brand-a']
    const info = await readApiInfo(net.dirs['brand-a'])
    assert.ok(info !== undefined)
    assert.equal(statSync(join(net.dirs['brand-a'], API_FILE)).mode & 0o777, 0o600, 'api.json (the token) is 0600')
    const url = new URL(a.apiUrl)
    assert.equal(url.hostname, '127.0.0.1')
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> }
    let refused = 0
    for (const path of Object.keys(doc.paths)) {
      const p = path.replace(/\{[^}]+\}/g, '00'.repeat(16))
      for (const method of Object.keys(doc.paths[path]).map(m => m.toUpperCase())) {
        const tries: Array<string | undefined> = [undefined, 'Bearer ', `Bearer ${info.token.slice(0, -1)}`, `Basic ${info.token}`, info.token]
        for (const auth of tries) {
          const res: Response = await fetch(`${a.apiUrl}${p}`, { method, headers: auth === undefined ? {} : { authorization: auth }, body: method === 'POST' ? '{}' : undefined })
          assert.equal(res.status, 401, `${method} ${path} with ${auth === undefined ? 'no token' : 'a wrong token'}`)
          refused++
        }
      }
    }
    // bound to 127.0.0.1 alone: the kernel's table of listening sockets, and another loopback address that
    // must not answer (no test traffic leaves loopback, so the machine's other addresses are not probed)
    const port = Number(url.port)
    const listeners = listeningOn(port)
    assert.deepEqual(listeners, ['127.0.0.1'], `sockets listening on port ${port}`)
    const outcome = await new Promise<string>(resolve => {
      const s = createConnection({ host: '127.0.0.2', port })
      s.once('connect', () => { s.destroy(); resolve('connected') })
      s.once('error', err => resolve((err as NodeJS.ErrnoException).code ?? 'error'))
    })
    assert.equal(outcome, 'ECONNREFUSED', 'the API answers on 127.0.0.2')
    await assert.rejects(async () => { createApiServer({ service: a.node, token: 'x'.repeat(32), host: '0.0.0.0', logger: createLogger({ sink: () => {} }), metrics: a.node.metrics }) }, { name: 'NonLoopbackHostError' })
    record('secrets', { unauthorisedRequestsRefused: refused, apiListeners: listeners, otherLoopbackRefused: outcome === 'ECONNREFUSED' })
  })
})

/** Local addresses of the TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net. */
function listeningOn (port: number): string[] {
  const out: string[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 4 || cols[3] !== '0A') continue // 0A: LISTEN
      const [addr, p] = cols[1].split(':')
      if (parseInt(p, 16) !== port) continue
      // IPv4 addresses are written as one little-endian 32-bit word; IPv6 as four
      out.push(addr.length === 8 ? [3, 2, 1, 0].map(i => parseInt(addr.slice(2 * i, 2 * i + 2), 16)).join('.') : `[${addr}]`)
    }
  }
  return out
}

/** The body as text; for a request aborted mid-body (an event stream cut by the caller), what arrived until then. */
async function readUntilAborted (res: Response): Promise<string> {
  if (res.body === null) return ''
  const decoder = new TextDecoder()
  let text = ''
  const reader = res.body.getReader()
  try {
    for (;;) {
      const r = await reader.read()
      if (r.done === true) break
      text += decoder.decode(r.value, { stream: true })
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err
  }
  return text
}
