/**
 * The `hmac-sha256` fingerprint suite: HMAC-SHA256 under a per-kind subkey
 * of the alliance epoch key.
 *
 * Construction (byte-exact, so any implementation can reproduce it; vectors
 * in test/vectors/fingerprint.json, made by scripts/make-fingerprint-vectors.ts):
 *
 *   salt   = utf8("alliance-node/v1/fingerprint-key")          (TAGS.fingerprintKey, no trailing NUL)
 *   info   = utf8("hmac-sha256") || 0x00 || u32be(epoch) || u8(kindWire) || u16be(canonicalVersion)
 *            (11 + 1 + 4 + 1 + 2 = 19 bytes)
 *   k_kind = HKDF-SHA256(ikm = epochKey (32 bytes), salt, info, L = 32)   (RFC 5869)
 *   fp     = HMAC-SHA256(k_kind, canonical)                    (RFC 2104, 32 bytes)
 *
 * where kindWire and canonicalVersion are the kind's entries in the
 * identity registry, protocol/kinds.ts KIND_REGISTRY (today: email = 1,
 * phone = 2, seller-account = 3, payment-account = 4, domain = 5, url = 6,
 * postal-address = 7, name = 8, every canonical version 1). product-image
 * (9) is not fingerprinted. The suite name, epoch, kind and the version of
 * the kind's canonical rules are thus all bound into the key: the same
 * canonical bytes give unrelated fingerprints across kinds, epochs, suites
 * and canonical versions, so a node on other canonical rules cannot
 * silently produce fingerprints that look comparable but are not.
 *
 * Threat model (DESIGN.md §3): protects against outsiders and anyone who
 * sees only the network or an exported list. It does not protect against a
 * member, who holds the key and can test guesses at hash speed.
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac, type _HMAC } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { inspect } from 'node:util'
import { concatBytes, utf8 } from '../bytes.js'
import { TAGS } from '../hash.js'
import type { Kind } from '../kinds.js'
import { SuiteDestroyedError, UnsupportedKindError } from './errors.js'
import { assertEpoch, assertEpochKey, FINGERPRINT_BYTES, FINGERPRINT_KINDS, kindDomain, kindDomainBytes, u32be } from './params.js'
import type { FingerprintBatchOptions, FingerprintItem, LocalFingerprintSuite } from './suite.js'

export const HMAC_SHA256 = 'hmac-sha256'

/** HKDF salt of the per-kind subkeys. */
const KIND_KEY_SALT = utf8(TAGS.fingerprintKey)
const SUITE_NAME_BYTES = utf8(HMAC_SHA256)

/**
 * Items per slice of `fingerprintBatch` before it yields to the event loop
 * and checks the abort signal: ~15 ms of work at ~270k/s, so a million-item
 * batch neither blocks the node nor pays for many yields.
 */
const BATCH_SLICE = 4096

type HmacState = _HMAC<any>

/** The HKDF info of k_kind for explicit numbers, as documented above. */
export function hmacKindInfo (epoch: number, kindWire: number, canonicalVersion: number): Uint8Array {
  assertEpoch(epoch)
  return concatBytes(SUITE_NAME_BYTES, Uint8Array.of(0), u32be(epoch), kindDomainBytes(kindWire, canonicalVersion))
}

/**
 * k_kind for one kind under the registry's wire number and canonical
 * version, as documented above. Exported for test vectors and for tools that
 * must interoperate; the suite itself keeps only HMAC states.
 */
export function hmacKindKey (epochKey: Uint8Array, epoch: number, kind: Kind): Uint8Array {
  assertEpochKey(epochKey)
  assertEpoch(epoch)
  const info = concatBytes(SUITE_NAME_BYTES, Uint8Array.of(0), u32be(epoch), kindDomain(kind))
  return hkdf(sha256, epochKey, KIND_KEY_SALT, info, 32)
}

/**
 * k_kind for explicit numbers: what a node whose registry says
 * (kindWire, canonicalVersion) derives. For tests and tools comparing
 * canonical versions; the suite always uses the registry (hmacKindKey).
 */
