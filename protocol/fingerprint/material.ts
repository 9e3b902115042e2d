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
 * For `toprf-ristretto255` the material is an OPRF key dealt t-of-g among
 * the guardians (./toprf/dealer.ts): each share sealed to its guardian's box
 * key, the Feldman commitments and guardians returned for the policy, the
 * key wiped. Non-guardian members receive nothing: they hold no key.
 *
 * Adding a suite means a case here (what is generated, sealed and
 * committed) and one in suite.ts (how the suite is built from what a member
 * opens); nothing in node/ names a suite.
 */
import type { GuardianRef, SealedKey } from '../types.js'
import { epochKeyCommitment, generateEpochKey } from './epoch-key.js'
import { UnknownSuiteError } from './errors.js'
import { HMAC_SHA256 } from './hmac.js'
import { sealEpochKey } from './seal.js'
import { InvalidThresholdError } from './toprf/errors.js'
import { SUITE_NAMES, TOPRF_RISTRETTO255 } from './suite.js'

export interface EpochMaterialInit {
  alliance: string
  suite: string
  epoch: number
  /** X25519 box public keys of every member node of the version that opens the epoch. */
  recipients: Uint8Array[]
  /** toprf-ristretto255: the guardians (org and the box key of its share-holding node), in index order. */
  guardians?: Array<Pick<GuardianRef, 'org' | 'boxKey'>>
  /** toprf-ristretto255: t. */
  threshold?: number
}

/** The policy fields a toprf epoch adds (empty for hmac-sha256). */
export interface GuardianMaterial {
  guardians: GuardianRef[]
  guardianThreshold: number
  shareCommitments: Uint8Array[]
}

export interface EpochMaterial {
  suite: string
  epoch: number
  /** Goes into the roster policy (`epochKeyCommitment`). */
  commitment: Uint8Array
  /** hmac: one sealed copy per recipient, in recipient order; toprf: one sealed share per guardian, in index order. */
  sealed: SealedKey[]
  /** Goes into the roster policy beside the commitment. */
  policy: GuardianMaterial
}

/** Generates, commits, seals and forgets the key material of a new epoch. */
export async function createEpochMaterial (init: EpochMaterialInit): Promise<EpochMaterial> {
  switch (init.suite) {
    case HMAC_SHA256: {
      const key = generateEpochKey()
      try {
        const commitment = epochKeyCommitment(key, init.suite, init.epoch)
        const sealed = await sealEpochKey({ alliance: init.alliance, suite: init.suite, epoch: init.epoch, key, recipients: init.recipients })
        return { suite: init.suite, epoch: init.epoch, commitment, sealed, policy: { guardians: [], guardianThreshold: 0, shareCommitments: [] } }
      } finally {
        key.fill(0)
      }
    }
    case TOPRF_RISTRETTO255: {
      const guardians = init.guardians ?? []
      if (guardians.length === 0 || init.threshold === undefined) throw new InvalidThresholdError(`${TOPRF_RISTRETTO255} needs guardians and a threshold`)
      // loaded here only: hmac-only code never pays for libsodium
      const { dealToprfKey, commitmentsDigest } = await import('./toprf/index.js')
      const deal = await dealToprfKey({ alliance: init.alliance, epoch: init.epoch, threshold: init.threshold, guardians: guardians.map(g => g.boxKey) })
      return {
        suite: init.suite,
        epoch: init.epoch,
        commitment: commitmentsDigest(init.epoch, deal.commitments),
        sealed: deal.sealedShares.map(s => ({ recipient: s.recipient, enc: s.enc, ciphertext: s.ciphertext })),
        policy: {
          guardians: guardians.map((g, i) => ({ org: g.org, boxKey: g.boxKey, index: i + 1 })),
          guardianThreshold: deal.threshold,
          shareCommitments: deal.commitments
        }
      }
    }
    default:
      throw new UnknownSuiteError(init.suite, SUITE_NAMES)
  }
}
