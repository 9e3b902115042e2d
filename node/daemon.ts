/**
 * The daemon as `alliance start` runs it: the node (node/alliance-node.ts)
 * plus its local HTTP API with the web console (node/console), and
 * <dir>/api.json for the CLI.
 */
import './polyfill.js'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AllianceNode } from './alliance-node.js'
import { API_FILE, writeApiInfo } from './home.js'
import type { LogLevel } from './logger.js'

/**
 * `alliance start`: opens and starts the node and its HTTP API, writes
 * <dir>/api.json (url + a fresh bearer token, 0600).
 */
export async function startDaemon (dir: string, opts: { logLevel?: string, logSink?: (line: string) => void, antiEntropyIntervalMs?: number } = {}): Promise<{ stop: () => Promise<void>, apiUrl: string, node: AllianceNode }> {
  const node = await AllianceNode.open({ dir, logLevel: opts.logLevel as LogLevel | undefined, logSink: opts.logSink, antiEntropyIntervalMs: opts.antiEntropyIntervalMs })
  await node.start()
  const { createApiServer } = await import('./api/server.js')
  const { createWebConsole } = await import('./console/server.js')
  const token = randomBytes(32).toString('base64url')
  const webConsole = createWebConsole({}, { service: node, reports: node.reports, dir, logger: node.logger.forComponent('console') })
  const api = createApiServer({ service: node, token, host: node.config.api.host, port: node.config.api.port, logger: node.logger, metrics: node.metrics, console: webConsole })
  const { url } = await api.start()
  await writeApiInfo(dir, { url, token, pid: process.pid })
  let stopped = false
  return {
    apiUrl: url,
    node,
    stop: async () => {
      if (stopped) return
      stopped = true
      await api.stop()
      await node.stop()
      await rm(join(dir, API_FILE), { force: true })
    }
  }
}
