/**
 * Redis's wire protocol (RESP2) at the byte level, for the two hot paths
 * where a general client's per-field objects cost more than the work:
 *
 * - `RespWriter` encodes many commands into one buffer (a producer's
 *   XADDs: one write per batch, no argument arrays);
 * - `RespConnection` sends such a buffer and hands back the bytes of its
 *   replies, whole, as one Buffer: the worker's group reads parse the
 *   XREADGROUP reply in place (stream-batch.ts), with no Buffer or array
 *   per field as a client's parser makes.
 *
 * Connecting honours the URL as ioredis does: rediss:// is TLS, a user
 * name and password are sent with AUTH, a path /<n> selects database n.
 * The URL's credentials never appear in an error. A connection whose socket
 * closed or timed out rejects what is pending and stays dead: its owner
 * opens a new one.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { RedisReplyError, RedisUnavailableError } from './errors.js'
import { checkRedisUrl, CONNECT_TIMEOUT_MS, redactedUrl } from './redis.js'

const CR = 13
const NL = 10
const EMPTY = Buffer.alloc(0)

/** Commands as RESP arrays of bulk strings, appended into one growing buffer. */
export class RespWriter {
  #buf: Buffer
  #at = 0

  constructor (size = 64 * 1024) { this.#buf = Buffer.allocUnsafe(size) }

  get length (): number { return this.#at }

  #need (n: number): void {
    if (this.#at + n <= this.#buf.length) return
    const b = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n, 256))
    this.#buf.copy(b, 0, 0, this.#at)
    this.#buf = b
  }

