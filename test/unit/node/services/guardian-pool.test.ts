/**
 * The guardian's worker threads (node/services/guardian-pool.ts), real
 * threads reading a real share file: a split request gives an answer whose
 * proof verifies and whose elements are the one-thread ones; bad input is
 * refused by name with its batch position; a worker that cannot open the
 * share refuses by name and the pool keeps serving.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createToprfGuardian, InvalidElementError } from '../../../../protocol/fingerprint/toprf/index.js'
import { randomScalar } from '../../../../protocol/fingerprint/toprf/group.js'
import { blindInputs, checkEvaluation } from '../../../../protocol/fingerprint/toprf/requester.js'
import { splitSecret } from '../../../../protocol/fingerprint/toprf/shamir.js'
import { shareKeyPath, writeShareKey } from '../../../../node/home.js'
import { GuardianPool } from '../../../../node/services/guardian-pool.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('node/services/guardian-pool: guardian evaluation on worker threads', function () {
  this.timeout(60_000)
  let dir: string
  let pool: GuardianPool
  const { commitments, shares } = splitSecret(randomScalar(), 2, 3)
  const guardian = createToprfGuardian({ epoch: 3, index: 2, share: shares[1], commitments })
  const B = blindInputs(Array.from({ length: 200 }, (_, i) => utf8(`pool-${i}`))).blindedElements

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guardian-pool-'))
    await mkdir(dirname(shareKeyPath(dir, 3)), { recursive: true })
    await writeShareKey(dir, 3, shares[1])
    pool = new GuardianPool({ dir, workers: 2 })
  })
  after(async () => {
    await pool.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('splits a request over the workers; the proof verifies and the elements are the one-thread ones', async () => {
    assert.equal(pool.running, 0)
    // while the workers load, the calling thread answers
    const early = await pool.evaluate(guardian, commitments, B)
    assert.equal(checkEvaluation(guardian.publicShare, B, early).ok, true)
    await pool.ready()
    assert.equal(pool.running, 2)
    const a = await pool.evaluate(guardian, commitments, B)
    assert.equal(pool.splitRequests, 1, 'the workers answered')
    assert.deepEqual(a.evaluated, guardian.evaluate(B).evaluated)
    const check = checkEvaluation(guardian.publicShare, B, a)
    assert.equal(check.ok, true)
  })

  it('concurrent requests all verify', async () => {
    const answers = await Promise.all([B, B.slice(0, 64), B.slice(50, 180)].map(async b => ({ b, a: await pool.evaluate(guardian, commitments, b) })))
    for (const { b, a } of answers) assert.equal(checkEvaluation(guardian.publicShare, b, a).ok, true)
  })

  it('a malformed element is refused with InvalidElementError at its batch position', async () => {
    const bad = B.slice()
    bad[150] = new Uint8Array(32).fill(0xff)
    await assert.rejects(pool.evaluate(guardian, commitments, bad), (e: unknown) => e instanceof InvalidElementError && e.index === 150)
    bad[150] = new Uint8Array(31)
    await assert.rejects(pool.evaluate(guardian, commitments, bad), (e: unknown) => e instanceof InvalidElementError && e.index === 150)
  })

  it('an epoch whose share file is missing is refused as GuardianWorkerError; the pool keeps serving', async () => {
    const other = createToprfGuardian({ epoch: 4, index: 2, share: shares[1], commitments })
    await assert.rejects(pool.evaluate(other, commitments, B), (e: unknown) => (e as Error).name === 'GuardianWorkerError')
    const a = await pool.evaluate(guardian, commitments, B)
    assert.equal(checkEvaluation(guardian.publicShare, B, a).ok, true)
  })

  it('small requests stay on the calling thread', async () => {
    const small = B.slice(0, 20)
    const before = pool.splitRequests
    const a = await pool.evaluate(guardian, commitments, small)
    assert.equal(pool.splitRequests, before)
    assert.equal(checkEvaluation(guardian.publicShare, small, a).ok, true)
  })
})
