// One report (GET /v1/reports/:id; on a recipient this records `opened` in
// its chain of custody): the whole report, evidence downloads with their
// SHA-256 checked here against the digest the author signed, receipts,
// deliveries, custody, and the evidence bundle `alliance report export` writes.
import { $, api, badge, bytes, clear, el, errorBox, postRaw, saveBlob, sha256Hex, short, table, time } from './lib.js'

const id = location.pathname.split('/').pop()

function evidenceRow (d, ev, i) {
  const state = el('span', { 'aria-live': 'polite', 'data-evidence-state': i })
  const button = el('button', { type: 'button', class: 'secondary' }, 'Download')
  button.addEventListener('click', async () => {
    button.disabled = true
    clear(state, 'checking…')
    try {
      const res = await postRaw(`/console/reports/${id}/evidence/${i}`)
      const buf = await res.arrayBuffer()
      const got = await sha256Hex(buf)
      if (got !== ev.sha256) {
        clear(state, el('span', { class: 'badge bad' }, 'SHA-256 mismatch'), ' ', short(got))
        return
      }
      clear(state, el('span', { class: 'badge ok' }, 'SHA-256 checked'))
      saveBlob(new Blob([buf], { type: ev.mediaType }), ev.name)
    } catch (err) {
      clear(state, errorBox(err))
    } finally {
      button.disabled = false
    }
  })
  return [ev.name, ev.mediaType, bytes(ev.size), el('code', { class: 'sha256' }, ev.sha256), ev.description, el('span', {}, button, ' ', state)]
}

function exportButton () {
  const state = el('span', { 'aria-live': 'polite', id: 'bundle-state' })
  const button = el('button', { type: 'button', id: 'export' }, 'Export bundle')
  button.addEventListener('click', async () => {
    button.disabled = true
    clear(state, 'writing the bundle…')
    try {
      const res = await postRaw(`/console/reports/${id}/bundle`)
      const blob = await res.blob()
      clear(state, 'SHA-256 of the bundle: ', el('code', {}, res.headers.get('x-bundle-sha256') ?? '?'), '. Verify it offline with ', el('code', {}, 'alliance report verify <bundle> --node <your node dir>'))
      saveBlob(blob, `report-${id}.bundle`)
    } catch (err) {
      clear(state, errorBox(err))
    } finally {
      button.disabled = false
    }
  })
  return el('p', {}, button, ' ', state)
}

try {
  const d = await api(`/v1/reports/${id}`)
  const r = d.report
  $('#title').textContent = r.title !== '' ? r.title : `Report ${id}`
  document.title = `${$('#title').textContent} · Alliance console`
  clear($('#report'),
    el('section', { class: 'panel', 'aria-label': 'Summary' },
      el('dl', { class: 'facts' },
        el('dt', {}, 'Report id'), el('dd', {}, el('code', {}, d.id)),
        el('dt', {}, 'Direction'), el('dd', {}, d.direction === 'received' ? 'received by this node' : 'sent by this node'),
        el('dt', {}, 'Author'), el('dd', {}, el('strong', {}, r.author)),
        el('dt', {}, 'Reference'), el('dd', {}, r.reference || '—'),
        el('dt', {}, 'Created'), el('dd', {}, time(r.created)),
        el('dt', {}, 'Recipients'), el('dd', {}, r.recipients.join(', ')),
        el('dt', {}, 'Signed digest'), el('dd', {}, el('code', {}, d.digest)))),
    exportButton(),
    table('Sellers', ['Name', 'Platform', 'Identifiers'], r.sellers.map(s => [s.name, s.platform, el('ul', {}, s.identifiers.map(x => el('li', {}, `${x.kind}: `, el('code', {}, x.value))))])),
    table('Listings', ['URL', 'Platform', 'Listing id', 'Title', 'Observed'], r.listings.map(l => [l.url, l.platform, l.listingId, l.title, time(l.observed)])),
    table('Rights infringed', ['Type', 'Mark', 'Registrations', 'Jurisdiction'], r.rights.map(x => [x.type, x.mark, x.registrations.join(', '), x.jurisdiction])),
    el('h2', {}, 'Narrative'), el('pre', { class: 'narrative' }, r.narrative),
    table('Evidence', ['File', 'Type', 'Size', 'SHA-256 (signed by the author)', 'Description', 'Download'], r.evidence.map((ev, i) => evidenceRow(d, ev, i)), 'no evidence file'),
    table('Receipts', ['Org', 'Node key', 'Received'], d.receipts.map(x => [x.org, short(x.node), time(x.received)]), 'no receipt yet'),
    d.outbox === null ? null : table('Deliveries', ['Org', 'Node', 'State', 'Attempts', 'Delivered', 'Last error'], d.outbox.deliveries.map(x => [x.org, short(x.node), badge(x.state), String(x.attempts), time(x.deliveredAt), x.lastError === null ? '—' : `${x.lastError.reason}: ${x.lastError.message}`])),
    el('h2', {}, 'Chain of custody ', d.custodyIntact ? el('span', { class: 'badge ok' }, 'intact') : el('span', { class: 'badge bad' }, 'BROKEN')),
    table('Custody records', ['Seq', 'Time', 'Action', 'Detail', 'Hash'], d.custody.map(c => [String(c.seq), time(c.time), c.action, Object.entries(c.detail).map(([k, v]) => `${k}: ${v}`).join('; '), short(c.hash)]), 'none on this node'))
} catch (err) {
  clear($('#report'), errorBox(err))
}
