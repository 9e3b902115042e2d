import assert from 'node:assert/strict'
import { statementOf } from '../../../../protocol/consensus/statement.js'
import type { Entry } from '../../../../protocol/types.js'
import { authorKey, entryId, fp } from './helpers.js'

function entry (body: Entry['body']): Entry {
  return { author: authorKey('a'), seq: 3, prev: new Uint8Array(32), time: 1_700_000_000_000, body }
}

describe('consensus statements: statementOf()', () => {
  const id = entryId(7)

  it('reads an attestation as a positive statement with its expiry', () => {
    const s = statementOf(entry({ type: 'attestation', fingerprint: fp(1), kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 90, evidenceDigest: new Uint8Array(0), expires: 1_800_000_000_000, epoch: 1 }), id, 'org-a')
    assert.deepEqual(s, { org: 'org-a', author: authorKey('a'), entryId: id, time: 1_700_000_000_000, fingerprint: fp(1), kind: 'email', stance: 'positive', source: 'attestation', expires: 1_800_000_000_000, reason: 1 })
  })

  it('reads a retraction as a neutral statement that never expires', () => {
    const s = statementOf(entry({ type: 'retraction', target: entryId(1), fingerprint: fp(1), kind: 'email', epoch: 1 }), id, 'org-a')
    assert.equal(s?.stance, 'neutral')
    assert.equal(s?.source, 'retraction')
    assert.equal(s?.expires, Number.POSITIVE_INFINITY)
  })

  it('reads opinions by their stance', () => {
    const stances = (['confirmed', 'removed', 'false-positive', 'dispute-upheld', 'authorised-reseller'] as const).map(opinion =>
      statementOf(entry({ type: 'opinion', fingerprint: fp(1), kind: 'url', opinion, expires: 5, noteDigest: new Uint8Array(0), epoch: 1 }), id, 'org-a')?.stance)
    assert.deepEqual(stances, ['positive', 'positive', 'negative', 'negative', 'negative'])
  })

  it('has nothing to say for roster and key-epoch entries', () => {
    assert.equal(statementOf(entry({ type: 'key-epoch', suite: 'hmac-sha256', epoch: 2, commitment: new Uint8Array(32), sealed: [] }), id, 'org-a'), undefined)
    assert.equal(statementOf(entry({ type: 'roster', signed: { roster: new Uint8Array(0), signatures: [] } }), id, 'org-a'), undefined)
  })
})
