import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { toHex } from '../../../../../protocol/bytes.js'
import { generateBoxKeyPair, hpkeSealTo } from '../../../../../protocol/fingerprint/index.js'
import {
  createToprfGuardian, dealToprfKey, guardianEvaluate, openToprfShare, shareSealInfo, type ToprfDeal
} from '../../../../../protocol/fingerprint/toprf/index.js'
import { mulBase } from '../../../../../protocol/fingerprint/toprf/group.js'
import { reconstructSecret } from '../../../../../protocol/fingerprint/toprf/shamir.js'

const ALLIANCE = 'acme-anti-counterfeit'
const EPOCH = 4

describe('protocol/fingerprint/toprf dealing the key (split, commit, seal, forget)', () => {
  const boxes = Array.from({ length: 3 }, () => generateBoxKeyPair())
  let deal: ToprfDeal
  before(async () => {
    deal = await dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 2, guardians: boxes.map(b => b.publicKey) })
  })
  const open = async (i: number, over: Partial<Parameters<typeof openToprfShare>[0]> = {}): Promise<{ index: number, share: Uint8Array }> =>
    await openToprfShare({
      alliance: ALLIANCE,
      epoch: EPOCH,
      commitments: deal.commitments,
      sealedShares: deal.sealedShares,
      recipientPrivateKey: boxes[i].privateKey,
      recipientPublicKey: boxes[i].publicKey,
      ...over
    })

  it('publishes t commitments (C_0 is the public key) and one sealed share per guardian, indexed 1..g, with no secret in the deal', () => {
    assert.equal(deal.commitments.length, 2)
    assert.equal(toHex(deal.publicKey), toHex(deal.commitments[0]))
    assert.deepEqual(deal.sealedShares.map(s => s.index), [1, 2, 3])
    assert.deepEqual(deal.sealedShares.map(s => toHex(s.recipient)), boxes.map(b => toHex(b.publicKey)))
    assert.deepEqual(Object.keys(deal).sort(), ['commitments', 'epoch', 'publicKey', 'sealedShares', 'threshold'])
  })

  it('each guardian opens its own share, which passes Feldman\'s check; any two reconstruct the key behind the public key', async () => {
    const opened = await Promise.all(boxes.map(async (_, i) => await open(i)))
    assert.deepEqual(opened.map(o => o.index), [1, 2, 3])
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      const k = reconstructSecret(pair.map(i => opened[i]))
      assert.equal(toHex(mulBase(k)), toHex(deal.publicKey))
    }
    // and each becomes a guardian whose public share is k_i·G
    const g = createToprfGuardian({ epoch: EPOCH, index: opened[1].index, share: opened[1].share, commitments: deal.commitments })
    assert.equal(toHex(g.publicShare), toHex(mulBase(opened[1].share)))
    assert.equal(inspect(g).includes(toHex(opened[1].share)), false)
    assert.throws(() => guardianEvaluate(opened[1].share, mulBase(opened[0].share), [deal.publicKey]), { name: 'InvalidGuardianError' })
    assert.equal(JSON.stringify(g).includes(toHex(opened[1].share)), false)
  })

  it('two deals give unrelated keys', async () => {
    const again = await dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 2, guardians: boxes.map(b => b.publicKey) })
    assert.notEqual(toHex(again.publicKey), toHex(deal.publicKey))
  })

  it('a share does not open for another alliance, epoch or set of commitments, nor when tampered (ShareOpenError)', async () => {
    await assert.rejects(open(0, { alliance: 'other' }), { name: 'ShareOpenError' })
    await assert.rejects(open(0, { epoch: EPOCH + 1 }), { name: 'ShareOpenError' })
    const otherCommitments = [deal.commitments[0], deal.commitments[0]]
    await assert.rejects(open(0, { commitments: otherCommitments }), { name: 'ShareOpenError' })
    const tampered = deal.sealedShares.map(s => ({ ...s, ciphertext: s.ciphertext.slice() }))
    tampered[0].ciphertext[3] ^= 1
    await assert.rejects(open(0, { sealedShares: tampered }), { name: 'ShareOpenError' })
    const reindexed = deal.sealedShares.map(s => ({ ...s, index: s.index === 1 ? 2 : s.index === 2 ? 1 : 3 }))
    await assert.rejects(open(0, { sealedShares: reindexed }), { name: 'ShareOpenError' }, 'a share presented under another index')
  })

  it('a dealer that seals a share inconsistent with its commitments is caught by the guardian (ShareMismatchError)', async () => {
    // a dishonest dealer: commitments of one polynomial, shares of another
    const honest = await dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 2, guardians: boxes.map(b => b.publicKey) })
    const other = await dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 2, guardians: boxes.map(b => b.publicKey) })
    const otherShare = (await openToprfShare({ alliance: ALLIANCE, epoch: EPOCH, commitments: other.commitments, sealedShares: other.sealedShares, recipientPrivateKey: boxes[0].privateKey, recipientPublicKey: boxes[0].publicKey })).share
    const forged = { index: 1, ...await hpkeSealTo(boxes[0].publicKey, shareSealInfo(ALLIANCE, EPOCH, 1, honest.commitments), otherShare, 'guardian 1') }
    await assert.rejects(openToprfShare({
      alliance: ALLIANCE, epoch: EPOCH, commitments: honest.commitments, sealedShares: [forged], recipientPrivateKey: boxes[0].privateKey, recipientPublicKey: boxes[0].publicKey
    }), { name: 'ShareMismatchError' })
    assert.throws(() => createToprfGuardian({ epoch: EPOCH, index: 1, share: otherShare, commitments: honest.commitments }), { name: 'ShareMismatchError' })
  })

  it('a node that holds no share is told so (NotAShareholderError); a mismatched key pair is refused', async () => {
    const stranger = generateBoxKeyPair()
    await assert.rejects(openToprfShare({ alliance: ALLIANCE, epoch: EPOCH, commitments: deal.commitments, sealedShares: deal.sealedShares, recipientPrivateKey: stranger.privateKey, recipientPublicKey: stranger.publicKey }), { name: 'NotAShareholderError' })
    await assert.rejects(open(0, { recipientPrivateKey: boxes[1].privateKey }), { name: 'InvalidBoxKeyError' })
  })

  it('bad deal parameters are refused by name before any key exists', async () => {
    const keys = boxes.map(b => b.publicKey)
    await assert.rejects(dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 0, guardians: keys }), { name: 'InvalidThresholdError' })
    await assert.rejects(dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 4, guardians: keys }), { name: 'InvalidThresholdError' })
    await assert.rejects(dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 1, guardians: [] }), { name: 'InvalidThresholdError' })
    await assert.rejects(dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 2, guardians: [keys[0], keys[0]] }), { name: 'InvalidBoxKeyError' })
    await assert.rejects(dealToprfKey({ alliance: ALLIANCE, epoch: EPOCH, threshold: 2, guardians: [keys[0], new Uint8Array(32)] }), { name: 'InvalidBoxKeyError' })
    await assert.rejects(dealToprfKey({ alliance: ALLIANCE, epoch: -1, threshold: 2, guardians: keys }), { name: 'InvalidEpochError' })
    await assert.rejects(dealToprfKey({ alliance: '', epoch: EPOCH, threshold: 2, guardians: keys }), { name: 'InvalidContextError' })
  })
})
