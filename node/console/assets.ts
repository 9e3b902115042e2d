/**
 * The console's files (node/console/assets/), read once when the console is
 * created and served from memory: the package ships them, nothing is
 * fetched from elsewhere (many members run offline or behind strict
 * proxies), and no build step produces them.
 *
 * Pages are server-rendered shells: `layout.html` with the page's fragment
 * (`pages/<name>.html`) and its script (`<name>.js`), plus the session's
 * CSRF token in a meta tag. The fragments hold no data; each page's script
 * fetches it from the node's API (/v1/…) and builds the DOM with
 * textContent, never innerHTML.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConsoleAssetsError } from './errors.js'

/** The pages, by URL path under /console/, with their title and the script that fills them. */
export const PAGES = {
  lookup: { title: 'Lookup', script: 'lookup.js', nav: 'Lookup' },
  blocklist: { title: 'Blocklist', script: 'blocklist.js', nav: 'Blocklist' },
  inbox: { title: 'Inbox', script: 'inbox.js', nav: 'Inbox' },
  report: { title: 'Report', script: 'report.js', nav: undefined },
  outbox: { title: 'Outbox', script: 'outbox.js', nav: 'Outbox' },
  'new-report': { title: 'New report', script: 'new-report.js', nav: undefined },
  matching: { title: 'Matching', script: 'matching.js', nav: 'Matching' },
  alliance: { title: 'Alliance', script: 'alliance.js', nav: 'Alliance' },
  'signed-out': { title: 'Not signed in', script: undefined, nav: undefined }
} as const satisfies Record<string, { title: string, script: string | undefined, nav: string | undefined }>
export type PageName = keyof typeof PAGES

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8'
}

export interface Asset { body: Buffer, type: string, etag: string }

/** Where the assets are: beside this module (sources under tsx), or in the package's node/console/assets (compiled, under dist/). */
export function assetsDir (): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('../../../node/console/assets/', import.meta.url)].map(u => fileURLToPath(u))
  const found = candidates.find(d => existsSync(join(d, 'layout.html')))
  if (found === undefined) throw new ConsoleAssetsError(`no layout.html in ${candidates.join(' or ')}`)
  return found
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

export class ConsoleAssets {
  /** Static files by name (`console.css`, `lib.js`, …), served under /console/assets/. */
  readonly files = new Map<string, Asset>()
  readonly #layout: string
  readonly #fragments = new Map<PageName, string>()

  constructor (dir = assetsDir()) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      const type = TYPES[extname(name)]
      if (type === undefined || !statSync(p).isFile() || name === 'layout.html') continue
      const body = readFileSync(p)
      this.files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
    }
    this.#layout = readFileSync(join(dir, 'layout.html'), 'utf8')
    for (const page of Object.keys(PAGES) as PageName[]) {
      const p = join(dir, 'pages', `${page}.html`)
      if (!existsSync(p)) throw new ConsoleAssetsError(`no pages/${page}.html in ${dir}`)
      this.#fragments.set(page, readFileSync(p, 'utf8'))
    }
    for (const page of Object.values(PAGES)) {
      if (page.script !== undefined && !this.files.has(page.script)) throw new ConsoleAssetsError(`no ${page.script} in ${dir}`)
    }
  }

  /** A page's HTML; `csrf` goes in a meta tag for the page's scripts (empty on pages without a session). */
  page (name: PageName, vars: { csrf: string, reason?: string }): string {
    const page = PAGES[name]
    const items = Object.entries(PAGES)
      .filter(([, p]) => p.nav !== undefined)
      .map(([path, p]) => `<li><a href="/console/${path}"${path === name || (name === 'new-report' && path === 'outbox') ? ' aria-current="page"' : ''}>${p.nav as string}</a></li>`)
      .join('')
    const nav = name === 'signed-out' ? '' : `<nav aria-label="Console pages"><ul>${items}</ul></nav><button id="logout" type="button" class="secondary">Sign out</button>`
    const script = page.script === undefined ? '' : `<script type="module" src="/console/assets/${page.script}"></script>`
    const fill: Record<string, string> = {
      title: escapeHtml(page.title),
      page: name,
      csrf: escapeHtml(vars.csrf),
      nav,
      script,
      main: (this.#fragments.get(name) as string).replaceAll('{{reason}}', () => escapeHtml(vars.reason ?? ''))
    }
    return this.#layout.replace(/\{\{(\w+)\}\}/g, (m, k: string) => fill[k] ?? m)
  }
}
