/**
 * The local HTTP API, one entry per route (see route-table.ts for what an
 * entry says). The server, ApiClient and openapi.json are derived from this
 * table; adding a route is one entry here plus, if it serves one, a
 * NodeService method.
 */
import { CLAIMS } from '../../protocol/kinds.js'
import { MAX_WATCH_BACKLOG } from '../events.js'
import { BLOCKLIST_CSV_HEADER, blocklistCsvLine } from './blocklist-format.js'
import { EVENTS_HEARTBEAT_MS, MAX_BULK_BODY_BYTES, MAX_REPORT_BODY_BYTES } from './limits.js'
import { attestResultSchema, blocklistRowSchema, explainResultSchema, matchProgressSchema, matchSummarySchema, metricsTextSchema, nodeStatusSchema, openApiSchema, opinionResultSchema, retractResultSchema, retroDecisionsSchema, rosterAdoptionSchema, rosterFileSchema, statusEventSchema } from './responses.js'
import { reportCustodySchema, reportDetailSchema, reportExportResultSchema, reportInboxSchema, reportOutboxSchema, reportSendResultSchema } from './responses.js'
import { type AnyRoute, type BoundMethods, exportRoute, feedRoute, jsonRoute, textRoute } from './route-table.js'
import { allowBodySchema, attestBodySchema, blocklistQuerySchema, eventsQuerySchema, explainQuerySchema, feedbackBodySchema, matchBodySchema, retractBodySchema, retroQuerySchema, rosterAdoptBodySchema } from './schemas.js'
import { reportExportBodySchema, reportIdParamsSchema, reportShowQuerySchema, reportSendBodySchema, pipelineAttachBodySchema, pipelineFingerprintsBodySchema, quotaQuerySchema } from './schemas.js'
import { pipelineAttachResultSchema, pipelineFingerprintResultSchema, quotaResultSchema } from './responses.js'
import type { NodeService } from '../service.js'
import { ConsoleDisabledError } from '../console/errors.js'
import { consoleLinkSchema, reasonsSchema, recentScansSchema, rosterProposalSchema, rosterProposalsSchema } from './responses.js'

