// Lookup: status of an identifier (POST /v1/explain, the value in the body),
// and attest / retract / allow / feedback on it from the same page.
import { $, api, badge, clear, el, errorBox, KINDS, CLAIMS, OUTCOMES, short, table, time } from './lib.js'

const kindSelect = $('#kind')
for (const k of KINDS) kindSelect.append(el('option', { value: k }, k))

/** The kind a value most likely is, for "guess from the value". */
export function guessKind (v) {
  const s = v.trim()
  if (/^[0-9a-f]{64}$/i.test(s)) return 'fingerprint'
  if (/^https?:\/\//i.test(s)) return 'url'
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return 'email'
  if (/^[A-Z]{2}\d{2}[A-Z0-9 ]{10,}$/i.test(s) && /\d{6}/.test(s.replace(/\s/g, ''))) return 'payment-account'
  if (/^\+?[\d\s().-]{6,}$/.test(s)) return 'phone'
  if (/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(s)) return 'domain'
  if (/^[a-z0-9._-]+:[^\s]+$/i.test(s)) return 'seller-account'
  return 'name'
}

/** The identifier being looked at (raw value kept in this page's memory only). */
let current = null

async function lookup () {
  const out = $('#result')
  const value = $('#value').value.trim()
  const kind = kindSelect.value !== '' ? kindSelect.value : guessKind(value)
  const query = kind === 'fingerprint' ? { fingerprint: value } : { kind, value }
  clear(out, el('p', { class: 'muted' }, 'Looking up…'))
  try {
    const r = await api('/v1/explain', query)
    await reasons()
    current = { ...query, fingerprint: r.fingerprint }
    render(out, r, kind)
  } catch (err) {
    current = null
    clear(out, errorBox(err))
  }
}

/** The roster's reason vocabulary (GET /v1/reasons), loaded once. */
let vocabulary = null
async function reasons () {
  if (vocabulary === null) vocabulary = (await api('/v1/reasons')).reasons
  return vocabulary
}

function reasonText (r) {
  return r === null ? '—' : r.name ?? `code ${r.code}`
}

function votes (caption, list) {
  return table(caption, ['Org', 'Reason', 'Since', 'Expires', 'Source'], list.map(v => [el('strong', {}, v.org), reasonText(v.reason), time(v.time), time(v.expires), v.source]))
}

function render (out, r, kind) {
  const orgs = r.positive.map(v => v.org)
  clear(out,
    el('section', { class: 'panel', 'aria-labelledby': 'status-h' },
      el('h2', { id: 'status-h' }, 'Status: ', badge(r.status)),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Looked up as'), el('dd', {}, kind),
        el('dt', {}, 'Fingerprint'), el('dd', {}, el('code', { id: 'fingerprint' }, r.fingerprint)),
        el('dt', {}, 'Attested by'), el('dd', { id: 'orgs' }, orgs.length > 0 ? orgs.join(', ') : 'no org'),
        el('dt', {}, 'Quorum'), el('dd', {}, `${r.weight} of ${r.quorum}`),
        el('dt', {}, 'Confirmations'), el('dd', {}, String(r.confirmations)),
        el('dt', {}, 'Next change by expiry'), el('dd', {}, time(r.expires))),
      votes('Attestations', r.positive),
      votes('Disputes and allowlist entries', r.negative)),
    actions())
}

function field (label, input) { return el('label', {}, label, input) }

function actionForm (legend, submitText, inputs, run, needsValue) {
  const msg = el('div', { 'aria-live': 'polite' })
  const disabled = needsValue && current?.value === undefined
  const form = el('form', { class: 'row', method: 'post' }, inputs, el('button', { type: 'submit', disabled }, submitText))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clear(msg, el('p', { class: 'muted' }, 'Working…'))
    try {
      const text = await run(new FormData(form))
      clear(msg, el('p', { class: 'notice', role: 'status' }, text))
      const fresh = await api('/v1/explain', current.value !== undefined ? { kind: current.kind, value: current.value } : { fingerprint: current.fingerprint })
      const note = msg
      render($('#result'), fresh, current.kind ?? 'fingerprint')
      $('#result').append(note)
    } catch (err) {
      clear(msg, errorBox(err))
    }
  })
  return el('fieldset', {}, el('legend', {}, legend), disabled ? el('p', { class: 'muted' }, 'Needs the raw identifier: look it up by value, not by fingerprint.') : null, form, msg)
}

const days = (d) => Math.round(Number(d) * 86400_000)

function actions () {
  const claim = el('select', { name: 'claim' }, CLAIMS.map(c => el('option', { value: c }, c)))
  const outcome = el('select', { name: 'outcome' }, OUTCOMES.map(o => el('option', { value: o }, o)))
  return el('section', { 'aria-labelledby': 'act-h' },
    el('h2', { id: 'act-h' }, 'Act on this identifier'),
    el('div', { class: 'grid2' },
      actionForm('Attest (this org vouches it is counterfeit)', 'Attest', [
        field('Claim', claim),
        field('Reason', el('select', { name: 'reason' }, el('option', { value: '' }, 'none given'), (vocabulary ?? []).map(r => el('option', { value: r.name, title: r.description }, r.name)))),
        field('Days', el('input', { name: 'days', type: 'number', min: 1, max: 3650, value: 90, size: 5 })),
        field('Confidence %', el('input', { name: 'confidence', type: 'number', min: 0, max: 100, value: 100, size: 4 }))
      ], async (f) => {
        const r = await api('/v1/attest', { items: [{ kind: current.kind, value: current.value, claim: f.get('claim'), ...(f.get('reason') !== '' ? { reason: f.get('reason') } : {}), ttlMs: days(f.get('days')), confidence: Number(f.get('confidence')) }] })
        if (r.rejected.length > 0) throw Object.assign(new Error(r.rejected[0].message), { name: r.rejected[0].why })
        return `Attested: ${r.entries} entry signed and shared.`
      }, true),
      actionForm('Retract this org\'s attestations', 'Retract', [], async () => {
        const r = await api('/v1/retract', { kind: current.kind, value: current.value })
        return `Retracted ${r.retracted} attestation(s).`
      }, true),
      actionForm('Allow (authorised reseller of this org)', 'Allow', [
        field('Days', el('input', { name: 'days', type: 'number', min: 1, max: 3650, value: 365, size: 5 }))
      ], async (f) => {
        const r = await api('/v1/allow', { kind: current.kind, value: current.value, ttlMs: days(f.get('days')) })
        return `Allowlist entry recorded; status here: ${r.status}.`
      }, true),
      actionForm('Platform feedback', 'Record outcome', [
        field('Outcome', outcome),
        field('Note (kept on this node)', el('input', { name: 'note', size: 24 }))
      ], async (f) => {
        const note = String(f.get('note') ?? '')
        const r = await api('/v1/feedback', { fingerprint: current.fingerprint, outcome: f.get('outcome'), ...(note !== '' ? { note } : {}) })
        return `${r.opinion} recorded; status here: ${r.status}.`
      }, false)))
}

$('#lookup').addEventListener('submit', (e) => { e.preventDefault(); void lookup() })

// /console/lookup?fingerprint=<hex> (from the blocklist): a fingerprint is no raw identifier
const fp = new URLSearchParams(location.search).get('fingerprint')
if (fp !== null && /^[0-9a-f]{64}$/i.test(fp)) {
  $('#value').value = fp
  void lookup()
}
