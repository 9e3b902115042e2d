/**
 * Fuzzing the local HTTP API's request bodies.
 *
 * FUZZ_RUNS bodies per POST route go through the route's in-process handler
 * — the route's own request schema (node/api/schemas.ts), then the real
 * node's service method, then the server's error mapping
 * (`httpStatusOf`) — because an HTTP round trip per input (~1 ms
 * here, 40,000 inputs) would not fit the CI budget. A smaller sample of raw
 * bodies then goes over real HTTP to every POST route the OpenAPI document
 * lists (so routes added later are covered too).
 *
 * Inputs: arbitrary JSON, route-shaped objects with wrong types, extra keys
 * and random strings, and (for /v1/roster) the real roster file mutated.
 *
 * Asserted: every input is answered 2xx or with a named error that maps to
 * 400/404/409/413/415/503 — never a 500, an unnamed exception or a hang;
 * explain and roster adoption change nothing; an accepted attest or retract
 * moves this node's own head by exactly the entries it reports; memory
 * stays bounded.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { httpStatusOf } from '../../node/api/http-errors.js'
import { createApiServer, type ApiServer } from '../../node/api/server.js'
import { openApiDocument } from '../../node/api/openapi.js'
import { attestBodySchema, describeIssues, explainQuerySchema, retractBodySchema } from '../../node/api/schemas.js'
import { CLAIMS, KINDS } from '../../protocol/kinds.js'
import { tally } from './helpers/outcomes.js'
import { FUZZ_RUNS, SOAK, budget, record } from './helpers/scale.js'
import { MiB, assertMemoryBounded, liveBytes, nodeState } from './helpers/state.js'
import { fuzzWorld, type FuzzWorld } from './helpers/world.js'

const TOKEN = 'fault-tier-token-0123456789abcdef'
const HTTP_RUNS = SOAK ? Math.min(Math.ceil(FUZZ_RUNS / 10), 20_000) : Math.min(FUZZ_RUNS, 250)
const PER_INPUT_MS = 10_000

/** What the server answers for a thrown error (mirrors its error handler). */
const statusOf = httpStatusOf

const anyJson = fc.jsonValue({ maxDepth: 4 })
const kind = fc.oneof(fc.constantFrom(...KINDS), fc.string({ maxLength: 12 }), fc.integer())
const value = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.emailAddress(),
  fc.webUrl(),
  fc.constantFrom('+44 20 7946 0958', 'GB82WEST12345698765432', 'shop.example.com', '', ' ', '\u0000', 'ａｂｃ'),
  fc.integer(),
  anyJson
)
const extra = fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 })
const item = fc.record({
  kind,
  value,
  reason: fc.option(fc.oneof(fc.integer(), fc.double(), fc.string()), { nil: undefined }),
  ttlMs: fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(0), fc.constant(-1)), { nil: undefined }),
  claim: fc.option(fc.oneof(fc.constantFrom(...CLAIMS), fc.string()), { nil: undefined }),
  confidence: fc.option(fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double()), { nil: undefined })
}, { requiredKeys: [] }).chain(i => fc.oneof({ arbitrary: fc.constant(i), weight: 4 }, { arbitrary: extra.map(e => ({ ...e, ...i })), weight: 1 }))
const hex = fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{0,70}$/), fc.string({ maxLength: 70 }))

/** Well-typed items: every one reaches canonicalisation and fingerprinting on the node. */
const typedItem = fc.record({
  kind: fc.constantFrom(...KINDS),
  value: fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.emailAddress(), fc.webUrl(), fc.domain(), fc.stringMatching(/^\+?[0-9 ()-]{4,20}$/)),
  ttlMs: fc.option(fc.integer({ min: 1, max: 400 * 86_400_000 }), { nil: undefined })
}, { requiredKeys: ['kind', 'value'] })

