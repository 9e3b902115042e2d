import assert from 'node:assert/strict'
import { MAX_WATCH_BACKLOG, StatusFeed, statusEvent } from '../../../node/events.js'

describe('node/events StatusFeed', () => {
  const change = (n: number, to: 'listed' | 'candidate' | 'absent' = 'listed') => ({ fingerprint: Uint8Array.of(n), kind: 'email' as const, from: 'candidate' as const, to })

  it('each subscriber gets the changes after it subscribed, in order, and only those it filters for', async () => {
    const feed = new StatusFeed()
    feed.emit(statusEvent(change(0), 'entry', 0)) // nobody yet: gone
    const ctl = new AbortController()
    const all = feed.subscribe({}, ctl.signal)[Symbol.asyncIterator]()
    const listed = feed.subscribe({ status: 'listed' }, ctl.signal)[Symbol.asyncIterator]()
    const first = all.next()
    const firstListed = listed.next()
    feed.emit(statusEvent(change(1, 'candidate'), 'entry', 1))
    feed.emit(statusEvent(change(2), 'time', 2))
    assert.equal((await first).value?.fingerprint, '01')
    assert.equal((await all.next()).value?.cause, 'time')
    assert.equal((await firstListed).value?.fingerprint, '02')
    assert.equal(feed.subscribers, 2)
    ctl.abort()
    assert.equal((await all.next()).done, true)
    assert.equal((await listed.next()).done, true)
    assert.equal(feed.subscribers, 0)
  })

  it('a subscriber that falls MAX_WATCH_BACKLOG behind is ended with WatchOverflowError after what it holds; others go on', async () => {
    const feed = new StatusFeed()
    const slow = feed.subscribe()[Symbol.asyncIterator]()
    const pending = slow.next() // subscribes
    const fast: string[] = []
    const ctl = new AbortController()
    const reading = (async () => { for await (const e of feed.subscribe({}, ctl.signal)) fast.push(e.fingerprint) })()
    await new Promise(resolve => setImmediate(resolve))
    for (let i = 0; i < MAX_WATCH_BACKLOG + 5; i++) {
      feed.emit(statusEvent(change(i & 0xff), 'entry', i))
      if (i % 1000 === 999) await new Promise(resolve => setImmediate(resolve)) // the fast reader drains; the slow one does not read
    }
    let n = (await pending).done === true ? 0 : 1
    await assert.rejects(async () => { while ((await slow.next()).done !== true) n++ }, { name: 'WatchOverflowError', reason: 'watch_overflow' })
    assert.equal(n, MAX_WATCH_BACKLOG + 1, 'the one its pending read took, then a full backlog')
    await new Promise(resolve => setImmediate(resolve))
    ctl.abort()
    await reading
    assert.equal(fast.length, MAX_WATCH_BACKLOG + 5)
    assert.equal(feed.subscribers, 0)
  })
})
