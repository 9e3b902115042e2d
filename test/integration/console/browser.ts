/**
 * A real browser for the console tests: Debian's `chromium` (CHROMIUM_PATH,
 * else /usr/bin/chromium; .ci/run installs it) driven by playwright-core,
 * which never downloads a browser. Also: axe-core's accessibility check of
 * a page, and a screenshot of each test's page under the test output folder.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

/** Where the console tests leave their screenshots (ignored by git; two are copied to docs/console/ for the README). */
export const OUTPUT_DIR = fileURLToPath(new URL('../../../.tmp/test-output/console/', import.meta.url))

export class NoChromiumError extends Error {
  constructor (path: string) {
    super(`no Chromium at ${path}: install Debian's package (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH`)
    this.name = 'NoChromiumError'
  }
}

export async function launchChromium (): Promise<Browser> {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(path)) throw new NoChromiumError(path)
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
  return await chromium.launch({ executablePath: path, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
}

export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true })
  const path = join(OUTPUT_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation { id: string, impact: string | null, help: string, nodes: number }

/** axe-core's serious and critical violations of WCAG 2 A/AA rules on the page as it is now. */
export async function seriousViolations (page: Page): Promise<AxeViolation[]> {
  // evaluated through the DevTools protocol: the page's CSP does not apply, and the page needs no change
  await page.evaluate(AXE_SOURCE)
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<{ id: string, impact: string | null, help: string, nodes: unknown[] }> }> } }).axe
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }))
  })
  return found.filter(v => v.impact === 'serious' || v.impact === 'critical')
}
