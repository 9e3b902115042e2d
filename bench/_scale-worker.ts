/**
 * Worker of bench/scale.ts: several whole alliance nodes (AllianceNode:
 * store, ingest, consensus, libp2p host, sync; no HTTP API) in one process,
 * driven over the IPC channel. The bench spreads an alliance of 20 or 50
 * nodes over a few of these processes: 50 node processes do not fit two
 * shared cores.
 *
 *   in:  { type: 'open', dirs, antiEntropyMs }        open and start a node per directory
 *        { type: 'status' }                           peers, connections, listed, snapshot hash per node
 *        { type: 'watch', listed }                    report when each node lists `listed` fingerprints
 *        { type: 'burst', work: Array<{ node, values }> }  each node attests its values one call at a time
 *        { type: 'stop' }
 *   out: { type: 'ready' }, { type: 'status', nodes }, { type: 'converged', nodes: [{ org, at, hash }] },
 *        { type: 'burst-done', attested, failed }, { type: 'error', message }
 *
 * Times are wall-clock ms of this machine (bench/_clock.ts), comparable
 * with the bench's own.
 */
import '../node/polyfill.js'
import { AllianceNode } from '../node/alliance-node.js'
import { wallMs } from './_clock.js'

type Command =
  | { type: 'open', dirs: string[], antiEntropyMs: number }
  | { type: 'status' }
  | { type: 'watch', listed: number }
  | { type: 'burst', work: Array<{ node: number, values: string[] }> }
  | { type: 'stop' }

const nodes: AllianceNode[] = []
const send = (m: unknown): void => { process.send?.(m) }

async function open (dirs: string[], antiEntropyMs: number): Promise<void> {
  // one at a time: the start-up chain check and LevelDB opens would all compete at once otherwise
  for (const dir of dirs) {
    const node = await AllianceNode.open({ dir, logLevel: 'error', logSink: () => {}, antiEntropyIntervalMs: antiEntropyMs })
    await node.start()
    nodes.push(node)
  }
}

/** A counter's values summed by label value (e.g. gossip verdicts, sync results). */
async function byLabel (c: { get: () => Promise<{ values: Array<{ labels: Record<string, string | number | undefined>, value: number }> }> }, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const v of (await c.get()).values) {
    const k = String(v.labels[label] ?? '')
    out[k] = (out[k] ?? 0) + v.value
  }
  return out
}

async function status (): Promise<unknown> {
  return await Promise.all(nodes.map(async n => ({
    gossip: await byLabel(n.metrics.gossipMessages, 'verdict'),
    syncs: await byLabel(n.metrics.syncRuns, 'result'),
    org: n.config.org,
    peers: n.host.connectedPeers().length,
    connections: n.host.libp2p.getConnections().length,
    listed: n.state.index.counts().listed,
    hash: n.snapshotHash(),
    applied: n.state.index.counts()
  })))
}

/** Polls every 10 ms until each node lists `listed` fingerprints; reports when each got there and its hash. */
function watch (listed: number): void {
  const at: Array<number | undefined> = Array.from({ length: nodes.length }, () => undefined)
  const timer = setInterval(() => {
    const now = wallMs()
    nodes.forEach((n, i) => { if (at[i] === undefined && n.state.index.counts().listed >= listed) at[i] = now })
    if (at.every(t => t !== undefined)) {
      clearInterval(timer)
      send({ type: 'converged', nodes: nodes.map((n, i) => ({ org: n.config.org, at: at[i], hash: n.snapshotHash() })) })
    }
  }, 10)
}

async function burst (work: Array<{ node: number, values: string[] }>): Promise<void> {
  let attested = 0
  let failed = 0
  await Promise.all(work.map(async w => {
    for (const value of w.values) {
      try {
        const r = await nodes[w.node].attest([{ kind: 'email', value }])
        attested += r.entries
      } catch {
        failed++
      }
    }
  }))
  send({ type: 'burst-done', attested, failed })
}

process.on('message', (m: Command) => {
  const run = async (): Promise<void> => {
    if (m.type === 'open') { await open(m.dirs, m.antiEntropyMs); send({ type: 'ready' }) } else if (m.type === 'status') send({ type: 'status', nodes: await status() })
    else if (m.type === 'watch') watch(m.listed)
    else if (m.type === 'burst') await burst(m.work)
    else if (m.type === 'stop') {
      await Promise.allSettled(nodes.map(async n => await n.stop()))
      process.exit(0)
    }
  }
  run().catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }))
})
process.on('disconnect', () => { void Promise.allSettled(nodes.map(async n => await n.stop())).finally(() => process.exit(0)) })
