/**
 * Waiting in tests and benchmarks: for a condition no event reports, with a
 * time limit, and (where nothing can be awaited at all) for a fixed time.
 */

/**
 * Resolves once `check()` is true, re-checking every `intervalMs`; rejects
 * after `timeoutMs` naming `what`. For conditions without an event (a
 * status across nodes, a score): where an event exists, await it instead.
 */
export async function eventually (check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition', intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
