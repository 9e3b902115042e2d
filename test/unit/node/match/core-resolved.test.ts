/**
 * MatchCore for a caller that resolves values itself (the pipeline's
 * workers): `probeCached` answers only from the value cache, and
 * `probeResolved` with fingerprints made elsewhere decides exactly as
 * `probe` with a local suite does — matches, action, invalid identifiers,
 * seen fingerprints — and caches them for `probeCached`.
 */
import assert from 'node:assert/strict'
import { canonicalBytes, InvalidIdentifierError } from '../../../../protocol/canonical/index.js'
import { MatchCore } from '../../../../node/match/core.js'
import { LookupTable } from '../../../../node/match/fp-lookup.js'
import { whyCode } from '../../../../node/match/decision.js'
import { DEFAULT_POLICY, PROBES } from '../../../../node/match/index.js'
import { entry, indexOf, suite } from './helpers.js'

const index = indexOf([
  entry('email', 'fake@counterfeit-shop.com', 'listed'),
  entry('phone', '+44 7400 123456', 'disputed', ['brand-a'], ['brand-c']),
  entry('domain', 'counterfeit-shop.com', 'listed')
])
const probe = (column: string, kind: string): number => (PROBES.find(p => p.column === column && p.kind === kind) as { id: number }).id
/** A listing: (probe, raw value) pairs. */
const LISTINGS: Array<Array<[number, string]>> = [
  [[probe('email', 'email'), 'Fake@Counterfeit-Shop.com'], [probe('phone', 'phone'), '07400 123456'], [probe('shop_url', 'url'), 'https://shop.counterfeit-shop.com/x'], [probe('shop_url', 'domain'), 'https://shop.counterfeit-shop.com/x']],
  [[probe('email', 'email'), 'not an address'], [probe('phone', 'phone'), '+44 20 7946 0000'], [probe('domain', 'domain'), 'honest-shop.com']],
  [[probe('email', 'email'), 'fake@counterfeit-shop.com'], [probe('phone', 'phone'), '   ']]
]

function outcome (core: MatchCore): unknown {
  return { matches: core.nMatch > 0 ? core.matches().map(m => [m.kind, m.status, m.action, m.fingerprint]) : [], action: core.actionName, rejects: core.rejects(0, undefined).map(r => [r.kind, r.why]), seen: Array.from(core.seenProbe.subarray(0, core.nSeen)), fps: Buffer.from(core.seenFp.subarray(0, core.nSeen * 32)).toString('hex') }
}

describe('MatchCore: values resolved by the caller', () => {
  it('probeResolved decides as probe with a local suite; probeCached then answers from the cache alone', () => {
    const local = new MatchCore({ suite, index, policy: DEFAULT_POLICY, defaultCountry: 'GB', cacheBytes: 1 << 20 })
    const resolved = new MatchCore({ suite: new LookupTable(0), index, policy: DEFAULT_POLICY, defaultCountry: 'GB', cacheBytes: 1 << 20 })
    local.collectSeen = true
    resolved.collectSeen = true
    const seen = { matches: 0, rejects: 0 }
    for (const listing of LISTINGS) {
      local.begin()
      for (const [p, raw] of listing) { const b = Buffer.from(raw); local.probe(p, b, 0, b.length) }
      const want = outcome(local) as { matches: unknown[], rejects: unknown[] }
      seen.matches += want.matches.length
      seen.rejects += want.rejects.length
      // first time: nothing cached; resolved as a worker resolves it (canonical form, then a fingerprint made elsewhere)
      resolved.begin()
      for (const [p, raw] of listing) {
        const b = Buffer.from(raw)
        const fh = resolved.cache.fieldHash(b, 0, b.length)
        assert.equal(resolved.probeCached(p, b, 0, b.length, fh), false, `${raw} is not cached yet`)
        try {
          const fp = suite.fingerprint(PROBES[p].kind, canonicalBytes(PROBES[p].kind, raw, { defaultCountry: 'GB' }))
          resolved.probeResolved(p, b, 0, b.length, fh, fp, 0, 0)
        } catch (err) {
          if (!(err instanceof InvalidIdentifierError)) throw err
          resolved.probeResolved(p, b, 0, b.length, fh, undefined, 0, whyCode(err.why) || 1)
        }
      }
      assert.deepEqual(outcome(resolved), want)
      // second time: every value from the cache
      resolved.begin()
      for (const [p, raw] of listing) {
        const b = Buffer.from(raw)
        assert.equal(resolved.probeCached(p, b, 0, b.length, resolved.cache.fieldHash(b, 0, b.length)), true, `${raw} cached`)
      }
      assert.deepEqual(outcome(resolved), want)
    }
    assert.ok(seen.matches >= 3 && seen.rejects >= 1, 'the listings have matches and invalid identifiers')
  })
})
