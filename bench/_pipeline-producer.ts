/**
 * The listing service of bench/pipeline.ts, in its own process so that its
 * CPU is its own (the bench process also serves the node's routes): it
 * generates the listings (examples/listings.ts) and puts each into the
 * input stream with one XADD, pipelined at the RESP level (resp.ts): 1,000
 * commands per write, up to 4 writes awaiting their replies. That is all a
 * platform's listing service must do per listing, so its CPU is near the
 * floor of producing.
 *
 * Prints `STATS {json}` on stdout when done: cpuS (everything), genCpuS
 * (generating the listings: the bench's stand-in for the platform's own
 * data, not a cost of producing), produced.
 * Args: <redis url> <stream> <spec json>
 */
import '../node/polyfill.js'
import { generateListings, type ListingsSpec } from '../examples/listings.js'
import { IDENTIFIER_COLUMNS } from '../node/match/index.js'
import { RespConnection, RespWriter } from '../node/pipeline/resp.js'

const [url, stream, specJson] = process.argv.slice(2)
const spec = JSON.parse(specJson) as ListingsSpec
const BATCH = 1000
const IN_FLIGHT = 4

const cpu0 = process.cpuUsage()
const conn = await RespConnection.open(url, { name: 'bench-producer', timeoutMs: 60_000 })
process.stderr.write('producing\n')
const w = new RespWriter(256 * 1024)
const inflight: Array<Promise<unknown>> = []
let genUs = 0
let produced = 0
let inBatch = 0
const gen = generateListings(spec)
for (;;) {
  const g0 = process.cpuUsage()
  const rows = []
  for (let i = 0; i < BATCH; i++) {
    const r = gen.next()
    if (r.done === true) break
    rows.push(r.value.row)
  }
  const g = process.cpuUsage(g0)
  genUs += g.user + g.system
  if (rows.length === 0) break
  for (const row of rows) {
    let n = 0
    for (const c of IDENTIFIER_COLUMNS) { const v = row[c]; if (v !== undefined && v !== null && v !== '') n++ }
    w.command(5 + 2 * n).arg('XADD').arg(stream).arg('*').arg('listing_id').arg(row.listing_id)
    for (const c of IDENTIFIER_COLUMNS) {
      const v = row[c]
      if (v !== undefined && v !== null && v !== '') w.arg(c).arg(v)
    }
    inBatch++
  }
  inflight.push(conn.send(w.take(), inBatch))
  produced += inBatch
  inBatch = 0
  while (inflight.length >= IN_FLIGHT) await inflight.shift()
}
await Promise.all(inflight)
conn.close()
const c = process.cpuUsage(cpu0)
process.stdout.write(`STATS ${JSON.stringify({ cpuS: (c.user + c.system) / 1e6, genCpuS: genUs / 1e6, produced })}\n`)
