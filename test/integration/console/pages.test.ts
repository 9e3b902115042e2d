/**
 * The web console in a real browser (headless Chromium, one launch for the
 * file) against four node processes on loopback: two brands, the platform
 * and the police. What the people who use it would do:
 * - the police sign in with the link `alliance console` printed; the link
 *   works once;
 * - two brands attest one phone number in different notations from their
 *   Lookup pages, each picking a reason from the roster's vocabulary; the
 *   platform's Lookup shows it listed with both brands and their reasons;
 * - the platform marks it false-positive from its console, and brand-a's
 *   Blocklist page, open all along, shows it disputed from the event stream;
 *   the CSV download has it;
 * - brand-a composes a report with an evidence upload; the police inbox
 *   shows it, its evidence downloads with the signed SHA-256, and the
 *   exported bundle passes `alliance report verify` (a real process);
 * - a roster version proposed with one signature shows on the Alliance page
 *   with who signed and who has not; signed and installed, it is gone;
 * - each page has no serious accessibility violation (axe-core) and leaves a
 *   screenshot in the test output folder.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { NodeStatus } from '../../../node/service.js'
import { makeNodeDirs, type TestNet } from '../../helpers/nodes.js'
import { api, spawnNode, stopNode, type NodeProcess } from '../../helpers/processes.js'
import { eventually } from '../../helpers/wait.js'
import { launchChromium, screenshot, seriousViolations } from './browser.js'

const CLI = fileURLToPath(new URL('../../../bin/alliance.js', import.meta.url))
const ORGS = ['brand-a', 'brand-b', 'platform', 'police'] as const
type Org = typeof ORGS[number]

async function alliance (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr })
    })
  })
}

describe('integration: the web console in a real browser', function () {
  this.timeout(180_000)
  let net: TestNet
  let browser: Browser
  const procs: Partial<Record<Org, NodeProcess>> = {}
  const contexts: Partial<Record<Org, BrowserContext>> = {}
  const PHONE = '+44 20 7946 0958'
  let fingerprint: string

  /** A signed-in page of `org`'s console (its own browser context: its own cookies). */
  async function open (org: Org, path: string): Promise<Page> {
    let ctx = contexts[org]
    if (ctx === undefined) {
      ctx = await browser.newContext({ acceptDownloads: true })
      const link = await api<{ url: string }>(procs[org] as NodeProcess, '/v1/console/link', {})
      const page = await ctx.newPage()
      await page.goto(link.url)
      assert.match(page.url(), /\/console\/lookup$/)
      await page.close()
      contexts[org] = ctx
    }
    const page = await ctx.newPage()
    page.on('pageerror', err => { throw err })
    await page.goto(`${(procs[org] as NodeProcess).url}${path}`)
    return page
  }

  async function accessible (page: Page, name: string): Promise<void> {
    await screenshot(page, name)
    const v = await seriousViolations(page)
    assert.deepEqual(v, [], `${name}: ${JSON.stringify(v)}`)
  }

  async function lookup (page: Page, value: string): Promise<void> {
    await page.getByLabel('Identifier or fingerprint').fill(value)
    await page.getByRole('button', { name: 'Look up' }).click()
    await page.locator('#fingerprint').waitFor()
  }

  before(async () => {
    net = await makeNodeDirs(ORGS.map(org => ({ org, role: org.startsWith('brand') ? 'brand' as const : org === 'platform' ? 'platform' as const : 'law-enforcement' as const })), { quorum: 2 })
    const started = await Promise.all([launchChromium(), ...ORGS.map(async org => { procs[org] = await spawnNode(net.dirs[org]) })])
    browser = started[0] as Browser
    // every node connected to every other before anything is attested
    await eventually(async () => (await Promise.all(ORGS.map(async o => (await api<NodeStatus>(procs[o] as NodeProcess, '/v1/status')).peers.length))).every(n => n === ORGS.length - 1), 60_000, 'a connected alliance', 250)
  })

  after(async () => {
    await browser?.close()
    await Promise.all(Object.values(procs).map(async p => await stopNode(p, 'SIGKILL')))
    net?.cleanup()
  })

  it('the police sign in with the link `alliance console` prints; it works once', async () => {
    const out = await alliance('console', net.dirs.police, '--json')
    assert.equal(out.code, 0, out.stderr)
    const { url } = JSON.parse(out.stdout) as { url: string }
    const ctx = await browser.newContext({ acceptDownloads: true })
    const page = await ctx.newPage()
    await page.goto(url)
    await page.getByRole('heading', { name: 'Lookup' }).waitFor()
    await page.locator('#node-id', { hasText: 'police' }).waitFor()
    contexts.police = ctx
    const other = await (await browser.newContext()).newPage()
    const again = await other.goto(url)
    assert.equal(again?.status(), 401)
    await other.getByRole('heading', { name: 'Not signed in' }).waitFor()
    assert.equal(await other.locator('[data-reason]').getAttribute('data-reason'), 'login_link_invalid')
    await accessible(other, 'signed-out')
    await other.context().close()
  })

  it('two brands attest a phone number in different notations; the platform\'s lookup shows it listed by both', async () => {
    for (const [org, notation, reason] of [['brand-a', PHONE, 'counterfeit'], ['brand-b', '020 7946 0958', 'trademark-infringement']] as const) {
      const page = await open(org, '/console/lookup')
      await lookup(page, notation)
      // the select offers the roster's vocabulary (the defaults here)
      assert.deepEqual(await page.getByLabel('Reason').locator('option').allTextContents(), ['none given', 'counterfeit', 'trademark-infringement', 'copyright', 'design-right', 'unauthorised-reseller', 'fraud'])
      await page.getByLabel('Reason').selectOption(reason)
      await page.getByRole('button', { name: 'Attest', exact: true }).click()
      await page.getByRole('status').filter({ hasText: 'Attested' }).waitFor()
      if (org === 'brand-a') await accessible(page, 'lookup-brand')
      await page.close()
    }
    const page = await open('platform', '/console/lookup')
    await eventually(async () => {
      await lookup(page, '+442079460958')
      return (await page.locator('.badge.listed').count()) > 0
    }, 30_000, 'listed on the platform', 500)
    const orgs = await page.locator('#orgs').textContent()
    assert.ok(orgs?.includes('brand-a') === true && orgs.includes('brand-b'), orgs ?? '')
    const attestations = page.getByRole('table', { name: 'Attestations' })
    assert.deepEqual((await attestations.getByRole('row', { name: /^brand-a / }).getByRole('cell').allTextContents()).slice(0, 2), ['brand-a', 'counterfeit'])
    assert.deepEqual((await attestations.getByRole('row', { name: /^brand-b / }).getByRole('cell').allTextContents()).slice(0, 2), ['brand-b', 'trademark-infringement'])
    fingerprint = (await page.locator('#fingerprint').textContent()) as string
    assert.ok(!page.url().includes('7946'), 'the raw value is in no URL')
    await accessible(page, 'lookup-listed')
    await page.close()
  })

  it('the platform marks it false-positive; brand-a\'s open blocklist shows it disputed live, and the CSV download has it', async () => {
    const board = await open('brand-a', '/console/blocklist')
    await board.locator(`tr[data-fingerprint="${fingerprint}"] .badge.listed`).waitFor()
    await board.getByText('Live updates: on').waitFor()

    const page = await open('platform', `/console/lookup?fingerprint=${fingerprint}`)
    await page.locator('#fingerprint').waitFor()
    await page.getByLabel('Outcome').selectOption('false-positive')
    await page.getByRole('button', { name: 'Record outcome' }).click()
    await page.getByRole('status').filter({ hasText: 'false-positive recorded' }).waitFor()
    await page.close()

    await board.locator(`tr.changed[data-fingerprint="${fingerprint}"] .badge.disputed`).waitFor({ timeout: 30_000 })
    await board.locator(`tr[data-fingerprint="${fingerprint}"]`, { hasText: 'brand-a (counterfeit), brand-b (trademark-infringement)' }).waitFor()
    await accessible(board, 'blocklist')
    const [download] = await Promise.all([board.waitForEvent('download'), board.getByRole('link', { name: 'Download CSV' }).click()])
    const csv = readFileSync(await download.path(), 'utf8')
    assert.match(csv, /^fingerprint,kind,status,orgs,weight,expires,reasons\n/)
    assert.ok(csv.includes(`${fingerprint},phone,disputed,`))
    assert.ok(csv.includes(',brand-a=counterfeit;brand-b=trademark-infringement\n'), csv)
    await board.close()
  })

  it('brand-a sends a report with an evidence upload; the police inbox has it, evidence checks out, the bundle verifies', async () => {
    const evidence = randomBytes(300_000)
    const sha = createHash('sha256').update(evidence).digest('hex')
    const compose = await open('brand-a', '/console/outbox/new')
    await compose.getByRole('checkbox', { name: /\(police\)/ }).check()
    await compose.getByLabel('Title').fill('Counterfeit trainers from best-deals-4u')
    await compose.getByLabel('Name').fill('best-deals-4u')
    await compose.getByLabel(/Identifiers/).fill(`phone: ${PHONE}\nemail: best.deals4u@mail.example`)
    await compose.getByLabel('Listing URLs, one per line').fill('https://shopmart.example/item/884213')
    await compose.getByRole('textbox', { name: 'Mark', exact: true }).fill('ACME')
    await compose.getByLabel('What happened').fill('Test purchase of listing 884213: counterfeit.')
    await compose.getByLabel('Evidence files').setInputFiles({ name: 'test-purchase.bin', mimeType: 'application/octet-stream', buffer: evidence })
    await accessible(compose, 'new-report')
    await compose.getByRole('button', { name: 'Sign, encrypt and send' }).click()
    await compose.waitForURL(/\/console\/reports\/[0-9a-f]{32}$/)
    const id = compose.url().split('/').pop() as string
    await compose.close()

    const outbox = await open('brand-a', '/console/outbox')
    await outbox.locator('.badge.delivered').first().waitFor({ timeout: 30_000 })
    await accessible(outbox, 'outbox')
    await outbox.close()

    const inbox = await open('police', '/console/inbox')
    await inbox.getByRole('link', { name: 'Counterfeit trainers from best-deals-4u' }).click()
    await inbox.waitForURL(`**/console/reports/${id}`)
    await inbox.getByRole('heading', { name: 'Counterfeit trainers from best-deals-4u' }).waitFor()
    assert.equal(await inbox.locator('code.sha256').first().textContent(), sha)
    const [file] = await Promise.all([inbox.waitForEvent('download'), inbox.getByRole('button', { name: 'Download' }).click()])
    assert.equal(createHash('sha256').update(readFileSync(await file.path())).digest('hex'), sha)
    await inbox.locator('[data-evidence-state="0"]', { hasText: 'SHA-256 checked' }).waitFor()
    const [bundle] = await Promise.all([inbox.waitForEvent('download'), inbox.getByRole('button', { name: 'Export bundle' }).click()])
    const saved = join(net.root, 'console.bundle')
    await bundle.saveAs(saved)
    const verify = await alliance('report', 'verify', saved, '--node', net.dirs.police)
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
    await inbox.reload()
    await inbox.getByRole('cell', { name: 'opened' }).first().waitFor()
    await accessible(inbox, 'report')
    await inbox.close()

    const list = await open('police', '/console/inbox')
    const row = list.getByRole('row', { name: /Counterfeit trainers from best-deals-4u/ })
    await row.waitFor()
    assert.deepEqual(await row.getByRole('cell').allTextContents().then(c => c.slice(1, 4)), ['brand-a', 'best-deals-4u', '1'])
    await accessible(list, 'inbox')
    await list.close()
  })

  it('the alliance and matching pages show the members, their nodes and the health figures', async () => {
    const page = await open('platform', '/console/alliance')
    const members = page.getByRole('table', { name: 'Members' })
    for (const org of ORGS) await members.getByRole('row', { name: new RegExp(`^${org} `) }).waitFor()
    assert.equal(await members.getByRole('row', { name: /this node/ }).count(), 1)
    assert.equal(await members.getByRole('row', { name: / connected / }).count(), 3)
    await page.getByText(/^None\. A draft appears here/).waitFor()
    await page.getByText('Node health').click()
    await page.getByRole('cell', { name: /alliance_peers/ }).waitFor()
    await accessible(page, 'alliance')
    await page.close()

    // a roster version n+1 signed by brand-a alone, handed to the platform's node: the Alliance page shows who signed and who has not
    const v2 = join(net.root, 'roster-v2.json')
    for (const args of [['roster', 'next', net.dirs.platform, '--governance', '4', '--out', v2], ['roster', 'sign', net.dirs['brand-a'], v2], ['roster', 'propose', net.dirs.platform, v2]]) {
      const r = await alliance(...args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    }
    const board = await open('platform', '/console/alliance')
    const proposal = board.getByRole('table', { name: 'Proposals' }).getByRole('row', { name: /^v2 / })
    await proposal.waitFor()
    assert.deepEqual((await proposal.getByRole('cell').allTextContents()).slice(0, 5), ['v2', 'governance threshold 3 → 4', 'brand-a', 'brand-b, platform, police', '1 of 3 needed: 2 more'])
    await accessible(board, 'alliance-proposal')
    // signed by enough orgs and installed: the proposal is gone, version 2 is in force
    for (const args of [['roster', 'sign', net.dirs['brand-b'], v2], ['roster', 'sign', net.dirs.platform, v2], ['roster', 'install', net.dirs.platform, v2]]) {
      const r = await alliance(...args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    }
    await board.reload()
    await board.locator('#roster-version', { hasText: '2' }).waitFor()
    assert.equal(await board.getByRole('table', { name: 'Proposals' }).count(), 0)
    await board.getByText(/^None\. A draft appears here/).waitFor()
    await board.close()
    // the platform scans a listings file (CLI/API: the path is on the node's machine); the Matching page lists the scan
    const listings = join(net.root, 'listings.csv')
    writeFileSync(listings, `listing_id,phone\nL1,${PHONE}\nL2,+44 7400 123456\nL3,not-a-phone\n`)
    await api(procs.platform as NodeProcess, '/v1/match', { listings, workers: 1 })
    const matching = await open('platform', '/console/matching')
    const scan = matching.getByRole('table', { name: 'Scans' }).getByRole('row', { name: /listings\.csv/ })
    await scan.waitFor()
    // L1 disputed → screen, L2 unknown → none, L3 an invalid phone → a reject
    assert.deepEqual((await scan.getByRole('cell').allTextContents()).slice(1, 8), ['listings.csv', '3', '0', '1', '2', '1', '1'])
    await matching.getByText(/decision\(s\)/).waitFor()
    await accessible(matching, 'matching')
    await matching.close()
  })
})
