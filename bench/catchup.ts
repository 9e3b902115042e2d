/**
 * catchup: a fresh node pulls 1,000,000 attestations (20 member orgs, bulk
 * segments of 1,000 entries per signature) from one peer in another process
 * on loopback, verified, stored and applied. Targets (issue 15): ≥ 100,000
 * entries/s end to end and ≥ half the bare LevelDB batch rate measured in
 * the same run (`storage_limit_per_s`), receiving node's peak RSS ≤ 600 MB;
 * start-up of a node holding 1,000,000 entries (`startup_s_1m`) ≤ 10 s.
 *
 * Set-up (not timed): node directories for 20 brands and the platform with an
 * installed roster (quorum 2); the 20 brands' segments are built and signed
 * with their own signing keys and appended straight to the SOURCE node's
 * store (brand-01, opened in this process; the HTTP API would take minutes).
 * Brand pairs attest the same fingerprints, so the receiver ends with
 * ENTRIES / 2 listed fingerprints. Then the source runs as its own process
 * (`alliance start`), twice: first without a start-up checkpoint (it checks
 * every hash chain and replays every entry into its index; spawn until its
 * API answers: `source_startup_full_s`, `startup_full_s_1m` at 1,000,000),
 * then, after a clean stop wrote its checkpoint (`source_stop_s`,
 * `checkpoint_mb`), with it (the chain check still walks every entry; the
 * index comes from the checkpoint: `source_startup_s`, `startup_s_1m`). The
 * second one serves the catch-up; the receiver (the platform, empty) runs as
 * another process; both with the daemon's default anti-entropy interval.
 *
 * Timed: from spawning the receiver until its applied-entries counter reaches
 * ENTRIES (polled on /metrics every 250 ms, which is the resolution of the
 * end time). Reported with and without the receiver's start-up (spawn until
 * its API answers; the sync may already run during it). RSS of the receiver
 * is sampled from /proc every 200 ms; the peak is its VmHWM.
 *
 * The receiver gets CATCHUP_TIMEOUT_S (180) seconds; an unfinished catch-up
 * is reported as INCOMPLETE with the rate over that window.
 *
 * Baseline, same run, after both processes stopped: the same number of
 * entries, of the same mean size, keyed as the store keys them, written into
 * a fresh bare LevelDB in batches of one segment (what the receiver's store
 * must do at the least), in this process. The ratio catch-up / bare is the
 * figure to compare across machines.
 *
 *   npm run bench -- catchup            ENTRIES=200000 for a quick run
 *   CATCHUP_STARTUP_ONLY=1              only the source's start-up (e.g. ENTRIES=5000000: `startup_s_5m`)
 *   CATCHUP_ANTI_ENTROPY_S=1            retry failed syncs every second (diagnosis)
 *   CATCHUP_LOG=debug                   print the receiver's log at the end
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"   profile both node processes
 *
 * bench/_probe-ingest.ts does the receiver's ingest work (decode, verify,
 * store, apply, status bus) in one process without the network, for quick
 * profiles: `node --cpu-prof --import tsx bench/_probe-ingest.ts`.
 */
import '../node/polyfill.js'
import { createHash, randomBytes } from 'node:crypto'
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Level } from 'level'
import { AllianceNode } from '../node/alliance-node.js'
import { CHECKPOINT_FILE } from '../node/checkpoint/index.js'
import { loadNodeKeys } from '../node/keys.js'
import type { NodeStatus } from '../node/service.js'
import { appendSegment, type LogHead } from '../protocol/log/index.js'
import type { Body } from '../protocol/types.js'
import { makeNodeDirs, type MemberSpec } from '../test/helpers/nodes.js'
import { spawnNode, type NodeProcess } from '../test/helpers/processes.js'
import { apiCall, cpuSeconds, metricValue, procMemory, RssSampler, runBench, say, sleep, stopChild, track, trackDir, compiledNodes } from './_procs.js'
import { fmt, result } from './_util.js'

