/**
 * LevelStore throughput: append N entries (default 1,000,000) of one author
 * as signed segments of 1,000, then read them all back with `all()`, then
 * the start-up `checkChains()` walk over them. As same-run baselines, the
 * same keys and values go into a bare LevelDB as plain array batches, and
 * into a third LevelDB as array batches of sublevel ops (how the store wrote
 * before it built prefixed keys for a chained batch), so the store's
 * overhead is a ratio. A fourth store with the `durable` option (an fsync at
 * every segment boundary) appends the same segments in the same rotation:
 * the cost of surviving a power cut, side by side. Entry generation (encode,
 * hash, sign) is not timed.
 *
 *   npx tsx bench/store.ts [entries]
 *
 * Ends with one `RESULT {...}` line.
 */
import '../node/polyfill.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { appendSegment, type LogHead } from '../protocol/log/index.js'
import type { Body } from '../protocol/types.js'
import { LevelStore } from '../node/store/index.js'
import { entryValue, logKey } from '../node/store/keys.js'
import { GENESIS_TIME, makeAlliance } from '../test/helpers/alliance.js'
import { result, rssMb } from './_util.js'

const ENTRIES = Number(process.argv[2] ?? 1_000_000)
const SEGMENT = 1000
const T0 = GENESIS_TIME + 86_400_000

const now = (): number => Number(process.hrtime.bigint()) / 1e9
const rate = (n: number, s: number): number => Math.round(n / s)

function body (i: number): Body {
  const fingerprint = new Uint8Array(32)
  new DataView(fingerprint.buffer).setUint32(0, i)
  return { type: 'attestation', fingerprint, kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 80, evidenceDigest: new Uint8Array(32), expires: T0 + 30 * 86_400_000, epoch: 1 }
}

const dir = mkdtempSync(join(tmpdir(), 'alliance-bench-store-'))
try {
  const alliance = makeAlliance()
  const signer = alliance.orgs[0].nodes[0].signer
  const author = signer.publicKey
  const store = new LevelStore({ path: join(dir, 'store') })
  await store.open()
  const durable = new LevelStore({ path: join(dir, 'durable'), durable: true })
  await durable.open()
  const bare = new Level<Uint8Array, Uint8Array>(join(dir, 'bare'), { keyEncoding: 'view', valueEncoding: 'view' })
  await bare.open()
  const subDb = new Level<Uint8Array, Uint8Array>(join(dir, 'sublevel'), { keyEncoding: 'view', valueEncoding: 'view' })
  const sub = subDb.sublevel<Uint8Array, Uint8Array>('entries', { keyEncoding: 'view', valueEncoding: 'view' })
  await subDb.open()

  let head: LogHead | undefined
  let appendS = 0
  let bareS = 0
  let subS = 0
  let durableS = 0
  let bytes = 0
  for (let done = 0; done < ENTRIES; done += SEGMENT) {
    const n = Math.min(SEGMENT, ENTRIES - done)
    const { entries, segment } = appendSegment({ signer, alliance: alliance.alliance, head, bodies: Array.from({ length: n }, (_, i) => body(done + i)), time: T0 })
    const last = entries[n - 1]
    head = { seq: last.entry.seq, id: last.id, time: last.entry.time }
    for (const e of entries) bytes += e.bytes.length

    // alternate which goes first, so the garbage left by generating the segment falls on both
    const timeStore = async (): Promise<void> => {
      const t = now()
      await store.append(author, entries, segment.signature)
      appendS += now() - t
    }
    const timeBare = async (): Promise<void> => {
      const t = now()
      await bare.batch(entries.map(e => ({ type: 'put' as const, key: logKey(author, e.entry.seq), value: entryValue(e.id, e.bytes) })))
      bareS += now() - t
    }
    const timeSub = async (): Promise<void> => {
      const t = now()
      await subDb.batch(entries.map(e => ({ type: 'put' as const, sublevel: sub, key: logKey(author, e.entry.seq), value: entryValue(e.id, e.bytes) })), { sync: false })
      subS += now() - t
    }
    const timeDurable = async (): Promise<void> => {
      const t = now()
      await durable.append(author, entries, segment.signature)
      durableS += now() - t
    }
    const order = [timeStore, timeBare, timeSub, timeDurable]
    for (let k = 0; k < order.length; k++) await order[(k + done / SEGMENT) % order.length]()
  }
  await bare.close()
  await subDb.close()
  await durable.close()

  let t = now()
  let read = 0
  let readBytes = 0
  for await (const e of store.all()) { read++; readBytes += e.bytes.length }
  const readS = now() - t
  if (read !== ENTRIES || readBytes !== bytes) throw new Error(`read back ${read} entries / ${readBytes} bytes, wrote ${ENTRIES} / ${bytes}`)

  t = now()
  const damage = await store.checkChains()
  const checkS = now() - t
  if (damage.length !== 0) throw new Error('checkChains reported damage on a fresh store')
  await store.close()

  const out = {
    append_per_s: rate(ENTRIES, appendS),
    read_per_s: rate(ENTRIES, readS),
    check_per_s: rate(ENTRIES, checkS),
    bare_batch_per_s: rate(ENTRIES, bareS),
    sublevel_batch_per_s: rate(ENTRIES, subS),
    durable_append_per_s: rate(ENTRIES, durableS),
    durable_segments_per_s: rate(Math.ceil(ENTRIES / SEGMENT), durableS)
  }
  process.stdout.write(`entries ${ENTRIES} (${Math.round(bytes / ENTRIES)} B each), segments of ${SEGMENT}, rss ${rssMb()} MB\n`)
  process.stdout.write(`append (store)      ${out.append_per_s.toLocaleString('en')} entries/s\n`)
  process.stdout.write(`append (bare batch) ${out.bare_batch_per_s.toLocaleString('en')} entries/s  (store/bare ${(out.append_per_s / out.bare_batch_per_s).toFixed(2)})\n`)
  process.stdout.write(`append (array batch of sublevel ops) ${out.sublevel_batch_per_s.toLocaleString('en')} entries/s  (store/that ${(out.append_per_s / out.sublevel_batch_per_s).toFixed(2)})\n`)
  process.stdout.write(`append (durable)    ${out.durable_append_per_s.toLocaleString('en')} entries/s, ${out.durable_segments_per_s.toLocaleString('en')} segments/s  (durable/store ${(out.durable_append_per_s / out.append_per_s).toFixed(2)})\n`)
  process.stdout.write(`all()               ${out.read_per_s.toLocaleString('en')} entries/s\n`)
  process.stdout.write(`checkChains()       ${out.check_per_s.toLocaleString('en')} entries/s\n`)
  result({ append_per_s: out.append_per_s, read_per_s: out.read_per_s, bare_batch_per_s: out.bare_batch_per_s, sublevel_batch_per_s: out.sublevel_batch_per_s, ratio_to_sublevel_batch: Number((out.append_per_s / out.sublevel_batch_per_s).toFixed(2)), durable_append_per_s: out.durable_append_per_s, durable_ratio: Number((out.durable_append_per_s / out.append_per_s).toFixed(2)) })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
