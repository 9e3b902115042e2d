/**
 * oprf: CPU cost of the toprf-ristretto255 suite, pure protocol layer
 * first (no network), then the node level of issue 11:
 *
 *   bare      libsodium crypto_scalarmult_ristretto255 (WebAssembly), one
 *             constant-time variable-base scalar multiplication: the unit
 *             everything else is made of;
 *   noble     the same multiplication with @noble/curves (ristretto255
 *             Point.multiply, constant time; multiplyUnsafe is no faster
 *             here), for the record: why libsodium is the fast path;
 *   guardian  one thread: a ToprfGuardian (as the service holds it)
 *             evaluating requests of BATCH blinded elements: k_i·B_j, each
 *             element validated inside that multiplication, plus its share
 *             of the RFC 9497 batched DLEQ proof (d_j·B_j into the
 *             composite and one addition), and a constant tail of three
 *             multiplications per request: ~2 multiplications per element;
 *   pool      the same through node/services/guardian-pool.ts with
 *             POOL_WORKERS worker threads (default: one per core), two
 *             requests in flight: total evaluations/s of the guardian node,
 *             and that total per core;
 *   requester per identifier, 2-of-3: build the input, blind, verify both
 *             guardians' proofs (two multiplications and two additions per
 *             element each; each evaluated element validated inside its
 *             multiplication), combine with Lagrange coefficients and
 *             unblind (two multiplications), finalise and derive the
 *             fingerprint. The guardians' answers are computed outside the
 *             timed part.
 *
 * Rates are per CPU-second of the thread doing the work (process.cpuUsage
 * while the other threads idle; the pool: per CPU-second of all its
 * threads, and its wall-clock total), so a machine shared with other work
 * does not deflate them. The variants run in alternating rounds so the
 * remaining noise falls on all of them; each reports its best round,
 * ratios are medians over rounds of per-round ratios. Target (issue 11): guardian >= 5,000 evaluations/s per
 * core.
 *
 * Node level (issue 11), after the pure rounds:
 *
 *   e2e   three guardian nodes as their own processes (`alliance start`,
 *         loopback, each with its worker threads) and one requesting node
 *         (the platform, in this process, no share): E2E_N new identifiers
 *         fingerprinted through FingerprintService in batches of E2E_BATCH
 *         (blind, ask 2 of 3 guardians over libp2p, check both DLEQ proofs,
 *         combine, unblind, cache). Target >= 2,000 new identifiers/s.
 *   warm  the platform's scan of WARM_N listings (default 10,000,000) from
 *         WARM_SELLERS distinct sellers through createMatchPool in online
 *         mode (lanes look fingerprints up; misses go through the node's
 *         cached suite, as MatchService does): one warm-up scan of the
 *         sellers (values fingerprinted by the guardians, cached), then the
 *         timed scan with the cache warm; peak RSS of this process (node,
 *         workers, generator) sampled. Targets >= 150,000 listings/s,
 *         <= 1 GB RSS.
 *
 * Run: npm run bench -- oprf   (ROUNDS=…, BATCH=…, POOL_WORKERS=…, E2E_N=…,
 *      E2E_BATCH=…, WARM_N=…, WARM_SELLERS=…, WORKERS=…, GUARDIAN_WORKERS=…
 *      for the guardian processes; SKIP_NODES=1 for the pure part only;
 *      ALLIANCE_RUNTIME=tsx runs the guardian processes from the sources)
 */
import '../node/polyfill.js'
import sodium from 'libsodium-wrappers-sumo'
import { utf8 } from '../protocol/bytes.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ristretto255 } from '@noble/curves/ed25519.js'
import { createToprfGuardian, toprfFingerprint, toprfInput } from '../protocol/fingerprint/toprf/index.js'
import { randomScalar } from '../protocol/fingerprint/toprf/group.js'
import { blindInputs, checkEvaluation, combineEvaluations, wipeBatch } from '../protocol/fingerprint/toprf/requester.js'
import { splitSecret } from '../protocol/fingerprint/toprf/shamir.js'
import { shareKeyPath, writeShareKey } from '../node/home.js'
import { GuardianPool } from '../node/services/guardian-pool.js'
import { fmt, result } from './_util.js'
import { runBench } from './_procs.js'
import { nodeLevel } from './_oprf-nodes.js'

