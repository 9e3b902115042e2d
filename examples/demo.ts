/**
 * `npm run demo`: a whole alliance on this machine.
 *
 * Five members — three brands, the marketplace platform and a police unit —
 * each get a node directory (`alliance init`), hand in their member cards,
 * build a roster at quorum k = 2 with the threshold-OPRF fingerprint suite
 * (the key dealt as shares to three guardians — brand-a, the platform and
 * the police — any two of which fingerprint; no node holds the key) that
 * every org signs and every node installs, then run as five separate processes (`alliance start`) with
 * embedded LevelDB in a temporary folder. The brands attest generated
 * counterfeiters' identifiers, each written their own way; the platform
 * watches its blocklist form and explains one entry; a brand reports a
 * listed seller to the police node and the evidence bundle verifies
 * offline; finally the alliance removes a brand and rotates the
 * fingerprint key. Everything is stopped and removed at the end.
 *
 *   npm run demo            # KEEP=1 keeps the folder for a look around
 *   npm run demo -- --keep  # leaves the alliance running and prints console links (police, platform) until Ctrl-C
 *   DEMO_SUITE=hmac-sha256 npm run demo   # the shared-key suite instead
 */
import '../node/polyfill.js'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ApiClient } from '../node/api/client.js'
import { initNodeDir, memberCard } from '../node/home.js'
import { loadNodeKeys } from '../node/keys.js'
import { createRosterFile, installRosterFile, signRosterFile } from '../node/roster-file.js'
import type { NodeStatus } from '../node/service.js'
import type { Role } from '../protocol/kinds.js'
import { writeListings } from './listings.js'
import { brandRows, counterfeiter, range } from './synthetic.js'

const CLI = fileURLToPath(new URL('../bin/alliance.js', import.meta.url))
const SUITE = process.env.DEMO_SUITE ?? 'toprf-ristretto255'
const KEEP_RUNNING = process.argv.includes('--keep')
const TOPRF = SUITE === 'toprf-ristretto255'
const GUARDIANS = ['brand-a', 'platform', 'police']
/** Listings the platform scans: fewer with toprf, whose first scan asks the guardians for every new identifier. */
const SCAN = TOPRF ? { listings: 10_000, sellers: 1_500 } : { listings: 100_000, sellers: 20_000 }
const MEMBERS: Array<{ org: string, role: Role, name: string }> = [
  { org: 'brand-a', role: 'brand', name: 'Acme Luxury' },
  { org: 'brand-b', role: 'brand', name: 'Bolt Sportswear' },
  { org: 'brand-c', role: 'brand', name: 'Crest Watches' },
  { org: 'platform', role: 'platform', name: 'ShopMart Marketplace' },
  { org: 'police', role: 'law-enforcement', name: 'IP Crime Unit' }
]

const say = (s: string): void => { process.stdout.write(s + '\n') }
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

async function startProcess (dir: string, org: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'start', dir, '--log-level', 'warn', '--anti-entropy', '2'], { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr?.on('data', (d: Buffer) => { if (process.env.DEMO_DEBUG !== undefined) process.stderr.write(`[${org}] ${d.toString()}`) })
  let err = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes('running; API')) resolve()
    })
    child.once('exit', code => reject(new Error(`${org} exited (${String(code)}): ${err.slice(-500)}`)))
  })
  return child
}

