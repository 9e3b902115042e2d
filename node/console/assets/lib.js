// Shared helpers of the console's pages: calls to the node's API (/v1, the
// same routes the CLI uses) with the session cookie and, on POSTs, the CSRF
// token of the page; DOM building with textContent only (never innerHTML,
// so nothing the node returns is ever parsed as HTML).

export const CSRF = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''

export const KINDS = ['email', 'phone', 'seller-account', 'payment-account', 'domain', 'url', 'postal-address', 'name', 'product-image']
export const CLAIMS = ['counterfeit-seller', 'infringing-listing', 'counterfeit-supplier', 'accomplice']
export const OUTCOMES = ['confirmed', 'removed', 'false-positive', 'dispute-upheld']
export const STATUSES = ['listed', 'disputed', 'candidate']

export class ApiError extends Error {
  constructor (status, reason, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.reason = reason
  }
}

async function failure (res) {
  let body
  try { body = await res.json() } catch { body = undefined }
  if (res.status === 401 && (body?.error === 'no_session')) {
    location.assign('/console/signed-out')
  }
  return new ApiError(res.status, body?.error ?? `http_${res.status}`, body?.message ?? res.statusText)
}

/** GET (no body) or POST (JSON body, with the CSRF token) of an API route; the parsed JSON answer. */
export async function api (path, body) {
  const init = { method: body === undefined ? 'GET' : 'POST', headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' }
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json'
    init.headers['x-csrf-token'] = CSRF
    init.body = JSON.stringify(body)
  }
  const res = await fetch(path, init)
  if (!res.ok) throw await failure(res)
  const type = res.headers.get('content-type') ?? ''
  return type.includes('json') ? await res.json() : await res.text()
}

/** A POST that answers bytes (downloads) or takes bytes (uploads): the Response. */
export async function postRaw (path, body, headers = {}) {
  const res = await fetch(path, { method: 'POST', credentials: 'same-origin', cache: 'no-store', headers: { 'x-csrf-token': CSRF, ...headers }, body })
  if (!res.ok) throw await failure(res)
  return res
}

/** Lines of an NDJSON/JSONL stream, as objects, until it ends or `signal` aborts. */
export async function * jsonLines (res) {
  const reader = res.body.getReader()
  const dec = new TextDecoder()
  let buf = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buf += dec.decode(value, { stream: true })
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      if (line !== '') yield JSON.parse(line)
    }
  }
  if (buf.trim() !== '') yield JSON.parse(buf)
}

/** el('td', { class: 'x', title: 'y' }, 'text', child…): attributes set with setAttribute, strings become text nodes. */
export function el (tag, attrs = {}, ...children) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'text') e.textContent = String(v)
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v)
    else e.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue
    e.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return e
}

export function clear (node, ...children) {
  node.replaceChildren(...children.flat().filter(c => c !== undefined && c !== null && c !== false))
  return node
}

export const $ = (sel) => document.querySelector(sel)

export function badge (status) {
  return el('span', { class: `badge ${status}` }, status)
}

export function time (iso) {
  if (iso === null || iso === undefined) return el('span', { class: 'muted' }, 'never')
  const d = new Date(iso)
  return el('time', { datetime: d.toISOString(), title: d.toISOString() }, d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))
}

export function short (hex, n = 16) {
  return el('code', { title: hex }, hex.length > n ? `${hex.slice(0, n)}…` : hex)
}

/** A table with a caption, column headers and rows of cells (strings or nodes). */
export function table (caption, headers, rows, empty = 'None.') {
  if (rows.length === 0) return el('p', { class: 'muted' }, `${caption}: ${empty}`)
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map(h => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map(r => r instanceof Node ? r : el('tr', {}, r.map(c => el('td', {}, c))))))
}

/** An error box naming the refusal's reason code. */
export function errorBox (err) {
  const reason = err instanceof ApiError ? err.reason : (err?.name ?? 'error')
  return el('p', { class: 'error', role: 'alert', 'data-reason': reason }, el('strong', {}, 'Refused: '), el('code', {}, reason), ' — ', err?.message ?? String(err))
}

export function bytes (n) {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** SHA-256 of bytes (hex), in the browser (WebCrypto). */
export async function sha256Hex (buf) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf))
  return Array.from(d, b => b.toString(16).padStart(2, '0')).join('')
}

/** Offers `blob` as a download named `name`. */
export function saveBlob (blob, name) {
  const url = URL.createObjectURL(blob)
  const a = el('a', { href: url, download: name, hidden: true })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** The node's own org and role in the header; the sign-out button. */
async function frame () {
  $('#logout')?.addEventListener('click', async () => {
    try { await api('/console/logout', {}) } finally { location.assign('/console/signed-out') }
  })
  try {
    const s = await api('/v1/status')
    const id = $('#node-id')
    if (id !== null) id.textContent = `· ${s.org} (${s.role})`
  } catch { /* the page shows its own errors */ }
}
void frame()
