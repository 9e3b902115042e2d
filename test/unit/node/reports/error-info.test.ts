import assert from 'node:assert/strict'
import { errorInfo } from '../../../../node/reports/outbox.js'

describe('node/reports outbox: what a failed delivery records', () => {
  it('a dial that failed on every address names each cause, not AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.213.0.4:4001'), { name: 'DialError' })
    const timeout = Object.assign(new Error('dial timed out after 10000 ms'), { name: 'TimeoutError' })
    const info = errorInfo(new AggregateError([refused, timeout, refused], 'All promises were rejected'))
    assert.equal(info.reason, 'DialError')
    assert.equal(info.message, 'connect ECONNREFUSED 10.213.0.4:4001; dial timed out after 10000 ms')
  })

  it('other errors keep their reason or name and message', () => {
    assert.deepEqual(errorInfo(Object.assign(new Error('no'), { reason: 'refused' })), { reason: 'refused', message: 'no' })
    assert.deepEqual(errorInfo(new AggregateError([], 'empty')), { reason: 'AggregateError', message: 'empty' })
  })
})
