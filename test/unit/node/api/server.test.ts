import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiClient } from '../../../../node/api/client.js'
import { STOP_GRACE_MS } from '../../../../node/api/limits.js'
import { MAX_WATCH_BACKLOG } from '../../../../node/events.js'
import { createMetrics } from '../../../../node/api/metrics.js'
import { createApiServer, type ApiServer } from '../../../../node/api/server.js'
import { httpStatusOf } from '../../../../node/api/http-errors.js'
import { ExportTargetExistsError, ReportNotFoundError } from '../../../../node/reports/errors.js'
import { StoreCorruptError, StoreNotOpenError } from '../../../../node/store/errors.js'
import { InvalidIdentifierError } from '../../../../protocol/canonical/errors.js'
import { NotLawEnforcementError } from '../../../../protocol/report/errors.js'
import { freePort, writeApiInfo } from '../../../../node/home.js'
import { createLogger } from '../../../../node/logger.js'
import type { BlocklistRow, StatusEvent } from '../../../../node/service.js'
import { FakeNamedError, FakeService, FP, INBOX_ITEM, OUTBOX_ITEM, REPORT_ID, STATUS, row } from './fake-service.js'

const TOKEN = 'test-token-0123456789abcdef0123456789'

describe('node/api server', function () {
  let service: FakeService
  let server: ApiServer
  let url: string
  let client: ApiClient
  const logLines: string[] = []
  const metrics = createMetrics()

  before(async () => {
    service = new FakeService()
    const logger = createLogger({ level: 'debug', sink: line => { logLines.push(line) } })
    server = createApiServer({ service, token: TOKEN, logger, metrics })
    url = (await server.start()).url
    client = new ApiClient({ url, token: TOKEN })
  })

  after(async () => {
    await server.stop()
  })

  beforeEach(() => {
    service.calls = []
    service.failNext = undefined
    service.hold = undefined
    service.failAfter = undefined
    service.rows = [row(1), row(2, 'candidate')]
  })

  async function call (method: string, path: string, body?: unknown, token: string | null = TOKEN, rawBody?: string): Promise<{ status: number, body: any, headers: Headers }> {
    const headers: Record<string, string> = {}
    if (token !== null) headers.authorization = `Bearer ${token}`
    if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(url + path, { method, headers, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)) })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed, headers: res.headers }
  }

  it('listens on loopback and answers with the URL it bound', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  })

  describe('auth', () => {
    for (const [method, path] of [['GET', '/v1/status'], ['POST', '/v1/attest'], ['GET', '/v1/blocklist'], ['GET', '/metrics'], ['GET', '/openapi.json'], ['GET', '/nope']]) {
      it(`401 on ${method} ${path} without a token or with a wrong one`, async () => {
        const body = method === 'POST' ? { items: [{ kind: 'phone', value: '+441632960000' }] } : undefined
        const none = await call(method, path, body, null)
        assert.equal(none.status, 401)
        assert.equal(none.body.error, 'unauthorized')
        assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/)
        const wrong = await call(method, path, body, TOKEN.slice(0, -1) + 'x')
        assert.equal(wrong.status, 401)
        const longer = await call(method, path, body, TOKEN + 'x')
        assert.equal(longer.status, 401)
        assert.deepEqual(service.calls, [])
      })
    }

    it('ApiClient with a wrong token gets ApiRequestError unauthorized', async () => {
      const bad = new ApiClient({ url, token: 'x'.repeat(40) })
      await assert.rejects(bad.status(), (err: any) => err.name === 'ApiRequestError' && err.status === 401 && err.reason === 'unauthorized')
    })

    it('never logs the token or a raw identifier', async () => {
      await client.attest([{ kind: 'email', value: 'seller-secret@example.com' }])
      await call('GET', '/v1/explain?kind=email&value=seller-secret%40example.com')
      await call('GET', '/v1/status', undefined, 'wrong-' + TOKEN)
      const all = logLines.join('\n')
      assert.ok(logLines.some(l => JSON.parse(l).msg === 'request'), 'one line per request')
      assert.ok(!all.includes(TOKEN))
      assert.ok(!all.includes('seller-secret'))
    })
  })

  describe('routes', () => {
    it('GET /v1/status', async () => {
      assert.deepEqual(await client.status(), STATUS)
      assert.deepEqual(service.calls, [{ method: 'status' }])
    })

    it('POST /v1/attest passes the items through and returns the result', async () => {
      const items = [
        { kind: 'phone' as const, value: '+44 1632 960000', reason: 3, ttlMs: 86_400_000 },
        { kind: 'email' as const, value: 'a@example.com', claim: 'infringing-listing' as const, confidence: 80, reason: 'counterfeit' }
      ]
      const res = await client.attest(items)
      assert.deepEqual(res, { entries: 2, fingerprints: [FP(1000), FP(1001)], rejected: [] })
      assert.deepEqual(service.calls, [{ method: 'attest', items }])
    })

    it('POST /v1/retract', async () => {
      assert.deepEqual(await client.retract({ kind: 'domain', value: 'fake-shop.example' }), { retracted: 1, fingerprint: FP(7) })
      assert.deepEqual(service.calls, [{ method: 'retract', item: { kind: 'domain', value: 'fake-shop.example' } }])
    })

    it('GET /v1/explain by kind and value, and by fingerprint (lower-cased)', async () => {
      const byValue = await call('GET', '/v1/explain?kind=phone&value=%2B441632960000')
      assert.equal(byValue.status, 200)
      assert.equal(byValue.body.status, 'listed')
      const upper = FP(0xabc).toUpperCase()
      const byFp = await call('GET', `/v1/explain?fingerprint=${upper}`)
      assert.equal(byFp.status, 200)
      assert.deepEqual(service.calls, [
        { method: 'explain', query: { kind: 'phone', value: '+441632960000' } },
        { method: 'explain', query: { fingerprint: FP(0xabc) } }
      ])
    })

    it('ApiClient.explain keeps the identifier out of the URL (POST)', async () => {
      const res = await client.explain({ kind: 'phone', value: '+441632960000' })
      assert.equal(res.positive.length, 2)
      const fp = await client.explain({ fingerprint: FP(5) })
      assert.equal(fp.fingerprint, FP(5))
      assert.equal(service.calls.length, 2)
    })

    it('GET /v1/blocklist streams JSONL, with the status filter', async () => {
      const res = await fetch(`${url}/v1/blocklist?status=candidate`, { headers: { authorization: `Bearer ${TOKEN}` } })
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /application\/x-ndjson/)
      const lines = (await res.text()).split('\n')
      assert.equal(lines.pop(), '')
      assert.deepEqual(lines.map(l => JSON.parse(l)), [row(2, 'candidate')])
      assert.deepEqual(service.calls, [{ method: 'blocklist', filter: { status: 'candidate' } }])
    })

    it('GET /v1/blocklist?format=csv has a header and one line per row', async () => {
      const r = await call('GET', '/v1/blocklist?format=csv')
      assert.equal(r.status, 200)
      assert.match(r.headers.get('content-type') ?? '', /text\/csv/)
      assert.equal(r.body, 'fingerprint,kind,status,orgs,weight,expires,reasons\n' +
        `${FP(1)},phone,listed,brand-a;brand-b,2,2030-01-01T00:00:00.000Z,brand-a=counterfeit\n` +
        `${FP(2)},phone,candidate,brand-a;brand-b,2,2030-01-01T00:00:00.000Z,brand-a=counterfeit\n`)
    })

    it('the blocklist reaches the client while the service is still producing rows (streamed, not buffered)', async () => {
      service.rows = Array.from({ length: 3001 }, (_, i) => row(i))
      let release!: () => void
      service.hold = new Promise<void>(resolve => { release = resolve })
      service.holdAfter = 3000
      const got: BlocklistRow[] = []
      let released = false
      for await (const r of client.blocklist()) {
        got.push(r)
        if (!released && got.length === 1000) {
          // rows arrived although the service has not finished: release it
          released = true
          release()
        }
      }
      assert.equal(released, true)
      assert.equal(got.length, 3001)
      assert.deepEqual(got[3000], row(3000))
    })

    it('an error before the first row is an error response; one mid-stream cuts the transfer', async () => {
      const notOpen = new StoreNotOpenError('read the blocklist')
      service.failNext = notOpen
      const early = await call('GET', '/v1/blocklist')
      assert.equal(early.status, 503)
      assert.deepEqual(early.body, { error: 'store_not_open', message: notOpen.message })

      service.rows = Array.from({ length: 2000 }, (_, i) => row(i))
      service.failAfter = 1500
      const got: BlocklistRow[] = []
      await assert.rejects(async () => { for await (const r of client.blocklist()) got.push(r) }, { name: 'ApiResponseError' })
      assert.ok(got.length < 1500)
    })

    it('GET /metrics serves our metrics and default process metrics', async () => {
      metrics.entriesRejected.inc({ reason: 'bad_signature' })
      const r = await call('GET', '/metrics')
      assert.equal(r.status, 200)
      assert.match(r.headers.get('content-type') ?? '', /text\/plain/)
      for (const name of ['alliance_peers', 'alliance_entries_applied_total', 'alliance_entries_rejected_total', 'alliance_sync_lag_entries',
        'alliance_sync_runs_total', 'alliance_blocklist_fingerprints', 'alliance_gossip_messages_total', 'alliance_api_requests_total', 'process_cpu_user_seconds_total']) {
        assert.match(r.body, new RegExp(`^# TYPE ${name} `, 'm'), name)
      }
      assert.match(r.body, /alliance_entries_rejected_total\{reason="bad_signature"\} 1/)
      assert.match(r.body, /alliance_api_requests_total\{route="\/v1\/status",status="200"\} \d+/)
      assert.match(r.body, /alliance_api_requests_total\{route="\/v1\/status",status="401"\} \d+/)
    })

    it('POST /v1/feedback and /v1/allow validate and reach the service', async () => {
      const fp = 'ab'.repeat(32)
      const f = await call('POST', '/v1/feedback', { fingerprint: fp, outcome: 'false-positive', note: 'seller proved authenticity' })
      assert.equal(f.status, 200)
      assert.equal(f.body.status, 'disputed')
      assert.deepEqual(service.calls.at(-1), { method: 'feedback', item: { fingerprint: fp, outcome: 'false-positive', note: 'seller proved authenticity' } })
      const before = service.calls.length
      const bad = await call('POST', '/v1/feedback', { fingerprint: fp, outcome: 'maybe' })
      assert.equal(bad.status, 400)
      assert.equal(bad.body.error, 'invalid_body')
      assert.equal(service.calls.length, before)
      const a = await call('POST', '/v1/allow', { kind: 'seller-account', value: 'shopmart:authorised_1' })
      assert.equal(a.status, 200)
      assert.equal(a.body.opinion, 'authorised-reseller')
    })

    it('POST /v1/match takes absolute paths only; GET /v1/match/retro parses since', async () => {
      const ok = await call('POST', '/v1/match', { listings: '/data/listings.csv', out: '/data/decisions.jsonl' })
      assert.equal(ok.status, 200)
      assert.equal(ok.body.rows, 3)
      const before = service.calls.length
      const rel = await call('POST', '/v1/match', { listings: 'listings.csv' })
      assert.equal(rel.status, 400)
      assert.equal(service.calls.length, before)
      const retro = await call('GET', '/v1/match/retro?since=2026-01-01T00:00:00Z')
      assert.equal(retro.status, 200)
      assert.deepEqual(service.calls.at(-1), { method: 'matchRetro', since: Date.parse('2026-01-01T00:00:00Z') })
      for (const since of ['yesterday', '/50', '-1000', '1969-12-31', '2026-01-01T00:00:00Zjunk']) assert.equal((await call('GET', `/v1/match/retro?since=${encodeURIComponent(since)}`)).status, 400, since)
      assert.equal((await call('GET', '/v1/match/retro?since=1700000000000')).status, 200)
    })

    it('GET /v1/roster and POST /v1/roster reach the service', async () => {
      const got = await call('GET', '/v1/roster')
      assert.equal(got.status, 200)
      assert.equal(got.body.format, 'alliance-roster/1')
      const file = { format: 'alliance-roster/1', roster: 'AA==' }
      const adopted = await call('POST', '/v1/roster', file)
      assert.equal(adopted.status, 200)
      assert.deepEqual(adopted.body, { version: 2, changed: true })
      assert.deepEqual(service.calls.at(-1), { method: 'adoptRoster', file })
    })

    it('report routes validate their input and reach the service', async () => {
      const report = { recipients: ['police'], sellers: [{ name: 'best-deals-4u' }], rights: [{ mark: 'ACME' }], narrative: 'test purchase' }
      const sent = await call('POST', '/v1/reports', { to: ['police'], report, evidence: ['/tmp/photo.jpg'] })
      assert.equal(sent.status, 200)
      assert.equal(sent.body.duplicate, false)
      const last = service.calls.at(-1) as { method: string, req: { to: string[], evidence: string[], report: { narrative: string } } }
      assert.equal(last.method, 'reportSend')
      assert.deepEqual(last.req.to, ['police'])
      assert.deepEqual(last.req.evidence, ['/tmp/photo.jpg'])
      assert.equal(last.req.report.narrative, 'test purchase')
      const before = service.calls.length
      for (const bad of [{ report: { ...report, rights: [] } }, { report, extra: 1 }, { to: 'police', report }, {}]) {
        const r = await call('POST', '/v1/reports', bad)
        assert.equal(r.status, 400)
        assert.equal(r.body.error, 'invalid_body')
      }
      assert.equal((await call('GET', '/v1/reports/not-an-id')).body.error, 'invalid_report_id')
      assert.equal((await call('POST', `/v1/reports/${REPORT_ID}/export`, { out: 1 })).status, 400)
      assert.equal(service.calls.length, before, 'nothing reached the service')
      assert.deepEqual((await call('GET', '/v1/reports/outbox')).body, [OUTBOX_ITEM])
      assert.deepEqual((await call('GET', '/v1/reports/inbox')).body, [INBOX_ITEM])
      assert.equal((await call('GET', `/v1/reports/${REPORT_ID}`)).body.direction, 'received')
      const ex = await call('POST', `/v1/reports/${REPORT_ID}/export`, { out: '/tmp/b.bundle' })
      assert.equal(ex.status, 200)
      assert.deepEqual(service.calls.at(-1), { method: 'reportExport', id: REPORT_ID, outPath: '/tmp/b.bundle' })
      service.failNext = new NotLawEnforcementError('platform')
      const refused = await call('POST', '/v1/reports', { to: ['platform'], report })
      assert.equal(refused.status, 400)
      assert.equal(refused.body.error, 'not_law_enforcement')
      service.failNext = new ReportNotFoundError(REPORT_ID)
      assert.equal((await call('GET', `/v1/reports/${REPORT_ID}`)).status, 404)
    })

    it('GET /openapi.json is OpenAPI 3.1 and lists every route', async () => {
      const r = await call('GET', '/openapi.json')
      assert.equal(r.status, 200)
      assert.equal(r.body.openapi, '3.1.0')
      const ops = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) => Object.keys(m).map(k => `${k.toUpperCase()} ${p}`)).sort()
      assert.deepEqual(ops, [
        'GET /metrics', 'GET /openapi.json', 'GET /v1/blocklist', 'GET /v1/events', 'GET /v1/explain', 'GET /v1/match/progress', 'GET /v1/match/recent', 'GET /v1/match/retro', 'GET /v1/quota', 'GET /v1/reasons', 'GET /v1/reports/inbox', 'GET /v1/reports/outbox', 'GET /v1/reports/{id}', 'GET /v1/reports/{id}/custody', 'GET /v1/roster', 'GET /v1/roster/proposals', 'GET /v1/status',
        'POST /v1/allow', 'POST /v1/attest', 'POST /v1/console/link', 'POST /v1/explain', 'POST /v1/feedback', 'POST /v1/match', 'POST /v1/pipeline/attach', 'POST /v1/pipeline/fingerprints', 'POST /v1/reports', 'POST /v1/reports/{id}/export', 'POST /v1/retract', 'POST /v1/roster', 'POST /v1/roster/proposals'
      ])
      assert.equal(r.body.components.securitySchemes.bearer.scheme, 'bearer')
      assert.deepEqual(r.body.components.schemas.AttestRequest.required, ['items'])
    })
  })

  describe('events', () => {
    const event = (n: number, to: StatusEvent['to'] = 'listed'): StatusEvent => ({ type: 'status', at: new Date(1_700_000_000_000 + n).toISOString(), fingerprint: FP(n), kind: 'phone', from: 'candidate', to, cause: 'entry', org: 'brand-b' })

    /** Waits until the fake service has `n` watchers (the stream is open). */
    async function watchers (n: number): Promise<void> {
      for (let i = 0; i < 200 && service.feed.subscribers !== n; i++) await new Promise(resolve => setTimeout(resolve, 5))
      assert.equal(service.feed.subscribers, n)
    }

    it('GET /v1/events streams status changes as they happen, filtered by status; aborting ends quietly and unsubscribes', async () => {
      const ctl = new AbortController()
      const got: StatusEvent[] = []
      const reading = (async () => { for await (const e of client.watch({ status: 'listed' }, ctl.signal)) got.push(e) })()
      await watchers(1)
      service.feed.emit(event(1))
      service.feed.emit(event(2, 'disputed'))
      service.feed.emit(event(3))
      for (let i = 0; i < 200 && got.length < 2; i++) await new Promise(resolve => setTimeout(resolve, 5))
      assert.deepEqual(got, [event(1), event(3)])
      ctl.abort()
      await reading
      await watchers(0)
      assert.deepEqual(service.calls, [{ method: 'watch', filter: { status: 'listed' } }])
    })

    it('overflow and a stopping server end an open watch with a named error (a watcher never ends silently)', async () => {
      const own = new FakeService()
      const srv = createApiServer({ service: own, token: TOKEN, logger: createLogger({ level: 'error', sink: () => {} }), metrics: createMetrics() })
      const c = new ApiClient({ url: (await srv.start()).url, token: TOKEN })
      const until = async (n: number): Promise<void> => {
        for (let i = 0; i < 200 && own.feed.subscribers !== n; i++) await new Promise(resolve => setTimeout(resolve, 5))
        assert.equal(own.feed.subscribers, n)
      }
      try {
        // overflow: more changes in one go than a subscriber may have waiting
        let got = 0
        const overflowing = (async () => { for await (const e of c.watch()) got += e.type === 'status' ? 1 : 0 })().then(() => undefined, (err: unknown) => err)
        await until(1)
        for (let i = 0; i < MAX_WATCH_BACKLOG + 5; i++) own.feed.emit(event(i))
        const err = await overflowing
        assert.equal((err as Error).name, 'ApiResponseError')
        assert.match((err as Error).message, /fell 10000 status changes behind/)
        assert.equal(got, MAX_WATCH_BACKLOG, 'every event it held arrived before the error')
        await until(0)

        const watching = (async () => { for await (const e of c.watch()) void e })().then(() => undefined, (err: unknown) => err)
        await until(1)
        const t = Date.now()
        await srv.stop()
        assert.ok(Date.now() - t < STOP_GRACE_MS, 'an open watch does not hold up stop()')
        const stopped = await watching
        assert.equal((stopped as Error).name, 'ApiResponseError')
        await until(0)
      } finally {
        await srv.stop()
      }
    })

    it('a bad status filter is a 400 before any stream opens', async () => {
      const r = await call('GET', '/v1/events?status=gone')
      assert.equal(r.status, 400)
      assert.equal(r.body.error, 'invalid_query')
      assert.equal(service.feed.subscribers, 0)
    })
  })

  describe('bad input changes nothing', () => {
    const cases: Array<[string, string, string, unknown, string?]> = [
      ['attest without items', 'POST', '/v1/attest', {}],
      ['attest with empty items', 'POST', '/v1/attest', { items: [] }],
      ['attest with an unknown kind', 'POST', '/v1/attest', { items: [{ kind: 'phone', value: '+441632960000' }, { kind: 'emali', value: 'x@y.z' }] }],
      ['attest with an empty value', 'POST', '/v1/attest', { items: [{ kind: 'phone', value: '' }] }],
      ['attest with an unknown field', 'POST', '/v1/attest', { items: [{ kind: 'phone', value: '+441632960000', ttl: '90d' }] }],
      ['attest with a fractional reason', 'POST', '/v1/attest', { items: [{ kind: 'phone', value: '+441632960000', reason: 1.5 }] }],
      ['attest with a reason that is neither a name nor a code', 'POST', '/v1/attest', { items: [{ kind: 'phone', value: '+441632960000', reason: 'grey import!' }] }],
      ['attest with confidence 101', 'POST', '/v1/attest', { items: [{ kind: 'phone', value: '+441632960000', confidence: 101 }] }],
      ['retract without value', 'POST', '/v1/retract', { kind: 'phone' }],
      ['explain with no query', 'GET', '/v1/explain', undefined],
      ['explain with a short fingerprint', 'GET', '/v1/explain?fingerprint=abcd', undefined],
      ['explain with both forms', 'GET', `/v1/explain?fingerprint=${FP(1)}&kind=phone`, undefined],
      ['blocklist with an unknown status', 'GET', '/v1/blocklist?status=banned', undefined],
      ['blocklist with an unknown format', 'GET', '/v1/blocklist?format=xml', undefined]
    ]
    for (const [what, method, path, body] of cases) {
      it(`${what} → 400 with a named reason`, async () => {
        const r = await call(method, path, body)
        assert.equal(r.status, 400, JSON.stringify(r.body))
        assert.match(r.body.error, /^invalid_(body|query)$/)
        assert.equal(typeof r.body.message, 'string')
        assert.deepEqual(service.calls, [])
      })
    }

    it('invalid JSON → 400 invalid_json', async () => {
      const r = await call('POST', '/v1/attest', undefined, TOKEN, '{"items": [')
      assert.equal(r.status, 400)
      assert.equal(r.body.error, 'invalid_json')
      assert.deepEqual(service.calls, [])
    })

    it('a body over the route limit → 413 body_too_large', async () => {
      const r = await call('POST', '/v1/retract', { kind: 'phone', value: 'x'.repeat(100_000) })
      assert.equal(r.status, 413)
      assert.equal(r.body.error, 'body_too_large')
      assert.deepEqual(service.calls, [])
    })

    it('a URL the router cannot decode → 400 bad_url, logged by route pattern, without echoing it', async () => {
      logLines.length = 0
      const r = await call('GET', '/v1/reports/%E0%A4%Asecret')
      assert.equal(r.status, 400)
      assert.equal(r.body.error, 'bad_url')
      assert.deepEqual(Object.keys(r.body), ['error', 'message'])
      assert.ok(!(r.body.message as string).includes('secret'))
      assert.deepEqual(logLines.map(l => JSON.parse(l)).filter(l => l.msg === 'request').map(l => [l.route, l.status]), [['unmatched', 400]])
      assert.ok(!logLines.join('\n').includes('secret'))
      assert.deepEqual(service.calls, [])
    })

    it('an unknown route → 404 without echoing the query', async () => {
      const r = await call('GET', '/v1/nothing?value=secret')
      assert.equal(r.status, 404)
      assert.equal(r.body.error, 'no_route')
      assert.ok(!(r.body.message as string).includes('secret'))
    })
  })

  describe('service errors', () => {
    it('named errors map by category to 400/404/409/503 and reach ApiClient as ApiRequestError', async () => {
      const cases: Array<[Error & { reason: string }, number]> = [
        [new InvalidIdentifierError('phone', 'not_e164', 3), 400],
        [new ReportNotFoundError(REPORT_ID), 404],
        [new ExportTargetExistsError('/tmp/b.bundle'), 409],
        [new StoreNotOpenError('retract'), 503]
      ]
      for (const [err, status] of cases) {
        service.failNext = err
        await assert.rejects(client.retract({ kind: 'phone', value: '+441632960000' }),
          (e: any) => e.name === 'ApiRequestError' && e.status === status && e.reason === err.reason && e.message === err.message)
      }
    })

    it('an internal named error, an error without a category, or one with an unknown category is a generic 500', async () => {
      logLines.length = 0
      const cases = [
        new StoreCorruptError('entry 7 of abcd (detail for the log only)'),
        Object.assign(new Error('detail for the log only'), { name: 'LibraryError', reason: 'not_found' }),
        new FakeNamedError('OddError', 'odd', 'detail for the log only', 'teapot' as never)
      ]
      for (const err of cases) {
        assert.equal(httpStatusOf(err), 500)
        service.failNext = err
        const r = await call('GET', '/v1/status')
        assert.equal(r.status, 500)
        assert.deepEqual(Object.keys(r.body), ['error', 'message'])
        assert.equal(r.body.error, 'internal')
        assert.ok(!(r.body.message as string).includes('detail for the log only'))
      }
      assert.equal(logLines.filter(l => l.includes('detail for the log only') && JSON.parse(l).level === 'error').length, 3)
    })

    it('anything else → 500 with a generic message; the detail goes to the log', async () => {
      logLines.length = 0
      service.failNext = new TypeError('cannot read properties of undefined (internal detail)')
      const r = await call('GET', '/v1/status')
      assert.equal(r.status, 500)
      assert.equal(r.body.error, 'internal')
      assert.ok(!(r.body.message as string).includes('internal detail'))
      assert.ok(logLines.some(l => l.includes('internal detail') && JSON.parse(l).level === 'error'))
    })
  })
})

