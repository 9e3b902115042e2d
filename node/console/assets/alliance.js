// Alliance: members and their nodes, connected peers, per-member log heads
// and how long ago each last wrote, the roster in force, this node's sync
// and key epoch, roster versions waiting for signatures (GET /v1/roster/proposals:
// who signed, who has not), and its health figures (GET /metrics, as Prometheus sees them).
import { $, api, clear, el, errorBox, short, table, time } from './lib.js'

function ago (iso) {
  if (iso === null || iso === undefined) return 'never'
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  if (s < 90) return `${s} s ago`
  if (s < 5400) return `${Math.round(s / 60)} min ago`
  if (s < 172800) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} days ago`
}

/** Prometheus text → [name{labels}, value] of the node's own metrics. */
function samples (text) {
  return text.split('\n').filter(l => l.startsWith('alliance_')).map(l => {
    const i = l.lastIndexOf(' ')
    return [l.slice(0, i), l.slice(i + 1)]
  })
}

/** Roster versions n+1 waiting for signatures (`alliance roster propose`). */
function proposals (list) {
  return el('section', { class: 'panel', 'aria-labelledby': 'proposals-h' },
    el('h2', { id: 'proposals-h' }, 'Roster versions waiting for signatures'),
    list.length === 0
      ? el('p', { class: 'muted' }, 'None. A draft appears here once handed to this node with alliance roster propose <dir> <roster.json>.')
      : table('Proposals', ['Version', 'Changes', 'Signed by', 'Still to sign', 'Signatures', 'Takes effect'], list.map(p => el('tr', { 'data-proposal': p.id },
        el('td', {}, el('strong', {}, `v${p.version}`)),
        el('td', {}, p.changes.join('; ')),
        el('td', {}, p.signedBy.length > 0 ? p.signedBy.join(', ') : 'nobody yet'),
        el('td', {}, p.missing.length > 0 ? p.missing.join(', ') : 'none'),
        el('td', {}, p.ready ? `${p.signedBy.length} of ${p.need} needed: ready to install` : `${p.signedBy.length} of ${p.need} needed: ${p.need - p.signedBy.length} more`),
        el('td', {}, time(p.takesEffect))))))
}

async function show () {
  const out = $('#alliance')
  // a refresh keeps the health figures open if they were
  const healthOpen = out.querySelector('details')?.open === true
  try {
    const [s, roster, metrics, pending] = await Promise.all([api('/v1/status'), api('/v1/roster'), api('/metrics'), api('/v1/roster/proposals')])
    // the roster file's human-readable summary (alliance-roster/1): members, policy figures
    const doc = roster.summary ?? {}
    const members = Array.isArray(doc.members) ? doc.members : []
    const headsByOrg = new Map()
    for (const h of s.heads) {
      const k = h.org ?? '(unknown)'
      if (!headsByOrg.has(k)) headsByOrg.set(k, [])
      headsByOrg.get(k).push(h)
    }
    const connected = new Set(s.peers.map(p => p.org).filter(o => o !== null))
    const memberRows = members.map(m => {
      const heads = headsByOrg.get(m.org) ?? []
      const latest = heads.map(h => h.time).sort().at(-1) ?? null
      return [
        el('strong', {}, m.org), m.name ?? '', (m.roles ?? []).join(', '),
        String(typeof m.nodes === 'number' ? m.nodes : Array.isArray(m.nodes) ? m.nodes.length : '?'),
        m.org === s.org ? 'this node' : connected.has(m.org) ? 'connected' : 'not connected',
        heads.length === 0 ? '—' : heads.map(h => `#${h.seq}`).join(', '),
        latest === null ? 'no entries yet' : `${ago(latest)}`
      ]
    })
    const policy = doc.policy ?? doc
    clear(out,
      el('section', { class: 'panel', 'aria-labelledby': 'node-h' },
        el('h2', { id: 'node-h' }, 'This node'),
        el('dl', { class: 'facts' },
          el('dt', {}, 'Org'), el('dd', {}, `${s.org} (${s.role})`),
          el('dt', {}, 'Alliance'), el('dd', {}, s.alliance),
          el('dt', {}, 'Peer id'), el('dd', {}, el('code', {}, s.peerId)),
          el('dt', {}, 'Listening on'), el('dd', {}, s.listen.join(', ')),
          el('dt', {}, 'Roster version'), el('dd', { id: 'roster-version' }, String(s.rosterVersion)),
          el('dt', {}, 'Quorum'), el('dd', {}, String(s.quorum)),
          el('dt', {}, 'Blocklist'), el('dd', {}, `${s.blocklist.listed} listed, ${s.blocklist.disputed} disputed, ${s.blocklist.candidate} candidates`),
          el('dt', {}, 'Snapshot hash'), el('dd', {}, short(s.snapshotHash, 24)),
          el('dt', {}, 'Entries'), el('dd', {}, `${s.entries.applied} applied, ${Object.values(s.entries.rejected).reduce((a, b) => a + b, 0)} rejected`),
          el('dt', {}, 'Last sync'), el('dd', {}, s.sync.lastRunAt === null ? 'not yet' : `${ago(s.sync.lastRunAt)} with ${s.sync.lastPeer ?? '?'}${s.sync.inProgress ? ' (running)' : ''}`),
          el('dt', {}, 'Key epoch'), el('dd', {}, `${s.keyEpoch.epoch} (${s.keyEpoch.suite}); roster epoch ${s.keyEpoch.rosterEpoch}`))),
      table('Members', ['Org', 'Name', 'Roles', 'Nodes', 'Connection', 'Log heads', 'Last entry'], memberRows),
      table('Connected peers', ['Org', 'Peer id', 'Addresses'], s.peers.map(p => [p.org ?? 'not in roster', short(p.peerId, 20), p.addrs.join(' ')]), 'no peer connected'),
      table('Log heads', ['Org', 'Author key', 'Seq', 'Last entry'], s.heads.map(h => [h.org ?? '?', short(h.author), String(h.seq), time(h.time)])),
      el('section', { class: 'panel', 'aria-labelledby': 'roster-h' },
        el('h2', { id: 'roster-h' }, `Roster version ${doc.version ?? s.rosterVersion}`),
        el('dl', { class: 'facts' },
          el('dt', {}, 'Governance threshold'), el('dd', {}, String(policy.governanceThreshold ?? '?')),
          el('dt', {}, 'Fingerprint suite'), el('dd', {}, `${policy.suite ?? '?'}, epoch ${policy.epoch ?? '?'}`),
          el('dt', {}, 'Signatures'), el('dd', {}, String(Array.isArray(roster.signatures) ? roster.signatures.length : '?')))),
      proposals(pending.proposals),
      el('details', { open: healthOpen }, el('summary', {}, 'Node health (the figures of /metrics)'),
        table('Metrics', ['Metric', 'Value'], samples(metrics).map(([k, v]) => [el('code', {}, k), v]))))
  } catch (err) {
    clear(out, errorBox(err))
  }
}

void show()
setInterval(() => { void show() }, 15_000)
