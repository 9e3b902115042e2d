// New report: a form for POST /v1/reports (the JSON input of `alliance report
// send`); evidence files are uploaded to the node first (POST /console/uploads),
// which keeps them where the report says they are.
import { $, api, clear, el, errorBox, postRaw, KINDS } from './lib.js'

try {
  const roster = await api('/v1/roster')
  const doc = roster.summary ?? {}
  const police = (doc.members ?? []).filter(m => (m.roles ?? []).includes('law-enforcement'))
  clear($('#recipients'), police.length === 0
    ? el('p', { class: 'muted' }, 'The roster has no law-enforcement member.')
    : police.map(m => el('label', {}, el('input', { type: 'checkbox', name: 'to', value: m.org, checked: police.length === 1 }), `${m.name ?? m.org} (${m.org})`)))
} catch (err) {
  clear($('#recipients'), errorBox(err))
}

function identifiers (text) {
  return text.split('\n').map(l => l.trim()).filter(l => l !== '').map(l => {
    const i = l.indexOf(':')
    const kind = i > 0 ? l.slice(0, i).trim() : ''
    if (!KINDS.includes(kind)) throw Object.assign(new Error(`"${kind}" is not a kind (${KINDS.join(', ')}); write kind: value`), { name: 'invalid_identifier_line' })
    return { kind, value: l.slice(i + 1).trim() }
  })
}

$('#compose').addEventListener('submit', async (e) => {
  e.preventDefault()
  const f = new FormData(e.target)
  const out = $('#sent')
  const button = e.target.querySelector('button[type=submit]')
  button.disabled = true
  try {
    const to = f.getAll('to').map(String)
    if (to.length === 0) throw Object.assign(new Error('choose at least one recipient'), { name: 'no_recipient' })
    const evidence = []
    for (const file of f.getAll('evidence')) {
      if (!(file instanceof File) || file.name === '') continue
      clear(out, el('p', { class: 'muted' }, `uploading ${file.name}…`))
      const up = await (await postRaw('/console/uploads', file, { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) })).json()
      evidence.push({ path: up.path, name: up.name, ...(file.type !== '' ? { mediaType: file.type } : {}) })
    }
    const text = (k) => String(f.get(k) ?? '').trim()
    const seller = { name: text('sellerName'), platform: text('sellerPlatform'), identifiers: identifiers(text('identifiers')) }
    const report = {
      title: text('title'),
      reference: text('reference'),
      listings: text('listings').split('\n').map(u => u.trim()).filter(u => u !== '').map(url => ({ url })),
      sellers: seller.name !== '' || seller.identifiers.length > 0 ? [seller] : [],
      rights: [{ type: text('rightType'), mark: text('mark'), registrations: text('registrations').split(',').map(s => s.trim()).filter(s => s !== ''), ...(text('jurisdiction') !== '' ? { jurisdiction: text('jurisdiction') } : {}) }],
      evidence,
      narrative: text('narrative')
    }
    clear(out, el('p', { class: 'muted' }, 'signing and encrypting…'))
    const r = await api('/v1/reports', { to, report, evidence: [] })
    location.assign(`/console/reports/${r.id}`)
  } catch (err) {
    clear(out, errorBox(err))
  } finally {
    button.disabled = false
  }
})
