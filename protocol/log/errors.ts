import { ProtocolError } from '../errors.js'

/** The signature does not verify: the entry was altered, or signed by another key. */
export class BadSignatureError extends ProtocolError {
  constructor (what: string) {
    super('bad_signature', `${what}: signature does not verify (tampered, or signed by another key)`)
    this.name = 'BadSignatureError'
  }
}

/** An entry's prev does not equal the id of the entry before it. */
export class BrokenChainError extends ProtocolError {
  readonly seq: number
  constructor (seq: number, why: string) {
    super('broken_chain', `entry seq ${seq}: ${why}`)
    this.name = 'BrokenChainError'
    this.seq = seq
  }
}

/** Entries are missing between what we hold and what arrived: sync the author's log. */
export class SeqGapError extends ProtocolError {
  readonly have: number
  readonly got: number
  constructor (have: number, got: number) {
    super('seq_gap', `entry seq ${got} arrived but the log ends at seq ${have}; entries ${have + 1}..${got - 1} must be synced first`)
    this.name = 'SeqGapError'
    this.have = have
    this.got = got
  }
}

/** Entry dated further in the future than the roster's clock tolerance. */
export class FutureEntryError extends ProtocolError {
  constructor (seq: number, time: number, now: number, tolerance: number) {
    super('future_time', `entry seq ${seq} is dated ${time - now} ms ahead of this node's clock (tolerance ${tolerance} ms); check the author's clock`)
    this.name = 'FutureEntryError'
  }
}

/** Entry dated before the entry it follows. */
export class TimeReversalError extends ProtocolError {
  constructor (seq: number) {
    super('time_reversal', `entry seq ${seq} is dated before the entry it follows`)
    this.name = 'TimeReversalError'
  }
}

/** The author key is not a member node of the roster in force at the entry's time. */
export class UnknownAuthorError extends ProtocolError {
  constructor (seq: number) {
    super('unknown_author', `entry seq ${seq}: author key is not a member of the roster in force at the entry's time`)
    this.name = 'UnknownAuthorError'
  }
}

/** A segment holds entries of more than one author. */
export class MixedAuthorsError extends ProtocolError {
  constructor () {
    super('mixed_authors', 'a segment must hold entries of one author only')
    this.name = 'MixedAuthorsError'
  }
}

/** Expiry before the entry's time, or further out than the roster's maximum lifetime. */
export class InvalidLifetimeError extends ProtocolError {
  constructor (seq: number, why: string) {
    super('invalid_lifetime', `entry seq ${seq}: ${why}`)
    this.name = 'InvalidLifetimeError'
  }
}

/** A segment that must be signed (e.g. a single gossiped entry) carries no signature. */
export class UnsignedSegmentError extends ProtocolError {
  constructor () {
    super('unsigned', 'segment carries no signature; single entries must each be signed')
    this.name = 'UnsignedSegmentError'
  }
}

/** Equivocation evidence that does not prove equivocation. */
export class InvalidEvidenceError extends ProtocolError {
  constructor (why: string) {
    super('invalid_evidence', `equivocation evidence rejected: ${why}`)
    this.name = 'InvalidEvidenceError'
  }
}