export function hmacKindKeyFor (epochKey: Uint8Array, epoch: number, kindWire: number, canonicalVersion: number): Uint8Array {
  assertEpochKey(epochKey)
  return hkdf(sha256, epochKey, KIND_KEY_SALT, hmacKindInfo(epoch, kindWire, canonicalVersion), 32)
}

export interface HmacSuiteInit {
  /** Key epoch, 0..2^32-1. */
  epoch: number
  /** 32-byte epoch key; read once, not retained. */
  key: Uint8Array
}

class HmacSha256Suite implements LocalFingerprintSuite {
  readonly name = HMAC_SHA256
  readonly epoch: number
  readonly outputLength = FINGERPRINT_BYTES
  /** HMAC state after absorbing k_kind's inner and outer pads: equivalent to the key, so private and never printed. */
  readonly #states = new Map<string, HmacState>()
  /** Scratch the per-kind state is cloned into for each identifier. */
  readonly #scratch: HmacState
  readonly #digest = new Uint8Array(FINGERPRINT_BYTES)
  #destroyed = false

  constructor (init: HmacSuiteInit) {
    assertEpoch(init.epoch)
    assertEpochKey(init.key)
    this.epoch = init.epoch
    for (const kind of FINGERPRINT_KINDS) {
      const k = hmacKindKey(init.key, init.epoch, kind)
      this.#states.set(kind, hmac.create(sha256, k) as HmacState)
      k.fill(0)
    }
    this.#scratch = (this.#states.get(FINGERPRINT_KINDS[0]) as HmacState).clone()
  }

  fingerprintInto (kind: Kind, canonical: Uint8Array, out: Uint8Array, offset: number): void {
    const state = this.#states.get(kind)
    if (state === undefined) throw this.#noState(kind)
    if (!Number.isInteger(offset) || offset < 0 || offset + FINGERPRINT_BYTES > out.length) {
      throw new RangeError(`fingerprintInto: ${FINGERPRINT_BYTES} bytes at offset ${offset} do not fit an output of ${out.length} bytes`)
    }
    const mac = state._cloneInto(this.#scratch)
    mac.update(canonical)
    mac.digestInto(this.#digest)
    out.set(this.#digest, offset)
  }

  fingerprint (kind: Kind, canonical: Uint8Array): Uint8Array {
    const out = new Uint8Array(FINGERPRINT_BYTES)
    this.fingerprintInto(kind, canonical, out, 0)
    return out
  }

  async fingerprintBatch (items: ReadonlyArray<FingerprintItem>, options: FingerprintBatchOptions = {}): Promise<Uint8Array[]> {
    const { signal } = options
    signal?.throwIfAborted()
    const n = items.length
    const backing = new Uint8Array(n * FINGERPRINT_BYTES)
    const out = new Array<Uint8Array>(n)
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % BATCH_SLICE === 0) {
        await yieldToLoop()
        signal?.throwIfAborted()
      }
      const { kind, canonical } = items[i]
      const o = i * FINGERPRINT_BYTES
      if (!this.#states.has(kind)) throw this.#noState(kind, i)
      this.fingerprintInto(kind, canonical, backing, o)
      out[i] = backing.subarray(o, o + FINGERPRINT_BYTES)
    }
    return out
  }

  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const state of this.#states.values()) state.destroy()
    this.#states.clear()
    this.#scratch.destroy()
  }

  #noState (kind: string, index?: number): Error {
    return this.#destroyed ? new SuiteDestroyedError(this.name, this.epoch) : new UnsupportedKindError(kind, index)
  }

  toJSON (): { name: string, epoch: number } {
    return { name: this.name, epoch: this.epoch }
  }

  toString (): string {
    return `FingerprintSuite(${this.name}, epoch ${this.epoch})`
  }

  [inspect.custom] (): string {
    return this.toString()
  }
}

/** The hmac-sha256 suite for one epoch. Throws InvalidEpochError / InvalidEpochKeyError. */
export function createHmacSuite (init: HmacSuiteInit): LocalFingerprintSuite {
  return new HmacSha256Suite(init)
}
