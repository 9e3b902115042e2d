import assert from 'node:assert/strict'
import {
  createSuite, isLocalSuite, isSuiteName, SUITE_NAMES,
  type FingerprintBatchOptions, type FingerprintItem, type FingerprintSuite
} from '../../../../protocol/fingerprint/index.js'

const KEY = new Uint8Array(32).fill(7)

/** Shape of an online suite (e.g. a threshold OPRF): batched, async, abortable, no local fast path. */
class FakeOnlineSuite implements FingerprintSuite {
  readonly name = 'hmac-sha256' as const
  readonly epoch = 1
  readonly outputLength = 32 as const
  async fingerprintBatch (items: ReadonlyArray<FingerprintItem>, options?: FingerprintBatchOptions): Promise<Uint8Array[]> {
    await new Promise(resolve => setTimeout(resolve, 1))
    options?.signal?.throwIfAborted()
    return items.map(() => new Uint8Array(32))
  }

  destroy (): void {}
}

describe('protocol/fingerprint suite interface', () => {
  it('offers only keyed suites', () => {
    assert.deepEqual([...SUITE_NAMES], ['hmac-sha256', 'toprf-ristretto255'])
    assert.equal(isSuiteName('toprf-ristretto255'), true)
    for (const name of ['sha256', 'salted-sha256', 'SHA-256', 'hmac-sha256 ']) assert.equal(isSuiteName(name), false, name)
  })

  it('createSuite throws UnknownSuiteError for names it does not implement', () => {
    for (const name of ['sha256', 'salted-sha256', 'toprf-ristretto', '', 'HMAC-SHA256']) {
      assert.throws(() => createSuite({ name, epoch: 1, key: KEY }), { name: 'UnknownSuiteError' }, name)
    }
  })

  it('createSuite cannot build toprf-ristretto255 from an epoch key: it needs guardians (OnlineSuiteError)', () => {
    assert.throws(() => createSuite({ name: 'toprf-ristretto255', epoch: 1, key: KEY }), { name: 'OnlineSuiteError' })
  })

  it('createSuite validates the key and epoch with named errors', () => {
    assert.throws(() => createSuite({ name: 'hmac-sha256', epoch: 1, key: new Uint8Array(16) }), { name: 'InvalidEpochKeyError' })
    assert.throws(() => createSuite({ name: 'hmac-sha256', epoch: -1, key: KEY }), { name: 'InvalidEpochError' })
  })

  it('isLocalSuite tells the local fast path from an online suite', async () => {
    const online = new FakeOnlineSuite()
    assert.equal(isLocalSuite(online), false)
    assert.equal(isLocalSuite(createSuite({ name: 'hmac-sha256', epoch: 1, key: KEY })), true)
    const out = await online.fingerprintBatch([{ kind: 'email', canonical: new Uint8Array(3) }])
    assert.equal(out.length, 1)
  })
})
