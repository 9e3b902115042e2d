/**
 * Named errors of the platform pipeline (node/pipeline). Each sets `name`
 * (tests assert on it) and a stable `reason` (the API's error code and a
 * metric label); messages say what was wrong and what to do. None carries a
 * raw identifier or key material.
 */
import { NodeError } from '../errors.js'
import type { ErrorCategory } from '../../protocol/errors.js'

/** A pipeline option is invalid (bad Redis URL, prefix, batch size...). */
export class PipelineConfigError extends NodeError {
  readonly field: string
  constructor (field: string, why: string) {
    super('invalid_pipeline_config', `pipeline option ${field}: ${why}`)
    this.name = 'PipelineConfigError'
    this.field = field
  }

  override get category (): ErrorCategory { return 'input' }
}

/** Redis does not answer (connection refused, timeout) or answers with an error the pipeline cannot handle. */
export class RedisUnavailableError extends NodeError {
  constructor (what: string, options?: ErrorOptions) {
    super('redis_unavailable', `Redis is unavailable: ${what}`, options)
    this.name = 'RedisUnavailableError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** Redis answered a command with an error reply (RESP level: resp.ts); the message is Redis's own. */
export class RedisReplyError extends NodeError {
  constructor (message: string) {
    super('redis_error', `Redis answered with an error: ${message}`)
    this.name = 'RedisReplyError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** A worker's policy differs from the one its consumer group already uses: decisions of one group must not depend on which worker made them. */
export class PolicyMismatchError extends NodeError {
  constructor (group: string) {
    super('policy_conflict', `consumer group ${group} already decides with another policy; start every worker of a group with the same --policy, or use another --group`)
    this.name = 'PolicyMismatchError'
  }

  override get category (): ErrorCategory { return 'conflict' }
}

/** The blocklist the node published to Redis is missing or damaged (no snapshot yet, a chunk gone). */
export class SnapshotUnavailableError extends NodeError {
  constructor (why: string) {
    super('snapshot_unavailable', `the blocklist snapshot in Redis cannot be read: ${why}`)
    this.name = 'SnapshotUnavailableError'
  }

  override get category (): ErrorCategory { return 'unavailable' }
}

/** Bytes in Redis that should hold a pipeline record (snapshot chunk, change batch, seen batch) do not decode. */
export class PipelineRecordError extends NodeError {
  constructor (what: string, why: string) {
    super('bad_pipeline_record', `${what} in Redis does not decode: ${why}`)
    this.name = 'PipelineRecordError'
  }
}
