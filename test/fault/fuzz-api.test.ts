/**
 * Fuzzing the local HTTP API: the real server (createApiServer), driven
 * in-process through fastify's inject() — every hook, parser, route and the
 * error handler, without a socket (a real HTTP round trip per input would
 * not fit the CI budget; test/unit/node/api covers the socket).
 *
 * 1. Every route of the route table, with a NodeService double that records
 *    each call: requests generated from the route's own schemas (helpers/
 *    requests.ts) — near-valid and past-the-limit values, arbitrary JSON,
 *    raw bytes, wrong media types, oversize bodies, wrong tokens. Asserted:
 *    never a 5xx; every 4xx is a JSON error whose reason is one that blames
 *    the request (INPUT_REASONS); a refused request never reaches the
 *    service; a request that does reaches it once, with arguments its
 *    route's schemas accept, and the answer has the route's output shape.
 * 2. The same server in front of the real node (a three-member alliance on
 *    disk): attest, retract, explain and roster bodies. Asserted: never a
 *    5xx; every 4xx names a reason that blames the input (the API's or the
 *    node's); an accepted attest or retract moves this node's own head by
 *    exactly the entries it reports, anything else by none; explain and
 *    roster adoption leave the node's state as it was; memory stays bounded.
 */
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { MAX_BODY_BYTES } from '../../node/api/limits.js'
import { createMetrics } from '../../node/api/metrics.js'
import type { AnyRoute } from '../../node/api/route-table.js'
import { API_ROUTES } from '../../node/api/routes.js'
import { createApiServer, type ApiServer } from '../../node/api/server.js'
import { createWebConsole } from '../../node/console/server.js'
import { createLogger } from '../../node/logger.js'
import type { NodeService } from '../../node/service.js'
import { CLAIMS, KINDS } from '../../protocol/kinds.js'
import { FakeService } from '../unit/node/api/fake-service.js'
import { tally } from './helpers/outcomes.js'
import { anyJson, requestsFor } from './helpers/requests.js'
import { FUZZ_RUNS, budget, record } from './helpers/scale.js'
import { MiB, assertMemoryBounded, liveBytes, nodeState } from './helpers/state.js'
import { fuzzWorld, type FuzzWorld } from './helpers/world.js'

const TOKEN = 'fault-tier-token-0123456789abcdef'
const PER_INPUT_MS = 10_000
// An in-process request costs ~1 ms here (fastify's inject), against ~0.1 ms for a
// direct service call: the budget is FUZZ_RUNS / 8 requests per route of the table
// (30 routes) and FUZZ_RUNS / 4 per route in front of the real node.
/** Generated requests per route of the table (part 1). */
const ROUTE_RUNS = Math.max(100, Math.ceil(FUZZ_RUNS / 8))
/** Bodies per route in front of the real node (part 2). */
const NODE_RUNS = Math.max(100, Math.ceil(FUZZ_RUNS / 4))

/** Reasons of the server's own refusals; each blames the request. */
export const INPUT_REASONS = new Set([
  'unauthorized', 'no_route', 'bad_url', 'invalid_json', 'body_too_large', 'unsupported_media_type', 'invalid_content_length',
  'invalid_body', 'invalid_query', 'invalid_params', 'invalid_report_id'
])

/** Reasons of the real node's refusals of input that passed the schemas: identifiers, requests, roster files. */
const NODE_INPUT_REASONS = new Set([
  'invalid_identifier', 'invalid_request', 'not_found', 'invalid_lifetime',
  'roster_file', 'invalid_roster', 'insufficient_signatures', 'bad_roster_signature', 'roster_chain',
  'malformed', 'non_canonical', 'invalid_field', 'too_many', 'oversize', 'invalid_key', 'weak_key',
  // a path in a request that the node's file policy refuses (node/file-access.ts)
  'file_not_allowed',
  // a reason code or name outside the roster's vocabulary (issue 13; found by the soak at 9378ecf:
  // only a code above 6 with every other field valid reaches it, rare at CI size)
  'unknown_reason'
])

