/**
 * OpenAPI 3.1 description of the local HTTP API, served at GET /openapi.json.
 * Generated from the route table (routes.ts): each route's path, method,
 * summary, parameters (from its params and query schemas), request body and
 * response (from its body and output schemas, all components named in
 * API_SCHEMAS), and its error statuses (http-errors.ts). Nothing here is
 * written per route.
 */
import { z } from 'zod'
import { CATEGORY_STATUS } from './http-errors.js'
import type { AnyRoute } from './route-table.js'
import { openApiPath } from './route-table.js'
import { API_ROUTES } from './routes.js'
import { errorSchema } from './responses.js'
import { API_SCHEMAS } from './schemas.js'

type Json = Record<string, unknown>

const COMPONENTS = '#/components/schemas/'

/** A zod schema as JSON Schema (the form a client sends: input). */
function fromZod (schema: z.ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json
  return rest
}

/** Every named schema, referring to each other by $ref. */
function components (): Record<string, Json> {
  const { schemas } = z.toJSONSchema(API_SCHEMAS, { io: 'input', unrepresentable: 'any', uri: id => COMPONENTS + id }) as { schemas: Record<string, Json> }
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, rest]))
}

/** A $ref to the component of `schema`; every body and output of a route is named (responses.ts / schemas.ts `named`). */
export function refOf (schema: z.ZodType, what: string): Json {
  const id = API_SCHEMAS.get(schema)?.id
  if (id === undefined) throw new TypeError(`${what}: the schema has no component name; wrap it in named()`)
  return { $ref: COMPONENTS + id }
}

const json = (schema: Json): Json => ({ 'application/json': { schema } })

/** OpenAPI parameters of a params or query schema: one per property (a union's alternatives are merged, none required). */
function parameters (schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (schema === undefined) return []
  const js = fromZod(schema)
  const alternatives = (Array.isArray(js.anyOf) ? js.anyOf : [js]) as Json[]
  const seen = new Map<string, Json>()
  for (const alt of alternatives) {
    const required = new Set((alt.required ?? []) as string[])
    for (const [name, prop] of Object.entries((alt.properties ?? {}) as Record<string, Json>)) {
      if (seen.has(name)) continue
      const { description, ...propSchema } = prop
      seen.set(name, {
        name,
        in: where,
        required: where === 'path' || (alternatives.length === 1 && required.has(name)),
        schema: propSchema,
        ...(description !== undefined ? { description } : {})
      })
    }
  }
  return [...seen.values()]
}

const errorResponse = (description: string): Json => ({ description, content: json(refOf(errorSchema, 'Error')) })

/** 200 and the error statuses a route may answer. */
function responses (route: AnyRoute): Json {
  const out = refOf(route.output, `${route.method} ${route.path} output`)
  const description = route.output.description ?? API_SCHEMAS.get(route.output)?.id ?? 'OK'
  const content: Json = route.response === 'text'
    ? { 'text/plain': { schema: out } }
    : route.response === 'export'
      ? { 'application/x-ndjson': { schema: out }, 'text/csv': { schema: { type: 'string' } } }
      : route.response === 'feed' ? { 'application/x-ndjson': { schema: out } } : json(out)
  const res: Json = { 200: { description, content } }
  for (const [status, what] of Object.entries(route.responses ?? {})) res[status] = errorResponse(what)
  res[401] = errorResponse('Missing or wrong bearer token')
  const checksInput = route.params !== undefined || route.query !== undefined || route.body !== undefined
  const reachesService = route.reachesService !== false
  for (const { status, doc } of Object.values(CATEGORY_STATUS)) {
    if (status === 500 || (status === 400 && (checksInput || reachesService)) || reachesService) res[status] = errorResponse(doc)
  }
  return res
}

function operation (route: AnyRoute): Json {
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')]
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description !== undefined ? { description: route.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body !== undefined ? { requestBody: { required: true, content: json(refOf(route.body, `${route.method} ${route.path} body`)) } } : {}),
    responses: responses(route),
    ...(route.response === 'export' || route.response === 'feed' ? { 'x-streaming': route.response } : {})
  }
}

function build (): Json {
  const paths: Record<string, Json> = {}
  for (const route of API_ROUTES) {
    const ops = (paths[openApiPath(route.path)] ??= {})
    ops[route.method.toLowerCase()] = operation(route)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Alliance node local API',
      version: '1.0.0',
      description: 'The local API of an anti-counterfeiting alliance node. Serve on loopback only. Every route, /metrics and /openapi.json included, requires `Authorization: Bearer <token>` (the token is in <node dir>/api.json, mode 0600). Raw identifiers sent here are fingerprinted on the node and never leave it. Errors are `{ error: <reason>, message }`; the status says whose fault: 400 the request, 404 no such thing, 409 a conflict with the node\'s state, 503 not now, 500 the node (details in its log).'
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from <node dir>/api.json' } },
      schemas: components()
    }
  }
}

let document: Json | undefined

/**
 * The OpenAPI document, built once and deep-frozen, so callers cannot alter
 * the served one (a fresh deep copy per request cost ~13 ms of CPU for 68 kB:
 * the soak's 12,500 fuzzed GETs of it took 326 s on a loaded machine).
 */
export function openApiDocument (): Json {
  document ??= deepFreeze(build())
  return document
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
