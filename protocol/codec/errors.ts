import { ProtocolError } from '../errors.js'

/** The input is larger than the named limit for its message type. */
export class OversizeError extends ProtocolError {
  readonly limit: number
  readonly size: number
  constructor (what: string, size: number, limit: number) {
    super('oversize', `${what} is ${size} bytes, over the limit of ${limit}`)
    this.name = 'OversizeError'
    this.limit = limit
    this.size = size
  }
}

/** The bytes are not a valid protobuf encoding of the expected message. */
export class MalformedMessageError extends ProtocolError {
  constructor (what: string, detail: string) {
    super('malformed', `${what} is not a valid protobuf message: ${detail}`)
    this.name = 'MalformedMessageError'
  }
}

/**
 * The message decodes, but re-encoding it does not reproduce the received
 * bytes (unknown fields, reordered or unpacked fields, explicit defaults):
 * ids and signatures must cover exactly one encoding.
 */
export class NonCanonicalEncodingError extends ProtocolError {
  constructor (what: string) {
    super('non_canonical', `${what} is not canonically encoded; re-encode it with this protocol's codec`)
    this.name = 'NonCanonicalEncodingError'
  }
}

/** A field is missing, out of range, of the wrong length, or an unknown enum value. */
export class InvalidFieldError extends ProtocolError {
  readonly field: string
  constructor (field: string, why: string) {
    super('invalid_field', `field ${field}: ${why}`)
    this.name = 'InvalidFieldError'
    this.field = field
  }
}

/** A repeated field has more elements than its named limit. */
export class TooManyError extends ProtocolError {
  readonly field: string
  /** `atLeast`: counting stopped at the first element over the limit (the pre-scan), so `count` is a lower bound. */
  constructor (field: string, count: number, limit: number, atLeast = false) {
    super('too_many', `field ${field} has ${atLeast ? 'more than ' + String(limit) : String(count)} elements, over the limit of ${limit}`)
    this.name = 'TooManyError'
    this.field = field
  }
}

export const CODEC_ERRORS = [OversizeError, MalformedMessageError, NonCanonicalEncodingError, InvalidFieldError, TooManyError] as const
