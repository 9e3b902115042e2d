/**
 * One helper for real hosts on loopback: keys in a temp dir, a logger that
 * keeps warnings and errors for assertions, and waits on events with a time
 * limit (conditions no event reports: ../../helpers/wait.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateNodeKeys, type NodeKeys } from '../../../node/keys.js'
import { createLogger } from '../../../node/logger.js'
import { createHost, type Host, type HostInit } from '../../../node/net/host.js'
import type { TypedEventTarget } from '@libp2p/interface'

export interface TestHost {
  host: Host
  keys: NodeKeys
  dir: string
  /** JSON log lines at warn and above */
  logs: string[]
}

const created: TestHost[] = []

/** Hosts for tests reconnect fast */
const TEST_DEFAULTS: HostInit = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  reconnectMinDelayMs: 100,
  reconnectMaxDelayMs: 1000,
  dialTimeoutMs: 3000
}

export async function makeHost (init: HostInit = {}): Promise<TestHost> {
  const dir = await mkdtemp(join(tmpdir(), 'alliance-host-'))
  const keys = await generateNodeKeys(dir)
  const logs: string[] = []
  const logger = createLogger({ level: process.env.TEST_LOG === 'debug' ? 'debug' : 'warn', sink: line => { logs.push(line); if (process.env.TEST_LOG != null) process.stderr.write(line + '\n') } })
  let host: Host
  try {
    host = await createHost({ ...TEST_DEFAULTS, ...init }, { keys, logger })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const t = { host, keys, dir, logs }
  created.push(t)
  return t
}

/** Stop every host made so far and remove their directories */
export async function stopAll (): Promise<void> {
  const all = created.splice(0)
  await Promise.all(all.map(async t => { await t.host.stop() }))
  await Promise.all(all.map(async t => { await rm(t.dir, { recursive: true, force: true }) }))
}

type DetailOf<E> = E extends CustomEvent<infer D> ? D : never

/**
 * Resolve with the first `type` event whose detail satisfies `predicate`.
 * Call it BEFORE the action that causes the event.
 */
export async function nextEvent<M extends Record<string, any>, K extends keyof M & string> (events: TypedEventTarget<M>, type: K, predicate: (detail: DetailOf<M[K]>) => boolean = () => true, timeoutMs = 5000): Promise<DetailOf<M[K]>> {
  type D = DetailOf<M[K]>
  const target = events as unknown as {
    addEventListener: (type: string, listener: (evt: CustomEvent<D>) => void) => void
    removeEventListener: (type: string, listener: (evt: CustomEvent<D>) => void) => void
  }
  return await new Promise<D>((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}`))
    }, timeoutMs)
    const listener = (evt: CustomEvent<D>): void => {
      if (!predicate(evt.detail)) return
      clearTimeout(timer)
      target.removeEventListener(type, listener)
      resolve(evt.detail)
    }
    target.addEventListener(type, listener)
  })
}

/** A promise plus its resolver, to await a callback */
export function deferred<T> (): { promise: Promise<T>, resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>(r => { resolve = r })
  return { promise, resolve }
}
