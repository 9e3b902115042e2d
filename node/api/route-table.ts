/**
 * The shape of one route of the local HTTP API, and the helpers that type
 * an entry. The entries are in routes.ts; from them the server (server.ts)
 * registers its handlers, ApiClient (client.ts) gets its methods and the
 * OpenAPI document (openapi.ts) is generated. Adding a route is one entry
 * there plus, if the route serves one, a NodeService method.
 *
 * Each entry says:
 * - method, path (fastify syntax: `/v1/reports/:id`), operationId, summary;
 * - zod schemas of its inputs (`params`, `query`, `body`; a part without a
 *   schema is ignored) and of its output (for a stream, of one line);
 * - how it answers (`response`): `json`, `text`, `export` (a finite stream
 *   of rows as JSONL or CSV: a transfer cut short means it failed) or `feed`
 *   (NDJSON for as long as the client stays, with heartbeats);
 * - `serve`: what the server does with validated input;
 * - `client`, when the route serves a NodeService method: how ApiClient
 *   turns the method's arguments into a request (`send`) and the answer
 *   into the method's result (`receive` / `row`). The compiler checks both
 *   against NodeService, and the schemas against the service's types.
 */
import type { z } from 'zod'
import type { NodeService } from '../service.js'
import type { MetricsRegistry } from './metrics.js'
import type { BlocklistFormat } from './schemas.js'

export type HttpMethod = 'GET' | 'POST'
export type ServiceMethod = keyof NodeService

/** What a route's `serve` may use besides its input. */
export interface RouteContext {
  service: NodeService
  metrics: MetricsRegistry
  /** The OpenAPI document (built from the table; handed in so the modules stay acyclic). */
  openapi: () => Record<string, unknown>
  /** Aborts when the client goes away or the server stops. */
  signal: AbortSignal
  /** The web console, when the server serves one (login links). */
  console?: { issueLink: () => { url: string, expiresAt: string } }
}

/** A request as ApiClient builds it. Query values that are undefined are left out. */
export interface RequestParts {
  params?: Record<string, string>
  query?: Record<string, string | undefined>
  body?: unknown
  /** Ends a feed when it aborts (client side; never sent). */
  signal?: AbortSignal
}

type Schema = z.ZodType | undefined
/** A part's validated value: its schema's output, undefined without a schema. */
type Parsed<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined

/** The validated input a route's `serve` receives. */
export interface Input<P extends Schema, Q extends Schema, B extends Schema> {
  params: Parsed<P>
  query: Parsed<Q>
  body: Parsed<B>
}

/** A method's parameters; a route without a client binding has M = never and no parameters. */
type Args<M extends ServiceMethod> = [M] extends [never] ? [] : Parameters<NodeService[M]>
type Result<M extends ServiceMethod> = Awaited<ReturnType<NodeService[M]>>
type Item<M extends ServiceMethod> = ReturnType<NodeService[M]> extends AsyncIterable<infer T> ? T : never

interface RouteCommon<P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> {
  /** The OpenAPI operationId; also how `ApiClient.request` names the route. */
  operationId: string
  method: HttpMethod
  /** fastify syntax (`/v1/reports/:id`); openapi.json shows `{id}`. */
  path: string
  /** One line for the docs. */
  summary: string
  /** More for the docs: limits, refusals, stream details. */
  description?: string
  params?: P
  /** Reason of the 400 for path params that fail `params`. @default 'invalid_params' */
  invalidParams?: string
  query?: Q
  body?: B
  /** Body limit in bytes. @default MAX_BODY_BYTES */
  bodyLimit?: number
  /** The answer (for `export` and `feed`: one line of it). */
  output: O
  /** Responses documented besides 200 and the common errors, e.g. `{ 413: 'Body too large' }`. */
  responses?: Record<number, string>
  /** False for routes that never call the service (metrics, the document): their docs list no service errors. @default true */
  reachesService?: boolean
}

export interface JsonRouteSpec<M extends ServiceMethod, P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> extends RouteCommon<P, Q, B, O> {
  serve: (input: Input<P, Q, B>, ctx: RouteContext) => Promise<z.input<O>>
  client?: {
    method: M
    send: (...args: Args<M>) => RequestParts
    /** The method's result from the validated answer (often the answer itself). */
    receive: (out: z.output<O>) => Result<M>
    /** Client-side time limit: the normal one, the bulk one (uploads), or none (scans of millions of listings). @default 'normal' */
    timeout?: 'normal' | 'bulk' | 'none'
  }
}

export interface TextRouteSpec<P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> extends RouteCommon<P, Q, B, O> {
  serve: (input: Input<P, Q, B>, ctx: RouteContext) => Promise<{ contentType: string, text: z.input<O> }>
}

interface StreamBinding<M extends ServiceMethod, O extends z.ZodType> {
  method: M
  send: (...args: Args<M>) => RequestParts
  /** The method's item from one validated line. */
  row: (line: z.output<O>) => Item<M>
}

