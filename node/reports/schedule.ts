/**
 * What the outbox does next, as pure functions of its records, its policy
 * and the time (STYLE.md §8): which deliveries to attempt now, when a failed
 * one is tried again, and which become due when their recipient connects.
 * No timers, no I/O: outbox.ts calls these on every tick and event.
 */
import { backoffDelay } from './policy.js'
import { deliverySlot, type DeliveryRecord } from './records.js'

export interface DeliveryLimits {
  /** Deliveries in flight at once, over all recipients. */
  maxConcurrentDeliveries: number
  /** Deliveries in flight at once to one recipient node. */
  maxDeliveriesPerPeer: number
}

export interface RetryPolicy {
  retryMinDelayMs: number
  retryMaxDelayMs: number
}

/**
 * The pending deliveries to attempt now, in the order to start them: those
 * not in flight whose next attempt is due (`nextAttemptAt <= now`), earliest
 * due first (ties in the order given), as many as the limits leave room for
 * counting what is already in flight. `inFlight` maps each delivery slot in
 * flight (records.ts `deliverySlot`) to its recipient node (signing key,
 * hex): the per-recipient limit counts nodes, which stay the same when a
 * roster update gives a node another peer id.
 */
export function dueDeliveries (pending: Iterable<DeliveryRecord>, inFlight: ReadonlyMap<string, string>, limits: DeliveryLimits, now: number): DeliveryRecord[] {
  const perNode = new Map<string, number>()
  for (const node of inFlight.values()) perNode.set(node, (perNode.get(node) ?? 0) + 1)
  let running = inFlight.size
  const due = [...pending]
    .filter(d => d.state === 'pending' && !inFlight.has(deliverySlot(d)) && d.nextAttemptAt <= now)
    .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
  const start: DeliveryRecord[] = []
  for (const d of due) {
    if (running >= limits.maxConcurrentDeliveries) break
    if ((perNode.get(d.node) ?? 0) >= limits.maxDeliveriesPerPeer) continue
    perNode.set(d.node, (perNode.get(d.node) ?? 0) + 1)
    running++
    start.push(d)
  }
  return start
}

/** When a delivery that has now failed `attempts` times is tried again: exponential backoff with jitter (policy.ts). */
export function retryAt (attempts: number, now: number, policy: RetryPolicy, random: number): number {
  return now + backoffDelay(attempts, policy.retryMinDelayMs, policy.retryMaxDelayMs, random)
}

/** The pending deliveries to `peerId` waiting for a later retry: its connection makes them due now, whatever their backoff. */
export function dueOnConnect (pending: Iterable<DeliveryRecord>, peerId: string, now: number): DeliveryRecord[] {
  return [...pending].filter(d => d.state === 'pending' && d.peerId === peerId && d.nextAttemptAt > now)
}
