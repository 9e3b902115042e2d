import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { entryId } from '../../../../protocol/log/index.js'
import { IdCheckThread, IdChecks, firstBadId } from '../../../../node/store/id-check.js'

/** Stored values as the LevelDB store keeps them: id ‖ entry bytes. */
function values (n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const bytes = randomBytes(60 + i)
    const v = new Uint8Array(32 + bytes.length)
    v.set(entryId(bytes))
    v.set(bytes, 32)
    return v
  })
}

function packed (vs: Uint8Array[]): [Uint8Array, Uint32Array] {
  const ends = new Uint32Array(vs.length)
  let n = 0
  vs.forEach((v, i) => { n += v.length; ends[i] = n })
  const buf = new Uint8Array(n)
  vs.forEach((v, i) => buf.set(v, i === 0 ? 0 : ends[i - 1]))
  return [buf, ends]
}

describe('node/store id check (the start-up walk\'s ids on a worker thread)', function () {
  this.timeout(20_000)

  it('firstBadId finds the first value whose bytes do not hash to its stored id, and skips values too short to hold an entry', () => {
    const vs = values(6)
    assert.equal(firstBadId(...packed(vs)), -1)
    vs[4][40] ^= 1
    vs[2][3] ^= 1
    assert.equal(firstBadId(...packed(vs)), 2)
    assert.equal(firstBadId(...packed([new Uint8Array(32), ...values(2)])), -1, 'a value of just an id is the walk\'s to report')
  })

  it('the thread answers as firstBadId does, chunk after chunk, and refuses work once closed', async () => {
    const t = new IdCheckThread()
    try {
      const good = values(50)
      const bad = values(50)
      bad[37][33] ^= 0x80
      const [a, b] = await Promise.all([t.firstBad(good), t.firstBad(bad)])
      assert.deepEqual([a, b], [-1, 37])
      assert.equal(bad[37].length > 0, true, 'the caller keeps its values (they are copied, not transferred)')
    } finally {
      await t.close()
    }
    await assert.rejects(t.firstBad(values(1)), /closed/)
  })

  it('IdChecks starts no thread below its threshold and hands back undefined (check inline)', async () => {
    const ids = new IdChecks(3)
    try {
      assert.equal(ids.check(values(2)), undefined)
      const vs = values(3)
      vs[1][50] ^= 1
      assert.equal(await ids.check(vs), 1)
      assert.equal(await ids.check(values(1)), -1, 'once started, the thread takes every chunk')
    } finally {
      await ids.close()
    }
    assert.equal(new IdChecks(0).check(values(100)), undefined, '0: never')
  })
})
