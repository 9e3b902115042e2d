/**
 * A process that only appends to a LevelDB log store, as fast as it can, in
 * large signed segments, so LevelDB flushes its memtable and compacts tables
 * all the time: kill -9 of it lands in the middle of writing a table far
 * more often than a node's does. It prints `HEAD <seq>` after every append
 * resolved (what the store acknowledged) and runs until killed.
 *
 *   node --import tsx store-writer.ts <store dir> <entries per segment>
 */
import { appendSegment, type LogHead } from '../../../protocol/log/index.js'
import { signerFromSeed } from '../../../protocol/ed25519.js'
import type { Body } from '../../../protocol/types.js'
import { LevelStore } from '../../../node/store/index.js'
import { GENESIS_TIME } from '../../helpers/alliance.js'

const [path, perSegment] = process.argv.slice(2)
const n = Number(perSegment)
/** One fixed key: every run continues the same log. */
const signer = signerFromSeed(new Uint8Array(32).fill(7))
const T0 = GENESIS_TIME + 86_400_000

function attest (i: number): Body {
  const fingerprint = new Uint8Array(32)
  new DataView(fingerprint.buffer).setUint32(0, i)
  fingerprint.fill(i % 251, 4)
  return { type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 80, evidenceDigest: new Uint8Array(0), expires: T0 + 30 * 86_400_000, epoch: 1 }
}

const store = new LevelStore({ path })
await store.open()
if ((await store.checkChains()).length > 0) throw new Error('the store was damaged before this run')
let head: LogHead | undefined = store.head(signer.publicKey)
for (;;) {
  const first = (head?.seq ?? 0) + 1
  const s = appendSegment({ signer, alliance: 'store-writer', head, bodies: Array.from({ length: n }, (_, i) => attest(first + i)), time: T0 + first })
  await store.append(signer.publicKey, s.entries, s.segment.signature)
  const last = s.entries[s.entries.length - 1]
  head = { seq: last.entry.seq, id: last.id, time: last.entry.time }
  process.stdout.write(`HEAD ${head.seq}\n`)
}
