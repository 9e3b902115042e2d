/**
 * `alliance roster create --suite toprf-ristretto255` as an operator types
 * it, mistakes included: each mistake is one named line and exit code 2,
 * and nothing is written.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initNodeDir, memberCard } from '../../../node/home.js'
import { cli } from '../../helpers/processes.js'

const alliance = cli

describe('integration: roster create with the toprf suite from the CLI', function () {
  this.timeout(60_000)
  let root: string
  const cards: string[] = []

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'alliance-cli-toprf-'))
    for (const [org, role] of [['brand-a', 'brand'], ['brand-b', 'brand'], ['platform', 'platform']] as const) {
      await initNodeDir(join(root, org), { org, role, listen: ['/ip4/127.0.0.1/tcp/0'] })
      const f = join(root, `${org}.card.json`)
      writeFileSync(f, JSON.stringify(await memberCard(join(root, org))))
      cards.push('--card', f)
    }
  })
  after(() => { rmSync(root, { recursive: true, force: true }) })

  const create = async (...extra: string[]): Promise<{ stdout: string }> =>
    await alliance('roster', 'create', '--alliance', 'acme', '--quorum', '2', ...cards, '--out', join(root, 'roster.json'), '--force', ...extra)

  it('mistakes are refused by name with exit code 2, and no roster is written', async () => {
    const mistakes: Array<[string[], RegExp]> = [
      [['--suite', 'toprf-ristretto255'], /needs --guardians/],
      [['--suite', 'toprf-ristreto255', '--guardians', 'brand-a'], /--suite toprf-ristreto255 is not a suite/],
      [['--suite', 'toprf-ristretto255', '--guardians', 'brand-a,brnad-b'], /guardian brnad-b is not a member org/],
      [['--suite', 'toprf-ristretto255', '--guardians', 'brand-a,brand-b', '--threshold', '3'], /--threshold must be 1\.\.2/],
      [['--suite', 'toprf-ristretto255', '--guardians', 'brand-a', '--quota', 'brand=lots'], /must look like brand=100000\/day/],
      [['--suite', 'toprf-ristretto255', '--guardians', 'brand-a', '--quota', 'brands=10/day'], /quota subject brands is neither/],
      [['--guardians', 'brand-a'], /need --suite toprf-ristretto255/]
    ]
    for (const [args, why] of mistakes) {
      await assert.rejects(create(...args), (err: { code?: number, stderr?: string }) => err.code === 2 && why.test(err.stderr ?? '') && (err.stderr ?? '').trim().split('\n').length <= 2, args.join(' '))
      assert.equal(existsSync(join(root, 'roster.json')), false, `nothing written for ${args.join(' ')}`)
    }
  })

  it('a correct command deals the shares to the guardians and says who guards, at which threshold and quotas', async () => {
    const out = await create('--suite', 'toprf-ristretto255', '--guardians', 'brand-a,platform', '--threshold', '2', '--quota', 'brand=100k/day', '--quota', '*=1000/day')
    assert.match(out.stdout, /guardians\s+2 of 2 \(brand-a, platform\)/)
    assert.match(out.stdout, /quotas\s+brand=100000\/day, \*=1000\/day/)
    const file = JSON.parse(readFileSync(join(root, 'roster.json'), 'utf8'))
    assert.equal(file.keyEpoch.sealed.length, 2, 'one sealed share per guardian, nothing for the others')
    assert.deepEqual(file.summary.guardians, ['brand-a', 'platform'])
  })
})
