/**
 * One queue for every write (STYLE.md §10): jobs run one at a time in call
 * order, so a check-then-write (append reads the head, then writes) can never
 * interleave with another. A failed job rejects its own caller only.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T> (job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job)
    this.tail = result.catch(() => {})
    return result
  }

  /** Resolves once every job queued so far has settled. */
  async idle (): Promise<void> {
    let seen: Promise<unknown>
    do {
      seen = this.tail
      await seen
    } while (seen !== this.tail)
  }
}