const AUTHORS = 20
const PER_SEGMENT = 1000
const ENTRIES = Number(process.env.ENTRIES ?? 1_000_000)
const PER_AUTHOR = Math.ceil(ENTRIES / AUTHORS / PER_SEGMENT) * PER_SEGMENT
const TOTAL = PER_AUTHOR * AUTHORS
const TIMEOUT_MS = Number(process.env.CATCHUP_TIMEOUT_S ?? 180) * 1000
/** The daemon's default. */
const ANTI_ENTROPY_S = Number(process.env.CATCHUP_ANTI_ENTROPY_S ?? 30)
const TARGET_RATE = 100_000
/** Catch-up end to end / bare LevelDB batches in the same run. */
const TARGET_RATIO = 0.5
const TARGET_STARTUP_S = 10
const STARTUP_ONLY = process.env.CATCHUP_STARTUP_ONLY === '1'
/** A source holding millions of entries checks every chain before it answers; under load that is minutes. */
const SOURCE_READY_TIMEOUT_MS = 900_000
const TARGET_RSS_MB = 600
const DAY = 86_400_000

const now = (): number => performance.now()
const secs = (ms: number): string => (ms / 1000).toFixed(1)

/** Fingerprint n: SHA-256 of n, as uniform as a real keyed fingerprint. Brands 2i and 2i+1 attest the same ones. */
function fingerprint (author: number, i: number): Uint8Array {
  const n = Math.floor(author / 2) * PER_AUTHOR + i
  return new Uint8Array(createHash('sha256').update(`fp-${n}`).digest())
}

/**
 * Entries/s of a bare LevelDB: `total` records keyed author ‖ seq (40 bytes)
 * with a 32-byte id and `bytes` of entry as the value, in batches of one
 * segment, awaited one after another.
 */
async function bareLevelRate (path: string, total: number, bytes: number): Promise<number> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  const value = randomBytes(32 + bytes)
  const author = randomBytes(32)
  const t0 = now()
  for (let seq = 1; seq <= total; seq += PER_SEGMENT) {
    const batch = db.batch()
    for (let i = 0; i < PER_SEGMENT; i++) {
      const key = new Uint8Array(40)
      key.set(author)
      new DataView(key.buffer).setUint32(36, seq + i)
      batch.put(key, value)
    }
    await batch.write()
  }
  const ms = now() - t0
  await db.close()
  return total / ms * 1000
}

