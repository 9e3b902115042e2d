/**
 * Base class of every error protocol/ throws on bad input. Each subclass sets
 * `name` (tests assert on it, never on message text) and a stable `reason`
 * (a short snake_case code that doubles as a metric label).
 * Messages say what was wrong and, where a person can act, what to do.
 * Messages never contain key material.
 */
export class ProtocolError extends Error {
  readonly reason: string
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProtocolError'
    this.reason = reason
  }
}

/**
 * A wire-enum table of protocol/kinds.ts breaks the registry's rules (a
 * number repeated, retired, or out of range). Thrown when the module loads:
 * a build with a broken table must not run at all.
 */
export class InvalidRegistryError extends ProtocolError {
  readonly enum: string
  constructor (enumName: string, why: string) {
    super('invalid_registry', `wire enum ${enumName}: ${why}; wire numbers are never reused, give a new name a new number`)
    this.name = 'InvalidRegistryError'
    this.enum = enumName
  }
}

/** A name is not in the wire enum it is encoded as (e.g. a kind from untyped input). */
export class UnknownEnumNameError extends ProtocolError {
  readonly enum: string
  constructor (enumName: string, value: unknown) {
    super('unknown_enum_name', `${describeName(value)} is not a ${enumName}`)
    this.name = 'UnknownEnumNameError'
    this.enum = enumName
  }
}

/** Echo a value only if it looks like an enum name: a swapped argument must not put a raw identifier into logs. */
function describeName (value: unknown): string {
  return typeof value === 'string' && /^[a-z][a-z-]{0,31}$/.test(value) ? JSON.stringify(value) : '(not an enum name)'
}