async function until<T> (what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await get()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last saw ${JSON.stringify(v).slice(0, 1500)}`)
    await sleep(100)
  }
}

async function main (): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'alliance-demo-'))
  const children: ChildProcess[] = []
  const t0 = Date.now()
  try {
    say(`Alliance demo in ${root}\n`)
    say('1. Each member initialises a node: keys (mode 0600), a free TCP port, a member card.')
    const dirs: Record<string, string> = {}
    for (const m of MEMBERS) {
      dirs[m.org] = join(root, m.org)
      await initNodeDir(dirs[m.org], { org: m.org, role: m.role, name: m.name, defaultCountry: 'GB' })
    }
    const cards = await Promise.all(MEMBERS.map(async m => await memberCard(dirs[m.org])))
    for (const c of cards) say(`   ${c.org.padEnd(9)} ${c.roles[0].padEnd(16)} ${c.addrs[0]}`)

    say(TOPRF
      ? `\n2. The roster: built from the cards at quorum k = 2 with the ${SUITE} suite — the fingerprint key is dealt as shares to ${GUARDIANS.join(', ')} (any 2 fingerprint, 1 alone learns nothing) and then forgotten — signed by every org, installed on every node.`
      : '\n2. The roster: built from the cards at quorum k = 2, signed by every org, installed on every node.')
    let roster = await createRosterFile({ alliance: 'demo-alliance', quorum: 2, cards, policy: { suite: SUITE }, ...(TOPRF ? { guardians: GUARDIANS, threshold: 2 } : {}) })
    for (const m of MEMBERS) {
      const r = signRosterFile(roster, (await loadNodeKeys(dirs[m.org])).sign)
      roster = r.file
      say(`   ${m.org} signed (${r.signedBy.length}/${MEMBERS.length})`)
    }
    for (const m of MEMBERS) await installRosterFile(dirs[m.org], roster, await loadNodeKeys(dirs[m.org]))
    say(TOPRF
      ? '   every node verified all signatures; each guardian opened its sealed share and checked it against the roster\'s commitments; no node holds the key'
      : '   every node verified all signatures and opened its sealed copy of the fingerprint key')

    say('\n3. Five nodes start as separate processes and find each other through the roster.')
    await Promise.all(MEMBERS.map(async m => { children.push(await startProcess(dirs[m.org], m.org)) }))
    const api: Record<string, ApiClient> = {}
    for (const m of MEMBERS) api[m.org] = await ApiClient.fromDir(dirs[m.org])
    await until('a full mesh', async () => await Promise.all(MEMBERS.map(async m => await api[m.org].status())), ss => ss.every(s => s.peers.length === MEMBERS.length - 1))
    say(`   every node connected to ${MEMBERS.length - 1} peers (Noise-encrypted, roster-gated)`)
    if (TOPRF) {
      const g = (await api['brand-b'].status()).guardians
      say(`   brand-b's node reaches ${g?.guardians.filter(x => x.connected).length ?? 0} of ${g?.guardians.length ?? 0} guardians (${g?.threshold ?? 0} needed); its quota: ${g?.quota.limit ?? 'unlimited'} evaluations a day per guardian`)
    }

    say('\n4. The brands attest counterfeiters they found, each writing identifiers its own way.')
    say('   Raw values stay on each brand\'s node; only keyed fingerprints travel.')
    const plan: Array<[string, number[], number]> = [
      ['brand-a', range(0, 300), 11], // sellers 0..299
      ['brand-b', range(200, 400), 22], // overlap with brand-a: 200..299
      ['brand-c', range(250, 450), 33] // overlap: 250..299 with both, 300..399 with brand-b
    ]
    let attested = 0
    for (const [org, ids, seed] of plan) {
      const rows = brandRows(ids, seed)
      const r = await api[org].attest(rows.map(x => ({ ...x, reason: 1, ttlMs: 30 * 86_400_000 })))
      attested += r.entries
      say(`   ${org}: ${r.entries} attestations in one signed segment (${r.rejected.length} rejected)`)
    }

    say('\n5. The platform\'s consensus blocklist forms (k = 2 distinct orgs).')
    // sellers 200..399 are vouched for by ≥ 2 orgs: 200 sellers × 4 identifiers
    const expectListed = 200 * 4
    const status = await until<NodeStatus>('the platform to list every shared identifier', async () => await api.platform.status(), s => s.blocklist.listed === expectListed)
    say(`   listed ${status.blocklist.listed}, candidate ${status.blocklist.candidate} (single-org), disputed ${status.blocklist.disputed}`)
    const hashes = await Promise.all(MEMBERS.map(async m => (await api[m.org].status()).snapshotHash))
    say(`   every node computed the same blocklist: ${new Set(hashes).size === 1 ? 'yes' : 'NO'} (snapshot ${hashes[0].slice(0, 16)}…)`)
    if (new Set(hashes).size !== 1) throw new Error('nodes disagree')

    say('\n6. Why is this listed? The platform asks about a phone number it sees on a listing.')
    const why = await api.platform.explain({ kind: 'phone', value: '07400 000260' })
    say(`   phone 07400 000260 → fingerprint ${why.fingerprint.slice(0, 16)}…: ${why.status.toUpperCase()}`)
    for (const v of why.positive) say(`     vouched by ${v.org.padEnd(8)} entry ${v.entryId.slice(0, 12)}… at ${v.time}, expires ${v.expires ?? 'never'}`)
    say(`     weight ${why.weight} ≥ quorum ${why.quorum}; status holds until ${why.expires ?? 'never'}`)
    const lone = await api.platform.explain({ kind: 'email', value: 'Seller.10+promo@googlemail.com' })
    say(`   e-mail of seller 10 (attested by brand-a alone): ${lone.status} (${lone.positive.length} of ${lone.quorum} orgs)`)

    say('\n7. Brand B withdraws one attestation; the identifier drops back to candidate on every node.')
    const retracted = await api['brand-b'].retract({ kind: 'seller-account', value: 'shopmart:cf_350' })
    const after = await until('the retraction to reach the platform', async () => await api.platform.explain({ fingerprint: retracted.fingerprint }), e => e.status === 'candidate')
    say(`   shopmart:cf_350 is now ${after.status} (${after.positive.map(v => v.org).join(', ')})`)

    // ---------------------------------------------------------------- 8. the platform's scan (node/match)
    say(`\n8. The platform scans ${SCAN.listings.toLocaleString('en-US')} of its listings against the blocklist, on its own machine.`)
    const listingsFile = join(root, 'listings.csv')
    const planted = range(150, 450) // sellers 150..449: listed (200..399) or single-org candidates
    await writeListings(createWriteStream(listingsFile), { seed: 7, listings: SCAN.listings, sellers: SCAN.sellers, counterfeiters: planted })
    const decisionsFile = join(root, 'decisions.jsonl')
    const scan = await api.platform.match({ listings: listingsFile, out: decisionsFile, rejects: join(root, 'rejects.jsonl') })
    say(`   ${scan.rows.toLocaleString('en-US')} listings in ${(scan.elapsedMs / 1000).toFixed(1)} s (${Math.round(scan.listingsPerSecond).toLocaleString('en-US')}/s on ${scan.workers} workers): block ${scan.decisions.block}, screen ${scan.decisions.screen}, none ${scan.decisions.none.toLocaleString('en-US')}; ${scan.invalid.identifiers} invalid identifiers went to rejects.jsonl with their row numbers`)
    const firstBlock = readFileSync(decisionsFile, 'utf8').split('\n').map(l => l.trim() === '' ? undefined : JSON.parse(l) as { listingId: string, action: string, matches: Array<{ column: string, status: string, orgs: string[], expires: string | null }> }).find(d => d?.action === 'block')
    if (firstBlock !== undefined) {
      const m = firstBlock.matches[0]
      say(`   e.g. listing ${firstBlock.listingId}: BLOCK — its ${m.column} is ${m.status}, vouched by ${m.orgs.join(' and ')}, until ${m.expires ?? 'never'}`)
    }

    if (TOPRF) {
      const again = await api.platform.match({ listings: listingsFile, out: join(root, 'decisions-2.jsonl') })
      say(`   the same scan again: ${again.decisions.block} block, ${again.resolved ?? 0} identifiers asked of the guardians — the node's cache (keyed under a node-local key, no raw values on disk) answered the rest`)
      const quota = await api.police.quota({ days: 1 })
      const today = quota.days[0]
      if (today !== undefined) say(`   the guardians' signed counts, as every member sees them (alliance quota): ${Object.entries(today.byOrg).map(([o, n]) => `${o} ${n}`).join(', ')}`)
    }

    // ---------------------------------------------------------------- 9. infringement report (node/reports)
    say('\n9. Brand A reports a listed seller to the police: signed, encrypted to the police node, receipted; the bundle verifies offline.')
    const seller = counterfeiter(260) // listed in step 6
    const example = JSON.parse(readFileSync(fileURLToPath(new URL('./report.json', import.meta.url)), 'utf8')) as { evidence: Array<{ path: string }> }
    const report = {
      ...example,
      sellers: [{ name: 'cf_260', platform: 'ShopMart', identifiers: [{ kind: 'seller-account', value: seller.account }, { kind: 'phone', value: seller.phone }, { kind: 'email', value: seller.email }] }],
      // evidence paths in the JSON are relative to it; the daemon needs absolute ones (the CLI resolves them the same way)
      evidence: example.evidence.map(e => ({ ...e, path: fileURLToPath(new URL(e.path, import.meta.url)) }))
    }
    const sent = await api['brand-a'].reportSend({ to: ['police'], report, evidence: [] })
    say(`   report ${sent.id.slice(0, 12)}… queued for police: ${sent.evidence} evidence file, ${sent.envelopeBytes}-byte envelope (the seller's raw identifiers travel only inside it)`)
    const delivered = await until('the police receipt', async () => (await api['brand-a'].reportOutbox()).find(o => o.id === sent.id), o => o?.state === 'delivered')
    say(`   receipt signed by police at ${delivered?.deliveries[0].receiptTime ?? '?'}, verified on brand-a's node`)
    const [received] = await api.police.reportInbox()
    say(`   police inbox: "${received.title}" from ${received.author}, evidence checked against the signed SHA-256 digests`)
    const bundle = join(root, 'case-0042.bundle')
    await api.police.reportExport(sent.id, bundle)
    const verify = async (file: string): Promise<{ code: number, out: string }> => await new Promise(resolve => {
      execFile(process.execPath, [CLI, 'report', 'verify', file, '--node', dirs.police], (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code), out: (stdout + stderr).trim() })
      })
    })
    const good = await verify(bundle)
    say(`   alliance report verify case-0042.bundle → exit ${good.code}: ${good.out.split('\n')[0]}`)
    if (good.code !== 0) throw new Error(`the bundle did not verify: ${good.out}`)
    const bytes = readFileSync(bundle)
    bytes[bytes.indexOf(Buffer.from('Conclusion: the item'))] ^= 0x20 // one flipped bit in the evidence
    writeFileSync(join(root, 'tampered.bundle'), bytes)
    const bad = await verify(join(root, 'tampered.bundle'))
    say(`   one bit flipped in the evidence → exit ${bad.code}: ${bad.out.split('\n').find(l => l.startsWith('alliance:')) ?? bad.out}`)
    if (bad.code !== 4) throw new Error('a tampered bundle verified')

    // ---------------------------------------------------------------- 10. key rotation (node/services/rotation.ts)
    say('\n10. The alliance removes brand-c and rotates the fingerprint key, so brand-c cannot reverse anything made from now on.')
    const cli = async (...args: string[]): Promise<string> => await new Promise((resolve, reject) => {
      execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => { if (err !== null) reject(new Error(`alliance ${args[0]} ${args[1] ?? ''}: ${stderr}`)); else resolve(stdout) })
    })
    const v2 = join(root, 'roster-v2.json')
    await cli('roster', 'next', dirs['brand-a'], '--remove', 'brand-c', '--rotate-key', '--out', v2)
    for (const org of ['brand-a', 'brand-b', 'platform']) await cli('roster', 'sign', dirs[org], v2)
    await cli('roster', 'install', dirs['brand-a'], v2)
    say('   alliance roster next --remove brand-c --rotate-key; signed by 3 of 5 orgs; installed on brand-a\'s node')
    const remaining = MEMBERS.filter(m => m.org !== 'brand-c')
    await until('every remaining node to re-attest and cut over to epoch 2', async () => await Promise.all(remaining.map(async m => (await api[m.org].status()).keyEpoch)), ks => ks.every(k => k.epoch === 2 && k.phase === 'steady'), 60_000)
    say(TOPRF
      ? '   the remaining guardians opened their epoch-2 shares; every remaining node re-attested from its vault through them and dropped epoch 1\'s shares and cache'
      : '   every remaining node opened its sealed copy of the epoch-2 key, re-attested from its vault, and destroyed the epoch-1 key')
    const rotated = await api.platform.explain({ kind: 'phone', value: '07400 000260' })
    say(`   phone 07400 000260 → new fingerprint ${rotated.fingerprint.slice(0, 16)}… (was ${why.fingerprint.slice(0, 16)}…): ${rotated.status.toUpperCase()}, vouched by ${rotated.positive.map(v => v.org).join(' and ')}`)
    if (rotated.status !== 'listed') throw new Error('the rotation lost a listing')
    if (TOPRF) {
      const refused = await api['brand-c'].explain({ kind: 'phone', value: '07400 999999' }).then(() => 'answered', (err: Error & { reason?: string }) => err.reason ?? err.message)
      say(`   brand-c asks its node to fingerprint a phone it guesses → ${refused}: it never held a key, and the guardians no longer answer it`)
      if (refused === 'answered') throw new Error('a removed member could still fingerprint')
    } else {
      const cStatus = await api['brand-c'].status()
      say(`   brand-c's node stays on epoch ${cStatus.keyEpoch.epoch}: the new key was never sealed to it`)
    }

    say(`\nDone in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${MEMBERS.length} nodes, ${attested} attestations, ${status.blocklist.listed} listed, ${scan.rows.toLocaleString('en-US')} listings scanned, 1 report delivered and receipted, 1 member removed with a key rotation.`)
    if (KEEP_RUNNING) {
      say('\nThe alliance keeps running. Web console (one-time links, valid 5 minutes; `alliance console <dir>` makes new ones):')
      for (const org of ['police', 'platform']) {
        const link = await api[org].request('consoleLink') as { url: string }
        say(`   ${org.padEnd(8)} ${link.url}`)
        say(`            new link: alliance console ${dirs[org]}`)
      }
      say('Ctrl-C stops every node and removes the folder.')
      await new Promise<void>(resolve => { process.once('SIGINT', () => resolve()); process.once('SIGTERM', () => resolve()) })
    }
  } finally {
    await Promise.all(children.map(async c => {
      if (c.exitCode !== null) return
      const exited = new Promise(resolve => c.once('exit', resolve))
      c.kill('SIGTERM')
      await exited
    }))
    if (process.env.KEEP === undefined) rmSync(root, { recursive: true, force: true })
  }
}

main().catch(err => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`)
  process.exit(1)
})
