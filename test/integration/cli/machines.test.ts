/**
 * The README's "Run a real alliance", word for word, with each member on its
 * own "machine": a network namespace with its own loopback and one address
 * on a private test subnet (test/helpers/netns.ts). Every member runs the
 * README's commands (its org substituted) with the wildcard --listen of the
 * README; the cards must carry the subnet addresses, the nodes must find
 * each other through them, and an attestation by two brands must be listed
 * on the platform's and the police's machines.
 *
 * Skipped, with the reason in its title, where namespaces cannot be made
 * (not Linux, not root, no iproute2); ALLIANCE_REQUIRE_NETNS=1 (.ci/run)
 * turns that into a failure.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLan, netnsUnavailable, type Lan } from '../../helpers/netns.js'
import { eventually } from '../../helpers/wait.js'
import { BIN, ROOT, run, type Run } from './helpers.js'

/** The shell commands of the README section "Run a real alliance", block by block (continuations joined, comments dropped). */
async function readmeBlocks (): Promise<string[][]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('## Run a real alliance')
  const end = readme.indexOf('\n### ', start)
  const section = readme.slice(start, end)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(m =>
    m[1].replace(/\\\n\s*/g, '').split('\n').map(l => l.replace(/\s+#.*$/, '').trim()).filter(l => l !== ''))
}

function roleOf (org: string): string {
  if (org.startsWith('brand')) return 'brand'
  if (org === 'police') return 'law-enforcement'
  return org
}

const reason = netnsUnavailable()
const required = process.env.ALLIANCE_REQUIRE_NETNS === '1'

describe('integration: members on separate machines (network namespaces), following the README', function () {
  this.timeout(400_000)
  let lan: Lan | undefined
  let tmp: string
  const daemons: ChildProcess[] = []

  after(async () => {
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL')
    lan?.cleanup()
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
  })

  const title = 'init with a wildcard --listen, cards with the machines\' addresses, roster signed and installed, an attestation listed on every machine'
  it(reason === undefined ? title : `${title} (skipped: ${reason})`, async function () {
    if (reason !== undefined) {
      if (required) assert.fail(`ALLIANCE_REQUIRE_NETNS=1 but ${reason}`)
      this.skip()
    }
    const [setup, roster, daemon] = await readmeBlocks()
    const [initLine, cardLine] = setup
    const [createLine, signLine, installLine, startLine] = roster
    const attestLine = daemon.find(l => l.startsWith('alliance attest ./node --kind phone'))
    const blocklistLine = daemon.find(l => l.startsWith('alliance blocklist ./node --status listed'))
    assert.ok(initLine.includes('--listen /ip4/0.0.0.0/tcp/4001'), 'the README\'s init listens on every interface')
    assert.ok(attestLine !== undefined && blocklistLine !== undefined)
    const orgs = [...createLine.matchAll(/--card (\S+)\.card\.json/g)].map(m => m[1])
    assert.deepEqual(orgs, ['brand-a', 'brand-b', 'platform', 'police'])

    tmp = await mkdtemp(join(tmpdir(), 'alliance-lan-'))
    // `alliance` on PATH, as after the README's install
    await mkdir(join(tmp, 'bin'))
    await writeFile(join(tmp, 'bin', 'alliance'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    await chmod(join(tmp, 'bin', 'alliance'), 0o755)
    const env = { ...process.env, PATH: `${join(tmp, 'bin')}:${process.env.PATH ?? ''}` }
    lan = createLan(orgs.length)
    const machine = (org: string): string => (lan as Lan).machines[orgs.indexOf(org)]
    const home = (org: string): string => join(tmp, org)
    /** One README line on an org's machine, in its working folder. */
    const sh = async (org: string, line: string): Promise<Run> => {
      const r = await run('ip', ['netns', 'exec', machine(org), 'sh', '-c', line], { cwd: home(org), env, timeoutMs: 120_000 })
      assert.equal(r.code, 0, `${org}: ${line}\n${r.stderr}`)
      return r
    }

    // each member, on its own machine
    for (const org of orgs) {
      await mkdir(home(org))
      const name = org.split('-').map(w => w[0].toUpperCase() + w.slice(1)).join(' ')
      await sh(org, initLine.replace('--org brand-a', `--org ${org}`).replace('--role brand', `--role ${roleOf(org)}`).replace('"Brand A"', `"${name}"`))
      await sh(org, cardLine.replaceAll('brand-a', org))
      const card = JSON.parse(await readFile(join(home(org), `${org}.card.json`), 'utf8')) as { addrs: string[], peerId: string }
      assert.deepEqual(card.addrs, [`/ip4/${lan.address(orgs.indexOf(org))}/tcp/4001/p2p/${card.peerId}`], `${org}'s card carries its machine's address, not 0.0.0.0`)
      await copyFile(join(home(org), `${org}.card.json`), join(home(orgs[0]), `${org}.card.json`)) // sent to the coordinator
    }

    // the coordinator builds the roster; the file travels to each org in turn, then to every node
    await sh(orgs[0], createLine)
    let holder = orgs[0]
    for (const org of orgs) {
      if (org !== holder) await copyFile(join(home(holder), 'roster.json'), join(home(org), 'roster.json'))
      await sh(org, signLine)
      holder = org
    }
    for (const org of orgs) {
      if (org !== holder) await copyFile(join(home(holder), 'roster.json'), join(home(org), 'roster.json'))
      await sh(org, installLine)
    }

    // every node, in the foreground as the README says
    await Promise.all(orgs.map(async org => {
      const child = spawn('ip', ['netns', 'exec', machine(org), 'sh', '-c', `exec ${startLine}`], { cwd: home(org), env, stdio: ['ignore', 'ignore', 'pipe'] })
      daemons.push(child)
      let err = ''
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on('data', (d: Buffer) => {
          err = (err + d.toString()).slice(-20_000)
          if (err.includes('running; API')) resolve()
        })
        child.once('exit', code => reject(new Error(`${org}'s node exited (${String(code)}): ${err.slice(-2000)}`)))
      })
    }))

    // two brands attest the README's phone number; the platform and the police see it listed
    await sh('brand-a', attestLine)
    await sh('brand-b', attestLine)
    for (const org of ['platform', 'police']) {
      await eventually(async () => {
        const r = await sh(org, blocklistLine)
        return r.stdout.split('\n').some(l => l.includes(',phone,listed,'))
      }, 120_000, `${org} lists the phone number`)
    }

    const exits = await Promise.all(daemons.map(async d => await new Promise<number | null>(resolve => {
      d.once('exit', code => resolve(code))
      d.kill('SIGTERM')
    })))
    assert.deepEqual(exits, orgs.map(() => 0), 'every node stops cleanly')
  })
})
