import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { bytesEqual } from '../../../../protocol/bytes.js'
import { appendSegment } from '../../../../protocol/log/index.js'
import { RosterChain, signRoster, unsignedRoster } from '../../../../protocol/roster/index.js'
import type { Roster, SignedRoster } from '../../../../protocol/types.js'
import { LevelStore } from '../../../../node/store/index.js'
import { SUBLEVELS, u64Key } from '../../../../node/store/keys.js'
import { loadRosterChain } from '../../../../node/store/rosters.js'
import { GENESIS_TIME, makeAlliance } from '../../../helpers/alliance.js'

const alliance = makeAlliance()
const [A] = alliance.orgs.map(o => o.nodes[0].signer)

/** Version `version` of the roster (members unchanged), signed by every org. */
function nextVersion (prev: { id: Uint8Array, roster: Roster }, version: number): SignedRoster {
  const roster: Roster = { ...prev.roster, version, prev: prev.id, time: GENESIS_TIME + version * 1000 }
  const signed = unsignedRoster(roster)
  for (const o of alliance.orgs) signed.signatures.push(signRoster(o.nodes[0].signer, signed.roster))
  return signed
}

describe('node/store loadRosterChain: a damaged stored roster never stops the node', () => {
  let dir: string
  let store: LevelStore

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alliance-rosters-'))
    store = new LevelStore({ path: dir })
    await store.open()
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Overwrites stored version `version` with `bytes`, as a flipped byte on disk would leave it. */
  async function spoil (version: number, spoilBytes: (b: Uint8Array) => Uint8Array): Promise<void> {
    await store.close()
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    const rosters = db.sublevel<Uint8Array, Uint8Array>(SUBLEVELS.rosters, { keyEncoding: 'view', valueEncoding: 'view' })
    const old = await rosters.get(u64Key(version))
    assert.ok(old !== undefined)
    await rosters.put(u64Key(version), spoilBytes(Uint8Array.from(old)))
    await db.close()
    store = new LevelStore({ path: dir })
    await store.open()
  }

  it('an empty store gets the installed genesis', async () => {
    const { chain, damage } = await loadRosterChain(store, alliance.signed)
    assert.equal(damage, undefined)
    assert.equal(chain.versions.length, 1)
    assert.equal((await store.rosters()).length, 1)
  })

  it('a genesis that no longer decodes or verifies is restored from the installed roster file', async () => {
    await store.putRoster(1, alliance.signed)
    for (const spoilBytes of [(b: Uint8Array) => b.subarray(0, b.length - 7), (b: Uint8Array) => { b[b.length - 5] ^= 0x10; return b }]) {
      await spoil(1, spoilBytes)
      const { chain, damage } = await loadRosterChain(store, alliance.signed)
      assert.equal(damage?.version, 1)
      assert.ok(damage.why.length > 0)
      assert.ok(bytesEqual(chain.current.id, alliance.chain.current.id))
      // the record is whole again: the next start finds no damage
      assert.equal((await loadRosterChain(store, alliance.signed)).damage, undefined)
    }
  })

  it('a later version that is damaged is dropped with what follows, and recovered from the roster entries in the logs', async () => {
    const v2 = nextVersion(alliance.chain.current, 2)
    const held = RosterChain.fromGenesis(alliance.signed)
    held.extend(v2)
    const v3 = nextVersion(held.current, 3)
    await store.putRoster(1, alliance.signed)
    await store.putRoster(2, v2)
    await store.putRoster(3, v3)
    // brand-a's log carries version 2 (as a roster update spreads), not version 3
    const seg = appendSegment({ signer: A, alliance: alliance.alliance, head: undefined, bodies: [{ type: 'roster', signed: v2 }], time: GENESIS_TIME + 5000 })
    await store.append(A.publicKey, seg.entries, seg.segment.signature)
    await spoil(2, b => { b[b.length - 40] ^= 0x01; return b })

    const { chain, damage, recovered } = await loadRosterChain(store, alliance.signed)
    assert.equal(damage?.version, 2)
    assert.equal(recovered, 1, 'version 2 came back from the log')
    assert.equal(chain.current.roster.version, 2)
    // version 3 was deleted (it comes back from peers); 1 and 2 are stored whole
    const records = await store.rosterRecords()
    assert.deepEqual(records.map(r => [r.version, r.damaged === undefined]), [[1, true], [2, true]])
  })
})
