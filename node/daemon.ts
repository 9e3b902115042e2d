/**
 * The daemon as `alliance start` runs it: the node (node/alliance-node.ts)
 * plus its local HTTP API with the web console (node/console), and
 * <dir>/api.json for the CLI.
 */
import './polyfill.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AllianceNode } from './alliance-node.js'
import { API_FILE, readOrCreateApiToken, writeApiInfo } from './home.js'
import type { LogLevel } from './logger.js'

export interface DaemonHandle {
  stop: () => Promise<void>
  /** Re-reads <dir>/api-token (after `alliance api rotate-token`, SIGHUP): the API takes the new token, api.json follows. */
  reloadToken: () => Promise<void>
  apiUrl: string
  node: AllianceNode
}

/**
 * `alliance start`: opens and starts the node and its HTTP API, with the
 * bearer token of <dir>/api-token (created on first start, kept across
 * restarts), and writes <dir>/api.json (url, token, pid; 0600).
 */
export async function startDaemon (dir: string, opts: { logLevel?: string, logSink?: (line: string) => void, antiEntropyIntervalMs?: number } = {}): Promise<DaemonHandle> {
  const token = await readOrCreateApiToken(dir)
  const node = await AllianceNode.open({ dir, logLevel: opts.logLevel as LogLevel | undefined, logSink: opts.logSink, antiEntropyIntervalMs: opts.antiEntropyIntervalMs })
  await node.start()
  const { createApiServer } = await import('./api/server.js')
  const { createWebConsole } = await import('./console/server.js')
  const webConsole = createWebConsole({}, { service: node, reports: node.reports, dir, logger: node.logger.forComponent('console') })
  const api = createApiServer({ service: node, token, host: node.config.api.host, port: node.config.api.port, logger: node.logger, metrics: node.metrics, console: webConsole })
  const { url } = await api.start()
  await writeApiInfo(dir, { url, token, pid: process.pid })
  const log = node.logger.forComponent('daemon')
  let stopped = false
  return {
    apiUrl: url,
    node,
    reloadToken: async () => {
      const fresh = await readOrCreateApiToken(dir)
      api.setToken(fresh)
      await writeApiInfo(dir, { url, token: fresh, pid: process.pid })
      log.info('API token reloaded from api-token')
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      await api.stop()
      await node.stop()
      await rm(join(dir, API_FILE), { force: true })
    }
  }
}
