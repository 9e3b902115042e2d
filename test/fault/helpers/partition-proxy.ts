/**
 * A silent network partition between node processes on one machine, with
 * nothing but node:net: every node's member card announces the port of a
 * TCP proxy in front of its real port, so every connection between two nodes
 * runs through the proxy of the node that was dialled.
 *
 * The proxy tells which node a connection comes from by the process that
 * owns the dialling socket (/proc/net/tcp gives the socket's inode for its
 * port pair, /proc/<pid>/fd tells which of our child processes holds it),
 * and forwards bytes only while the link between the two nodes is up.
 * Cutting a link pauses both sockets of every connection on it: nothing is
 * read or written, nothing is closed — no FIN, no RST, so neither node
 * learns anything except that its peer went quiet (as when packets are
 * dropped). A connection opened across a cut link is accepted and then held
 * the same way, and so is one whose source cannot be told while any link is
 * cut (it might cross the cut). Healing resumes every held connection where
 * it stood. Bytes forwarded are counted per link, so a test can check that a
 * cut link carried nothing while it was cut.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

interface Proxied {
  from: string | undefined
  to: string
  targetPort: number
  client: Socket
  upstream: Socket | undefined
  flowing: boolean
}

/** Inode of the TCP socket whose local port is `local` and remote port `remote` (IPv4 or IPv6 table). */
function socketInode (local: number, remote: number): string | undefined {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try { text = readFileSync(table, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10) continue
      const l = parseInt(cols[1].split(':')[1], 16)
      const r = parseInt(cols[2].split(':')[1], 16)
      if (l === local && r === remote) return cols[9]
    }
  }
  return undefined
}

function ownerOf (inode: string, pids: Map<number, string>): string | undefined {
  for (const [pid, name] of pids) {
    let fds: string[]
    try { fds = readdirSync(`/proc/${pid}/fd`) } catch { continue }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return name
      } catch {}
    }
  }
  return undefined
}

/** The name of the (undirected) link between two nodes. */
export function linkName (a: string, b: string): string {
  return a < b ? `${a}~${b}` : `${b}~${a}`
}

export class PartitionProxy {
  readonly #servers = new Map<string, Server>()
  readonly #targets = new Map<string, number>()
  readonly #conns = new Set<Proxied>()
  /** Child processes by pid → node name, for attributing connections. */
  readonly #pids = new Map<number, string>()
  #up: (a: string, b: string) => boolean = () => true
  #partitioned = false
  /** Bytes forwarded per link (linkName), both directions; '?' for connections not attributed (yet). */
  readonly bytes = new Map<string, number>()
  /** Connections held at a cut link, and connections held because their source was not known during a partition (figures). */
  held = 0
  unattributedHeld = 0

  /**
   * Listens for node `name` on a free loopback port and returns it: the port
   * is bound here and stays bound (no probe-then-bind race with other
   * processes). Connections wait until `target()` says where to forward.
   */
  async listen (name: string): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, client => { void this.#accept(name, client) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    this.#servers.set(name, server)
    return (server.address() as AddressInfo).port
  }

  /** Where node `name`'s proxy forwards: its real listen port. */
  target (name: string, port: number): void {
    this.#targets.set(name, port)
  }

  /** Registers the process of node `name` (call again after a restart). */
  process (pid: number, name: string): void {
    for (const [p, n] of this.#pids) if (n === name) this.#pids.delete(p)
    this.#pids.set(pid, name)
  }

  async #accept (to: string, client: Socket): Promise<void> {
    client.on('error', () => {})
    const targetPort = this.#targets.get(to)
    if (targetPort === undefined) { client.destroy(); return }
    const c: Proxied = { from: undefined, to, targetPort, client, upstream: undefined, flowing: false }
    // the dialling socket may take a moment to appear in /proc (or its process may not be registered yet: links() tries again)
    for (let i = 0; i < 20 && c.from === undefined && !client.destroyed; i++) {
      this.#attribute(c)
      if (c.from === undefined) await new Promise(resolve => setTimeout(resolve, 10))
    }
    this.#conns.add(c)
    client.once('close', () => { this.#conns.delete(c); c.upstream?.destroy() })
    this.#apply(c)
  }

  #attribute (c: Proxied): void {
    if (c.from !== undefined || c.client.remotePort === undefined) return
    const inode = socketInode(c.client.remotePort, c.client.localPort as number)
    if (inode !== undefined) c.from = ownerOf(inode, this.#pids)
  }

  #count (c: Proxied, n: number): void {
    const key = c.from === undefined ? '?' : linkName(c.from, c.to)
    this.bytes.set(key, (this.bytes.get(key) ?? 0) + n)
  }

  /** Starts or stops the flow of one connection according to the link table. */
  #apply (c: Proxied): void {
    // a connection we cannot attribute might cross the cut: during a partition it is held like one that does
    const up = c.from === undefined ? !this.#partitioned : this.#up(c.from, c.to)
    if (up && c.upstream === undefined) {
      const upstream = createConnection({ host: '127.0.0.1', port: c.targetPort })
      upstream.on('error', () => {})
      upstream.once('close', () => { c.client.destroy() })
      c.upstream = upstream
      c.client.on('data', d => { this.#count(c, d.length); upstream.write(d) || c.client.pause() })
      upstream.on('drain', () => { if (c.flowing) c.client.resume() })
      upstream.on('data', d => { this.#count(c, d.length); c.client.write(d) || upstream.pause() })
      c.client.on('drain', () => { if (c.flowing) upstream.resume() })
      c.client.once('end', () => upstream.end())
      upstream.once('end', () => c.client.end())
    }
    if (up && c.upstream !== undefined) {
      c.flowing = true
      c.client.resume()
      c.upstream.resume()
    } else {
      if (c.flowing || c.upstream === undefined) {
        this.held++
        if (c.from === undefined) this.unattributedHeld++
      }
      c.flowing = false
      c.client.pause()
      c.upstream?.pause()
    }
  }

  /** Sets which links are up (`up(a, b)` is asked for both orders) and applies it to every connection now. */
  links (up: (a: string, b: string) => boolean): void {
    this.#up = (a, b) => up(a, b) && up(b, a)
    const names = [...this.#servers.keys()]
    this.#partitioned = names.some(a => names.some(b => a !== b && !this.#up(a, b)))
    for (const c of this.#conns) {
      this.#attribute(c)
      this.#apply(c)
    }
  }

  heal (): void {
    this.links(() => true)
  }

  /** Bytes forwarded so far, per link. */
  snapshot (): Map<string, number> {
    return new Map(this.bytes)
  }

  /** Connections currently proxied, by "from→to" (undefined sources as "?"). */
  connections (): string[] {
    return [...this.#conns].map(c => `${c.from ?? '?'}→${c.to}${c.flowing ? '' : ' (held)'}`)
  }

  async close (): Promise<void> {
    for (const c of this.#conns) { c.client.destroy(); c.upstream?.destroy() }
    await Promise.all([...this.#servers.values()].map(async s => await new Promise(resolve => s.close(resolve))))
  }
}
