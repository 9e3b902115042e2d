import assert from 'node:assert/strict'
import { generateSeed, signerFromSeed } from '../../../../protocol/ed25519.js'
import { CustodyLog, type CustodyRecord } from '../../../../node/reports/custody.js'

async function * store (records: CustodyRecord[]): AsyncGenerator<CustodyRecord> {
  yield * records
}

describe('node/reports custody log', () => {
  const signer = signerFromSeed(generateSeed())

  async function threeRecords (): Promise<CustodyRecord[]> {
    const log = new CustodyLog(signer)
    await log.load(store([]))
    const out: CustodyRecord[] = []
    for (const [action, t] of [['received', 1], ['opened', 2], ['exported', 3]] as const) {
      const c = log.prepare(action, 'ab'.repeat(16), { by: 'test' }, 1_750_000_000_000 + t)
      out.push(c.record)
      c.commit()
    }
    return out
  }

  it('chains records and reloads intact, continuing after the last one', async () => {
    const records = await threeRecords()
    assert.equal(records[1].prev, records[0].hash)
    const log = new CustodyLog(signer)
    await log.load(store(records))
    assert.equal(log.damage, undefined)
    assert.equal(log.length, 3)
    assert.equal(log.prepare('opened', 'cd'.repeat(16), {}, 1).record.prev, records[2].hash)
  })

  it('names the first altered, dropped or foreign-signed record', async () => {
    const records = await threeRecords()
    const check = async (rs: CustodyRecord[]): Promise<string | undefined> => {
      const log = new CustodyLog(signer)
      await log.load(store(rs))
      return log.damage
    }
    assert.match(await check([records[0], { ...records[1], detail: { by: 'someone else' } }, records[2]]) ?? '', /record 2 was altered/)
    assert.match(await check([records[0], records[2]]) ?? '', /record 2 is missing/)
    const other = new CustodyLog(signerFromSeed(generateSeed()))
    await other.load(store([]))
    const forged = other.prepare('received', 'ab'.repeat(16), { by: 'test' }, 1_750_000_000_001).record
    assert.match(await check([forged, ...records.slice(1)]) ?? '', /record 1 is not signed by this node/)
  })
})
