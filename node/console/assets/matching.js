// Matching: recent scans with their counts (GET /v1/match/recent), and
// retroactive decisions since a date (GET /v1/match/retro), each explained.
import { $, api, clear, el, errorBox, short, table, time } from './lib.js'

const since = $('#since')
since.value = new Date(Date.now() - 7 * 86400_000).toISOString().slice(0, 10)

async function show () {
  const out = $('#decisions')
  try {
    const t = Date.parse(since.value)
    const list = await api(`/v1/match/retro?since=${t}`)
    const counts = { block: 0, screen: 0, none: 0 }
    for (const d of list.decisions) counts[d.action] = (counts[d.action] ?? 0) + 1
    clear(out,
      el('p', {}, `${list.decisions.length} decision(s): `, el('strong', {}, `${counts.block} block`), `, ${counts.screen} screen, ${counts.none} none.`),
      table('Retroactive decisions', ['Listing', 'Action', 'Decided', 'Why'], list.decisions.map(d => [
        el('code', {}, d.listingId), el('span', { class: `badge ${d.action === 'block' ? 'listed' : d.action === 'screen' ? 'disputed' : 'absent'}` }, d.action), time(d.decidedAt),
        el('ul', {}, d.matches.map(m => el('li', {}, `${m.column} (${m.kind}) `, el('a', { href: `/console/lookup?fingerprint=${m.fingerprint}` }, short(m.fingerprint, 12)), ` is ${m.status} by ${m.orgs.join(', ')} → ${m.action}`)))
      ]), 'no listing changed decision since then'))
  } catch (err) {
    clear(out, errorBox(err))
  }
}

async function scans () {
  try {
    const list = await api('/v1/match/recent')
    clear($('#scans'), table('Scans', ['Ended', 'File', 'Listings', 'Block', 'Screen', 'None', 'Matched', 'Rejects', 'Took'], list.map(s => [
      time(s.at), el('code', {}, s.file), String(s.rows), el('strong', {}, String(s.decisions.block)), String(s.decisions.screen), String(s.decisions.none), String(s.matched), String(s.rejects), `${(s.elapsedMs / 1000).toFixed(1)} s`
    ]), 'no scan since the node started'))
  } catch (err) {
    clear($('#scans'), errorBox(err))
  }
}

void scans()
$('#retro').addEventListener('submit', (e) => { e.preventDefault(); void show() })
void show()
