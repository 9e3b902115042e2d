/**
 * Whose fault an error is, as every named error (here and in node/) says
 * through its `category`: the caller's input, a thing that does not exist,
 * a conflict with the state held, a state that cannot serve the request now,
 * or a fault of the program itself. Callers switch on it: the node's HTTP
 * API maps it to a status code (in one place, node/api/http-errors.ts).
 */
export type ErrorCategory = 'input' | 'not_found' | 'conflict' | 'unavailable' | 'internal'

export const ERROR_CATEGORIES: readonly ErrorCategory[] = ['input', 'not_found', 'conflict', 'unavailable', 'internal']

/**
 * Base class of every error protocol/ throws on bad input. Each subclass sets
 * `name` (tests assert on it, never on message text) and a stable `reason`
 * (a short snake_case code that doubles as a metric label).
 * Messages say what was wrong and, where a person can act, what to do.
 * Messages never contain key material.
 *
 * `category` is `input` unless a subclass says otherwise (a getter on the
 * prototype, so it is readable from the class without an instance and never
 * copied into logs or JSON).
 */
export class ProtocolError extends Error {
  readonly reason: string
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProtocolError'
    this.reason = reason
  }

  get category (): ErrorCategory { return 'input' }
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

  override get category (): ErrorCategory { return 'internal' }
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
