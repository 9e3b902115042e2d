import assert from 'node:assert/strict'
import type { NetworkInterfaceInfo } from 'node:os'
import { cardAddrs, MAX_CARD_ADDRS } from '../../../node/card-addrs.js'

const lo: NetworkInterfaceInfo[] = [
  { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
  { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 }
]
const eth0: NetworkInterfaceInfo[] = [
  { address: '10.213.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:5a:a7:d8:d7:be', internal: false, cidr: '10.213.0.1/24' },
  { address: 'fe80::a85a:a7ff:fed8:d7be', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:5a:a7:d8:d7:be', internal: false, cidr: 'fe80::a85a:a7ff:fed8:d7be/64', scopeid: 2 },
  { address: '2001:db8::7', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:5a:a7:d8:d7:be', internal: false, cidr: '2001:db8::7/64', scopeid: 0 }
]

describe('member card addresses', () => {
  it('a wildcard listen becomes the machine\'s non-loopback addresses on the same port, without warning', () => {
    assert.deepEqual(cardAddrs({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [] }, { lo, eth0 }), { addrs: ['/ip4/10.213.0.1/tcp/4001'], warnings: [] })
    assert.deepEqual(cardAddrs({ listen: ['/ip6/::/tcp/4001'], announce: [] }, { lo, eth0 }).addrs, ['/ip6/2001:db8::7/tcp/4001'], 'IPv6 link-local left out')
  })

  it('a wildcard listen on a machine with only loopback is refused, asking for --announce', () => {
    assert.throws(() => cardAddrs({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [] }, { lo }), { name: 'CardAddressError', reason: 'card_address' })
  })

  it('more addresses than a card holds are refused', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_CARD_ADDRS + 1 }, (_, i) => [`eth${i}`, [{ ...eth0[0], address: `10.0.0.${i + 1}` }]]))
    assert.throws(() => cardAddrs({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: [] }, many), { name: 'CardAddressError' })
  })

  it('loopback-only cards are kept but warned about; one dialable address is enough', () => {
    const r = cardAddrs({ listen: ['/ip4/127.0.0.1/tcp/4001'], announce: [] }, { lo, eth0 })
    assert.deepEqual(r.addrs, ['/ip4/127.0.0.1/tcp/4001'])
    assert.equal(r.warnings.length, 1)
    assert.equal(cardAddrs({ listen: ['/ip4/127.0.0.1/tcp/4001', '/ip4/0.0.0.0/tcp/4002'], announce: [] }, { lo, eth0 }).warnings.length, 0)
    assert.equal(cardAddrs({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: ['/dns4/localhost/tcp/4001'] }, { lo, eth0 }).warnings.length, 1)
  })

  it('announce addresses are carried as given, wildcards in listen notwithstanding', () => {
    assert.deepEqual(cardAddrs({ listen: ['/ip4/0.0.0.0/tcp/4001'], announce: ['/dns4/alliance.brand-a.example/tcp/4001'] }, { lo }), { addrs: ['/dns4/alliance.brand-a.example/tcp/4001'], warnings: [] })
  })
})
