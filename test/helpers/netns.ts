/**
 * "Separate machines" on one Linux host: one network namespace per member,
 * each with its own loopback and one interface on a private test subnet,
 * joined by a bridge in a switch namespace. Everything is created by the
 * test and removed with the namespaces; nothing touches the host's own
 * interfaces, and no traffic leaves the namespaces.
 */
import { execFileSync } from 'node:child_process'

/** The private test subnet (RFC 1918), only ever inside these namespaces. */
export const SUBNET = '10.213.0'

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Why namespaces cannot be made here, or undefined when they can (tried for real). */
export function netnsUnavailable (): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only'
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root'
  const probe = `alprobe${process.pid}`
  try {
    ip('netns', 'add', probe)
  } catch (err) {
    const text = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? (err as Error).message
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the ip command (iproute2) is not installed' : `ip netns add failed: ${text.slice(0, 200)}`
  }
  try {
    ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge')
  } catch {
    return 'no bridge interfaces in this kernel'
  } finally {
    try { ip('netns', 'del', probe) } catch {}
  }
  return undefined
}

export interface Lan {
  /** Namespace name of each machine, in order. */
  machines: string[]
  /** The address of machine i on the subnet. */
  address: (i: number) => string
  /** Deletes every namespace (and so every interface) it made. Idempotent. */
  cleanup: () => void
}

/** `n` machines on one switch: machine i has eth0 = 10.213.0.(i+1)/24 and loopback up. */
export function createLan (n: number): Lan {
  const tag = `al${process.pid}`
  const sw = `${tag}sw`
  const machines = Array.from({ length: n }, (_, i) => `${tag}m${i}`)
  const made: string[] = []
  const cleanup = (): void => {
    for (const ns of made.splice(0).reverse()) {
      try { ip('netns', 'del', ns) } catch {}
    }
  }
  try {
    ip('netns', 'add', sw)
    made.push(sw)
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', sw, 'link', 'set', 'br0', 'up')
    machines.forEach((ns, i) => {
      ip('netns', 'add', ns)
      made.push(ns)
      // both ends are created inside their namespaces: no name is ever taken in the host's own
      ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `port${i}`, 'netns', sw)
      ip('-n', sw, 'link', 'set', `port${i}`, 'master', 'br0', 'up')
      ip('-n', ns, 'addr', 'add', `${SUBNET}.${i + 1}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
    })
  } catch (err) {
    cleanup()
    throw err
  }
  process.once('exit', cleanup)
  return { machines, address: i => `${SUBNET}.${i + 1}`, cleanup }
}
