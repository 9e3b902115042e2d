/**
 * Weak keys end to end (issue 12 item 5): member cards with a small-order
 * or non-canonical signing or box key are refused by `roster create` with a
 * named error (they were accepted, and the roster with them signed). The
 * key checks themselves, the forged signature under the identity key and the
 * roster rule are in test/unit/protocol/weak-keys.test.ts.
 */
import assert from 'node:assert/strict'
import { memberCard } from '../../node/home.js'
import { createRosterFile } from '../../node/roster-file.js'
import { record } from './helpers/scale.js'
import { fuzzWorld, type FuzzWorld } from './helpers/world.js'

const IDENTITY = '01' + '00'.repeat(31)
const P_PLUS_1 = 'ee' + 'ff'.repeat(30) + '7f' // the identity, spelt non-canonically
const X25519_ZERO = '00'.repeat(32)

describe('fault: weak keys', function () {
  this.timeout(60_000)
  let world: FuzzWorld
  before(async () => { world = await fuzzWorld() })
  after(async () => { await world?.close() })

  it('roster create refuses member cards with a small-order or non-canonical key, naming the card', async () => {
    const good = await memberCard(world.net.dirs['brand-a'])
    const other = await memberCard(world.net.dirs['brand-b'])
    let refused = 0
    for (const bad of [{ signKey: IDENTITY }, { signKey: P_PLUS_1 }, { boxKey: X25519_ZERO }]) {
      await assert.rejects(createRosterFile({ alliance: 'weak', quorum: 1, cards: [good, { ...other, ...bad }] }), { name: 'RosterFileError' })
      refused++
    }
    record('weakKeys', { cardsRefused: refused })
  })
})
