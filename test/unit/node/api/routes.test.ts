/**
 * The route table is the one description of the API: the OpenAPI document
 * is derived from it, ApiClient and the server agree on every route of it
 * (each driven through the real client against the real server, with a
 * NodeService double), and every named error class answers with the status
 * the document gives for its category.
 */
import assert from 'node:assert/strict'
import { z } from 'zod'
import { ApiClient } from '../../../../node/api/client.js'
import { CATEGORY_STATUS, httpStatusOf } from '../../../../node/api/http-errors.js'
import { createMetrics } from '../../../../node/api/metrics.js'
import { openApiDocument } from '../../../../node/api/openapi.js'
import { openApiPath } from '../../../../node/api/route-table.js'
import { API_ROUTES } from '../../../../node/api/routes.js'
import { reportSendBodySchema } from '../../../../node/api/schemas.js'
import { createApiServer, type ApiServer } from '../../../../node/api/server.js'
import { createLogger } from '../../../../node/logger.js'
import type { NodeService, StatusEvent } from '../../../../node/service.js'
import { ERROR_CATEGORIES } from '../../../../protocol/errors.js'
import { FakeService, FP, INBOX_ITEM, OUTBOX_ITEM, PROGRESS, PROPOSAL, REPORT_ID, RETRO_DECISION, SCAN, STATUS, row, type Call } from './fake-service.js'

const TOKEN = 'routes-test-token-0123456789abcdef'

/** What the double answers, to compare with what arrives through the client. */
const fake = new FakeService()
const ANSWERS = {
  explainFingerprint: await fake.explain({ fingerprint: FP(3) }),
  explainValue: await fake.explain({ kind: 'phone', value: '+441632960000' }),
  match: await fake.match({ listings: '/data/listings.csv' }),
  reportShow: await fake.reportShow(REPORT_ID),
  reportExport: await fake.reportExport(REPORT_ID, '/tmp/b.bundle'),
  reportCustody: await fake.reportCustody(REPORT_ID)
}

type Json = Record<string, any>

/** `schema` with every `$ref` into components replaced by what it names. */
function deref (schema: unknown, components: Record<string, Json>): unknown {
  if (Array.isArray(schema)) return schema.map(s => deref(s, components))
  if (typeof schema !== 'object' || schema === null) return schema
  const { $ref, ...rest } = schema as Json
  if (typeof $ref === 'string') return deref({ ...components[$ref.replace('#/components/schemas/', '')], ...rest }, components)
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, deref(v, components)]))
}

/** The zod schema as JSON Schema on its own (every part inlined). */
function inline (schema: z.ZodType): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json
  return rest
}

function queryKeys (schema: z.ZodType): string[] {
  const js = inline(schema)
  const alternatives = (Array.isArray(js.anyOf) ? js.anyOf : [js]) as Json[]
  return [...new Set(alternatives.flatMap(a => Object.keys(a.properties ?? {})))].sort()
}

