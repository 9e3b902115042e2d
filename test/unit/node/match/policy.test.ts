import assert from 'node:assert/strict'
import { DEFAULT_POLICY, actionFor, parsePolicy, parsePolicyJson } from '../../../../node/match/index.js'

describe('node/match policy', () => {
  it('defaults: listed → block, disputed and candidate → screen, absent → none', () => {
    const p = parsePolicy({})
    assert.deepEqual(p, DEFAULT_POLICY)
    assert.equal(actionFor(p, 'email', 'listed'), 'block')
    assert.equal(actionFor(p, 'email', 'disputed'), 'screen')
    assert.equal(actionFor(p, 'email', 'candidate'), 'screen')
    assert.equal(actionFor(p, 'email', 'absent'), 'none')
  })

  it('takes status actions and per-kind overrides, keeping defaults for what is omitted', () => {
    const p = parsePolicy({ version: 1, actions: { candidate: 'none' }, kinds: { name: { listed: 'screen' } } })
    assert.equal(actionFor(p, 'phone', 'candidate'), 'none')
    assert.equal(actionFor(p, 'phone', 'listed'), 'block')
    assert.equal(actionFor(p, 'name', 'listed'), 'screen')
    assert.equal(actionFor(p, 'name', 'candidate'), 'none')
  })

  it('rejects what does not match the schema, naming every problem by path', () => {
    const bad: unknown[] = [
      { actions: { listed: 'nuke' } },
      { kinds: { shoe_size: { listed: 'block' } } },
      { kinds: { email: { listed: 'block', banned: 'block' } } },
      { version: 2 },
      { action: {} },
      [],
      'block',
      null
    ]
    for (const json of bad) {
      assert.throws(() => parsePolicy(json), (err: Error & { issues?: string[] }) => {
        assert.equal(err.name, 'InvalidMatchPolicyError')
        assert.ok(Array.isArray(err.issues) && err.issues.length > 0)
        return true
      }, JSON.stringify(json))
    }
    assert.throws(() => parsePolicy({ actions: { listed: 'nuke', disputed: 'x' } }), (err: Error & { issues: string[] }) => {
      assert.equal(err.issues.length, 2)
      assert.ok(err.issues.some(i => i.startsWith('actions.listed')) && err.issues.some(i => i.startsWith('actions.disputed')))
      return true
    })
  })

  it('parsePolicyJson reports invalid JSON as an InvalidMatchPolicyError', () => {
    assert.throws(() => parsePolicyJson('{"actions": '), { name: 'InvalidMatchPolicyError' })
    assert.deepEqual(parsePolicyJson('{"actions":{"disputed":"block"}}').actions, { listed: 'block', disputed: 'block', candidate: 'screen' })
  })
})
