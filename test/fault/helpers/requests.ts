/**
 * Generated HTTP requests for any route of the API's route table, from the
 * route's own schemas: near-valid path params, queries and bodies (the
 * schema's shape, with values at and past its limits) mixed with arbitrary
 * JSON, raw bytes, wrong media types, oversize bodies, wrong tokens. Routes
 * added to the table are fuzzed without a change here.
 */
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { z } from 'zod'
import type { AnyRoute } from '../../../node/api/route-table.js'

type JsonSchema = Record<string, unknown>

export const anyJson = fc.jsonValue({ maxDepth: 4 })

function jsonSchemaOf (schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
}

const INT32 = 2 ** 31 - 1

function numbers (s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = typeof s.minimum === 'number' ? s.minimum : undefined
  const max = typeof s.maximum === 'number' ? s.maximum : undefined
  const lo = Math.max(min ?? -INT32, -INT32)
  const hi = Math.min(max ?? INT32, INT32)
  const edges = [min, max, min === undefined ? undefined : min - 1, max === undefined ? undefined : max + 1, 0, -1, 0.5].filter((v): v is number => v !== undefined)
  return fc.oneof(
    { weight: 4, arbitrary: integer ? fc.integer({ min: lo, max: Math.max(lo, hi) }) : fc.double({ min: lo, max: hi, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(...edges) }
  )
}

function strings (s: JsonSchema): fc.Arbitrary<string> {
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0
  const maxLength = typeof s.maxLength === 'number' ? s.maxLength : undefined
  const options: Array<{ weight: number, arbitrary: fc.Arbitrary<string> }> = [
    { weight: 3, arbitrary: fc.string({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map(p => '/' + p) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', 'ａｂｃ', '/data/listings.csv', '+44 20 7946 0958', 'seller@example.com', '../../etc/passwd', '2026-01-01T00:00:00Z', '1700000000000') }
  ]
  const matching = typeof s.pattern === 'string' ? patternOf(s.pattern) : undefined
  if (matching !== undefined) options.push({ weight: 24, arbitrary: matching })
  if (maxLength !== undefined && maxLength < 70_000) options.push({ weight: 1, arbitrary: fc.constantFrom('x'.repeat(maxLength), 'x'.repeat(maxLength + 1)) })
  if (minLength > 1) options.push({ weight: 1, arbitrary: fc.constantFrom('x'.repeat(minLength - 1)) })
  return fc.oneof(...options)
}

/** Strings matching a JSON Schema pattern, when fast-check can generate them (it has no lookahead, for one). */
function patternOf (pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern))
  } catch {
    return undefined
  }
}

/** Values of the schema's shape (valid or just past its limits), now and then something else entirely. */
export function shaped (s: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const near = nearValue(s, depth)
  // something else entirely: often at the top, rarely deeper (so that most requests get past the first check)
  return depth > 3 ? near : fc.oneof({ weight: depth === 0 ? 8 : 24, arbitrary: near }, { weight: 1, arbitrary: anyJson })
}

function nearValue (s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(s.anyOf)) return fc.oneof(...(s.anyOf as JsonSchema[]).map(a => shaped(a, depth + 1)))
  if (Array.isArray(s.enum)) return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...(s.enum as unknown[])) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) })
  if ('const' in s) return fc.constant(s.const)
  const type = Array.isArray(s.type) ? s.type[0] : s.type
  switch (type) {
    case 'string': return strings(s)
    case 'integer': return numbers(s, true)
    case 'number': return numbers(s, false)
    case 'boolean': return fc.boolean()
    case 'null': return fc.constant(null)
    case 'array': {
      const items = typeof s.items === 'object' && s.items !== null ? s.items as JsonSchema : {}
      return fc.array(shaped(items, depth + 1), { maxLength: 4 })
    }
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>
      const required = (s.required ?? []) as string[]
      const record = fc.record(Object.fromEntries(Object.entries(props).map(([k, p]) => [k, shaped(p, depth + 1)])), { requiredKeys: required.filter(k => k in props) })
      const extra = fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 })
      return fc.oneof({ weight: depth === 0 ? 5 : 15, arbitrary: record }, { weight: 1, arbitrary: fc.tuple(record, extra).map(([r, e]) => ({ ...e, ...r })) })
    }
    default: return anyJson
  }
}

