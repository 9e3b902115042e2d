/**
 * oprf: CPU cost of the toprf-ristretto255 suite on one core, pure protocol
 * layer (no network; the node-level end-to-end numbers of issue 11 come
 * with the guardian service):
 *
 *   bare      libsodium crypto_scalarmult_ristretto255, one variable-base
 *             scalar multiplication: the unit everything else is made of;
 *   guardian  guardianEvaluate over requests of BATCH blinded elements:
 *             k_i·B_j plus the RFC 9497 batched DLEQ proof (one more
 *             multiplication and one point addition per element for the
 *             composite, hashing, and a constant tail), per element;
 *   requester per identifier, 2-of-3: build the input, blind, verify both
 *             guardians' proofs (two multiplications and two additions per
 *             element each), combine with Lagrange coefficients and unblind
 *             (two multiplications), finalise and derive the fingerprint.
 *             The guardians' answers are computed outside the timed part.
 *
 * bare, guardian and requester run in alternating rounds so machine noise
 * falls on all of them; each reports its best round, and `ratio` is the
 * median over rounds of guardian/bare. Target (issue 11): guardian >= 5,000
 * evaluations/s per core.
 *
 * Node level (issue 11), after the pure rounds:
 *
 *   e2e   three guardian nodes as their own processes (`alliance start`,
 *         loopback) and one requesting node (the platform, in this process,
 *         no share): E2E_N new identifiers fingerprinted through
 *         FingerprintService in batches of E2E_BATCH (blind, ask 2 of 3
 *         guardians over libp2p, check both DLEQ proofs, combine, unblind,
 *         cache). Target >= 2,000 new identifiers/s.
 *   warm  the platform's scan of WARM_N listings (default 10,000,000) from
 *         WARM_SELLERS distinct sellers through createMatchPool in online
 *         mode (lanes look fingerprints up; misses go through the node's
 *         cached suite, as MatchService does): one warm-up scan of the
 *         sellers (values fingerprinted by the guardians, cached), then the
 *         timed scan with the cache warm; peak RSS of this process (node,
 *         workers, generator) sampled. Targets >= 150,000 listings/s,
 *         <= 1 GB RSS.
 *
 * Run: npm run bench -- oprf   (ROUNDS=…, BATCH=…, E2E_N=…, E2E_BATCH=…,
 *      WARM_N=…, WARM_SELLERS=…, WORKERS=…; SKIP_NODES=1 for the pure part only;
 *      ALLIANCE_RUNTIME=tsx runs the guardian processes from the sources)
 */
import '../node/polyfill.js'
import sodium from 'libsodium-wrappers-sumo'
import { utf8 } from '../protocol/bytes.js'
import { guardianEvaluate, toprfFingerprint, toprfInput } from '../protocol/fingerprint/toprf/index.js'
import { randomScalar } from '../protocol/fingerprint/toprf/group.js'
import { blindInputs, checkEvaluation, combineEvaluations, wipeBatch } from '../protocol/fingerprint/toprf/requester.js'
import { publicShare, splitSecret } from '../protocol/fingerprint/toprf/shamir.js'
import { fmt, result } from './_util.js'
import { runBench } from './_procs.js'
import { nodeLevel } from './_oprf-nodes.js'

const ROUNDS = Number(process.env.ROUNDS ?? 5)
const BATCH = Number(process.env.BATCH ?? 256)
const ROUND_SECONDS = 1.5
const EPOCH = 1

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2 }
const now = (): number => Number(process.hrtime.bigint()) / 1e9

const { commitments, shares } = splitSecret(randomScalar(), 2, 3)
const shareOf = (i: number): Uint8Array => shares[i - 1]
const pub = [1, 2, 3].map(i => publicShare(commitments, i))
const ids = Array.from({ length: BATCH }, (_, i) => utf8(`+44770090${String(i).padStart(4, '0')}`))
const inputs = ids.map(c => toprfInput('phone', EPOCH, c))
const warmBlinded = blindInputs(inputs).blindedElements

