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
