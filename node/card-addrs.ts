/**
 * The addresses a member card carries: the ones other members' machines
 * dial. A wildcard listen address (0.0.0.0, ::) is not one: it becomes the
 * machine's own non-loopback interface addresses, on the same port; with none
 * (or too many to choose from) the card is refused and `--announce` asked
 * for. Loopback addresses are kept (one-machine alliances, tests) with a
 * warning, because no other machine can dial them.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { multiaddr } from '@multiformats/multiaddr'
import { CardAddressError } from './errors.js'

export { CardAddressError }

/** The most addresses a card may carry (cardSchema in home.ts). */
export const MAX_CARD_ADDRS = 8

export interface CardAddrs {
  /** Multiaddrs without the /p2p/ suffix. */
  addrs: string[]
  /** Why other machines may not reach these addresses; empty when nothing is doubtful. */
  warnings: string[]
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>

function isLoopback (family: 'ip4' | 'ip6', host: string): boolean {
  return family === 'ip4' ? host.startsWith('127.') : host === '::1'
}

/** The machine's addresses of one family that other machines can use: not loopback, not IPv6 link-local. */
function interfaceAddrs (family: 'ip4' | 'ip6', interfaces: Interfaces): string[] {
  const out: string[] = []
  for (const infos of Object.values(interfaces)) {
    for (const i of infos ?? []) {
      if (i.internal) continue
      if (family === 'ip4' && i.family === 'IPv4') out.push(i.address)
      if (family === 'ip6' && i.family === 'IPv6' && !/^fe[89ab]/i.test(i.address)) out.push(i.address)
    }
  }
  return [...new Set(out)]
}

/**
 * Card addresses for a node's config: `announce` when set (as given: the
 * operator knows its public address), else `listen` with wildcards expanded
 * to `interfaces` (default: this machine's).
 */
export function cardAddrs (config: { listen: string[], announce: string[] }, interfaces: Interfaces = networkInterfaces()): CardAddrs {
  if (config.announce.length > 0) return { addrs: [...config.announce], warnings: loopbackWarning(config.announce) }
  const addrs: string[] = []
  for (const a of config.listen) {
    const parts = multiaddr(a).getComponents()
    const ip = parts[0]
    const family = ip?.name === 'ip4' || ip?.name === 'ip6' ? ip.name : undefined
    const wildcard = family !== undefined && (ip.value === '0.0.0.0' || ip.value === '::')
    if (!wildcard) {
      addrs.push(a)
      continue
    }
    const found = interfaceAddrs(family, interfaces)
    const rest = a.slice(`/${family}/${ip.value as string}`.length)
    const example = `--announce /${family}/<address other members reach>${rest}`
    if (found.length === 0) throw new CardAddressError(`listen address ${a} listens on every interface, but this machine has no ${family === 'ip4' ? 'IPv4' : 'IPv6'} address besides loopback for the card; give the address other members dial: ${example}`)
    for (const host of found) addrs.push(`/${family}/${host}${rest}`)
  }
  if (addrs.length > MAX_CARD_ADDRS) throw new CardAddressError(`this machine has ${addrs.length} addresses for the card (at most ${MAX_CARD_ADDRS}); choose the ones other members dial with --announce (repeatable)`)
  return { addrs, warnings: loopbackWarning(addrs) }
}

function loopbackWarning (addrs: string[]): string[] {
  const dialable = addrs.filter(a => {
    const first = multiaddr(a).getComponents()[0]
    if (first?.name === 'ip4' || first?.name === 'ip6') return !isLoopback(first.name, first.value ?? '')
    return first?.value !== 'localhost'
  })
  if (dialable.length > 0) return []
  return ['this card carries only loopback addresses: members on other machines cannot dial this node. For an alliance across machines, listen on /ip4/0.0.0.0/tcp/<port> or set "announce" in config.json (alliance init --announce)']
}
