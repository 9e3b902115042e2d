/**
 * Local matching (issue 4): the platform scans its listings against the
 * consensus blocklist; raw identifiers never leave the node. The public API;
 * node/match/README.md documents formats and design.
 *
 * - `BlocklistIndex`: fingerprint → status + explanation in shared typed
 *   arrays; `fromExplanations`, `apply`/`applyAll` (live), `share`/`attach`.
 * - `createMatcher`: one listing (`matchListing`) or a stream (`matchStream`).
 * - `createMatchPool` / `matchFile`: files of any size across worker threads,
 *   decisions and rejects written in input order, a summary returned.
 * - `readListings`: CSV/JSONL as an async iterable of rows with line numbers.
 * - `parsePolicy`: the platform's status → action policy (zod-validated).
 * - `SeenStore`, `MemorySeenStore`, `retroactiveDecisions`: decisions for
 *   earlier listings when a fingerprint becomes listed later.
 */
export { BlocklistIndex, ORGS_INLINE, type BlocklistIndexInit, type IndexChange, type IndexInput, type IndexedExplanation, type SharedBlocklist } from './blocklist-index.js'
export { COLUMN_KINDS, IDENTIFIER_COLUMNS, LISTING_ID_COLUMN, PROBES, type ColumnRenames, type IdentifierColumn, type ListingRecord, type ListingRow, type Probe } from './columns.js'
export { CSV_DECISION_HEADER, ROW_WHY, formatDecision, type Decision, type MatchExplanation, type OutputFormat, type Reject, type RetroDecision } from './decision.js'
export * from './errors.js'
export { createMatcher, type Matcher, type MatcherInit, type MatcherStats } from './matcher.js'
export { createMatchPool, matchFile, type ListingsInput, type MatchFileOptions, type MatchPool, type MatchPoolInit, type MatchSummary } from './pool.js'
export type { Emit, InputFormat } from './batch.js'
export type { FingerprintKey } from './lanes.js'
export { ACTIONS, DEFAULT_POLICY, actionFor, mostSevere, type Action, type MatchPolicy } from './policy.js'
export { parsePolicy, parsePolicyJson } from './policy-json.js'
export { readListings, type ReadListingsOptions, type UnreadableRecord } from './reader.js'
export { escalates, retroactiveDecisions } from './retro.js'
export { MemorySeenStore, type SeenBatch, type SeenListing, type SeenStore } from './seen-store.js'
export type { CacheStats } from './value-cache.js'
