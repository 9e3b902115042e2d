/**
 * Every wire limit, with the reason for its value. Decoders enforce them
 * before and while turning bytes into objects, so a hostile peer can make a
 * node allocate at most these amounts per message.
 */

/** Ed25519 public keys, X25519 keys, entry/roster ids, SHA-256 digests. */
export const KEY_BYTES = 32
export const ID_BYTES = 32
export const DIGEST_BYTES = 32
/** Ed25519 signatures. */
export const SIGNATURE_BYTES = 64
/** Keyed fingerprints are 32 bytes; product-image perceptual hashes 8..32 bytes (64- to 256-bit). */
export const FINGERPRINT_BYTES = 32
export const MIN_IMAGE_HASH_BYTES = 8

/** A statement entry (attestation, retraction, opinion) is ~150 bytes; 1 KiB leaves room for growth, not for abuse. */
export const MAX_STATEMENT_ENTRY_BYTES = 1024
/** A roster for 1,000 orgs with a few nodes each, or a key epoch sealed to 4,096 nodes, stays well below 2 MiB. */
export const MAX_ENTRY_BYTES = 2 * 1024 * 1024
/** Encoded Roster document alone (same reasoning as MAX_ENTRY_BYTES, minus signatures). */
export const MAX_ROSTER_BYTES = 1536 * 1024
/** The alliance is designed for 20–200 orgs; 1,000 is a hard ceiling. */
export const MAX_MEMBERS = 1000
/** Nodes (keys) one org may run. */
export const MAX_NODES_PER_MEMBER = 16
/**
 * Nodes in one roster, all orgs together: ten per org for the 200 orgs the
 * alliance is designed for, two each at the 1,000-org ceiling. It bounds the
 * work of decoding a roster (its worst case must decode in under 50 ms:
 * test/fault/decode-amplification) and stays under MAX_SEALED_KEYS.
 */
export const MAX_ROSTER_NODES = 2048
/** Listen addresses advertised per node. */
export const MAX_ADDRS_PER_NODE = 8
/** One signature per member org at most, plus a few rotated keys. */
export const MAX_ROSTER_SIGNATURES = 1100
/** Org ids, alliance ids, suite names: short machine identifiers. */
export const MAX_ID_CHARS = 64
/** Display names and multiaddr strings. */
export const MAX_TEXT_CHARS = 256
/** Sealed epoch keys: one per node of every member (1,000 × 4 nodes). */
export const MAX_SEALED_KEYS = 4096
/** toprf guardians named in one policy (share indices are one byte). */
export const MAX_GUARDIANS = 255
/** Quotas in one policy: one per org, plus roles and the default. */
export const MAX_QUOTAS = MAX_MEMBERS + 8
/** Reasons in one policy's vocabulary: a legal taxonomy of infringements is dozens, not hundreds. */
export const MAX_REASONS = 64
/** A reason's description: one sentence for people. */
export const MAX_REASON_DESCRIPTION_CHARS = 280
/** A guardian-counts entry: one (org, count) per member org. */
export const MAX_GUARDIAN_COUNTS_ENTRY_BYTES = MAX_MEMBERS * (MAX_ID_CHARS + 16) + 1024
/** HPKE ciphertext of a 32-byte key plus tag; room for other suites' key sizes. */
export const MAX_SEALED_CIPHERTEXT_BYTES = 256

/** Entries in one segment frame: bulk uploads of 100,000 travel as several frames, signed at the end. */
export const MAX_SEGMENT_ENTRIES = 10_000
/** One segment frame: 10,000 statement entries of ~150 bytes is ~1.6 MB; 4 MiB bounds it with headroom. */
export const MAX_SEGMENT_BYTES = 4 * 1024 * 1024
/** A sync response frame carries at most this many bytes (several segments). */
export const MAX_SYNC_RESPONSE_BYTES = 8 * 1024 * 1024
export const MAX_SEGMENTS_PER_RESPONSE = 4096
/**
 * Entries in one sync response frame, all segments together: a responder
 * sends at most the requester's batch (≤ MAX_SEGMENT_ENTRIES) per frame.
 * Without it 8 MiB of empty entries is ~4 million objects to build.
 */
export const MAX_SYNC_RESPONSE_ENTRIES = MAX_SEGMENT_ENTRIES
/** Heads in a sync request: one per author key (1,000 orgs × 16 nodes). */
export const MAX_HEADS = MAX_MEMBERS * MAX_NODES_PER_MEMBER
/** Head is ~80 bytes; 16,000 of them ~1.3 MB. */
export const MAX_SYNC_REQUEST_BYTES = 2 * 1024 * 1024
/** Equivocation evidence: two segments of at most one frame each. */
export const MAX_EQUIVOCATION_BYTES = 2 * MAX_SEGMENT_BYTES + 64

/** An entry carrying a signed roster: the roster, one signature per org, and the entry's own fields. */
export const MAX_ROSTER_ENTRY_BYTES = MAX_ROSTER_BYTES + MAX_ROSTER_SIGNATURES * 104 + 1024
/** An entry carrying sealed epoch keys: one per node, each recipient, encapsulated key and ciphertext with framing. */
export const MAX_KEY_EPOCH_ENTRY_BYTES = MAX_SEALED_KEYS * (MAX_SEALED_CIPHERTEXT_BYTES + 80) + 1024

/** Confidence is a percentage. */
export const MAX_CONFIDENCE = 100
