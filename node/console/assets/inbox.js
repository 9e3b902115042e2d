// Inbox: reports this node received (GET /v1/reports/inbox).
import { $, api, bytes, clear, el, errorBox, short, table, time } from './lib.js'

try {
  const items = await api('/v1/reports/inbox')
  clear($('#inbox'), table('Received reports', ['Report', 'Author', 'Sellers', 'Listings', 'Created', 'Received', 'Evidence', 'Receipt'], items.slice().reverse().map(r => [
    el('a', { href: `/console/reports/${r.id}` }, r.title !== '' ? r.title : r.id),
    el('strong', {}, r.author),
    r.sellers.join(', '),
    String(r.listings),
    time(r.created),
    time(r.received),
    `${r.evidence} file(s), ${bytes(r.evidenceBytes)}`,
    el('span', { class: 'badge ok' }, 'receipted')
  ]), 'no report received yet'))
} catch (err) {
  clear($('#inbox'), errorBox(err))
}
