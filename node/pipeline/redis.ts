/**
 * Connecting to the Redis the platform points the pipeline at: URL checks,
 * bounded retries (a command fails instead of queueing forever while Redis
 * is away), and a connect that either answers PING or throws
 * RedisUnavailableError. Credentials in the URL are never logged: only
 * `redactedUrl` is.
 */
import { Redis } from 'ioredis'
import { PipelineConfigError, RedisUnavailableError } from './errors.js'

export type { Redis }

/** How long a connect may take before the pipeline gives up (ms). */
export const CONNECT_TIMEOUT_MS = 5000
/** A command that gets no answer within this long fails (ms); blocking reads add their own block time. */
export const COMMAND_TIMEOUT_MS = 15_000

/** The URL without user and password, for logs and errors. */
export function redactedUrl (url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return '(unparseable URL)'
  }
}

export function checkRedisUrl (url: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new PipelineConfigError('redis', 'is not a URL; expected redis://host:6379 (or rediss:// for TLS)')
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new PipelineConfigError('redis', `has scheme ${u.protocol}; expected redis:// or rediss://`)
  return u
}

/** A connected client (PING answered). `blocking`: for a connection that waits in XREAD BLOCK (no command timeout). */
export async function connectRedis (url: string, opts: { name: string, blocking?: boolean } = { name: 'alliance' }): Promise<Redis> {
  checkRedisUrl(url)
  const client = new Redis(url, {
    lazyConnect: true,
    connectionName: opts.name,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    ...(opts.blocking === true ? {} : { commandTimeout: COMMAND_TIMEOUT_MS }),
    retryStrategy: (times) => Math.min(100 * times, 2000)
  })
  // errors surface on the commands that fail; the connection's own error events would otherwise be unhandled
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    client.disconnect()
    throw new RedisUnavailableError(`${redactedUrl(url)} (${(err as Error).message})`, { cause: err })
  }
  return client
}
