/**
 * Every limit of reports, envelopes, receipts and bundles, with the reason
 * for its value. Encoders refuse to produce more, decoders refuse to accept
 * more, so neither a careless author nor a hostile peer can make a node
 * allocate beyond these amounts per message.
 */
import { MAX_NODES_PER_MEMBER } from '../limits.js'

/** Report ids: 128 random bits never collide in practice and do not reveal content. */
export const REPORT_ID_BYTES = 16
/** SHA-256 digests (evidence files, signed reports, bundles). */
export const DIGEST_BYTES = 32
/** Ed25519 public keys and X25519 box keys. */
export const KEY_BYTES = 32
/** Ed25519 signatures. */
export const SIGNATURE_BYTES = 64

/** A report goes to the few agencies competent for the case; 16 also bounds the sealed keys (below). */
export const MAX_RECIPIENTS = 16
/** One sealed content key per node of each recipient org. */
export const MAX_SEALED_KEYS = MAX_RECIPIENTS * MAX_NODES_PER_MEMBER
/** HPKE enc of DHKEM(X25519) is 32 bytes. */
export const ENC_BYTES = 32
/** HPKE ciphertext of the 32-byte content key: 32 + the 16-byte Poly1305 tag. */
export const SEALED_CONTENT_KEY_BYTES = 48

/** A bulk takedown lists hundreds of listings; 1,000 keeps a report readable and under MAX_REPORT_BYTES. */
export const MAX_LISTINGS = 1000
/** Sellers concerned: same reasoning as listings. */
export const MAX_SELLERS = 1000
/** Raw identifiers per seller (e-mails, phones, accounts, wallets…). */
export const MAX_IDENTIFIERS_PER_SELLER = 64
/** Rights infringed: a brand's marks in the jurisdictions concerned. */
export const MAX_RIGHTS = 100
/** Registration numbers per right (one per office). */
export const MAX_REGISTRATIONS_PER_RIGHT = 64
/** Evidence files: test purchases, screenshots, lab reports; archive more into one file beyond this. */
export const MAX_EVIDENCE_FILES = 256
/** 1 TiB per evidence file: streams of any practical size, far below 2^53 and the STREAM counter's range. */
export const MAX_EVIDENCE_FILE_BYTES = 2 ** 40

/** The narrative: ~20 pages of text; longer write-ups go in an evidence file. */
export const MAX_NARRATIVE_CHARS = 65_536
/** URLs: the de-facto browser and CDN limit. */
export const MAX_URL_CHARS = 2048
/** Titles, names, platforms, marks, registration numbers, values, references, media types, descriptions. */
export const MAX_TEXT_CHARS = 1024
/** Evidence file names: the common file-system limit for one path component. */
export const MAX_FILE_NAME_CHARS = 255
/** Org and alliance ids (protocol/roster ORG_ID_RE allows 63). */
export const MAX_ID_CHARS = 64

/**
 * The encoded Report, whatever its parts: the per-field limits above would
 * allow far more (1,000 sellers × 64 identifiers × 1 KiB), so this is the
 * cap that binds. 1,000 listings and sellers of typical length (~300 bytes
 * each) plus a full narrative are ~0.7 MB: 4 MiB leaves ample headroom,
 * and the signed report is held in memory on both sides.
 */
export const MAX_REPORT_BYTES = 4 * 1024 * 1024
/** SignedReport = report + 64-byte signature + framing. */
export const MAX_SIGNED_REPORT_BYTES = MAX_REPORT_BYTES + 128
/** 256 sealed keys of ~120 bytes each is ~31 KB. */
export const MAX_ENVELOPE_HEADER_BYTES = 64 * 1024
/** A receipt is ~200 bytes. */
export const MAX_RECEIPT_BYTES = 1024
/** An export statement is ~200 bytes. */
export const MAX_EXPORT_STATEMENT_BYTES = 1024

/**
 * Plaintext bytes per STREAM chunk: 64 KiB as in age (C2SP age v1 payload).
 * Large enough that the 16-byte tag and 9-byte frame header cost 0.04 %,
 * small enough that a reader holds only one chunk.
 */
export const STREAM_CHUNK_BYTES = 64 * 1024
/** Poly1305 tag. */
export const TAG_BYTES = 16

/** Receipts in a bundle: one per recipient node at most. */
export const MAX_BUNDLE_RECEIPTS = MAX_SEALED_KEYS
/** Roster versions in a bundle: decades of monthly updates; each is verified, so bounded. */
export const MAX_BUNDLE_ROSTER_VERSIONS = 4096
/** One encoded SignedRoster (protocol/limits MAX_ENTRY_BYTES). */
export const MAX_BUNDLE_ROSTER_BYTES = 2 * 1024 * 1024
