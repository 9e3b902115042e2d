/**
 * Login links and sessions of the web console, in the daemon's memory
 * (a restart logs everyone out; nothing about them is written to disk).
 *
 * - A login link carries a fresh 256-bit token. The node keeps only its
 *   SHA-256; the link works once and for `linkTtlMs`.
 * - Redeeming it opens a session: a 256-bit session id (the cookie) and a
 *   256-bit CSRF token, both kept only as SHA-256 digests / for comparison
 *   in constant time; the session ends after `sessionTtlMs` (no sliding).
 * - Lookups are by the SHA-256 of the presented secret, so a lookup's time
 *   says nothing about how much of a secret an attacker guessed right.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { ConsoleRefusedError } from './errors.js'

export interface ConsoleSessionsInit {
  /**
   * How long a login link works.
   *
   * @default 300000 (5 minutes)
   */
  linkTtlMs?: number
  /**
   * How long a session lasts from login.
   *
   * @default 43200000 (12 hours)
   */
  sessionTtlMs?: number
  /**
   * At most this many unused links and this many live sessions (each).
   *
   * @default 64
   */
  maxEntries?: number
  /** @default Date.now */
  clock?: () => number
}

export interface ConsoleSession {
  /** CSRF token the console's pages send back in `x-csrf-token`. */
  csrf: string
  /** When the session ends (ms since the epoch). */
  expiresAt: number
}

interface Link { expiresAt: number }
interface Stored { csrf: Buffer, csrfText: string, expiresAt: number }

const digest = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex')

export class ConsoleSessions {
  readonly linkTtlMs: number
  readonly sessionTtlMs: number
  readonly #max: number
  readonly #clock: () => number
  readonly #links = new Map<string, Link>()
  readonly #sessions = new Map<string, Stored>()

  constructor (init: ConsoleSessionsInit = {}) {
    this.linkTtlMs = init.linkTtlMs ?? 300_000
    this.sessionTtlMs = init.sessionTtlMs ?? 12 * 3600_000
    this.#max = init.maxEntries ?? 64
    this.#clock = init.clock ?? Date.now
    for (const [k, v] of Object.entries({ linkTtlMs: this.linkTtlMs, sessionTtlMs: this.sessionTtlMs, maxEntries: this.#max })) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${k} must be a positive whole number`)
    }
  }

  #prune (): void {
    const now = this.#clock()
    for (const [k, v] of this.#links) if (v.expiresAt <= now) this.#links.delete(k)
    for (const [k, v] of this.#sessions) if (v.expiresAt <= now) this.#sessions.delete(k)
  }

  /** A new one-time login token (put it in the link; the node keeps only its digest). */
  issueLink (): { token: string, expiresAt: number } {
    this.#prune()
    if (this.#links.size >= this.#max) throw new ConsoleRefusedError('too_many_sessions', `${this.#max} login links are waiting to be used; use one, or wait ${Math.ceil(this.linkTtlMs / 1000)} s for them to expire`)
    const token = randomBytes(32).toString('base64url')
    const expiresAt = this.#clock() + this.linkTtlMs
    this.#links.set(digest(token), { expiresAt })
    return { token, expiresAt }
  }

  /** Uses up a login link: a new session (its id is the cookie value), or login_link_invalid. */
  redeem (token: string): ConsoleSession & { id: string } {
    this.#prune()
    const key = digest(token)
    const link = this.#links.get(key)
    // used or not, a presented token is gone after this call
    this.#links.delete(key)
    if (link === undefined) throw new ConsoleRefusedError('login_link_invalid', 'this login link is unknown, already used or expired; run `alliance console <dir>` for a new one')
    if (this.#sessions.size >= this.#max) throw new ConsoleRefusedError('too_many_sessions', `${this.#max} console sessions are open; wait for one to expire or restart the node`)
    const id = randomBytes(32).toString('base64url')
    const csrfText = randomBytes(32).toString('base64url')
    const expiresAt = this.#clock() + this.sessionTtlMs
    this.#sessions.set(digest(id), { csrf: Buffer.from(csrfText, 'utf8'), csrfText, expiresAt })
    return { id, csrf: csrfText, expiresAt }
  }

  /** The session of a cookie value, or no_session. */
  session (id: string | undefined): ConsoleSession {
    if (id === undefined || id.length === 0) throw new ConsoleRefusedError('no_session', 'not logged in: run `alliance console <dir>` and open the link it prints')
    const s = this.#sessions.get(digest(id))
    if (s === undefined || s.expiresAt <= this.#clock()) {
      this.#sessions.delete(digest(id))
      throw new ConsoleRefusedError('no_session', 'this console session is unknown or has expired: run `alliance console <dir>` for a new login link')
    }
    return { csrf: s.csrfText, expiresAt: s.expiresAt }
  }

  /** Checks a POST's CSRF token against its session's, in constant time. */
  checkCsrf (id: string | undefined, presented: string | undefined): void {
    const s = this.session(id)
    if (presented === undefined || presented.length === 0) throw new ConsoleRefusedError('csrf_missing', 'this request needs the x-csrf-token header of the console page; reload the page')
    const a = createHash('sha256').update(presented, 'utf8').digest()
    const b = createHash('sha256').update(s.csrf, 'utf8').digest()
    if (!timingSafeEqual(a, b)) throw new ConsoleRefusedError('csrf_mismatch', 'the x-csrf-token header does not belong to this session; reload the page')
  }

  /** Ends a session (logout). Unknown ids are ignored. */
  end (id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(digest(id))
  }

  get counts (): { links: number, sessions: number } {
    this.#prune()
    return { links: this.#links.size, sessions: this.#sessions.size }
  }
}