const ROUNDS = Number(process.env.ROUNDS ?? 5)
const BATCH = Number(process.env.BATCH ?? 256)
const POOL_WORKERS = Number(process.env.POOL_WORKERS ?? availableParallelism())
const ROUND_SECONDS = 1.5
const EPOCH = 1

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2 }
const now = (): number => Number(process.hrtime.bigint()) / 1e9
/** CPU seconds of this process. The single-thread variants run while the pool's workers idle, so this is their thread's CPU time: rates per CPU-second are what one core gives, however loaded the machine (wall-clock rates are printed too). */
const cpuNow = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6 }

const { commitments, shares } = splitSecret(randomScalar(), 2, 3)
const guardians = [1, 2, 3].map(i => createToprfGuardian({ epoch: EPOCH, index: i, share: shares[i - 1], commitments }))
const pub = guardians.map(g => g.publicShare)
const ids = Array.from({ length: BATCH }, (_, i) => utf8(`+44770090${String(i).padStart(4, '0')}`))
const inputs = ids.map(c => toprfInput('phone', EPOCH, c))
const warmBlinded = blindInputs(inputs).blindedElements

/** Runs `once` (which processes `per` items) for about ROUND_SECONDS; returns items per CPU-second (`once` may return its own CPU-seconds). */
function rate (per: number, once: () => number | void): number {
  let items = 0
  let busy = 0
  const end = now() + ROUND_SECONDS
  while (now() < end) {
    const t = cpuNow()
    const timed = once()
    busy += typeof timed === 'number' ? timed : cpuNow() - t
    items += per
  }
  return items / busy
}

const k = randomScalar()
const P = warmBlinded[0]
const kBig = BigInt('0x' + Buffer.from(k).reverse().toString('hex'))
const nobleP = ristretto255.Point.fromBytes(P)
const bare = (): number => rate(256, () => { for (let i = 0; i < 256; i++) sodium.crypto_scalarmult_ristretto255(k, P) })
const noble = (): number => rate(16, () => { for (let i = 0; i < 16; i++) nobleP.multiply(kBig) })
const guardian = (): number => rate(BATCH, () => { guardians[0].evaluate(warmBlinded) })
const requester = (): number => rate(BATCH, () => {
  // timed: input + blind
  let t = cpuNow()
  const ins = ids.map(c => toprfInput('phone', EPOCH, c))
  const batch = blindInputs(ins)
  let busy = cpuNow() - t
  // untimed: the two guardians (1 and 3) answer
  const a1 = guardians[0].evaluate(batch.blindedElements)
  const a3 = guardians[2].evaluate(batch.blindedElements)
  // timed: verify both, combine, unblind, finalise, fingerprint
  t = cpuNow()
  const c1 = checkEvaluation(pub[0], batch.blindedElements, a1)
  const c3 = checkEvaluation(pub[2], batch.blindedElements, a3)
  if (!c1.ok || !c3.ok) throw new Error('bench: a proof did not verify')
  const ys = combineEvaluations(batch, [{ index: 1, evaluated: c1.evaluated }, { index: 3, evaluated: c3.evaluated }])
  for (const y of ys) toprfFingerprint(y)
  wipeBatch(batch)
  busy += cpuNow() - t
  return busy
})

// the pool reads guardian 1's share from a node directory, as the service's workers do
const poolDir = mkdtempSync(join(tmpdir(), 'oprf-bench-'))
await mkdir(dirname(shareKeyPath(poolDir, EPOCH)), { recursive: true })
await writeShareKey(poolDir, EPOCH, shares[0])
const pool = new GuardianPool({ dir: poolDir, workers: POOL_WORKERS })
/** Evaluations per second of wall time (the node's total), and per CPU-second of the process (all its threads: what a core gives when the machine lends it). */
const poolCpu: number[] = []
async function poolRate (): Promise<number> {
  let done = 0
  const t = now()
  const cpu0 = process.cpuUsage()
  const end = t + ROUND_SECONDS
  await Promise.all([0, 1].map(async () => {
    while (now() < end) { await pool.evaluate(guardians[0], commitments, warmBlinded); done += BATCH }
  }))
  const cpu = process.cpuUsage(cpu0)
  poolCpu.push(done / ((cpu.user + cpu.system) / 1e6))
  return done / (now() - t)
}
{ // start the workers (and check an answer) outside the timed rounds
  await pool.ready()
  const a = await pool.evaluate(guardians[0], commitments, warmBlinded)
  if (!checkEvaluation(pub[0], warmBlinded, a).ok) throw new Error('bench: the pool\'s proof did not verify')
}

