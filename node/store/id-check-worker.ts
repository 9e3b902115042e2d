/**
 * The worker thread of id-check.ts: recomputes the entry ids of each chunk
 * of stored values it is sent and answers with the first that does not
 * match (firstBadId). It holds no state and no key.
 */
import { parentPort } from 'node:worker_threads'
import { firstBadId, type IdCheckReply, type IdCheckRequest } from './id-check.js'

const port = parentPort
if (port === null) throw new Error('id-check-worker: not started as a worker thread')
port.on('message', (m: IdCheckRequest) => {
  const reply: IdCheckReply = { id: m.id, bad: firstBadId(new Uint8Array(m.buf), m.ends) }
  port.postMessage(reply)
})