/** A query: the schema's keys (of one alternative, for a union) with string values of its shape, unknown keys, repeated keys, or a raw query string. */
function queryOf (route: AnyRoute): fc.Arbitrary<string> {
  const schema = route.query === undefined ? {} : jsonSchemaOf(route.query)
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf as JsonSchema[] : [schema]
  const value = (p: JsonSchema): fc.Arbitrary<string> => shaped(p, 1).map(v => typeof v === 'string' ? v : JSON.stringify(v) ?? '')
  const records = alternatives.map(alt => {
    const props = (alt.properties ?? {}) as Record<string, JsonSchema>
    const required = ((alt.required ?? []) as string[]).filter(k => k in props)
    return fc.record(Object.fromEntries(Object.entries(props).map(([k, p]) => [k, value(p)])), { requiredKeys: required })
  })
  const firstKey = Object.keys((alternatives[0].properties ?? {}) as object)[0]
  const pairs = fc.tuple(fc.oneof(...records), fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 20 }), { maxKeys: 2 }), fc.nat(9)).map(([r, extra, n]) => {
    const qs = new URLSearchParams(Object.entries(r) as Array<[string, string]>)
    if (n === 0 && firstKey !== undefined) qs.append(firstKey, 'again')
    if (n === 1) for (const [k, v] of Object.entries(extra)) qs.append(k, v)
    return qs.toString()
  })
  return fc.oneof({ weight: 8, arbitrary: pairs }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }, { weight: 1, arbitrary: fc.constant('') })
}

/** The path with each parameter filled: of its schema's shape, URL-encoded, or raw (may route elsewhere, or nowhere). */
function pathOf (route: AnyRoute): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map(m => m[1])
  if (names.length === 0) return fc.constant(route.path)
  const props = route.params === undefined ? {} : ((jsonSchemaOf(route.params).properties ?? {}) as Record<string, JsonSchema>)
  const param = (name: string): fc.Arbitrary<string> => fc.oneof(
    { weight: 6, arbitrary: strings(props[name] ?? {}).map(v => encodeURIComponent(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter(v => !/[?#\s]/.test(v)) }
  )
  return fc.tuple(...names.map(param)).map(values => {
    let i = 0
    return route.path.replace(/:(\w+)/g, () => values[i++] === '' ? '%20' : values[i - 1])
  })
}

/** A body: JSON of the schema's shape mostly; raw text or bytes, wrong or missing media types, an oversize one. */
function bodyOf (route: AnyRoute, limit: number): fc.Arbitrary<{ payload?: string, type?: string }> {
  const json = route.body === undefined ? anyJson : shaped(jsonSchemaOf(route.body))
  return fc.oneof(
    { weight: 12, arbitrary: json.map(v => ({ payload: JSON.stringify(v) ?? 'null', type: 'application/json' })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map(s => ({ payload: s, type: 'application/json' })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map(b => ({ payload: Buffer.from(b).toString('latin1'), type: 'application/json; charset=utf-8' })) },
    { weight: 1, arbitrary: json.map(v => ({ payload: JSON.stringify(v) ?? '', type: 'text/plain' })) },
    { weight: 1, arbitrary: fc.constantFrom<{ payload?: string, type?: string }>({ payload: '', type: 'application/json' }, {}, { payload: 'a=1', type: 'application/x-www-form-urlencoded' }) },
    { weight: 1, arbitrary: fc.constant({ payload: '{"items":' + '['.repeat(5000), type: 'application/json' }) },
    { weight: 1, arbitrary: fc.constant({ payload: JSON.stringify({ pad: 'x'.repeat(limit) }), type: 'application/json' }) }
  )
}

export interface GeneratedRequest extends InjectOptions {
  /** What the request was made of, for failure messages. */
  shape: string
}

/** Requests for `route`: its method, a generated path, query and body, and (1 in 20) a missing or wrong token. */
export function requestsFor (route: AnyRoute, token: string, bodyLimit: number): fc.Arbitrary<GeneratedRequest> {
  const auth = fc.oneof({ weight: 19, arbitrary: fc.constant(`Bearer ${token}`) }, { weight: 1, arbitrary: fc.constantFrom(undefined, `Bearer ${token}x`, token, 'Bearer ') })
  return fc.record({ path: pathOf(route), query: queryOf(route), body: route.method === 'POST' ? bodyOf(route, bodyLimit) : fc.constant<{ payload?: string, type?: string }>({}), auth }).map(({ path, query, body, auth }) => {
    const headers: Record<string, string> = {}
    if (auth !== undefined) headers.authorization = auth
    if (body.type !== undefined) headers['content-type'] = body.type
    const url = query === '' ? path : `${path}?${query}`
    return {
      method: route.method,
      url,
      headers,
      ...(body.payload !== undefined ? { payload: body.payload } : {}),
      shape: `${route.method} ${url.slice(0, 200)} ${body.type ?? '(no type)'} ${(body.payload ?? '').slice(0, 200)}`
    }
  })
}
