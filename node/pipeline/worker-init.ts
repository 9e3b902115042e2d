/**
 * A pipeline worker's options: what the user may set (WorkerInit, each
 * field with its default) and the checked, complete form the worker runs
 * with. A bad value is a PipelineConfigError naming the field, before the
 * worker connects anywhere.
 */
import { hostname } from 'node:os'
import { DEFAULT_POLICY, type MatchPolicy } from '../match/index.js'
import { PipelineConfigError } from './errors.js'
import { isNamePart, isStreamName } from './keys.js'

export interface WorkerInit {
  /** redis:// or rediss:// URL. */
  redis: string
  /** @default 'alliance' */
  prefix?: string
  /** Listings stream. @default 'listings' */
  input?: string
  /** Decisions stream. @default 'decisions' */
  output?: string
  /** Consumer group. @default 'matchers' */
  group?: string
  /** This worker's name in the group. @default '<hostname>-<pid>' */
  consumer?: string
  /** Entries per XREADGROUP. @default 1000 */
  batch?: number
  /** Commits outstanding at once. @default 2 */
  inFlight?: number
  /** Entries pending this long (ms) are claimed from their worker. @default 30000 */
  claimIdleMs?: number
  /** A worker whose heartbeat is this old (ms) is dead: its seen listings are adopted. @default max(15000, claimIdleMs) */
  deadAfterMs?: number
  /** Deliveries after which an entry is dead-lettered. @default 5 */
  maxDeliveries?: number
  /** Output stream length (MAXLEN ~). @default 10000000 */
  outMaxLen?: number
  /** @default DEFAULT_POLICY */
  policy?: MatchPolicy
  /** Value cache of the matcher core (bytes). @default 64 MiB */
  cacheBytes?: number
  /** TTL of fingerprint cache entries in Redis (s). @default 30 days */
  fpCacheTtlS?: number
  /** Listings are remembered for retroactive decisions this long (days). @default 30 */
  seenDays?: number
  /** @default 1000 */
  heartbeatMs?: number
  /** BLOCK of the group and change-stream reads (ms). @default 1000 */
  blockMs?: number
}

export type WorkerOptions = Required<WorkerInit>

function checkInt (field: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new PipelineConfigError(field, `must be a whole number from ${min} to ${max}`)
  return v
}

/** Defaults merged once, every field checked. */
export function workerOptions (init: WorkerInit): WorkerOptions {
  const claimIdleMs = init.claimIdleMs ?? 30_000
  const o: WorkerOptions = {
    redis: init.redis,
    prefix: init.prefix ?? 'alliance',
    input: init.input ?? 'listings',
    output: init.output ?? 'decisions',
    group: init.group ?? 'matchers',
    consumer: init.consumer ?? `${hostname()}-${process.pid}`,
    batch: checkInt('batch', init.batch ?? 1000, 1, 10_000),
    inFlight: checkInt('inFlight', init.inFlight ?? 2, 1, 16),
    claimIdleMs: checkInt('claimIdleMs', claimIdleMs, 100, 86_400_000),
    deadAfterMs: checkInt('deadAfterMs', init.deadAfterMs ?? Math.max(15_000, claimIdleMs), 1000, 86_400_000),
    maxDeliveries: checkInt('maxDeliveries', init.maxDeliveries ?? 5, 1, 1000),
    outMaxLen: checkInt('outMaxLen', init.outMaxLen ?? 10_000_000, 1000, 2 ** 40),
    policy: init.policy ?? DEFAULT_POLICY,
    cacheBytes: checkInt('cacheBytes', init.cacheBytes ?? 64 << 20, 1 << 20, 2 ** 34),
    fpCacheTtlS: checkInt('fpCacheTtlS', init.fpCacheTtlS ?? 30 * 86_400, 60, 2 ** 31),
    seenDays: checkInt('seenDays', init.seenDays ?? 30, 1, 3650),
    heartbeatMs: checkInt('heartbeatMs', init.heartbeatMs ?? 1000, 50, 60_000),
    blockMs: checkInt('blockMs', init.blockMs ?? 1000, 10, 60_000)
  }
  for (const [field, v] of [['prefix', o.prefix], ['input', o.input], ['output', o.output]] as const) {
    if (!isStreamName(v)) throw new PipelineConfigError(field, 'must be 1-128 letters, digits or ._:-{}')
  }
  for (const [field, v] of [['group', o.group], ['consumer', o.consumer]] as const) {
    if (!isNamePart(v)) throw new PipelineConfigError(field, 'must be 1-128 letters, digits or ._-')
  }
  if (o.input === o.output) throw new PipelineConfigError('output', 'must differ from the input stream')
  return o
}