describe('node/api server configuration', () => {
  const base = { service: new FakeService(), token: TOKEN, logger: createLogger({ sink: () => {} }), metrics: createMetrics({ processMetrics: false }) }

  it('refuses a non-loopback host without allowNonLoopback', () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com']) {
      assert.throws(() => createApiServer({ ...base, host }), { name: 'NonLoopbackHostError' })
    }
    assert.doesNotThrow(() => createApiServer({ ...base, host: '0.0.0.0', allowNonLoopback: true }))
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      assert.doesNotThrow(() => createApiServer({ ...base, host }))
    }
  })

  it('refuses a short token and a bad port', () => {
    assert.throws(() => createApiServer({ ...base, token: 'short' }), { name: 'InvalidApiConfigError' })
    assert.throws(() => createApiServer({ ...base, port: 70000 }), { name: 'InvalidApiConfigError' })
  })
})

describe('node/api client without a daemon', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'alliance-api-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('no api.json → DaemonNotRunningError naming the dir and the start command', async () => {
    await assert.rejects(ApiClient.fromDir(dir), (err: any) => err.name === 'DaemonNotRunningError' && err.message.includes(`alliance start ${dir}`))
  })

  it('api.json of a dead process → DaemonNotRunningError', async () => {
    await writeApiInfo(dir, { url: 'http://127.0.0.1:9', token: TOKEN, pid: 2 ** 22 + 12345 })
    await assert.rejects(ApiClient.fromDir(dir), { name: 'DaemonNotRunningError' })
  })

  it('nothing listening at the recorded URL → DaemonNotRunningError', async () => {
    await writeApiInfo(dir, { url: `http://127.0.0.1:${await freePort()}`, token: TOKEN, pid: process.pid })
    const c = await ApiClient.fromDir(dir)
    await assert.rejects(c.status(), { name: 'DaemonNotRunningError' })
    assert.ok(!JSON.stringify(c).includes(TOKEN))
  })
})

describe('node/api server start failures', () => {
  it('a port in use is a named error; the same server starts once the port is free', async () => {
    const init = { service: new FakeService(), token: TOKEN, logger: createLogger({ sink: () => {} }), metrics: createMetrics({ processMetrics: false }) }
    const first = createApiServer(init)
    const port = Number(new URL((await first.start()).url).port)
    const second = createApiServer({ ...init, port })
    try {
      await assert.rejects(second.start(), { name: 'InvalidApiConfigError' })
    } finally {
      await first.stop()
    }
    assert.match((await second.start()).url, new RegExp(`:${port}$`))
    await second.stop()
  })
})
