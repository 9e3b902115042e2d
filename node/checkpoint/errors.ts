/**
 * Why a start-up checkpoint was not used. Never fatal: the node logs it at
 * warn, does the full pass over its store, and shows the reason in its
 * status (`startup.reason`) and the `alliance_startup_checkpoint_total`
 * metric.
 */
import { NodeError } from '../errors.js'

export type CheckpointRefusal =
  /** The file does not verify (its hash, its layout, or the index image in it). */
  | 'checkpoint_damaged'
  /** Written by another format version of this code. */
  | 'checkpoint_version'
  /** Written by a node of another alliance. */
  | 'checkpoint_other_alliance'
  /** Written under another roster chain (another version or another roster). */
  | 'checkpoint_other_roster'
  /** The store no longer holds what the checkpoint covers (a log behind it or forked from it, evidence missing, a clock before it). */
  | 'checkpoint_stale'
  /** The chain check found damage in the store (or started over): entries the checkpoint counts may be gone. */
  | 'checkpoint_store_damaged'

export class CheckpointRefusedError extends NodeError {
  declare readonly reason: CheckpointRefusal
  constructor (reason: CheckpointRefusal, message: string, options?: ErrorOptions) {
    super(reason, `start-up checkpoint not used (${reason}): ${message}; the node rebuilds its state from the store instead`, options)
    this.name = 'CheckpointRefusedError'
  }
}
