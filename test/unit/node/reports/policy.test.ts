import assert from 'node:assert/strict'
import { backoffDelay, isFinalRefusal, outboxState } from '../../../../node/reports/policy.js'
import { reportServiceOptions } from '../../../../node/reports/service.js'

describe('node/reports policy', () => {
  it('backs off exponentially from the minimum to the cap, with bounded jitter', () => {
    for (const r of [0, 0.5, 1]) {
      assert.ok(backoffDelay(1, 1000, 300_000, r) >= 1000 && backoffDelay(1, 1000, 300_000, r) <= 1200)
      assert.ok(backoffDelay(4, 1000, 300_000, r) >= 6400 && backoffDelay(4, 1000, 300_000, r) <= 9600)
      assert.equal(backoffDelay(40, 1000, 300_000, r) <= 300_000, true)
      assert.equal(backoffDelay(1000, 1000, 300_000, r) >= 240_000, true)
    }
  })

  it('treats only refusals no retry can change as final', () => {
    for (const r of ['not_addressed', 'report_id_conflict', 'decryption_failed', 'too_large']) assert.equal(isFinalRefusal(r), true, r)
    for (const r of ['busy', 'internal', 'report_from_future', 'unknown_key', 'not_started']) assert.equal(isFinalRefusal(r), false, r)
  })

  it('sums up a report\'s deliveries', () => {
    assert.equal(outboxState(['pending', 'pending']), 'queued')
    assert.equal(outboxState(['delivered', 'pending']), 'partial')
    assert.equal(outboxState(['delivered', 'delivered']), 'delivered')
    assert.equal(outboxState(['refused', 'dropped']), 'failed')
    assert.equal(outboxState(['delivered', 'refused']), 'partial')
  })

  it('validates its options at construction with a named error', () => {
    assert.equal(reportServiceOptions({}).retryMinDelayMs, 1000)
    assert.throws(() => reportServiceOptions({ retryMinDelayMs: 0 }), { name: 'ReportServiceConfigError' })
    assert.throws(() => reportServiceOptions({ retryMinDelayMs: 5000, retryMaxDelayMs: 1000 }), { name: 'ReportServiceConfigError' })
    assert.throws(() => reportServiceOptions({ maxDeliveriesPerPeer: 9, maxConcurrentDeliveries: 4 }), { name: 'ReportServiceConfigError' })
  })
})