process.stdout.write(`oprf: ${ROUNDS} alternating rounds of ~${ROUND_SECONDS}s each; guardian requests of ${BATCH} elements; pool of ${POOL_WORKERS} worker threads on ${availableParallelism()} cores; requester 2-of-3\n`)
type Row = { bare: number, noble: number, guardian: number, pool: number, requester: number }
const rounds: Row[] = []
for (let r = 0; r < ROUNDS; r++) {
  const row: Partial<Row> = {}
  const order: Array<keyof Row> = r % 2 === 0 ? ['bare', 'noble', 'guardian', 'pool', 'requester'] : ['requester', 'pool', 'guardian', 'noble', 'bare']
  for (const v of order) row[v] = v === 'pool' ? await poolRate() : ({ bare, noble, guardian, requester } as Record<string, () => number>)[v]()
  const x = row as Row
  rounds.push(x)
  process.stdout.write(`  round ${r + 1} (per CPU-second): bare ${fmt(x.bare)}  noble ${fmt(x.noble)}  guardian ${fmt(x.guardian)} (${(x.guardian / x.bare).toFixed(3)} of bare)  pool ${fmt(poolCpu[poolCpu.length - 1])} (wall-clock total ${fmt(x.pool)}/s)  requester ${fmt(x.requester)} ids\n`)
}
await pool.close()
rmSync(poolDir, { recursive: true, force: true })
const best = (key: keyof Row): number => Math.max(...rounds.map(x => x[key]))
const ratio = median(rounds.map(x => x.guardian / x.bare))
const guardianPerS = best('guardian')
const poolPerS = best('pool')
const cores = Math.min(POOL_WORKERS, availableParallelism())
process.stdout.write(`bare libsodium scalar multiplication: ${fmt(best('bare'))} per CPU-second (one core); noble: ${fmt(best('noble'))} (libsodium ${median(rounds.map(x => x.bare / x.noble)).toFixed(1)}x faster)\n`)
process.stdout.write(`guardian evaluations (with proof share), one thread: ${fmt(guardianPerS)} per CPU-second (one core), ${ratio.toFixed(3)} of bare, i.e. ${(1 / ratio).toFixed(2)} multiplications per element (target >= 5,000/s per core: ${guardianPerS >= 5000 ? 'met' : 'NOT met'})\n`)
const poolPerCpuS = Math.max(...poolCpu)
process.stdout.write(`guardian node, ${POOL_WORKERS} worker threads: ${fmt(poolPerCpuS)} per CPU-second of its threads (${(poolPerCpuS / guardianPerS).toFixed(2)} of one thread's: the cost of splitting), so ~${fmt(poolPerCpuS * cores)}/s on ${cores} free cores; here ${fmt(poolPerS)}/s wall-clock total, what a machine at load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores lent\n`)
process.stdout.write(`requester, 2-of-3, per identifier (input, blind, 2 proofs, combine, finalise): ${fmt(best('requester'))} ids per CPU-second, ${median(rounds.map(x => x.bare / x.requester)).toFixed(1)} multiplications per identifier\n`)
const pure = {
  guardian_evals_per_s: Math.round(guardianPerS),
  guardian_evals_total_per_s: Math.round(poolPerS),
  guardian_evals_per_cpu_s: Math.round(poolPerCpuS),
  guardian_workers: POOL_WORKERS,
  load_average: Number(loadavg()[0].toFixed(1)),
  cores: availableParallelism(),
  bare_scalarmult_per_s: Math.round(best('bare')),
  noble_scalarmult_per_s: Math.round(best('noble')),
  ratio: Number(ratio.toFixed(3)),
  requester_ids_per_s: Math.round(best('requester')),
  batch: BATCH,
  threshold: 2,
  guardians: 3
}
if (process.env.SKIP_NODES === '1') result(pure)
else await runBench(async () => { result({ ...pure, ...await nodeLevel() }) })