describe('node/api route table → openapi.json', () => {
  const doc = openApiDocument() as Json
  const components = doc.components.schemas as Record<string, Json>

  it('has exactly one operation per route of the table', () => {
    const ops = Object.entries(doc.paths as Record<string, Json>).flatMap(([p, m]) => Object.keys(m).map(k => `${k.toUpperCase()} ${p}`)).sort()
    assert.deepEqual(ops, API_ROUTES.map(r => `${r.method} ${openApiPath(r.path)}`).sort())
    assert.equal(new Set(API_ROUTES.map(r => r.operationId)).size, API_ROUTES.length, 'operationIds are unique')
  })

  for (const route of API_ROUTES) {
    it(`${route.method} ${route.path}: operation, parameters, body and answer are the table's`, () => {
      const op = doc.paths[openApiPath(route.path)][route.method.toLowerCase()] as Json
      assert.equal(op.operationId, route.operationId)
      assert.equal(op.summary, route.summary)
      const params = (op.parameters ?? []) as Json[]
      assert.deepEqual(params.filter(p => p.in === 'path').map(p => p.name), [...route.path.matchAll(/:(\w+)/g)].map(m => m[1]))
      assert.deepEqual(params.filter(p => p.in === 'query').map(p => p.name).sort(), route.query === undefined ? [] : queryKeys(route.query))
      if (route.body === undefined) assert.equal(op.requestBody, undefined)
      else assert.deepEqual(deref(op.requestBody.content['application/json'].schema, components), inline(route.body))
      const ok = op.responses[200].content as Record<string, Json>
      const type = route.response === 'json' ? 'application/json' : route.response === 'text' ? 'text/plain' : 'application/x-ndjson'
      assert.deepEqual(deref(ok[type].schema, components), inline(route.output))
      assert.equal(op['x-streaming'], route.response === 'export' || route.response === 'feed' ? route.response : undefined)
      for (const status of [401, 500, ...Object.keys(route.responses ?? {}).map(Number)]) assert.ok(op.responses[status] !== undefined, `documents ${status}`)
      if (route.reachesService !== false) {
        for (const { status } of Object.values(CATEGORY_STATUS)) assert.ok(op.responses[status] !== undefined, `documents ${status}`)
      }
    })
  }

  it('every $ref names a component', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(m => m[1])
    assert.ok(refs.length > 20)
    for (const r of refs) assert.ok(r in components, r)
  })
})

