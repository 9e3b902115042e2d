/**
 * The `toprf-ristretto255` fingerprint suite (DESIGN.md §3): RFC 9497 VOPRF
 * over ristretto255-SHA512 with the key Shamir-shared among t-of-g
 * guardians. Importing this module loads libsodium's WebAssembly (~70 ms,
 * once); protocol/fingerprint/index.ts re-exports only the suite's name
 * and types, so hmac-only code never pays for it.
 *
 * - Dealer (roster step that opens an epoch): dealToprfKey.
 * - Guardian: openToprfShare, createToprfGuardian / guardianEvaluate.
 * - Requester: createToprfSuite with an injected guardian transport.
 */
export * from './errors.js'
export { createToprfSuite, type GuardianFault, type ToprfEvaluateFn, type ToprfEvaluation, type ToprfGuardianRef, type ToprfSuite, type ToprfSuiteInit } from './suite.js'
export { createToprfGuardian, guardianEvaluate, MAX_EVALUATION_BATCH, type ToprfGuardian, type ToprfGuardianInit } from './guardian.js'
export { commitmentsDigest, dealToprfKey, openToprfShare, shareSealInfo, type DealToprfKeyArgs, type OpenToprfShareArgs, type SealedShare, type ToprfDeal } from './dealer.js'
export { fingerprintWithKey, MAX_TOPRF_CANONICAL_BYTES, toprfCanonicalVersion, toprfFingerprint, toprfInput, toprfKindWire } from './input.js'
export { assertCommitments, lagrangeAtZero, MAX_GUARDIANS, publicShare, verifyShare } from './shamir.js'
export { ELEMENT_BYTES, SCALAR_BYTES } from './group.js'
export { PROOF_BYTES } from './oprf.js'
export { TOPRF_RISTRETTO255 } from '../suite.js'