  #head (type: number, n: number): void {
    this.#need(16)
    const buf = this.#buf
    buf[this.#at++] = type
    this.#at += buf.write(String(n), this.#at, 'latin1')
    buf[this.#at++] = CR
    buf[this.#at++] = NL
  }

  /** Starts a command of `argc` arguments (its name included). */
  command (argc: number): this {
    this.#head(42, argc) // '*'
    return this
  }

  /** One argument: a string (UTF-8), bytes, or a number. */
  arg (a: string | Uint8Array | number): this {
    if (typeof a === 'number') a = String(a)
    if (typeof a === 'string') {
      const max = a.length * 3
      this.#need(16 + max)
      // the length prefix needs the byte length: ASCII (the usual case) is its own length
      const n = Buffer.byteLength(a, 'utf8')
      this.#head(36, n) // '$'
      this.#at += this.#buf.write(a, this.#at, 'utf8')
    } else {
      this.#head(36, a.length)
      this.#need(a.length + 2)
      this.#buf.set(a, this.#at)
      this.#at += a.length
    }
    this.#buf[this.#at++] = CR
    this.#buf[this.#at++] = NL
    return this
  }

  /** A whole command. */
  cmd (...args: Array<string | Uint8Array | number>): this {
    this.command(args.length)
    for (const a of args) this.arg(a)
    return this
  }

  /** The commands written since the last take (a copy-free view; the writer's next command goes into a buffer of its own, made when needed). */
  take (): Buffer {
    const out = this.#buf.subarray(0, this.#at)
    this.#buf = EMPTY
    this.#at = 0
    return out
  }
}

/** Elements the last token read by `tokenEnd` opens (an array's count; 0 otherwise). */
let opened = 0

/**
 * Where the token (one header line, with a bulk string's bytes) at b[at]
 * ends, or -1 when b[..end) does not hold all of it; sets `opened`.
 */
function tokenEnd (b: Uint8Array, at: number, end: number): number {
  const t = b[at]
  let i = at + 1
  let neg = false
  if (i < end && b[i] === 45) { neg = true; i++ }
  let n = 0
  while (i < end && b[i] !== CR) { n = n * 10 + b[i] - 48; i++ }
  if (i + 1 >= end) return -1
  at = i + 2
  opened = 0
  if (t === 36 && !neg) { // '$' bulk string
    at += n + 2
    if (at > end) return -1
  } else if (t === 42 && !neg) opened = n // '*' array
  // '+', '-', ':', and null bulk strings and arrays: the line is the token
  return at
}

/**
 * Where the reply starting at b[at] ends (exclusive), or -1 when b[..end)
 * does not hold all of it yet. Arrays are walked without recursion.
 */
export function replyEnd (b: Uint8Array, at: number, end: number): number {
  let need = 1
  while (need > 0) {
    if (at >= end) return -1
    at = tokenEnd(b, at, end)
    if (at < 0) return -1
    need += opened - 1
  }
  return at
}

/** The message of an error reply starting at b[at]. */
function errorText (b: Buffer, at: number): string {
  const nl = b.indexOf(CR, at)
  return b.toString('utf8', at + 1, nl < 0 ? b.length : nl)
}

interface Pending {
  replies: number
  resolve: (b: Buffer) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout | undefined
}

export interface RespOptions {
  /** CLIENT SETNAME. */
  name: string
  /** A request that gets no complete answer within this long fails and the connection closes (ms); 0: none. */
  timeoutMs?: number
}

/**
 * One connection speaking RESP2. `send(commands, n)` writes the encoded
 * commands and resolves with the bytes of their n replies (a Buffer
 * holding exactly those replies), or rejects with RedisReplyError when one
 * of them is an error reply, or RedisUnavailableError when the connection
 * failed. Requests are answered in order.
 */
export class RespConnection {
  readonly #socket: Socket
  readonly #url: string
  readonly #timeoutMs: number
  readonly #pending: Pending[] = []
  /** Bytes received and not yet handed out; valid in [0, #len). */
  #acc: Buffer = Buffer.alloc(0)
  #len = 0
  /** Where the next reply of the head request starts, and how many of its replies are complete. */
  #scan = 0
  #done = 0
  #firstError = -1
  #dead: Error | undefined

  private constructor (socket: Socket, url: string, timeoutMs: number) {
    this.#socket = socket
    this.#url = url
    this.#timeoutMs = timeoutMs
    socket.setNoDelay(true)
    socket.on('data', (d: Buffer) => { this.#onData(d) })
    socket.on('error', (err) => { this.#fail(new RedisUnavailableError(`${redactedUrl(url)} (${err.message})`, { cause: err })) })
    socket.on('close', () => { this.#fail(new RedisUnavailableError(`${redactedUrl(url)} (connection closed)`)) })
  }

  /** Opens a connection: TLS for rediss://, AUTH with the URL's credentials, SELECT its database, CLIENT SETNAME. */
  static async open (url: string, opts: RespOptions): Promise<RespConnection> {
    const u = checkRedisUrl(url)
    const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
    const port = Number(u.port === '' ? 6379 : u.port)
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s: Socket = u.protocol === 'rediss:' ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}) }) : netConnect({ host, port })
      const timer = setTimeout(() => { s.destroy(); reject(new RedisUnavailableError(`${redactedUrl(url)} (connect timed out)`)) }, CONNECT_TIMEOUT_MS)
      s.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s) })
      s.once('error', (err) => { clearTimeout(timer); reject(new RedisUnavailableError(`${redactedUrl(url)} (${err.message})`, { cause: err })) })
    })
    const c = new RespConnection(socket, url, opts.timeoutMs ?? 0)
    const w = new RespWriter(256)
    let n = 0
    const user = decodeURIComponent(u.username)
    const pass = decodeURIComponent(u.password)
    if (pass !== '') { if (user !== '') w.cmd('AUTH', user, pass); else w.cmd('AUTH', pass); n++ }
    const db = Number(u.pathname.slice(1) || '0')
    if (Number.isInteger(db) && db > 0) { w.cmd('SELECT', db); n++ }
    w.cmd('CLIENT', 'SETNAME', opts.name); n++
    try {
      await c.send(w.take(), n)
    } catch (err) {
      c.close()
      // an AUTH error's text may echo nothing secret, but the caller only needs to know it failed
      throw err instanceof RedisReplyError ? new RedisUnavailableError(`${redactedUrl(url)} (${err.message})`, { cause: err }) : err
    }
    return c
  }

  get dead (): boolean { return this.#dead !== undefined }

  /** Writes `commands` (RespWriter bytes) and resolves with the bytes of their `replies` replies. `timeoutMs` overrides the connection's. */
  async send (commands: Uint8Array, replies: number, timeoutMs = this.#timeoutMs): Promise<Buffer> {
    if (this.#dead !== undefined) throw this.#dead
    return await new Promise<Buffer>((resolve, reject) => {
      const p: Pending = { replies, resolve, reject, timer: undefined }
      if (timeoutMs > 0) p.timer = setTimeout(() => { this.#fail(new RedisUnavailableError(`${redactedUrl(this.#url)} (no answer within ${timeoutMs} ms)`)) }, timeoutMs)
      this.#pending.push(p)
      this.#socket.write(commands)
    })
  }

  close (): void {
    this.#fail(new RedisUnavailableError(`${redactedUrl(this.#url)} (connection closed)`))
  }

  #fail (err: Error): void {
    if (this.#dead === undefined) this.#dead = err
    this.#socket.destroy()
    for (const p of this.#pending.splice(0)) {
      if (p.timer !== undefined) clearTimeout(p.timer)
      p.reject(err)
    }
  }

  #onData (d: Buffer): void {
    if (this.#len === 0) {
      this.#acc = d
      this.#len = d.length
    } else {
      if (this.#len + d.length > this.#acc.length || this.#acc === this.#own) {
        // grow (amortised: doubling); never write into a buffer the socket gave us
        const b = Buffer.allocUnsafe(Math.max(this.#len + d.length, this.#acc.length * 2, 64 * 1024))
        this.#acc.copy(b, 0, 0, this.#len)
        this.#acc = b
      }
      d.copy(this.#acc, this.#len)
      this.#len += d.length
      this.#own = undefined
    }
    if (this.#acc === d) this.#own = d
    this.#drain()
  }

  /** The socket's own buffer, while #acc is it (appending must copy first). */
  #own: Buffer | undefined

  /** Tokens the reply being scanned still needs (0: the next byte starts a reply). Scanning resumes where the last chunk ended. */
  #tokens = 0

  #drain (): void {
    for (;;) {
      if (this.#pending.length === 0) return
      const p = this.#pending[0]
      const acc = this.#acc
      while (this.#done < p.replies) {
        if (this.#scan >= this.#len) return
        if (this.#tokens === 0) {
          if (acc[this.#scan] === 45 && this.#firstError < 0) this.#firstError = this.#scan // '-'
          this.#tokens = 1
        }
        const e = tokenEnd(acc, this.#scan, this.#len)
        if (e < 0) return
        this.#scan = e
        this.#tokens += opened - 1
        if (this.#tokens === 0) this.#done++
      }
      this.#pending.shift()
      if (p.timer !== undefined) clearTimeout(p.timer)
      const out = acc.subarray(0, this.#scan)
      const err = this.#firstError
      // the rest belongs to later requests: keep it in a buffer of its own (`out` stays untouched)
      const rest = this.#len - this.#scan
      if (rest > 0) {
        const b = Buffer.allocUnsafe(Math.max(rest, 64 * 1024))
        acc.copy(b, 0, this.#scan, this.#len)
        this.#acc = b
      } else this.#acc = Buffer.alloc(0)
      this.#own = undefined
      this.#len = rest
      this.#scan = 0
      this.#done = 0
      this.#firstError = -1
      if (err >= 0) p.reject(new RedisReplyError(errorText(out, err)))
      else p.resolve(out)
    }
  }
}

/**
 * A Lua script run with EVALSHA at the RESP level, loaded (SCRIPT LOAD) on
 * first use and again when the server answers NOSCRIPT (it restarted).
 */
export class RespScript {
  readonly #source: string
  #sha: string | undefined

  constructor (source: string) { this.#source = source }

  /** Runs the script: `args` writes numkeys, the keys and the arguments (`argc` of them in all). Resolves with the reply's bytes. */
  async run (c: RespConnection, argc: number, args: (w: RespWriter) => void, size = 4096): Promise<Buffer> {
    const send = async (sha: string): Promise<Buffer> => {
      const w = new RespWriter(size)
      w.command(2 + argc).arg('EVALSHA').arg(sha)
      args(w)
      return await c.send(w.take(), 1)
    }
    this.#sha ??= await this.#load(c)
    try {
      return await send(this.#sha)
    } catch (err) {
      if (!(err instanceof RedisReplyError) || !err.message.includes('NOSCRIPT')) throw err
      this.#sha = await this.#load(c)
      return await send(this.#sha)
    }
  }

  async #load (c: RespConnection): Promise<string> {
    const reply = await c.send(new RespWriter(this.#source.length + 64).cmd('SCRIPT', 'LOAD', this.#source).take(), 1)
    const nl = reply.indexOf(NL)
    return reply.toString('latin1', nl + 1, reply.length - 2)
  }
}

/** The value of an integer reply (`:n`). */
export function integerReply (b: Buffer): number {
  if (b[0] !== 58) throw new RedisReplyError(`expected an integer reply, got ${JSON.stringify(b.toString('latin1', 0, Math.min(b.length, 16)))}`)
  return Number(b.toString('latin1', 1, b.length - 2))
}
