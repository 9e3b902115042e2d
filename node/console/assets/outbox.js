// Outbox: reports this node sent and their delivery to each recipient node (GET /v1/reports/outbox).
import { $, api, badge, bytes, clear, el, errorBox, short, table, time } from './lib.js'

async function show () {
  try {
    const items = await api('/v1/reports/outbox')
    clear($('#outbox'), items.length === 0 ? el('p', { class: 'muted' }, 'No report sent yet.') : items.slice().reverse().map(r => el('section', { class: 'panel' },
      el('h2', {}, el('a', { href: `/console/reports/${r.id}` }, r.title !== '' ? r.title : r.id), ' ', badge(r.state)),
      el('p', { class: 'muted' }, `to ${r.recipients.join(', ')} · queued `, time(r.queuedAt), ` · ${r.evidence} evidence file(s), ${bytes(r.evidenceBytes)}`),
      table('Delivery per recipient node', ['Org', 'Node', 'State', 'Attempts', 'Next attempt', 'Delivered', 'Last error'], r.deliveries.map(x => [
        x.org, short(x.node), badge(x.state), String(x.attempts), time(x.nextAttemptAt), time(x.deliveredAt), x.lastError === null ? '—' : `${x.lastError.reason}: ${x.lastError.message}`
      ])))))
  } catch (err) {
    clear($('#outbox'), errorBox(err))
  }
}
void show()
setInterval(() => { void show() }, 5000)
