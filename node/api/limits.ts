/** Limits of the local HTTP API, shared by server, client and CLI. */

/** Body limit of POST /v1/attest: a bulk upload of ~100k identifiers is ~10 MiB of JSON; 32 MiB leaves headroom while bounding memory. */
export const MAX_BULK_BODY_BYTES = 32 * 1024 * 1024

/** Body limit of every other route: they carry one identifier. */
export const MAX_BODY_BYTES = 64 * 1024

/** Items in one attest request: one bulk segment, one signature; bigger files are split by the caller. */
export const MAX_ATTEST_ITEMS = 1_000_000

/** Raw identifier length accepted on the wire; canonicalisation applies its own, smaller cap and reports it per item. */
export const MAX_VALUE_LENGTH = 4096

/** The bearer token's minimum length (e.g. 16 random bytes as base64url is 22 characters). */
export const MIN_TOKEN_LENGTH = 16

/** How long stop() waits for in-flight requests before cutting connections. */
export const STOP_GRACE_MS = 5_000

/** Body limit of POST /v1/reports: an encoded report is at most 4 MiB (protocol/report MAX_REPORT_BYTES); its JSON input with escaping fits in 16 MiB. */
export const MAX_REPORT_BODY_BYTES = 16 * 1024 * 1024

/** GET /v1/events sends a heartbeat line this often, so clients tell a quiet feed from a dead connection. */
export const EVENTS_HEARTBEAT_MS = 15_000