describe('node/api client and server agree on every route', function () {
  const service = new FakeService()
  let server: ApiServer
  let client: ApiClient

  before(async () => {
    server = createApiServer({ service, token: TOKEN, logger: createLogger({ level: 'error', sink: () => {} }), metrics: createMetrics({ processMetrics: false }) })
    client = new ApiClient({ url: (await server.start()).url, token: TOKEN })
  })

  after(async () => {
    await server.stop()
  })

  beforeEach(() => {
    service.calls = []
    service.failNext = undefined
  })

  const report = { recipients: ['police'], sellers: [{ name: 'best-deals-4u' }], rights: [{ mark: 'ACME' }], narrative: 'test purchase' }
  const event: StatusEvent = { type: 'status', at: '2025-01-01T00:00:00.000Z', fingerprint: FP(4), kind: 'phone', from: 'candidate', to: 'listed', cause: 'entry', org: 'brand-b' }

  /** Per operationId: what to do through the client, what the service must have been asked, what the client must answer. */
  const FIXTURES: Record<string, { run: (c: ApiClient) => Promise<unknown>, calls: Call[], answer: unknown | ((got: unknown) => void) }> = {
    status: { run: async c => await c.status(), calls: [{ method: 'status' }], answer: STATUS },
    attest: {
      run: async c => await c.attest([{ kind: 'phone', value: '+44 1632 960000', reason: 3, ttlMs: 86_400_000 }, { kind: 'email', value: 'a@example.com', claim: 'infringing-listing', confidence: 80 }]),
      calls: [{ method: 'attest', items: [{ kind: 'phone', value: '+44 1632 960000', reason: 3, ttlMs: 86_400_000 }, { kind: 'email', value: 'a@example.com', claim: 'infringing-listing', confidence: 80 }] }],
      answer: { entries: 2, fingerprints: [FP(1000), FP(1001)], rejected: [] }
    },
    retract: { run: async c => await c.retract({ kind: 'domain', value: 'fake-shop.example' }), calls: [{ method: 'retract', item: { kind: 'domain', value: 'fake-shop.example' } }], answer: { retracted: 1, fingerprint: FP(7) } },
    feedback: {
      run: async c => await c.feedback({ fingerprint: 'AB'.repeat(32), outcome: 'false-positive', note: 'proved authentic' }),
      calls: [{ method: 'feedback', item: { fingerprint: 'ab'.repeat(32), outcome: 'false-positive', note: 'proved authentic' } }],
      answer: { fingerprint: 'ab'.repeat(32), opinion: 'false-positive', entryId: 'ee'.repeat(32), status: 'disputed' }
    },
    allow: {
      run: async c => await c.allow({ kind: 'seller-account', value: 'shopmart:authorised_1', ttlMs: 3_600_000 }),
      calls: [{ method: 'allow', item: { kind: 'seller-account', value: 'shopmart:authorised_1', ttlMs: 3_600_000 } }],
      answer: { fingerprint: FP(9), opinion: 'authorised-reseller', entryId: 'ff'.repeat(32), status: 'disputed' }
    },
    explain: {
      run: async c => await c.request('explain', { query: { fingerprint: FP(3).toUpperCase() } }),
      calls: [{ method: 'explain', query: { fingerprint: FP(3) } }],
      answer: ANSWERS.explainFingerprint
    },
    explainPost: {
      run: async c => await c.explain({ kind: 'phone', value: '+441632960000' }),
      calls: [{ method: 'explain', query: { kind: 'phone', value: '+441632960000' } }],
      answer: ANSWERS.explainValue
    },
    blocklist: {
      run: async c => { const rows = []; for await (const r of c.blocklist({ status: 'candidate' })) rows.push(r); return rows },
      calls: [{ method: 'blocklist', filter: { status: 'candidate' } }],
      answer: [row(2, 'candidate')]
    },
    watch: {
      run: async c => {
        const ctl = new AbortController()
        const got: StatusEvent[] = []
        const reading = (async () => { for await (const e of c.watch({ status: 'listed' }, ctl.signal)) { got.push(e); ctl.abort() } })()
        for (let i = 0; i < 200 && service.feed.subscribers === 0; i++) await new Promise(resolve => setTimeout(resolve, 5))
        service.feed.emit({ ...event, to: 'disputed' })
        service.feed.emit(event)
        await reading
        return got
      },
      calls: [{ method: 'watch', filter: { status: 'listed' } }],
      answer: [event]
    },
    match: {
      run: async c => await c.match({ listings: '/data/listings.csv', out: '/data/decisions.jsonl', workers: 2 }),
      calls: [{ method: 'match', req: { listings: '/data/listings.csv', out: '/data/decisions.jsonl', workers: 2 } }],
      answer: ANSWERS.match
    },
    matchRecent: { run: async c => await c.matchRecent(), calls: [{ method: 'matchRecent' }], answer: [SCAN] },
    matchProgress: { run: async c => await c.matchProgress(), calls: [{ method: 'matchProgress' }], answer: PROGRESS },
    matchRetro: { run: async c => await c.matchRetro(1_700_000_000_000), calls: [{ method: 'matchRetro', since: 1_700_000_000_000 }], answer: [RETRO_DECISION] },
    roster: { run: async c => await c.roster(), calls: [{ method: 'roster' }], answer: { format: 'alliance-roster/1' } },
    quota: {
      run: async c => await c.quota({ org: 'platform', days: 3 }),
      calls: [{ method: 'quota', args: [{ org: 'platform', days: 3 }] }],
      answer: { quotas: { '*': 1000 }, days: [{ epoch: 1, day: 20000, date: '2024-10-04', byGuardian: { 'brand-a': { platform: 5 } }, byOrg: { platform: 5 } }] }
    },
    adoptRoster: {
      run: async c => await c.adoptRoster({ format: 'alliance-roster/1', roster: 'AA==' }),
      calls: [{ method: 'adoptRoster', file: { format: 'alliance-roster/1', roster: 'AA==' } }],
      answer: { version: 2, changed: true }
    },
    proposeRoster: {
      run: async c => await c.proposeRoster({ format: 'alliance-roster/1', roster: 'AA==' }),
      calls: [{ method: 'proposeRoster', file: { format: 'alliance-roster/1', roster: 'AA==' } }],
      answer: PROPOSAL
    },
    rosterProposals: {
      run: async c => await c.rosterProposals(),
      calls: [{ method: 'rosterProposals' }],
      answer: [PROPOSAL]
    },
    reasons: {
      run: async c => await c.reasons(),
      calls: [{ method: 'reasons' }],
      answer: { reasons: [{ code: 1, name: 'counterfeit', description: 'fake goods' }], defaults: true }
    },
    reportSend: {
      run: async c => await c.reportSend({ to: ['police'], report, evidence: ['/tmp/photo.jpg'] }),
      calls: [{ method: 'reportSend', req: reportSendBodySchema.parse({ to: ['police'], report, evidence: ['/tmp/photo.jpg'] }) }],
      answer: { ...OUTBOX_ITEM, duplicate: false }
    },
    reportOutbox: { run: async c => await c.reportOutbox(), calls: [{ method: 'reportOutbox' }], answer: [OUTBOX_ITEM] },
    reportInbox: { run: async c => await c.reportInbox(), calls: [{ method: 'reportInbox' }], answer: [INBOX_ITEM] },
    reportShow: { run: async c => await c.reportShow(REPORT_ID, 'alice'), calls: [{ method: 'reportShow', id: REPORT_ID, operator: 'alice' }], answer: ANSWERS.reportShow },
    reportCustody: { run: async c => await c.reportCustody(REPORT_ID), calls: [{ method: 'reportCustody', id: REPORT_ID }], answer: ANSWERS.reportCustody },
    reportExport: {
      run: async c => await c.reportExport(REPORT_ID, '/tmp/b.bundle', 'bob'),
      calls: [{ method: 'reportExport', id: REPORT_ID, outPath: '/tmp/b.bundle', operator: 'bob' }],
      answer: ANSWERS.reportExport
    },
    pipelineAttach: {
      run: async c => await c.pipelineAttach({ redis: 'redis://127.0.0.1:6379', prefix: 'p' }),
      calls: [{ method: 'pipelineAttach', req: { redis: 'redis://127.0.0.1:6379', prefix: 'p' } }],
      answer: { prefix: 'p', epoch: 1, snapshot: 's1', version: '0-0', entries: 0, defaultCountry: 'GB', cacheKey: 'AAAA' }
    },
    pipelineFingerprints: {
      run: async c => await c.pipelineFingerprints({ epoch: 2, items: [{ kind: 'email', value: 'a@example.org' }] }),
      calls: [{ method: 'pipelineFingerprints', req: { epoch: 2, items: [{ kind: 'email', value: 'a@example.org' }] } }],
      answer: { epoch: 2, results: [{ fingerprint: FP(0) }] }
    },
    metrics: { run: async c => await c.request('metrics'), calls: [], answer: (got: unknown) => assert.match(got as string, /^# TYPE alliance_api_requests_total counter$/m) },
    openapi: { run: async c => await c.request('openapi'), calls: [], answer: openApiDocument() },
    // this server serves no web console (test/integration/console covers a daemon's): refused by name, 503
    consoleLink: { run: async c => await c.request('consoleLink').then(() => 'answered', (e: { reason?: string, status?: number }) => `${String(e.status)} ${String(e.reason)}`), calls: [], answer: '503 console_disabled' }
  }

  it('every route has a case here, and every case a route', () => {
    assert.deepEqual(Object.keys(FIXTURES).sort(), API_ROUTES.map(r => r.operationId).sort())
  })

  it('ApiClient has a method for every NodeService method, each from a route of the table', () => {
    const methods = Object.getOwnPropertyNames(FakeService.prototype).filter(m => m !== 'constructor').sort()
    const bound = API_ROUTES.flatMap(r => r.response !== 'text' && r.client !== undefined ? [r.client.method] : []).sort()
    assert.deepEqual(bound, methods)
    for (const m of methods) assert.equal(typeof (ApiClient.prototype as unknown as Record<string, unknown>)[m], 'function', m)
  })

  for (const route of API_ROUTES) {
    it(`${route.method} ${route.path} (${route.operationId}) through ApiClient: the service gets the call, the client the answer`, async () => {
      const f = FIXTURES[route.operationId]
      const got = await f.run(client)
      assert.deepEqual(service.calls, f.calls)
      if (typeof f.answer === 'function') f.answer(got)
      else assert.deepEqual(got, f.answer)
    })
  }

  it('an answer that is not of the route\'s shape is an ApiResponseError, never passed on', async () => {
    const odd = new FakeService()
    const wrong = Object.assign(odd, { status: async () => ({ ...STATUS, rosterVersion: 'one' }) }) as NodeService
    const srv = createApiServer({ service: wrong, token: TOKEN, logger: createLogger({ level: 'error', sink: () => {} }), metrics: createMetrics({ processMetrics: false }) })
    try {
      const c = new ApiClient({ url: (await srv.start()).url, token: TOKEN })
      await assert.rejects(c.status(), { name: 'ApiResponseError' })
      odd.rows = [{ ...row(1), status: 'banned' as never }]
      await assert.rejects(async () => { for await (const r of c.blocklist()) void r }, { name: 'ApiResponseError' })
    } finally {
      await srv.stop()
    }
  })
})

describe('node/api named errors → HTTP statuses', () => {
  /** Every module that defines named errors. */
  const MODULES = [
    '../../../../node/errors.js', '../../../../node/api/errors.js', '../../../../node/store/errors.js', '../../../../node/reports/errors.js',
    '../../../../node/match/errors.js', '../../../../node/match/seen-snapshot.js', '../../../../node/cli/errors.js', '../../../../node/alliance-node.js',
    '../../../../node/ingest.js', '../../../../node/matching.js', '../../../../node/roster-file.js', '../../../../node/events.js',
    '../../../../node/home.js', '../../../../node/sync.js', '../../../../node/services/errors.js', '../../../../node/services/oprf-wire.js',
    '../../../../protocol/errors.js', '../../../../protocol/canonical/errors.js', '../../../../protocol/codec/errors.js',
    '../../../../protocol/consensus/errors.js', '../../../../protocol/fingerprint/errors.js', '../../../../protocol/log/errors.js',
    '../../../../protocol/report/errors.js', '../../../../protocol/roster/index.js', '../../../../protocol/ed25519.js', '../../../../protocol/fingerprint/toprf/errors.js',
    '../../../../node/checkpoint/errors.js'
  ]

  /**
   * The status of every node error class, and of the protocol errors that
   * are not the caller's input (every other protocol error is a 400).
   * Changing one is changing the API: update README's "HTTP API" too.
   */
  const EXPECTED: Record<string, number> = {
    // node/errors.ts
    NodeError: 500, InsecureKeyFileError: 500, KeyFileExistsError: 409, KeyFileMissingError: 500, MalformedKeyFileError: 500, InvalidHostConfigError: 500,
    PeerNotAllowedError: 400, HostNotStartedError: 503, InvalidPeerIdError: 400, FileNotAllowedError: 400, OutputExistsError: 409,
    // node/api (never thrown by the service, but named all the same)
    NonLoopbackHostError: 500, InvalidApiConfigError: 500, DaemonNotRunningError: 503, ApiRequestError: 500, ApiResponseError: 500, RequestInputError: 400,
    // node/store
    StoreError: 500, StoreNotOpenError: 503, NonContiguousAppendError: 500, InvalidAppendError: 500, StoreCorruptError: 500, StoreLockedError: 500, DamagedTablesError: 500,
    // node/reports
    EvidenceFileError: 400, ReportTooLargeError: 400, InvalidReportRequestError: 400, ReportNotFoundError: 404, AmbiguousReportIdError: 400, ExportTargetExistsError: 409, EvidenceUnavailableError: 400,
    ReportServiceConfigError: 500, ReportServiceNotStartedError: 503, ReportIdConflictError: 409, ReportBusyError: 503, EnvelopeTooLargeError: 400, ReportWireError: 400,
    DeliveryRefusedError: 500, BundleVerificationError: 400, ReportStoreNotOpenError: 503, ReportStoreCorruptError: 500,
    // node/match, node/matching
    InvalidMatchPolicyError: 400, ListingsFormatError: 400, ListingsFileError: 400, UnknownColumnsError: 400, MatcherConfigError: 400, IndexFullError: 500, ReadOnlyIndexError: 500, MatchWorkerError: 500,
    SeenSnapshotError: 500, SeenSnapshotFormatError: 500, SeenSnapshotEpochError: 500, MatchRequestError: 400,
    // node/cli (the CLI's own; never served)
    CliUsageError: 500, InvalidDurationError: 500, IdentifiersFileError: 500, CommandFailedError: 500, DaemonStartError: 500, DaemonStopError: 500, InputFileError: 500, UnpinnedBundleError: 500,
    // the daemon and its services
    NotReadyError: 503, InvalidRequestError: 400, UnknownFingerprintError: 404, OwnEntriesRefusedError: 503, EpochKeyUnavailableError: 503,
    NoLocalSuiteError: 500, VaultError: 500, RateLimitError: 503, RosterFileError: 400, WatchOverflowError: 500,
    NodeDirError: 500, InvalidConfigError: 500, CardAddressError: 400, SyncError: 500, OprfWireError: 503, GuardianRefusedError: 503, GuardianWorkerError: 503,
    // protocol errors that are not the caller's input: its bug, or not now
    InvalidStatementError: 500, InvalidPolicyError: 500, InvalidTimeError: 500, InvalidImageError: 500, CheckpointRefusedError: 500, InvalidRegistryError: 500, OnlineSuiteError: 500, NotEnoughGuardiansError: 503
  }

  async function errorClasses (): Promise<Map<string, { category: string }>> {
    const found = new Map<string, { category: string }>()
    for (const m of MODULES) {
      for (const value of Object.values(await import(m) as Record<string, unknown>)) {
        if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue
        const category = (value.prototype as { category?: unknown }).category
        if (typeof category === 'string') found.set(value.name, { category })
      }
    }
    return found
  }

  it('every named error class has a category, mapped to the status the table above and openapi.json give', async function () {
    this.timeout(30_000)
    const classes = await errorClasses()
    assert.ok(classes.size > 90, `found ${classes.size} classes`)
    const doc = openApiDocument() as Json
    const documented = new Set(Object.keys(doc.paths['/v1/attest'].post.responses).map(Number))
    for (const [name, { category }] of classes) {
      assert.ok((ERROR_CATEGORIES as readonly string[]).includes(category), `${name}: category ${category}`)
      const status = CATEGORY_STATUS[category as keyof typeof CATEGORY_STATUS].status
      const protocolError = !(name in EXPECTED)
      assert.equal(status, EXPECTED[name] ?? 400, `${name}: ${category} → ${status}${protocolError ? ' (a protocol error: input unless listed)' : ''}`)
      assert.ok(documented.has(status), `${name}: ${status} is documented`)
    }
    for (const name of Object.keys(EXPECTED)) assert.ok(classes.has(name), `${name} is still a named error class`)
  })

  it('the status follows the instance: a refusal of own entries takes the category of what refused them', async () => {
    const { OwnEntriesRefusedError } = await import('../../../../node/services/errors.js')
    assert.equal(httpStatusOf(new OwnEntriesRefusedError('rate_limited', 'too many')), 503)
    assert.equal(httpStatusOf(new OwnEntriesRefusedError('invalid_lifetime', 'expires before it is made', 'input')), 400)
    assert.equal(new OwnEntriesRefusedError('x', 'y').category, 'unavailable')
  })

  it('the category is not copied into logs or JSON (a getter, not a field)', async () => {
    const { StoreNotOpenError } = await import('../../../../node/store/errors.js')
    const e = new StoreNotOpenError('read')
    assert.equal(e.category, 'unavailable')
    assert.ok(!Object.keys(e).includes('category'))
  })
})

