/**
 * What the outbox attempts next, as pure functions: no timers, no streams.
 */
import assert from 'node:assert/strict'
import { dueDeliveries, dueOnConnect, retryAt } from '../../../../node/reports/schedule.js'
import type { DeliveryRecord } from '../../../../node/reports/records.js'
import { deliveryRecord, ID, NODE } from './helpers.js'

const NOW = 1_750_000_100_000
const limits = { maxConcurrentDeliveries: 4, maxDeliveriesPerPeer: 2 }
const slots = (ds: DeliveryRecord[]): string[] => ds.map(d => `${d.id.slice(-1)}/${d.node.slice(-1)}`)
const d = (report: number, node: number, over: Partial<DeliveryRecord> = {}): DeliveryRecord =>
  deliveryRecord(ID(report), NODE(node), { peerId: `peer-${node}`, nextAttemptAt: NOW, ...over })

describe('node/reports schedule', () => {
  it('attempts the pending deliveries that are due, earliest first, ties in the order given', () => {
    const pending = [
      d(1, 1, { nextAttemptAt: NOW - 10 }),
      d(2, 1, { nextAttemptAt: NOW + 1 }), // not yet
      d(3, 2, { nextAttemptAt: NOW - 500 }),
      d(4, 3, { nextAttemptAt: NOW - 10 }),
      d(5, 4, { state: 'delivered', nextAttemptAt: NOW - 900 })
    ]
    assert.deepEqual(slots(dueDeliveries(pending, new Map(), limits, NOW)), ['3/2', '1/1', '4/3'])
    assert.deepEqual(slots(dueDeliveries(pending, new Map(), limits, NOW + 1)), ['3/2', '1/1', '4/3', '2/1'])
    assert.deepEqual(dueDeliveries([], new Map(), limits, NOW), [])
  })

  it('leaves out what is in flight and counts it against both limits', () => {
    const pending = [d(1, 1), d(2, 1), d(3, 1), d(4, 2), d(5, 3), d(6, 4)]
    // report 1 to node 1 is in flight: node 1 may take one more, three slots are left overall
    assert.deepEqual(slots(dueDeliveries(pending, new Map([[`${ID(1)}/${NODE(1)}`, NODE(1)]]), limits, NOW)), ['2/1', '4/2', '5/3'])
    // four in flight elsewhere: nothing starts
    const busy = new Map([1, 2, 3, 4].map(i => [`${ID(9)}/${NODE(10 + i)}`, NODE(10 + i)]))
    assert.deepEqual(dueDeliveries(pending, busy, limits, NOW), [])
  })

  it('a recipient at its limit is skipped, not a stop: others still start', () => {
    const pending = [d(1, 1), d(2, 1), d(3, 1), d(4, 2)]
    assert.deepEqual(slots(dueDeliveries(pending, new Map(), { maxConcurrentDeliveries: 4, maxDeliveriesPerPeer: 1 }, NOW)), ['1/1', '4/2'])
  })

  it('counts the per-recipient limit by node, whatever peer id a record carries', () => {
    // an attempt to node 1 is in flight; another delivery to node 1 still carries the peer id the roster gave it before
    const pending = [d(2, 1, { peerId: 'old-peer' }), d(3, 2)]
    const inFlight = new Map([[`${ID(1)}/${NODE(1)}`, NODE(1)]])
    assert.deepEqual(slots(dueDeliveries(pending, inFlight, { maxConcurrentDeliveries: 4, maxDeliveriesPerPeer: 1 }, NOW)), ['3/2'])
  })

  it('retries after the backoff of the attempts made so far, from now', () => {
    const policy = { retryMinDelayMs: 1000, retryMaxDelayMs: 60_000 }
    assert.equal(retryAt(1, NOW, policy, 0.5), NOW + 1000)
    assert.equal(retryAt(3, NOW, policy, 0.5), NOW + 4000)
    assert.equal(retryAt(40, NOW, policy, 1), NOW + 60_000)
    assert.equal(retryAt(3, NOW, policy, 0), NOW + 3200, 'jitter −20 %')
  })

  it('a connecting peer makes its waiting deliveries due, only those', () => {
    const pending = [
      d(1, 1, { nextAttemptAt: NOW + 5000 }),
      d(2, 1, { nextAttemptAt: NOW - 1 }), // already due
      d(3, 1, { nextAttemptAt: NOW + 5000, state: 'refused' }),
      d(4, 2, { nextAttemptAt: NOW + 5000 })
    ]
    assert.deepEqual(slots(dueOnConnect(pending, 'peer-1', NOW)), ['1/1'])
    assert.deepEqual(dueOnConnect(pending, 'peer-9', NOW), [])
  })
})
