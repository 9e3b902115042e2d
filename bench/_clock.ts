/**
 * A wall clock with sub-millisecond resolution that processes of one
 * machine agree on. Its own module: the gossip worker imports it, and runs
 * compiled from dist/, where nothing may import bin/ (not compiled).
 */

/**
 * Offset from the monotonic clock to the wall clock, taken at millisecond
 * edges of Date.now(): an edge seen late (the process was descheduled) gives
 * a smaller offset, so the largest of several is kept. `performance.timeOrigin`
 * is not good enough: between processes it disagrees with Date.now() by up to
 * ~10 ms here.
 */
const wallOffset = ((): number => {
  let best = -Infinity
  for (let i = 0; i < 10; i++) {
    const first = Date.now()
    let t = Date.now()
    while (t === first) t = Date.now()
    best = Math.max(best, t - performance.now())
  }
  return best
})()

/** Wall-clock ms with sub-ms resolution, comparable between processes of this machine (to ~0.1 ms). */
export function wallMs (): number {
  return wallOffset + performance.now()
}