const BODIES = {
  attest: fc.oneof(anyJson, fc.record({ items: fc.array(typedItem, { minLength: 1, maxLength: 4 }) }), fc.record({ items: fc.oneof(fc.array(item, { maxLength: 6 }), anyJson) }), fc.tuple(fc.array(item, { maxLength: 3 }), extra).map(([items, e]) => ({ ...e, items }))),
  retract: fc.oneof(anyJson, item, fc.record({ kind, value }), typedItem.map(i => ({ kind: i.kind, value: i.value }))),
  explain: fc.oneof(anyJson, fc.record({ kind, value }), typedItem.map(i => ({ kind: i.kind, value: i.value })), fc.record({ fingerprint: hex }), fc.record({ fingerprint: hex, kind, value }, { requiredKeys: [] }))
}

describe('fault: fuzzing the HTTP API request bodies', function () {
  this.timeout(budget(90_000, FUZZ_RUNS, 4 * 4))
  let w: FuzzWorld

  before(async () => {
    w = await fuzzWorld()
  })

  after(async () => {
    await w?.close()
  })

  /** Runs one body through a route's in-process handler; returns the status the server would answer. */
  async function handle (route: string, body: unknown): Promise<{ status: number, result?: unknown, error?: unknown }> {
    const svc = w.node
    try {
      switch (route) {
        case 'attest': {
          const p = attestBodySchema.safeParse(body)
          if (!p.success) { describeIssues(p.error); return { status: 400 } }
          return { status: 200, result: await svc.attest(p.data.items) }
        }
        case 'retract': {
          const p = retractBodySchema.safeParse(body)
          if (!p.success) { describeIssues(p.error); return { status: 400 } }
          return { status: 200, result: await svc.retract(p.data) }
        }
        case 'explain': {
          const p = explainQuerySchema.safeParse(body)
          if (!p.success) { describeIssues(p.error); return { status: 400 } }
          return { status: 200, result: await svc.explain(p.data) }
        }
        case 'roster':
          return { status: 200, result: await svc.adoptRoster(body) }
      }
      throw new Error(`no route ${route}`)
    } catch (err) {
      return { status: statusOf(err), error: err }
    }
  }

  const ownHead = (): number => w.node.store.head(w.node.keys.sign.publicKey)?.seq ?? 0

  async function fuzzRoute (route: keyof typeof BODIES | 'roster', bodies: fc.Arbitrary<unknown>): Promise<void> {
    const statuses: Record<string, number> = {}
    const mem = liveBytes()
    const before = await nodeState(w.node)
    let n = 0
    let appended = 0
    const t0 = Date.now()
    await fc.assert(fc.asyncProperty(bodies, async body => {
      const head = ownHead()
      const out = await handle(route, body)
      const e = out.error as Error | undefined
      assert.ok(out.status !== 500, `${route}: ${JSON.stringify(body)?.slice(0, 300)} → 500 (${e?.name}: ${e?.message})`)
      tally(statuses, out.error === undefined ? String(out.status) : `${out.status}:${(out.error as { reason: string }).reason}`)
      const moved = ownHead() - head
      if (route === 'attest' && out.status === 200) assert.equal(moved, (out.result as { entries: number }).entries, 'attest: own head moved by the entries reported')
      else if (route === 'retract' && out.status === 200) assert.equal(moved, (out.result as { retracted: number }).retracted, 'retract: own head moved by the retractions reported')
      else assert.equal(moved, 0, `${route} answered ${out.status} and still appended entries`)
      appended += moved
      n++
    }), { numRuns: FUZZ_RUNS, timeout: PER_INPUT_MS })
    if (route === 'explain' || route === 'roster') assert.deepEqual(await nodeState(w.node), before, `${route} changed the node's state`)
    const grew = assertMemoryBounded(mem, 96 * MiB, route)
    record('fuzz.api', { [`${route}.inputs`]: n, [`${route}.perSecond`]: Math.round(n / ((Date.now() - t0) / 1000)), [`${route}.entriesAppended`]: appended, [`${route}.memoryGrowthMiB`]: Math.round(grew / MiB), [`${route}.statuses`]: statuses })
  }

  for (const route of ['attest', 'retract', 'explain'] as const) {
    it(`POST /v1/${route}: ${FUZZ_RUNS} bodies through the route's handler: 2xx or a named 4xx/503, never a 500`, async () => {
      await fuzzRoute(route, BODIES[route])
    })
  }

  it(`POST /v1/roster: ${FUZZ_RUNS} bodies (arbitrary JSON and the real roster file mutated): named refusals, roster unchanged`, async () => {
    const file = w.net.roster as unknown as Record<string, unknown>
    const mutatedFile = fc.record({
      field: fc.constantFrom('format', 'roster', 'signatures', 'keyEpoch', 'summary', 'extra'),
      to: anyJson,
      flip: fc.nat()
    }).map(({ field, to, flip }) => {
      const copy = JSON.parse(JSON.stringify(file)) as Record<string, unknown>
      if (field === 'roster' && typeof to === 'number') {
        // one byte of the signed roster document changed: a signature no longer verifies
        const b = Buffer.from(copy.roster as string, 'base64')
        b[flip % b.length] ^= 0x01
        copy.roster = b.toString('base64')
      } else if (field === 'signatures' && Array.isArray(copy.signatures) && typeof to === 'string') {
        copy.signatures = (copy.signatures as unknown[]).slice(0, flip % ((copy.signatures as unknown[]).length + 1))
      } else {
        copy[field] = to
      }
      return copy
    })
    await fuzzRoute('roster', fc.oneof(anyJson, mutatedFile))
    assert.equal((await w.node.status()).rosterVersion, 1)
  })

  describe('over real HTTP', () => {
    let server: ApiServer
    let url: string

    before(async () => {
      server = createApiServer({ service: w.node, token: TOKEN, logger: w.node.logger, metrics: w.node.metrics })
      url = (await server.start()).url
    })

    after(async () => {
      await server?.stop()
    })

    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> }
    const posts = Object.entries(doc.paths).filter(([, ops]) => 'post' in ops).map(([path]) => path)

    it(`${HTTP_RUNS} raw bodies to each POST route the OpenAPI document lists (${posts.length} routes): never a 500, always a JSON error with a reason`, async () => {
      const raw = fc.oneof(
        anyJson.map(j => ({ body: JSON.stringify(j), type: 'application/json' })),
        fc.string({ maxLength: 200 }).map(s => ({ body: s, type: 'application/json' })),
        fc.uint8Array({ maxLength: 200 }).map(b => ({ body: Buffer.from(b).toString('latin1'), type: 'application/json' })),
        anyJson.map(j => ({ body: JSON.stringify(j), type: 'text/plain' })),
        fc.constant({ body: '', type: 'application/json' }),
        fc.constant({ body: '{"items":' + '['.repeat(5000), type: 'application/json' })
      )
      const statuses: Record<string, number> = {}
      let n = 0
      const t0 = Date.now()
      for (const path of posts) {
        await fc.assert(fc.asyncProperty(raw, async ({ body, type }) => {
          const res = await fetch(url + path.replace(/\{[^}]+\}/g, '00'.repeat(16)), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, body, signal: AbortSignal.timeout(PER_INPUT_MS) })
          const text = await res.text()
          assert.notEqual(res.status, 500, `${path} ${body.slice(0, 200)} → 500 ${text}`)
          if (res.status >= 400) {
            const parsed = JSON.parse(text) as { error?: unknown }
            assert.equal(typeof parsed.error, 'string', `${path}: error responses carry a reason`)
            tally(statuses, `${res.status}:${String(parsed.error)}`)
          } else {
            tally(statuses, String(res.status))
          }
          n++
        }), { numRuns: HTTP_RUNS, timeout: PER_INPUT_MS })
      }
      record('fuzz.api', { 'http.inputs': n, 'http.routes': posts, 'http.perSecond': Math.round(n / ((Date.now() - t0) / 1000)), 'http.statuses': statuses })
    })
  })
})
