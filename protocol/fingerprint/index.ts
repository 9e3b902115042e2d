/** Keyed fingerprints of identifiers and the epoch keys behind them (DESIGN.md §3). */
export * from './errors.js'
export { BOX_KEY_BYTES, EPOCH_KEY_BYTES, FINGERPRINT_BYTES, FINGERPRINT_KINDS, KIND_DOMAIN_BYTES, MAX_EPOCH, kindDomain, kindDomainBytes } from './params.js'
export * from './suite.js'
export { createHmacSuite, hmacKindInfo, hmacKindKey, hmacKindKeyFor, HMAC_SHA256, type HmacSuiteInit } from './hmac.js'
export * from './epoch-key.js'
export * from './seal.js'
export * from './material.js'
// toprf-ristretto255: its name (from suite.ts) and types only; the implementation is
// in ./toprf/index.js, imported where it is used because it loads libsodium's WebAssembly.
export type {
  GuardianFault, SealedShare, ToprfDeal, ToprfEvaluateFn, ToprfEvaluation, ToprfGuardian, ToprfGuardianRef, ToprfSuite, ToprfSuiteInit
} from './toprf/index.js'