await runBench(async () => {
  compiledNodes()
  const brands: MemberSpec[] = Array.from({ length: AUTHORS }, (_, i) => ({ org: `brand-${String(i + 1).padStart(2, '0')}`, role: 'brand' }))
  const t0 = now()
  const net = await makeNodeDirs([...brands, { org: 'platform', role: 'platform' }], { quorum: 2, alliance: 'bench-catchup' })
  trackDir(net.root)
  const sourceDir = net.dirs[brands[0].org]
  const receiverDir = net.dirs.platform
  say(`catchup: ${fmt(TOTAL)} attestations by ${AUTHORS} member orgs (segments of ${PER_SEGMENT}, one signature each), pulled by a fresh node from one peer`)
  say(`  node dirs for ${AUTHORS + 1} members (roster signed by all, quorum 2): ${secs(now() - t0)} s`)

  // ------------------------------------------------------------ source LevelDB, written in-process
  // Segments go straight into the source's store (what ingest does after verifying): verifying our
  // own fresh segments here would double the set-up time, and the source re-checks every hash
  // chain when it starts. Building segment n+1 overlaps LevelDB writing segment n.
  const signers = await Promise.all(brands.map(async b => (await loadNodeKeys(net.dirs[b.org])).sign))
  const source = await AllianceNode.open({ dir: sourceDir, logLevel: 'error', logSink: () => {} })
  let buildMs = 0
  let meanEntryBytes = 0
  const tWrite = now()
  try {
    const epoch = source.ingestor.chain.current.roster.policy.epoch
    const heads: Array<LogHead | undefined> = signers.map(() => undefined)
    const time = Date.now()
    let writing: Promise<void> = Promise.resolve()
    let lastPrint = now()
    let written = 0
    let entryBytes = 0
    // author by author: each log's keys are contiguous in LevelDB, as a log arrives in practice
    for (let a = 0; a < AUTHORS; a++) {
      for (let seg = 0; seg < PER_AUTHOR / PER_SEGMENT; seg++) {
        const tb = now()
        const bodies: Body[] = new Array(PER_SEGMENT)
        for (let j = 0; j < PER_SEGMENT; j++) {
          bodies[j] = { type: 'attestation', fingerprint: fingerprint(a, seg * PER_SEGMENT + j), kind: 'email', claim: 'counterfeit-seller', reason: 1, confidence: 90, evidenceDigest: new Uint8Array(0), expires: time + 30 * DAY, epoch }
        }
        const out = appendSegment({ signer: signers[a], alliance: source.alliance, head: heads[a], bodies, time })
        for (const e of out.entries) entryBytes += e.bytes.length
        const last = out.entries[out.entries.length - 1]
        heads[a] = { seq: last.entry.seq, id: last.id, time: last.entry.time }
        buildMs += now() - tb
        await writing
        writing = source.store.append(signers[a].publicKey, out.entries, out.segment.signature)
        written += PER_SEGMENT
        if (now() - lastPrint > 10_000) {
          lastPrint = now()
          say(`    source: ${fmt(written)} entries written`)
        }
      }
    }
    await writing
    meanEntryBytes = entryBytes / written
  } finally {
    await source.stop()
  }
  const writeMs = now() - tWrite
  say(`  source LevelDB written in-process: ${secs(writeMs)} s (${fmt(TOTAL / writeMs * 1000)} entries/s; building and signing took ${secs(buildMs)} s of it)`)

  // ------------------------------------------------------------ two processes
  // The source starts twice: first with no checkpoint (the chain check and the replay of every entry:
  // `startup_full_s_1m`), then, after a clean stop wrote its start-up checkpoint, with it (`startup_s_1m`:
  // the chain check and the checkpoint). The in-process stop above wrote one covering none of the
  // entries appended straight to the store: deleted, so the first start is the full pass.
  rmSync(join(sourceDir, CHECKPOINT_FILE), { force: true })
  const startSource = async (): Promise<{ child: NodeProcess, ms: number, startup: NodeStatus['startup'] }> => {
    const ts = now()
    const child = await spawnNode(sourceDir, { antiEntropySeconds: ANTI_ENTROPY_S, readyTimeoutMs: SOURCE_READY_TIMEOUT_MS })
    track(child.child)
    const ms = now() - ts
    return { child, ms, startup: (await apiCall<NodeStatus>(child, '/v1/status')).startup }
  }
  const first = await startSource()
  if (first.startup.checkpoint !== 'absent') throw new Error(`the first start of the source found a checkpoint (${first.startup.checkpoint})`)
  say(`  source process up without a checkpoint (chain check + index rebuild of ${fmt(TOTAL)} entries): ${secs(first.ms)} s`)
  const tStop = now()
  await stopChild(first.child.child, SOURCE_READY_TIMEOUT_MS)
  const stopMs = now() - tStop
  const checkpointMb = statSync(join(sourceDir, CHECKPOINT_FILE)).size / 1e6
  say(`  clean stop (writes the start-up checkpoint, ${checkpointMb.toFixed(0)} MB): ${secs(stopMs)} s`)
  const again = await startSource()
  if (again.startup.checkpoint !== 'used') throw new Error(`the second start of the source did not use its checkpoint (${again.startup.checkpoint}: ${again.startup.reason ?? ''})`)
  const src = again.child
  const sourceStartup = again.ms
  say(`  source process up with its checkpoint (chain check + checkpoint): ${secs(sourceStartup)} s   (target ≤ ${TARGET_STARTUP_S} s at 1,000,000; the node says ${again.startup.seconds} s)`)
  const startupFields = {
    source_startup_s: Number((sourceStartup / 1000).toFixed(2)),
    source_startup_full_s: Number((first.ms / 1000).toFixed(2)),
    source_stop_s: Number((stopMs / 1000).toFixed(2)),
    checkpoint_mb: Number(checkpointMb.toFixed(1)),
    startup_s_1m: TOTAL === 1_000_000 ? Number((sourceStartup / 1000).toFixed(2)) : null,
    startup_full_s_1m: TOTAL === 1_000_000 ? Number((first.ms / 1000).toFixed(2)) : null,
    ...(TOTAL === 5_000_000 ? { startup_s_5m: Number((sourceStartup / 1000).toFixed(2)), startup_full_s_5m: Number((first.ms / 1000).toFixed(2)) } : {})
  }
  if (STARTUP_ONLY) {
    await stopChild(src.child, SOURCE_READY_TIMEOUT_MS)
    result({ entries: TOTAL, ...startupFields })
    return
  }
  const sourceCpu0 = cpuSeconds(src.child.pid as number)

  const tSpawn = now()
  const rcv: NodeProcess = await spawnNode(receiverDir, { antiEntropySeconds: ANTI_ENTROPY_S, logLevel: process.env.CATCHUP_LOG ?? 'warn' })
  const tReady = now()
  track(rcv.child)
  const pid = rcv.child.pid as number
  const rss = new RssSampler(pid, 200, tSpawn)
  let applied = 0
  let tEnd = 0
  let appliedAtReady: number | undefined
  let lastPrint = now()
  let text = ''
  try {
    for (;;) {
      text = await apiCall<string>(rcv, '/metrics', undefined, true)
      applied = metricValue(text, 'alliance_entries_applied_total') ?? 0
      appliedAtReady ??= applied
      tEnd = now()
      if (applied >= TOTAL || tEnd - tSpawn > TIMEOUT_MS) break
      if (tEnd - lastPrint > 10_000) {
        lastPrint = tEnd
        say(`    t=${secs(tEnd - tSpawn).padStart(5)} s  applied ${fmt(applied).padStart(9)}  RSS ${procMemory(pid).rssMb.toFixed(0)} MB`)
      }
      await sleep(250)
    }
  } finally {
    rss.sample()
    rss.stop()
  }
  const complete = applied >= TOTAL
  const receiverCpu = cpuSeconds(pid)
  const sourceCpu = cpuSeconds(src.child.pid as number) - sourceCpu0
  const syncOk = metricValue(text, 'alliance_sync_runs_total{result="ok"}') ?? 0
  const syncFailed = metricValue(text, 'alliance_sync_runs_total{result="error"}') ?? 0
  // the node's status, once, to check heads and the blocklist (and to time the call at this size)
  const tStatus = now()
  let status: NodeStatus | undefined
  let statusError = ''
  try {
    status = await apiCall<NodeStatus>(rcv, '/v1/status')
  } catch (err) {
    statusError = (err as Error).message
  }
  const statusMs = now() - tStatus
  const mem = procMemory(pid)
  if (process.env.CATCHUP_LOG !== undefined) process.stderr.write(rcv.stderr())
  else if (status === undefined) process.stderr.write(rcv.stderr().slice(-3000))
  if (complete && status !== undefined) {
    if (status.heads.length !== AUTHORS || !status.heads.every(h => h.seq === PER_AUTHOR)) throw new Error(`receiver heads incomplete: ${JSON.stringify(status.heads.map(h => [h.org, h.seq]))}`)
    if (status.blocklist.listed !== TOTAL / 2) throw new Error(`receiver lists ${status.blocklist.listed} fingerprints, expected ${TOTAL / 2}`)
  }

  const elapsed = tEnd - tSpawn
  const startup = tReady - tSpawn
  const rate = applied / elapsed * 1000
  const rateAfterReady = (applied - (appliedAtReady ?? 0)) / (tEnd - tReady) * 1000
  const peak = Math.max(rss.peakMb, mem.hwmMb)

  // ------------------------------------------------------------ baseline: bare LevelDB batches
  await Promise.all([stopChild(rcv.child), stopChild(src.child)])
  const bare = await bareLevelRate(join(net.root, 'bare-level'), TOTAL, Math.round(meanEntryBytes))
  const ratio = Number(((rate) / bare).toFixed(3))

  say('')
  say('receiver (separate process, empty LevelDB) pulling from the source (separate process) on loopback:')
  if (!complete) say(`  INCOMPLETE: ${fmt(applied)} of ${fmt(TOTAL)} entries applied when the ${secs(TIMEOUT_MS)} s limit ran out; rates below are over that window`)
  say(`  start-up (spawn until the API answers)   ${secs(startup).padStart(6)} s   (${fmt(appliedAtReady ?? 0)} entries applied by then)`)
  say(`  end to end (spawn until ${complete ? 'all applied' : 'the limit'})${complete ? '     ' : '       '}${secs(elapsed).padStart(6)} s   → ${fmt(rate)} entries/s   (target ≥ ${fmt(TARGET_RATE)})`)
  say(`  without start-up (API up until ${complete ? 'done' : 'limit'})   ${secs(tEnd - tReady).padStart(6)} s   → ${fmt(rateAfterReady)} entries/s`)
  say('  end time resolution: 250 ms (polling of /metrics)')
  say(`  sync runs: ${syncOk} ok, ${syncFailed} failed (anti-entropy every ${ANTI_ENTROPY_S} s retries a failed sync)`)
  say(`  CPU used meanwhile: receiver ${receiverCpu.toFixed(1)} s (${applied > 0 ? (receiverCpu / applied * 1e6).toFixed(1) : '-'} µs per applied entry, start-up included), source ${sourceCpu.toFixed(1)} s (of 2 cores × ${secs(elapsed)} s)`)
  say(`  receiver RSS: peak ${peak.toFixed(0)} MB (VmHWM; target ≤ ${TARGET_RSS_MB}), sampled peak ${rss.sampledPeakMb.toFixed(0)} MB, now ${mem.rssMb.toFixed(0)} MB`)
  if (status !== undefined) say(`  receiver holds ${status.heads.length} heads, ${fmt(status.blocklist.listed)} listed; one GET /v1/status took ${statusMs.toFixed(0)} ms at this size`)
  else say(`  GET /v1/status FAILED at this size after ${statusMs.toFixed(0)} ms (${statusError.slice(0, 160)}); heads and blocklist not checked, the applied count comes from /metrics`)
  say(`  baseline: bare LevelDB batches of ${PER_SEGMENT} (${fmt(TOTAL)} entries of ${Math.round(meanEntryBytes)} bytes + 32-byte id, this process, nodes stopped): ${fmt(bare)} entries/s; catch-up end to end is ${ratio}× that`)
  say(`  verdict: rate ${complete && rate >= TARGET_RATE ? 'meets' : 'MISSES'} the target, ratio to bare LevelDB ${complete && ratio >= TARGET_RATIO ? 'meets' : 'MISSES'} the target (≥ ${TARGET_RATIO}), RSS ${peak <= TARGET_RSS_MB ? 'meets' : 'MISSES'} the target${complete ? '' : ' (RSS over a partial catch-up)'}, start-up ${sourceStartup / 1000 <= TARGET_STARTUP_S ? 'meets' : 'MISSES'} the target`)
  result({
    entries_per_s: Math.round(rate),
    rss_mb: Math.round(peak),
    entries_per_s_after_startup: Math.round(rateAfterReady),
    startup_s: Number((startup / 1000).toFixed(2)),
    total_s: Number((elapsed / 1000).toFixed(2)),
    applied,
    entries: TOTAL,
    complete: complete ? 1 : 0,
    bare_level_entries_per_s: Math.round(bare),
    storage_limit_per_s: Math.round(bare),
    ratio_to_bare_level: ratio,
    // CPU the receiver used per applied entry (start-up included): steadier than rates on a shared machine
    receiver_cpu_us_per_entry: applied > 0 ? Number((receiverCpu / applied * 1e6).toFixed(1)) : null,
    ...startupFields
  })
})
