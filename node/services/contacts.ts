/**
 * Last contact with each member (issue 16 item 9): `status` lists every org
 * of the roster, the offline ones too, with when this node last had a
 * connection to one of its nodes. A connection is contact for as long as it
 * is open (libp2p pings and gossip heartbeats run on it), so the time kept
 * per peer is when its last connection closed, or "now" while one is open.
 *
 * Kept in the store's meta (one small record, written when a connection
 * opens or closes), so a restart does not forget that a member has been
 * silent since last week.
 */
import type { RosterChain } from '../../protocol/roster/index.js'
import type { ComponentLogger } from '../logger.js'
import type { Store } from '../store/types.js'
import { rosterPeers } from './roster.js'

/** The store meta key of the record. */
export const CONTACTS_META = 'memberContacts'

/** Per peer id: ms of the last contact (a connection that closed), and whether one is open now. */
interface PeerContact { last: number, open: boolean }

/** One member of the roster as `status` shows it. */
export interface MemberContactView {
  org: string
  name: string
  roles: string[]
  /** This node's own org. */
  self: boolean
  /** Nodes the org runs (per the roster). */
  nodes: number
  /** Nodes of the org connected to this node now. */
  connected: number
  /** When this node last had a connection to one of the org's nodes (ISO 8601; now while connected), null if never. */
  lastContact: string | null
}

export interface MemberContactsComponents {
  store: Store
  clock: () => number
  logger: ComponentLogger
}

export class MemberContacts {
  readonly #c: MemberContactsComponents
  readonly #peers = new Map<string, PeerContact>()
  #saving: Promise<void> = Promise.resolve()

  constructor (components: MemberContactsComponents) {
    this.#c = components
  }

  /** Loads what earlier runs recorded (no connection is open at start). */
  async load (): Promise<void> {
    const saved = await this.#c.store.getMeta<Record<string, number>>(CONTACTS_META)
    if (saved === undefined || saved === null || typeof saved !== 'object') return
    for (const [peer, last] of Object.entries(saved)) {
      if (typeof last === 'number' && Number.isFinite(last)) this.#peers.set(peer, { last, open: false })
    }
  }

  connected (peer: string): void {
    this.#peers.set(peer, { last: this.#c.clock(), open: true })
    this.#save()
  }

  disconnected (peer: string): void {
    this.#peers.set(peer, { last: this.#c.clock(), open: false })
    this.#save()
  }

  /** Every member of the roster in force, in roster order, with its last contact. */
  view (chain: RosterChain, selfOrg: string): MemberContactView[] {
    const now = this.#c.clock()
    const byOrg = new Map<string, string[]>()
    for (const p of rosterPeers(chain)) byOrg.set(p.org, [...(byOrg.get(p.org) ?? []), p.peerId])
    return chain.current.roster.members.map(m => {
      const contacts = (byOrg.get(m.org) ?? []).map(p => this.#peers.get(p)).filter((c): c is PeerContact => c !== undefined)
      const connected = contacts.filter(c => c.open).length
      const last = connected > 0 ? now : Math.max(-Infinity, ...contacts.map(c => c.last))
      return {
        org: m.org,
        name: m.name,
        roles: [...m.roles],
        self: m.org === selfOrg,
        nodes: m.nodes.length,
        connected,
        lastContact: Number.isFinite(last) ? new Date(last).toISOString() : null
      }
    })
  }

  /** Writes the record (one write at a time); at stop, open connections count as contact until now. */
  async flush (): Promise<void> {
    this.#save(true)
    await this.#saving
  }

  #save (closing = false): void {
    const now = this.#c.clock()
    const record = Object.fromEntries([...this.#peers].map(([p, c]) => [p, c.open && closing ? now : c.last]))
    this.#saving = this.#saving
      .then(async () => await this.#c.store.putMeta(CONTACTS_META, record))
      .catch((err: unknown) => { this.#c.logger.warn('member contacts not saved', { err }) })
  }
}
