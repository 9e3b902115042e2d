/**
 * Key material of a new fingerprint epoch, made by whoever builds the roster
 * version that opens the epoch (`alliance roster create`, `alliance roster
 * next --rotate-key`), and what a member keeps of it.
 *
 * For `hmac-sha256` the material is one fresh 32-byte key, committed to in
 * the roster policy and sealed to every member node's box key; the maker
 * forgets it (the key is wiped before this returns), so the only copies are
 * the sealed ones, which open only for the members of that version.
 *
 * Adding a suite means a case here (what is generated, sealed and
 * committed) and one in suite.ts (how the suite is built from what a member
 * opens); nothing in node/ names a suite.
 */
import type { SealedKey } from '../types.js'
import { epochKeyCommitment, generateEpochKey } from './epoch-key.js'
import { UnknownSuiteError } from './errors.js'
import { HMAC_SHA256 } from './hmac.js'
import { sealEpochKey } from './seal.js'
import { SUITE_NAMES } from './suite.js'

export interface EpochMaterialInit {
  alliance: string
  suite: string
  epoch: number
  /** X25519 box public keys of every member node of the version that opens the epoch. */
  recipients: Uint8Array[]
}

export interface EpochMaterial {
  suite: string
  epoch: number
  /** Goes into the roster policy (`epochKeyCommitment`). */
  commitment: Uint8Array
  /** One sealed copy per recipient, in recipient order. */
  sealed: SealedKey[]
}

/** Generates, commits, seals and forgets the key material of a new epoch. */
export async function createEpochMaterial (init: EpochMaterialInit): Promise<EpochMaterial> {
  switch (init.suite) {
    case HMAC_SHA256: {
      const key = generateEpochKey()
      try {
        const commitment = epochKeyCommitment(key, init.suite, init.epoch)
        const sealed = await sealEpochKey({ alliance: init.alliance, suite: init.suite, epoch: init.epoch, key, recipients: init.recipients })
        return { suite: init.suite, epoch: init.epoch, commitment, sealed }
      } finally {
        key.fill(0)
      }
    }
    default:
      throw new UnknownSuiteError(init.suite, SUITE_NAMES)
  }
}