/** Runs `once` (which processes `per` items) for about ROUND_SECONDS; returns items per second. */
function rate (per: number, once: () => number | void): number {
  let items = 0
  let busy = 0
  const end = now() + ROUND_SECONDS
  while (now() < end) {
    const t = now()
    const timed = once()
    busy += typeof timed === 'number' ? timed : now() - t
    items += per
  }
  return items / busy
}

const k = randomScalar()
const P = warmBlinded[0]
const bare = (): number => rate(256, () => { for (let i = 0; i < 256; i++) sodium.crypto_scalarmult_ristretto255(k, P) })
const guardian = (): number => rate(BATCH, () => { guardianEvaluate(shareOf(1), pub[0], warmBlinded) })
const requester = (): number => rate(BATCH, () => {
  // timed: input + blind
  let t = now()
  const ins = ids.map(c => toprfInput('phone', EPOCH, c))
  const batch = blindInputs(ins)
  let busy = now() - t
  // untimed: the two guardians (1 and 3) answer
  const a1 = guardianEvaluate(shareOf(1), pub[0], batch.blindedElements)
  const a3 = guardianEvaluate(shareOf(3), pub[2], batch.blindedElements)
  // timed: verify both, combine, unblind, finalise, fingerprint
  t = now()
  const c1 = checkEvaluation(pub[0], batch.blindedElements, a1)
  const c3 = checkEvaluation(pub[2], batch.blindedElements, a3)
  if (!c1.ok || !c3.ok) throw new Error('bench: a proof did not verify')
  const ys = combineEvaluations(batch, [{ index: 1, evaluated: c1.evaluated }, { index: 3, evaluated: c3.evaluated }])
  for (const y of ys) toprfFingerprint(y)
  wipeBatch(batch)
  busy += now() - t
  return busy
})

process.stdout.write(`oprf: ${ROUNDS} alternating rounds of ~${ROUND_SECONDS}s each; guardian requests of ${BATCH} elements; requester 2-of-3\n`)
const rounds: Array<{ bare: number, guardian: number, requester: number }> = []
for (let r = 0; r < ROUNDS; r++) {
  const row = r % 2 === 0
    ? { bare: bare(), guardian: guardian(), requester: requester() }
    : (() => { const q = requester(); const g = guardian(); const b = bare(); return { bare: b, guardian: g, requester: q } })()
  rounds.push(row)
  process.stdout.write(`  round ${r + 1}: bare ${fmt(row.bare)}/s  guardian ${fmt(row.guardian)}/s (${(row.guardian / row.bare).toFixed(3)} of bare)  requester ${fmt(row.requester)} ids/s\n`)
}
const best = (key: 'bare' | 'guardian' | 'requester'): number => Math.max(...rounds.map(x => x[key]))
const ratio = median(rounds.map(x => x.guardian / x.bare))
const guardianPerS = best('guardian')
process.stdout.write(`bare libsodium scalar multiplication: ${fmt(best('bare'))}/s per core\n`)
process.stdout.write(`guardian evaluations (with proof share): ${fmt(guardianPerS)}/s per core, ${ratio.toFixed(3)} of bare (target >= 5,000/s: ${guardianPerS >= 5000 ? 'met' : 'NOT met'})\n`)
process.stdout.write(`requester, 2-of-3, per identifier (input, blind, 2 proofs, combine, finalise): ${fmt(best('requester'))} ids/s per core\n`)
const pure = {
  guardian_evals_per_s: Math.round(guardianPerS),
  bare_scalarmult_per_s: Math.round(best('bare')),
  ratio: Number(ratio.toFixed(3)),
  requester_ids_per_s: Math.round(best('requester')),
  batch: BATCH,
  threshold: 2,
  guardians: 3
}
if (process.env.SKIP_NODES === '1') result(pure)
else await runBench(async () => { result({ ...pure, ...await nodeLevel() }) })
