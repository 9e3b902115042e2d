/**
 * The daemon's matcher keeps seen.bin honest about what its fingerprints were
 * made under: the file names the epoch of the lanes that scanned, and a scan
 * under another epoch starts the seen memory afresh instead of mixing
 * fingerprints that can never match into a file labelled with one epoch.
 * The FingerprintService is a double (it only hands out a key and an epoch);
 * the matcher, its lanes, the consensus index and the files are real.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConsensusIndex } from '../../../../protocol/consensus/index.js'
import { createLogger } from '../../../../node/logger.js'
import { MatchService } from '../../../../node/matching.js'
import { readSeenFile } from '../../../../node/match/seen-snapshot.js'
import type { FingerprintService } from '../../../../node/services/fingerprints.js'
import { KEY, T0 } from './helpers.js'

describe('node/matching seen memory and its epoch', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'alliance-matching-seen-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); rmSync(`${dir}-listings.csv`, { force: true }) })

  it('seen.bin names the scanning epoch; a scan under a new epoch, or a cut-over, drops the old memory', async () => {
    let epoch = 4
    const fingerprints = {
      view: () => ({ suite: 'hmac-sha256', current: epoch, retiring: undefined, roster: epoch }),
      get decisionEpoch () { return epoch },
      get current () { return epoch },
      isLocal: () => true,
      matcherKey: async () => ({ suite: 'hmac-sha256' as const, epoch, key: KEY.slice() })
    } as unknown as FingerprintService
    const lines: string[] = []
    const consensus = new ConsensusIndex({ quorum: 2, weightOf: () => 1, isMember: () => true }, T0)
    const matching = new MatchService({ dir, consensus, fingerprints, workers: 0, logger: createLogger({ level: 'warn', sink: l => lines.push(l) }).forComponent('match') })
    // the listings live beside the node directory: a request never reads inside it
    const listings = `${dir}-listings.csv`
    writeFileSync(listings, 'listing_id,email\nA1,a@example.com\nA2,b@example.com\n')
    try {
      await matching.match({ listings })
      assert.equal(matching.seen.listings, 2)
      assert.equal((await readSeenFile(join(dir, 'seen.bin')))?.header.fingerprints.epoch, 4)

      epoch = 5 // a cut-over; a new policy makes the matcher build new lanes, under epoch 5
      await matching.match({ listings, policy: { actions: { listed: 'screen' } } })
      assert.equal(matching.seen.listings, 2, 'only the epoch-5 scan is remembered')
      const file = await readSeenFile(join(dir, 'seen.bin'))
      assert.equal(file?.header.fingerprints.epoch, 5)
      assert.equal(file?.arrays.idStart.length, 2)
      assert.ok(lines.some(l => JSON.parse(l).msg.startsWith('seen listings of another fingerprint epoch dropped')))

      epoch = 6 // a rotation's cut-over: the matcher drops its memory and the file says so
      await matching.cutover()
      const after = await readSeenFile(join(dir, 'seen.bin'))
      assert.deepEqual([after?.header.fingerprints.epoch, after?.arrays.idStart.length], [6, 0])
    } finally {
      await matching.close()
    }
  })
})