export const ROUTES = [
  jsonRoute({
    operationId: 'status',
    method: 'GET',
    path: '/v1/status',
    summary: 'Peers, heads per member, counts, blocklist size, sync state',
    output: nodeStatusSchema,
    serve: async (_, { service }) => await service.status(),
    client: { method: 'status', send: () => ({}), receive: out => out }
  }),

  jsonRoute({
    operationId: 'attest',
    method: 'POST',
    path: '/v1/attest',
    summary: 'Attest identifiers: one request is one bulk segment with one signature',
    description: `Body limit ${MAX_BULK_BODY_BYTES} bytes. Items the node cannot canonicalise are listed in rejected[] by their index; the rest are attested. Claims: ${CLAIMS.join(', ')}.`,
    body: attestBodySchema,
    bodyLimit: MAX_BULK_BODY_BYTES,
    responses: { 413: 'Body too large: split the upload' },
    output: attestResultSchema,
    serve: async ({ body }, { service }) => await service.attest(body.items),
    // an upload is fingerprinted, signed and stored before the answer
    client: { method: 'attest', send: items => ({ body: { items } }), receive: out => out, timeout: 'bulk' }
  }),

  jsonRoute({
    operationId: 'retract',
    method: 'POST',
    path: '/v1/retract',
    summary: 'Withdraw this org\'s attestations of an identifier',
    body: retractBodySchema,
    output: retractResultSchema,
    serve: async ({ body }, { service }) => await service.retract(body),
    client: { method: 'retract', send: item => ({ body: { kind: item.kind, value: item.value } }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'feedback',
    method: 'POST',
    path: '/v1/feedback',
    summary: 'Record the platform\'s outcome on a fingerprint as a signed opinion (confirmed/removed vouch; false-positive/dispute-upheld dispute it)',
    body: feedbackBodySchema,
    output: opinionResultSchema,
    serve: async ({ body }, { service }) => await service.feedback(body),
    client: { method: 'feedback', send: item => ({ body: item }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'allow',
    method: 'POST',
    path: '/v1/allow',
    summary: 'A brand\'s authorised reseller: a signed negative opinion on the identifier\'s fingerprint',
    body: allowBodySchema,
    output: opinionResultSchema,
    serve: async ({ body }, { service }) => await service.allow(body),
    client: { method: 'allow', send: item => ({ body: item }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'explain',
    method: 'GET',
    path: '/v1/explain',
    summary: 'Why is this listed? Status of a fingerprint with the votes behind it',
    description: 'By kind and value (fingerprinted on the node), or by fingerprint. POST /v1/explain keeps a raw identifier out of URLs.',
    query: explainQuerySchema,
    output: explainResultSchema,
    serve: async ({ query }, { service }) => await service.explain(query)
  }),

  jsonRoute({
    operationId: 'explainPost',
    method: 'POST',
    path: '/v1/explain',
    summary: 'As GET /v1/explain, with the identifier in the body',
    body: explainQuerySchema,
    output: explainResultSchema,
    serve: async ({ body }, { service }) => await service.explain(body),
    // POST, so a raw identifier never appears in a URL
    client: { method: 'explain', send: q => ({ body: 'fingerprint' in q ? { fingerprint: q.fingerprint } : { kind: q.kind, value: q.value } }), receive: out => out }
  }),

  exportRoute({
    operationId: 'blocklist',
    method: 'GET',
    path: '/v1/blocklist',
    summary: 'The consensus blocklist, streamed',
    description: 'JSONL: one BlocklistRow per line. CSV: header fingerprint,kind,status,orgs,weight,expires,reasons; orgs joined with ";", reasons as org=reason joined with ";". A transfer cut short means the export failed.',
    query: blocklistQuerySchema,
    output: blocklistRowSchema,
    serve: async ({ query }, { service }) => ({ rows: service.blocklist(query.status !== undefined ? { status: query.status } : {}), format: query.format }),
    csv: { header: BLOCKLIST_CSV_HEADER, line: blocklistCsvLine },
    client: { method: 'blocklist', send: (filter = {}) => ({ query: { format: 'jsonl', status: filter.status } }), row: r => r }
  }),

  feedRoute({
    operationId: 'watch',
    method: 'GET',
    path: '/v1/events',
    summary: 'Status changes as they happen, streamed until the client disconnects',
    description: `One JSON object per line: a heartbeat at once (the subscription is live), then a StatusEvent for every change of a fingerprint's status (to the given status only, if \`status\` is set); {"type":"heartbeat","at":…} every ${EVENTS_HEARTBEAT_MS / 1000} s when nothing happens, so a silent connection can be told from a dead one; and, if this subscriber falls ${MAX_WATCH_BACKLOG} events behind, a last {"type":"error","error":"watch_overflow",…} line before the stream ends. Nothing is replayed: read the blocklist to catch up. The stream also ends when the node stops.`,
    query: eventsQuerySchema,
    output: statusEventSchema,
    serve: ({ query }, { service, signal }) => service.watch(query.status !== undefined ? { status: query.status } : {}, signal),
    client: { method: 'watch', send: (filter = {}, signal) => ({ query: { status: filter.status }, signal }), row: e => e }
  }),

  jsonRoute({
    operationId: 'match',
    method: 'POST',
    path: '/v1/match',
    summary: 'Scan a listings file on the node\'s machine against the live blocklist (paths are absolute, on the node\'s machine; raw identifiers never leave it)',
    description: 'Paths are checked against the node\'s file policy (config.json `files`): never inside the node directory, never a symbolic link, within `files.read` / `files.write` when set — else 400 file_not_allowed. `out` and `rejects` are created new: an existing file is refused (409 already_exists) unless `force` is true.',
    body: matchBodySchema,
    output: matchSummarySchema,
    serve: async ({ body }, { service }) => await service.match(body),
    // a scan of ten million listings takes minutes
    client: { method: 'match', send: req => ({ body: req }), receive: out => out, timeout: 'none' }
  }),

  jsonRoute({
    operationId: 'matchProgress',
    method: 'GET',
    path: '/v1/match/progress',
    summary: 'The scan running now: bytes and rows read so far of the file\'s size (`alliance match` draws its progress bar from it)',
    output: matchProgressSchema,
    serve: async (_, { service }) => ({ scan: await service.matchProgress() }),
    client: { method: 'matchProgress', send: () => ({}), receive: out => out.scan }
  }),

  jsonRoute({
    operationId: 'matchRetro',
    method: 'GET',
    path: '/v1/match/retro',
    summary: 'Decisions for listings scanned earlier whose fingerprints became listed or disputed since a time',
    query: retroQuerySchema,
    output: retroDecisionsSchema,
    serve: async ({ query }, { service }) => ({ decisions: await service.matchRetro(query.since) }),
    client: { method: 'matchRetro', send: since => ({ query: { since: String(since) } }), receive: out => out.decisions }
  }),

  jsonRoute({
    operationId: 'matchRecent',
    method: 'GET',
    path: '/v1/match/recent',
    summary: 'The latest scans since the daemon started (newest first, at most 100): rows, decisions by action, matches and rejects',
    output: recentScansSchema,
    serve: async (_, { service }) => await service.matchRecent(),
    client: { method: 'matchRecent', send: () => ({}), receive: out => out }
  }),

  jsonRoute({
    operationId: 'pipelineAttach',
    method: 'POST',
    path: '/v1/pipeline/attach',
    summary: 'Platform pipeline: publish the blocklist to this Redis (once per Redis and prefix) and answer what a worker needs (epoch, country, the platform\'s cache key)',
    body: pipelineAttachBodySchema,
    output: pipelineAttachResultSchema,
    serve: async ({ body }, { service }) => await service.pipelineAttach(body),
    client: { method: 'pipelineAttach', send: req => ({ body: req }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'pipelineFingerprints',
    method: 'POST',
    path: '/v1/pipeline/fingerprints',
    summary: 'Platform pipeline: raw identifiers (the platform\'s own) → fingerprints under an epoch, for workers that hold no key; one result per item, { fingerprint } or { why }',
    body: pipelineFingerprintsBodySchema,
    bodyLimit: MAX_BULK_BODY_BYTES,
    output: pipelineFingerprintResultSchema,
    serve: async ({ body }, { service }) => await service.pipelineFingerprints(body),
    client: { method: 'pipelineFingerprints', send: req => ({ body: req }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'roster',
    method: 'GET',
    path: '/v1/roster',
    summary: 'The roster file (alliance-roster/1) of the version in force',
    output: rosterFileSchema,
    serve: async (_, { service }) => await service.roster() as Record<string, unknown>,
    client: { method: 'roster', send: () => ({}), receive: out => out }
  }),

  jsonRoute({
    operationId: 'quota',
    method: 'GET',
    path: '/v1/quota',
    summary: 'toprf: every guardian\'s signed daily evaluation counts per org (the quota audit), newest day first',
    query: quotaQuerySchema,
    output: quotaResultSchema,
    serve: async ({ query }, { service }) => await service.quota(query),
    client: { method: 'quota', send: (q: { org?: string, days?: number } = {}) => ({ query: { org: q.org, days: q.days !== undefined ? String(q.days) : undefined } }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'adoptRoster',
    method: 'POST',
    path: '/v1/roster',
    summary: 'Adopt roster version n+1 (signed by the governance threshold of version n) and spread it to every node',
    body: rosterAdoptBodySchema,
    output: rosterAdoptionSchema,
    serve: async ({ body }, { service }) => await service.adoptRoster(body),
    client: { method: 'adoptRoster', send: file => ({ body: file }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'proposeRoster',
    method: 'POST',
    path: '/v1/roster/proposals',
    summary: 'Keep a partly signed roster version n+1 until it is adopted (`alliance roster propose`); signatures of a version already held are merged in',
    description: 'The node checks that the version extends the one in force (alliance, number, prev, policy continuity) and that every signature verifies and comes from an org of the version in force; a refusal is a named 400 (roster_chain, bad_roster_signature, invalid_roster, roster_file) and keeps nothing. Kept in <dir>/proposals/<roster id>.json until the chain moves past it.',
    body: rosterAdoptBodySchema,
    output: rosterProposalSchema,
    serve: async ({ body }, { service }) => await service.proposeRoster(body),
    client: { method: 'proposeRoster', send: file => ({ body: file }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'rosterProposals',
    method: 'GET',
    path: '/v1/roster/proposals',
    summary: 'Roster versions n+1 waiting for signatures: what each changes, which orgs signed, which have not, how many are needed',
    output: rosterProposalsSchema,
    serve: async (_, { service }) => ({ proposals: await service.rosterProposals() }),
    client: { method: 'rosterProposals', send: () => ({}), receive: out => out.proposals }
  }),

  jsonRoute({
    operationId: 'reasons',
    method: 'GET',
    path: '/v1/reasons',
    summary: 'The reason vocabulary of the roster in force: what attestation reason codes mean (`alliance attest --reason <name>`)',
    output: reasonsSchema,
    serve: async (_, { service }) => await service.reasons(),
    client: { method: 'reasons', send: () => ({}), receive: out => out }
  }),

  // infringement reports (DESIGN.md §7); refusals (recipient, evidence, size) are named errors → 400, and queue nothing
  jsonRoute({
    operationId: 'reportSend',
    method: 'POST',
    path: '/v1/reports',
    summary: 'Sign, encrypt and queue an infringement report to law-enforcement members; delivered with retries until each recipient node returns a signed receipt',
    description: `Body limit ${MAX_REPORT_BODY_BYTES} bytes. The report is the JSON input of \`alliance report send\` (examples/report.json); evidence paths are absolute paths on the node's machine, checked against its file policy (config.json \`files\`: never inside the node directory, never a symbolic link, within \`files.read\` when set). Refused with 400 and nothing queued: file_not_allowed, unknown_recipient, not_law_enforcement, evidence_file (missing or unreadable), oversize (report or evidence over the limit), invalid_report_input / invalid_report. Idempotent by report id: a known \`id\` returns the queued report with duplicate = true.`,
    body: reportSendBodySchema,
    bodyLimit: MAX_REPORT_BODY_BYTES,
    responses: { 413: 'Body too large' },
    output: reportSendResultSchema,
    serve: async ({ body }, { service }) => await service.reportSend(body),
    // hashing and encrypting large evidence happens before the answer
    client: { method: 'reportSend', send: req => ({ body: { to: req.to, report: req.report, evidence: req.evidence } }), receive: out => out, timeout: 'bulk' }
  }),

  jsonRoute({
    operationId: 'reportOutbox',
    method: 'GET',
    path: '/v1/reports/outbox',
    summary: 'Reports this node sent, with each delivery\'s state (pending, delivered with a verified receipt, refused)',
    output: reportOutboxSchema,
    serve: async (_, { service }) => await service.reportOutbox(),
    client: { method: 'reportOutbox', send: () => ({}), receive: out => out }
  }),

  jsonRoute({
    operationId: 'reportInbox',
    method: 'GET',
    path: '/v1/reports/inbox',
    summary: 'Reports this node received: each opened, its author\'s signature and every evidence file checked, then receipted',
    output: reportInboxSchema,
    serve: async (_, { service }) => await service.reportInbox(),
    client: { method: 'reportInbox', send: () => ({}), receive: out => out }
  }),

  jsonRoute({
    operationId: 'reportShow',
    method: 'GET',
    path: '/v1/reports/:id',
    summary: 'One report in full, its receipts and chain of custody; on a recipient, recorded as opened (by `operator`)',
    params: reportIdParamsSchema,
    invalidParams: 'invalid_report_id',
    query: reportShowQuerySchema,
    output: reportDetailSchema,
    serve: async ({ params, query }, { service }) => await service.reportShow(params.id, query.operator),
    client: { method: 'reportShow', send: (id, operator) => ({ params: { id }, query: { operator } }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'reportCustody',
    method: 'GET',
    path: '/v1/reports/:id/custody',
    summary: 'The report\'s chain of custody on this node (received, opened, exported: when and by whom), without opening the report',
    params: reportIdParamsSchema,
    invalidParams: 'invalid_report_id',
    output: reportCustodySchema,
    serve: async ({ params }, { service }) => await service.reportCustody(params.id),
    client: { method: 'reportCustody', send: id => ({ params: { id } }), receive: out => out }
  }),

  jsonRoute({
    operationId: 'reportExport',
    method: 'POST',
    path: '/v1/reports/:id/export',
    summary: 'Write the report\'s evidence bundle (report, evidence, signatures, receipts, roster chain) to a path on the node\'s machine; recorded as exported',
    description: 'The bundle verifies offline with `alliance report verify <bundle>`. An existing file is never overwritten (409 already_exists); a path inside the node directory, or outside config.json `files.write` when set, is refused (400 file_not_allowed).',
    params: reportIdParamsSchema,
    invalidParams: 'invalid_report_id',
    body: reportExportBodySchema,
    output: reportExportResultSchema,
    serve: async ({ params, body }, { service }) => await service.reportExport(params.id, body.out, body.operator),
    // the bundle is written by the daemon, on its machine
    client: { method: 'reportExport', send: (id, outPath, operator) => ({ params: { id }, body: { out: outPath, ...(operator !== undefined ? { operator } : {}) } }), receive: out => out, timeout: 'bulk' }
  }),

  jsonRoute({
    operationId: 'consoleLink',
    method: 'POST',
    path: '/v1/console/link',
    summary: 'A one-time login link of the web console (`alliance console <dir>` prints it); bearer token only',
    description: 'The link works once and for a few minutes; it sets an HttpOnly, SameSite=Strict session cookie for the console\'s pages under /console/.',
    output: consoleLinkSchema,
    reachesService: false,
    serve: async (_, { console: webConsole }) => {
      if (webConsole === undefined) throw new ConsoleDisabledError()
      return webConsole.issueLink()
    }
  }),

  textRoute({
    operationId: 'metrics',
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition). Scrape with the bearer token',
    output: metricsTextSchema,
    reachesService: false,
    serve: async (_, { metrics }) => ({ contentType: metrics.contentType, text: await metrics.text() })
  }),

  jsonRoute({
    operationId: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    output: openApiSchema,
    reachesService: false,
    serve: async (_, { openapi }) => openapi()
  })
] as const satisfies readonly AnyRoute[]

/** Every route, as the server, the client and the document iterate them. */
export const API_ROUTES: readonly AnyRoute[] = ROUTES

/** Compile-time check: every NodeService method is served by some route (ApiClient implements them all from this table). */
type Unserved = Exclude<keyof NodeService, BoundMethods<typeof ROUTES>>
export const EVERY_SERVICE_METHOD_HAS_A_ROUTE: [Unserved] extends [never] ? true : { unserved: Unserved } = true
