import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { concatBytes, toHex, utf8 } from '../../../../protocol/bytes.js'
import {
  epochKeyCommitment, generateBoxKeyPair, generateEpochKey, openEpochKey, sealEpochKey, sealInfo
} from '../../../../protocol/fingerprint/index.js'
import type { SealedKey } from '../../../../protocol/types.js'

const ALLIANCE = 'acme-anti-counterfeit'
const SUITE = 'hmac-sha256'
const EPOCH = 3

describe('protocol/fingerprint sealing the epoch key (HPKE)', function () {
  const members = Array.from({ length: 5 }, () => generateBoxKeyPair())
  const key = generateEpochKey()
  const commitment = epochKeyCommitment(key, SUITE, EPOCH)
  let sealed: SealedKey[]

  before(async () => {
    sealed = await sealEpochKey({ alliance: ALLIANCE, suite: SUITE, epoch: EPOCH, key, recipients: members.map(m => m.publicKey) })
  })

  const open = async (over: Partial<Parameters<typeof openEpochKey>[0]> = {}, member = members[0]): Promise<Uint8Array> =>
    await openEpochKey({
      alliance: ALLIANCE,
      suite: SUITE,
      epoch: EPOCH,
      sealed,
      recipientPrivateKey: member.privateKey,
      recipientPublicKey: member.publicKey,
      commitment,
      ...over
    })

  it('generateBoxKeyPair makes X25519 key pairs', () => {
    const kp = generateBoxKeyPair()
    assert.equal(kp.publicKey.length, 32)
    assert.equal(kp.privateKey.length, 32)
    assert.notDeepEqual(generateBoxKeyPair().publicKey, kp.publicKey)
  })

  it('round-trips to each of 5 recipients', async () => {
    assert.equal(sealed.length, 5)
    for (const [i, m] of members.entries()) {
      assert.deepEqual(sealed[i].recipient, m.publicKey)
      assert.equal(sealed[i].enc.length, 32)
      assert.equal(sealed[i].ciphertext.length, 32 + 16)
      assert.deepEqual(await open({}, m), key)
    }
    assert.equal(new Set(sealed.map(s => toHex(s.enc))).size, 5)
  })

  it('finds its copy wherever it is in the list', async () => {
    assert.deepEqual(await open({ sealed: [...sealed].reverse() }, members[3]), key)
  })

  it('a node the key was not sealed to gets NotARecipientError', async () => {
    const outsider = generateBoxKeyPair()
    await assert.rejects(open({}, outsider), { name: 'NotARecipientError' })
    await assert.rejects(open({ sealed: [] }), { name: 'NotARecipientError' })
  })

  it('tampered ciphertext or enc gives SealOpenError', async () => {
    for (const field of ['ciphertext', 'enc'] as const) {
      for (const at of [0, 17, 31]) {
        const bad = sealed.map(s => ({ ...s }))
        const b = bad[0][field].slice(); b[at] ^= 0x01; bad[0][field] = b
        await assert.rejects(open({ sealed: bad }), { name: 'SealOpenError' }, `${field}[${at}]`)
      }
    }
    const truncated = sealed.map(s => ({ ...s }))
    truncated[0].ciphertext = truncated[0].ciphertext.subarray(0, 40)
    await assert.rejects(open({ sealed: truncated }), { name: 'SealOpenError' })
    const shortEnc = sealed.map(s => ({ ...s }))
    shortEnc[0].enc = shortEnc[0].enc.subarray(0, 31)
    await assert.rejects(open({ sealed: shortEnc }), { name: 'SealOpenError' })
  })

  it('a copy sealed to another member, relabelled with my key, gives SealOpenError', async () => {
    const relabelled = [{ ...sealed[1], recipient: members[0].publicKey }]
    await assert.rejects(open({ sealed: relabelled }), { name: 'SealOpenError' })
  })

  it('a wrong alliance, suite or epoch in info gives SealOpenError', async () => {
    await assert.rejects(open({ alliance: 'other-alliance' }), { name: 'SealOpenError' })
    await assert.rejects(open({ epoch: EPOCH + 1 }), { name: 'SealOpenError' })
    await assert.rejects(open({ suite: 'toprf-ristretto255' }), { name: 'SealOpenError' })
  })

  it('a key that opens but is not the committed one gives CommitmentMismatchError', async () => {
    await assert.rejects(open({ commitment: epochKeyCommitment(generateEpochKey(), SUITE, EPOCH) }), { name: 'CommitmentMismatchError' })
    await assert.rejects(open({ commitment: new Uint8Array(32) }), { name: 'CommitmentMismatchError' })
    await assert.rejects(open({ commitment: commitment.subarray(0, 16) }), { name: 'CommitmentMismatchError' })
    // A malicious sealer who seals some other key under the right context.
    const rogue = await sealEpochKey({ alliance: ALLIANCE, suite: SUITE, epoch: EPOCH, key: generateEpochKey(), recipients: [members[0].publicKey] })
    await assert.rejects(open({ sealed: rogue }), { name: 'CommitmentMismatchError' })
  })

  it('a private key that does not match the public key gives InvalidBoxKeyError', async () => {
    await assert.rejects(open({ recipientPrivateKey: members[1].privateKey }), { name: 'InvalidBoxKeyError' })
    await assert.rejects(open({ recipientPrivateKey: new Uint8Array(31) }), { name: 'InvalidBoxKeyError' })
  })

  it('sealEpochKey validates its inputs with named errors', async () => {
    const args = { alliance: ALLIANCE, suite: SUITE, epoch: EPOCH, key, recipients: [members[0].publicKey] }
    await assert.rejects(sealEpochKey({ ...args, key: new Uint8Array(16) }), { name: 'InvalidEpochKeyError' })
    await assert.rejects(sealEpochKey({ ...args, epoch: -1 }), { name: 'InvalidEpochError' })
    await assert.rejects(sealEpochKey({ ...args, alliance: '' }), { name: 'InvalidContextError' })
    await assert.rejects(sealEpochKey({ ...args, alliance: 'a\u0000b' }), { name: 'InvalidContextError' })
    await assert.rejects(sealEpochKey({ ...args, recipients: [new Uint8Array(33)] }), { name: 'InvalidBoxKeyError' })
    await assert.rejects(sealEpochKey({ ...args, recipients: [members[0].publicKey, members[1].publicKey, members[0].publicKey.slice()] }), { name: 'InvalidBoxKeyError' })
    // The all-zero point has small order: the DH output is zero, which HPKE refuses.
    await assert.rejects(sealEpochKey({ ...args, recipients: [new Uint8Array(32)] }), { name: 'InvalidBoxKeyError' })
  })

  it('binds the documented info bytes', () => {
    const expected = concatBytes(
      utf8('alliance-node/v1/seal-epoch-key'), Uint8Array.of(0), utf8(ALLIANCE), Uint8Array.of(0), utf8(SUITE), Uint8Array.of(0, 0, 0, 3)
    )
    assert.deepEqual(sealInfo(ALLIANCE, SUITE, EPOCH), expected)
  })

  it('errors carry no key material', async () => {
    const errors: unknown[] = []
    for (const over of [{ alliance: 'x' }, { commitment: new Uint8Array(32) }, { recipientPrivateKey: members[1].privateKey }]) {
      try { await open(over) } catch (err) { errors.push(err) }
    }
    assert.equal(errors.length, 3)
    const secrets = [key, members[0].privateKey, members[1].privateKey].map(toHex)
    for (const err of errors) {
      const text = [inspect(err, { depth: Infinity }), JSON.stringify(err), (err as Error).stack].join('\n')
      for (const s of secrets) assert.ok(!text.includes(s))
    }
  })
})