export interface ExportRouteSpec<M extends ServiceMethod, P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> extends RouteCommon<P, Q, B, O> {
  /** The rows and the format asked for. The server pulls the first row before answering, so an early error still gets its status code. */
  serve: (input: Input<P, Q, B>, ctx: RouteContext) => Promise<{ rows: AsyncIterable<z.input<O>>, format: BlocklistFormat }>
  /** The CSV form: header line and one line per row (JSONL is one JSON object per line). */
  csv: { header: string, line: (row: z.input<O>) => string }
  client?: StreamBinding<M, O>
}

export interface FeedRouteSpec<M extends ServiceMethod, P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> extends RouteCommon<P, Q, B, O> {
  /** Items until ctx.signal aborts; the server adds heartbeat lines and, if the items end in an error, a last error line. */
  serve: (input: Input<P, Q, B>, ctx: RouteContext) => AsyncIterable<z.input<O>>
  client?: StreamBinding<M, O>
}

export type JsonRoute<M extends ServiceMethod, P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> = JsonRouteSpec<M, P, Q, B, O> & { response: 'json' }
export type TextRoute<P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> = TextRouteSpec<P, Q, B, O> & { response: 'text' }
export type ExportRoute<M extends ServiceMethod, P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> = ExportRouteSpec<M, P, Q, B, O> & { response: 'export' }
export type FeedRoute<M extends ServiceMethod, P extends Schema, Q extends Schema, B extends Schema, O extends z.ZodType> = FeedRouteSpec<M, P, Q, B, O> & { response: 'feed' }

/**
 * A route with its types erased, as the server, the client and the document
 * iterate the table (`any`: the table holds routes of every input and output
 * type; each entry was checked by its constructor).
 */
interface Erased {
  operationId: string
  method: HttpMethod
  path: string
  summary: string
  description?: string
  params?: z.ZodType
  invalidParams?: string
  query?: z.ZodType
  body?: z.ZodType
  bodyLimit?: number
  output: z.ZodType
  responses?: Record<number, string>
  reachesService?: boolean
  serve: (input: any, ctx: RouteContext) => any
}
interface ErasedBinding { method: ServiceMethod, send: (...args: any) => RequestParts }
export type AnyJsonRoute = Erased & { response: 'json', client?: ErasedBinding & { receive: (out: any) => unknown, timeout?: 'normal' | 'bulk' | 'none' } }
export type AnyTextRoute = Erased & { response: 'text' }
export type AnyExportRoute = Erased & { response: 'export', csv: { header: string, line: (row: any) => string }, client?: ErasedBinding & { row: (line: any) => unknown } }
export type AnyFeedRoute = Erased & { response: 'feed', client?: ErasedBinding & { row: (line: any) => unknown } }
export type AnyRoute = AnyJsonRoute | AnyTextRoute | AnyExportRoute | AnyFeedRoute

// Typed constructors: each infers one entry's types (from the entry alone:
// NoInfer keeps the table's erased type from leaking into the inference), so
// the compiler checks the entry; and each sets `response`. Without a client
// binding M stays `never`, so BoundMethods does not count the route.
export function jsonRoute<O extends z.ZodType, M extends ServiceMethod = never, P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined> (r: JsonRouteSpec<M, P, Q, B, O>): JsonRoute<NoInfer<M>, NoInfer<P>, NoInfer<Q>, NoInfer<B>, NoInfer<O>> {
  return { ...r, response: 'json' }
}
export function textRoute<O extends z.ZodType, P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined> (r: TextRouteSpec<P, Q, B, O>): TextRoute<NoInfer<P>, NoInfer<Q>, NoInfer<B>, NoInfer<O>> {
  return { ...r, response: 'text' }
}
export function exportRoute<O extends z.ZodType, M extends ServiceMethod = never, P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined> (r: ExportRouteSpec<M, P, Q, B, O>): ExportRoute<NoInfer<M>, NoInfer<P>, NoInfer<Q>, NoInfer<B>, NoInfer<O>> {
  return { ...r, response: 'export' }
}
export function feedRoute<O extends z.ZodType, M extends ServiceMethod = never, P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined> (r: FeedRouteSpec<M, P, Q, B, O>): FeedRoute<NoInfer<M>, NoInfer<P>, NoInfer<Q>, NoInfer<B>, NoInfer<O>> {
  return { ...r, response: 'feed' }
}

/** NodeService methods some route of `routes` serves. */
export type BoundMethods<R extends readonly AnyRoute[]> = R[number] extends infer E ? E extends { client?: { method: infer M } } ? M : never : never

/** `/v1/reports/:id` → `/v1/reports/{id}` (OpenAPI). */
export function openApiPath (path: string): string {
  return path.replace(/:(\w+)/g, '{$1}')
}

/** `/v1/reports/:id` with `{ id }` → `/v1/reports/<id, URL-encoded>`. */
export function fillPath (path: string, params: Record<string, string> = {}): string {
  return path.replace(/:(\w+)/g, (_, name: string) => {
    const v = params[name]
    if (v === undefined) throw new TypeError(`path ${path} needs the parameter ${name}`)
    return encodeURIComponent(v)
  })
}