/** A NodeService double that records every call with its arguments (FakeService answers; a feed ends at once, so its request ends). */
function recordingDouble (): { service: NodeService, calls: Array<{ method: string, args: unknown[] }> } {
  const calls: Array<{ method: string, args: unknown[] }> = []
  const service = new Proxy(new FakeService(), {
    get (target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function' || typeof prop !== 'string') return value
      return (...args: unknown[]) => {
        calls.push({ method: prop, args })
        if (prop === 'watch') return (async function * () {})()
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  return { service, calls }
}

/** Whether the route serving `method` accepts the request its client would make from `args`: what reached the service was valid input. */
function acceptedArgs (method: string, args: unknown[]): boolean {
  const bound = API_ROUTES.find(r => r.response !== 'text' && r.client?.method === method)
  if (bound === undefined || bound.response === 'text' || bound.client === undefined) return false
  const parts = bound.client.send(...args)
  return (bound.params === undefined || bound.params.safeParse(parts.params).success) &&
    (bound.query === undefined || bound.query.safeParse(parts.query ?? {}).success) &&
    (bound.body === undefined || bound.body.safeParse(parts.body).success)
}

function errorBody (res: LightMyRequestResponse, what: string): { error: string, message: string } {
  let body: { error?: unknown, message?: unknown }
  try {
    body = JSON.parse(res.body) as typeof body
  } catch {
    assert.fail(`${what} → ${res.statusCode} without a JSON body: ${res.body.slice(0, 200)}`)
  }
  assert.equal(typeof body.error, 'string', `${what} → ${res.statusCode}: the error names no reason`)
  assert.equal(typeof body.message, 'string', `${what} → ${res.statusCode}: the error has no message`)
  return body as { error: string, message: string }
}

describe('fault: fuzzing the HTTP API', function () {
  describe(`the real server, every route of the table, a recording double (${ROUTE_RUNS} requests each)`, function () {
    this.timeout(budget(30_000, ROUTE_RUNS, 12))
    const { service, calls } = recordingDouble()
    let server: ApiServer

    before(() => {
      const logger = createLogger({ level: 'error', sink: () => {} })
      // with the web console, as the daemon serves it (POST /v1/console/link issues a link per request: no cap reached here)
      const webConsole = createWebConsole({ sessions: { maxEntries: 1_000_000 } }, {
        service,
        reports: { evidenceFile: async () => { throw new Error('the fuzzed routes never download evidence') } },
        dir: tmpdir(),
        logger: logger.forComponent('console')
      })
      server = createApiServer({ service, token: TOKEN, logger, metrics: createMetrics({ processMetrics: false }), console: webConsole })
    })

    after(async () => {
      await server?.stop()
    })

    for (const route of API_ROUTES) {
      it(`${route.method} ${route.path}: never a 5xx; refusals name an input reason and reach nothing; what passes reaches the service with valid input`, async () => {
        await fuzzRoute(route)
      })
    }

    async function fuzzRoute (route: AnyRoute): Promise<void> {
      const statuses: Record<string, number> = {}
      let reached = 0
      const t0 = Date.now()
      const limit = Math.min(route.bodyLimit ?? MAX_BODY_BYTES, MAX_BODY_BYTES)
      await fc.assert(fc.asyncProperty(requestsFor(route, TOKEN, limit), async ({ shape, ...req }) => {
        const before = calls.length
        const res = await server.inject(req)
        const made = calls.slice(before)
        assert.ok(res.statusCode < 500, `${shape} → ${res.statusCode}: ${res.body.slice(0, 300)}`)
        if (res.statusCode >= 400) {
          const { error } = errorBody(res, shape)
          assert.ok(INPUT_REASONS.has(error), `${shape} → ${res.statusCode} ${error}: not a reason that blames the request`)
          assert.deepEqual(made.map(c => c.method), [], `${shape} → ${res.statusCode} ${error}, yet it reached the service`)
          tally(statuses, `${res.statusCode}:${error}`)
          return
        }
        tally(statuses, String(res.statusCode))
        if (route.reachesService === false) {
          assert.deepEqual(made, [], `${shape}: reached the service`)
          return
        }
        assert.equal(made.length, 1, `${shape} → ${res.statusCode}: ${made.length} service calls`)
        assert.ok(acceptedArgs(made[0].method, made[0].args), `${shape} → ${res.statusCode}: the service got input its route refuses: ${JSON.stringify(made[0].args)?.slice(0, 300)}`)
        if (route.response === 'json') assert.ok(route.output.safeParse(JSON.parse(res.body)).success, `${shape}: the answer is not of the route's shape`)
        reached++
      }), { numRuns: ROUTE_RUNS, timeout: PER_INPUT_MS })
      record('fuzz.api', { [`${route.operationId}.inputs`]: ROUTE_RUNS, [`${route.operationId}.reachedService`]: reached, [`${route.operationId}.perSecond`]: Math.round(ROUTE_RUNS / ((Date.now() - t0) / 1000)), [`${route.operationId}.statuses`]: statuses })
    }
  })

  describe(`the real server in front of the real node (${NODE_RUNS} bodies per route)`, function () {
    this.timeout(budget(90_000, NODE_RUNS, 4 * 8))
    let w: FuzzWorld
    let server: ApiServer

    before(async () => {
      w = await fuzzWorld()
      server = createApiServer({ service: w.node, token: TOKEN, logger: w.node.logger, metrics: w.node.metrics })
    })

    after(async () => {
      await server?.stop()
      await w?.close()
    })

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
    const PATHS = { attest: '/v1/attest', retract: '/v1/retract', explain: '/v1/explain', roster: '/v1/roster' }

    const ownHead = (): number => w.node.store.head(w.node.keys.sign.publicKey)?.seq ?? 0

    async function fuzzRoute (route: keyof typeof PATHS, bodies: fc.Arbitrary<unknown>): Promise<void> {
      const statuses: Record<string, number> = {}
      const mem = liveBytes()
      const before = await nodeState(w.node)
      let appended = 0
      const t0 = Date.now()
      await fc.assert(fc.asyncProperty(bodies, async body => {
        const head = ownHead()
        const payload = JSON.stringify(body) ?? 'null'
        const what = `POST ${PATHS[route]} ${payload.slice(0, 300)}`
        const res = await server.inject({ method: 'POST', url: PATHS[route], headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload })
        assert.ok(res.statusCode < 500, `${what} → ${res.statusCode}: ${res.body.slice(0, 300)}`)
        const moved = ownHead() - head
        if (res.statusCode >= 400) {
          const { error } = errorBody(res, what)
          assert.ok(INPUT_REASONS.has(error) || NODE_INPUT_REASONS.has(error), `${what} → ${res.statusCode} ${error}: not a reason that blames the input`)
          tally(statuses, `${res.statusCode}:${error}`)
          assert.equal(moved, 0, `${what} → ${res.statusCode} and still appended entries`)
          return
        }
        tally(statuses, String(res.statusCode))
        const result = JSON.parse(res.body) as { entries?: number, retracted?: number }
        if (route === 'attest') assert.equal(moved, result.entries, 'attest: own head moved by the entries reported')
        else if (route === 'retract') assert.equal(moved, result.retracted, 'retract: own head moved by the retractions reported')
        else assert.equal(moved, 0, `${route} answered ${res.statusCode} and appended entries`)
        appended += moved
      }), { numRuns: NODE_RUNS, timeout: PER_INPUT_MS })
      if (route === 'explain' || route === 'roster') assert.deepEqual(await nodeState(w.node), before, `${route} changed the node's state`)
      const grew = assertMemoryBounded(mem, 96 * MiB, route)
      record('fuzz.api', { [`node.${route}.inputs`]: NODE_RUNS, [`node.${route}.perSecond`]: Math.round(NODE_RUNS / ((Date.now() - t0) / 1000)), [`node.${route}.entriesAppended`]: appended, [`node.${route}.memoryGrowthMiB`]: Math.round(grew / MiB), [`node.${route}.statuses`]: statuses })
    }

    for (const route of ['attest', 'retract', 'explain'] as const) {
      it(`POST /v1/${route}: ${NODE_RUNS} bodies: never a 5xx, refusals blame the input, the own head moves by exactly what is reported`, async () => {
        await fuzzRoute(route, BODIES[route])
      })
    }

    it(`POST /v1/roster: ${NODE_RUNS} bodies (arbitrary JSON and the real roster file mutated): named refusals, roster unchanged`, async () => {
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
  })
})
