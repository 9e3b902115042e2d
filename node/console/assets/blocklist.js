// Blocklist: the consensus blocklist (GET /v1/blocklist, streamed JSONL),
// filtered here by kind, org and expiry (by status on the node), kept up to
// date from the event stream (GET /v1/events); downloads as CSV or JSONL.
import { $, api, badge, clear, el, errorBox, jsonLines, KINDS, STATUSES, short, time, ApiError } from './lib.js'

/** Rows shown at most; the count says how many matched. */
const SHOW = 500
/** Every row received, by fingerprint (what the live updates patch). */
const rows = new Map()
const changed = new Set()

for (const s of STATUSES) $('#f-status').append(el('option', { value: s }, s))
for (const k of KINDS) $('#f-kind').append(el('option', { value: k }, k))

function filters () {
  const exp = $('#f-expires').value
  return { status: $('#f-status').value, kind: $('#f-kind').value, org: $('#f-org').value.trim(), before: exp === '' ? null : Date.parse(exp) }
}

function matches (r, f) {
  if (f.status !== '' && r.status !== f.status) return false
  if (f.kind !== '' && r.kind !== f.kind) return false
  if (f.org !== '' && !r.orgs.includes(f.org)) return false
  if (f.before !== null && (r.expires === null || Date.parse(r.expires) >= f.before)) return false
  return true
}

function render () {
  const f = filters()
  const shown = [...rows.values()].filter(r => matches(r, f))
  $('#count').textContent = `${shown.length} fingerprint(s) match${shown.length > SHOW ? `; showing the first ${SHOW}` : ''}.`
  const q = f.status !== '' ? `&status=${f.status}` : ''
  $('#dl-csv').setAttribute('href', `/v1/blocklist?format=csv${q}`)
  $('#dl-jsonl').setAttribute('href', `/v1/blocklist?format=jsonl${q}`)
  const body = el('tbody', {}, shown.slice(0, SHOW).map(r => el('tr', { class: changed.has(r.fingerprint) ? 'changed' : undefined, 'data-fingerprint': r.fingerprint },
    el('td', {}, el('a', { href: `/console/lookup?fingerprint=${r.fingerprint}` }, short(r.fingerprint))),
    el('td', {}, r.kind ?? '—'),
    el('td', {}, badge(r.status)),
    el('td', {}, r.orgs.map(o => r.reasons?.[o] !== undefined ? `${o} (${r.reasons[o]})` : o).join(', ')),
    el('td', {}, String(r.weight)),
    el('td', {}, time(r.expires)))))
  clear($('#rows'), shown.length === 0
    ? el('p', { class: 'muted' }, 'No fingerprint matches.')
    : el('table', {}, el('caption', {}, 'Fingerprints'),
      el('thead', {}, el('tr', {}, ['Fingerprint', 'Kind', 'Status', 'Orgs', 'Weight', 'Expires'].map(h => el('th', { scope: 'col' }, h)))), body))
}

async function load () {
  rows.clear()
  const res = await fetch('/v1/blocklist?format=jsonl', { credentials: 'same-origin', cache: 'no-store' })
  if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => ({}))).error ?? `http_${res.status}`, 'the blocklist could not be read')
  for await (const r of jsonLines(res)) rows.set(r.fingerprint, r)
  render()
}

/** A status change: the row as the node now explains it. */
async function apply (ev) {
  if (ev.to === 'absent') rows.delete(ev.fingerprint)
  else {
    const x = await api('/v1/explain', { fingerprint: ev.fingerprint })
    rows.set(ev.fingerprint, { fingerprint: x.fingerprint, kind: x.kind, status: x.status, orgs: x.positive.map(v => v.org), reasons: Object.fromEntries(x.positive.filter(v => v.reason !== null).map(v => [v.org, v.reason.name ?? String(v.reason.code)])), weight: x.weight, expires: x.expires })
  }
  changed.add(ev.fingerprint)
}

/**
 * Subscribes first, reads the blocklist once the subscription is live (its
 * first line), then applies changes as they come: none is missed between
 * the two. Reconnects (and reloads) if the stream ends.
 */
async function live () {
  for (;;) {
    let loaded = false
    const early = []
    try {
      const res = await fetch('/v1/events', { credentials: 'same-origin', cache: 'no-store' })
      if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, 'the event stream was refused')
      let first = true
      for await (const ev of jsonLines(res)) {
        if (first) {
          first = false
          load().then(async () => {
            for (const e of early) await apply(e)
            loaded = true
            $('#live').textContent = 'Live updates: on'
            render()
          }, (err) => clear($('#rows'), errorBox(err)))
        }
        if (ev.type !== 'status') continue
        if (!loaded) { early.push(ev); continue }
        await apply(ev)
        $('#live').textContent = `Live updates: on (${changed.size} changed since this page opened)`
        render()
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return
    }
    $('#live').textContent = 'Live updates: reconnecting…'
    await new Promise(resolve => setTimeout(resolve, 2000))
  }
}

$('#filters').addEventListener('submit', (e) => { e.preventDefault(); render() })
void live()
