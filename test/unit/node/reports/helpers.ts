/**
 * Helpers of the report service's unit tests: a test alliance whose nodes
 * have real libp2p peer ids, stored-record fixtures, and the service's parts
 * (outbox, inbox, export) of one node over a memory store and a temporary
 * folder, wired to other nodes' inboxes by in-memory stream pairs. No
 * libp2p host anywhere.
 */
import { FileAccess } from '../../../../node/file-access.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { RosterChain, signRoster, unsignedRoster } from '../../../../protocol/roster/index.js'
import { createLogger } from '../../../../node/logger.js'
import { WriteQueue } from '../../../../node/store/queue.js'
import { CustodyLog } from '../../../../node/reports/custody.js'
import { ReportExport } from '../../../../node/reports/export.js'
import { prepareLayout, reportPaths, type ReportPaths } from '../../../../node/reports/files.js'
import { Inbox } from '../../../../node/reports/inbox.js'
import { reportServiceOptions, type ReportMetrics, type ReportServiceInit } from '../../../../node/reports/options.js'
import { Outbox } from '../../../../node/reports/outbox.js'
import type { DeliveryRecord, InboxReport, OutboxReport, ReceiptRecord } from '../../../../node/reports/records.js'
import { MemoryReportStore } from '../../../../node/reports/store/index.js'
import { GENESIS_TIME, makeOrg, rosterOf, type TestNode, type TestOrg } from '../../../helpers/alliance.js'
import { ALLIANCE } from '../../protocol/report/helpers.js'

/** The report alliance of protocol/report's tests (brand-a, platform, police-gb with two nodes, police-fr), with real peer ids. */
export interface NetAlliance {
  orgs: Record<string, TestOrg>
  /** The peer id (string) of each node. */
  peerOf: Map<TestNode, string>
  chain: RosterChain
}

async function newPeer (): Promise<{ id: string, multihash: Uint8Array }> {
  const p = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return { id: p.toString(), multihash: p.toMultihash().bytes }
}

/** A genesis roster of `orgs`, each node with the peer id `peer(node)` gives (multihash bytes). */
export function chainOf (orgs: TestOrg[], peer: (n: TestNode) => Uint8Array): RosterChain {
  const roster = rosterOf(orgs, { alliance: ALLIANCE })
  roster.members.forEach((m, i) => { m.nodes = m.nodes.map((n, j) => ({ ...n, peerId: peer(orgs[i].nodes[j]) })) })
  const signed = unsignedRoster(roster)
  for (const o of orgs) signed.signatures.push(signRoster(o.nodes[0].signer, signed.roster))
  return RosterChain.fromGenesis(signed)
}

export async function makeNetAlliance (): Promise<NetAlliance & { multihashOf: Map<TestNode, Uint8Array> }> {
  const list = [makeOrg('brand-a', ['brand']), makeOrg('platform', ['platform']), makeOrg('police-gb', ['law-enforcement'], 2), makeOrg('police-fr', ['law-enforcement'])]
  const peerOf = new Map<TestNode, string>()
  const multihashOf = new Map<TestNode, Uint8Array>()
  for (const n of list.flatMap(o => o.nodes)) {
    const p = await newPeer()
    peerOf.set(n, p.id)
    multihashOf.set(n, p.multihash)
  }
  return { orgs: Object.fromEntries(list.map(o => [o.org, o])), peerOf, multihashOf, chain: chainOf(list, n => multihashOf.get(n) as Uint8Array) }
}

/** The same alliance, with `node` under a new peer id (a roster update gave it another libp2p key). */
export async function withNewPeerId (a: NetAlliance & { multihashOf: Map<TestNode, Uint8Array> }, node: TestNode): Promise<{ chain: RosterChain, peerId: string }> {
  const p = await newPeer()
  const chain = chainOf(Object.values(a.orgs), n => n === node ? p.multihash : a.multihashOf.get(n) as Uint8Array)
  return { chain, peerId: p.id }
}

/** The same alliance, with `org`'s nodes replaced by new ones (the old nodes left the roster). */
export async function withNewNodes (a: NetAlliance & { multihashOf: Map<TestNode, Uint8Array> }, org: string): Promise<RosterChain> {
  const old = a.orgs[org]
  const fresh = makeOrg(org, old.roles, old.nodes.length)
  const peers = new Map<TestNode, Uint8Array>()
  for (const n of fresh.nodes) peers.set(n, (await newPeer()).multihash)
  return chainOf(Object.values(a.orgs).map(o => o.org === org ? fresh : o), n => (peers.get(n) ?? a.multihashOf.get(n)) as Uint8Array)
}

/** Counters by label, as the node's Prometheus metrics would count them. */
export class TestMetrics implements ReportMetrics {
  readonly deliveries = new Map<string, number>()
  readonly received = new Map<string, number>()
  pending = -1
  reportDeliveries = { inc: ({ result }: { result: string }) => { this.deliveries.set(result, (this.deliveries.get(result) ?? 0) + 1) } }
  reportsReceived = { inc: ({ result }: { result: string }) => { this.received.set(result, (this.received.get(result) ?? 0) + 1) } }
  reportOutboxPending = { set: (v: number) => { this.pending = v } }
}

/** A clock the test moves by hand. */
export class TestClock {
  constructor (public t: number) {}
  readonly now = (): number => this.t
}

/** One node's report parts over a memory store and its own temporary folder. */
export interface NodeParts {
  org: string
  node: TestNode
  peerId: string
  dir: string
  paths: ReportPaths
  store: MemoryReportStore
  custody: CustodyLog
  outbox: Outbox
  inbox: Inbox
  exporter: ReportExport
  metrics: TestMetrics
  /** Error lines logged (JSON). */
  errors: string[]
  /** The roster this node sees; tests may replace it. */
  chain: RosterChain
}

export interface PartsNet {
  /** The folder holding every node's folder; tests put evidence files here. */
  root: string
  parts: (org: string, index?: number) => NodeParts
  /** Dials of `peerId` reach `parts` (a roster update gave its node that peer id). */
  alias: (peerId: string, parts: NodeParts) => void
  /** A new outbox for `parts` over its store and folder, started (a restart); the old one is stopped first. */
  reopenOutbox: (parts: NodeParts) => Promise<Outbox>
  /** Peers whose dial fails (offline). */
  offline: Set<string>
  /** While true every dial fails with HostNotStartedError (the node's host is still starting). */
  host: { starting: boolean }
  /** Streams opened per peer id. */
  dials: Map<string, number>
  clock: TestClock
  cleanup: () => Promise<void>
}

/**
 * The parts of every node of `a`, started, with one clock; a dial to a peer
 * id opens an in-memory stream pair whose far end the dialled node's inbox
 * serves. `random` is the retry jitter (0.5: no jitter).
 */
export async function makePartsNet (a: NetAlliance, init: ReportServiceInit = {}, clock = new TestClock(GENESIS_TIME + 7_200_000), random = 0.5): Promise<PartsNet> {
  const opts = reportServiceOptions({ tickMs: 3_600_000, ...init })
  const root = mkdtempSync(join(tmpdir(), 'alliance-report-parts-'))
  const byPeer = new Map<string, NodeParts>()
  const all: NodeParts[] = []
  const offline = new Set<string>()
  const host = { starting: false }
  const dials = new Map<string, number>()
  const outboxes = new Map<string, () => Outbox>()
  for (const o of Object.values(a.orgs)) {
    for (const [i, node] of o.nodes.entries()) {
      const peerId = a.peerOf.get(node) as string
      const dir = join(root, `${o.org}-${i}`)
      const paths = reportPaths(dir)
      await prepareLayout(paths)
      const store = new MemoryReportStore()
      await store.open()
      const errors: string[] = []
      const logger = createLogger({ level: 'error', sink: line => { errors.push(line) } }).forComponent('test:reports')
      const metrics = new TestMetrics()
      const custody = new CustodyLog(node.signer)
      const queue = new WriteQueue()
      const p: Partial<NodeParts> = { org: o.org, node, peerId, dir, paths, store, custody, metrics, errors, chain: a.chain }
      const chain = (): RosterChain => p.chain as RosterChain
      const shared = { store, queue, paths, org: o.org, chain, logger, clock: clock.now, files: new FileAccess({ nodeDir: dir }) }
      const newOutbox = (): Outbox => new Outbox(opts, {
        ...shared,
        signer: node.signer,
        metrics,
        random: () => random,
        dial: async (to) => {
          dials.set(to, (dials.get(to) ?? 0) + 1)
          if (host.starting) throw Object.assign(new Error('the host is not started'), { name: 'HostNotStartedError' })
          const far = byPeer.get(to)
          if (far === undefined || offline.has(to)) throw Object.assign(new Error(`cannot reach ${to}`), { name: 'DialError' })
          const [near, remote] = await streamPair()
          far.inbox.handle(remote, peerId)
          return near
        }
      })
      outboxes.set(peerId, newOutbox)
      p.outbox = newOutbox()
      p.inbox = new Inbox(opts, { ...shared, custody, keys: { sign: node.signer, box: { publicKey: node.box.publicKey, get privateKey () { return node.box.privateKey.slice() } } }, metrics })
      p.exporter = new ReportExport({ ...shared, custody, signer: node.signer, deliveriesOf: async id => await (p.outbox as Outbox).deliveriesOf(id) })
      const parts = p as NodeParts
      parts.inbox.start()
      await parts.outbox.start()
      byPeer.set(peerId, parts)
      all.push(parts)
    }
  }
  return {
    root,
    parts: (org, index = 0) => all.filter(p => p.org === org)[index],
    alias: (peerId, parts) => { byPeer.set(peerId, parts) },
    reopenOutbox: async (parts) => {
      await parts.outbox.stop()
      parts.outbox = (outboxes.get(parts.peerId) as () => Outbox)()
      await parts.outbox.start()
      return parts.outbox
    },
    offline,
    host,
    dials,
    clock,
    cleanup: async () => {
      await Promise.all(all.flatMap(p => [p.outbox.stop(), p.inbox.stop()]))
      rmSync(root, { recursive: true, force: true })
    }
  }
}

// ---------------------------------------------------------------- stored-record fixtures

export const ID = (n: number): string => n.toString(16).padStart(32, '0')
export const NODE = (n: number): string => n.toString(16).padStart(64, '0')

export function outboxRecord (id: string, over: Partial<OutboxReport> = {}): OutboxReport {
  return {
    v: 1,
    id,
    created: GENESIS_TIME,
    queuedAt: GENESIS_TIME + 1,
    title: `report ${id.slice(-4)}`,
    reference: 'CASE-1',
    recipients: ['police-gb'],
    digest: 'ab'.repeat(32),
    signedReport: Buffer.from(`signed ${id}`).toString('base64'),
    envelope: `${id}.envelope`,
    envelopeBytes: 1234,
    evidence: [{ name: 'photo.jpg', size: 1000, path: '/evidence/photo.jpg' }],
    ...over
  }
}

export function deliveryRecord (id: string, node: string, over: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return { id, org: 'police-gb', node, peerId: `peer-${node.slice(-4)}`, state: 'pending', attempts: 0, nextAttemptAt: GENESIS_TIME, ...over }
}

export function inboxRecord (id: string, over: Partial<InboxReport> = {}): InboxReport {
  return {
    v: 1,
    id,
    digest: 'cd'.repeat(32),
    signedReport: Buffer.from(`signed ${id}`).toString('base64'),
    author: 'brand-a',
    created: GENESIS_TIME,
    title: `report ${id.slice(-4)}`,
    reference: 'CASE-2',
    received: GENESIS_TIME + 5,
    from: 'peer-brand',
    evidence: [{ name: 'photo.jpg', size: 1000, file: 'evidence-0' }],
    ...over
  }
}

export function receiptRecord (id: string, node: string, over: Partial<ReceiptRecord> = {}): ReceiptRecord {
  return { id, org: 'police-gb', node, receipt: Buffer.from(`receipt ${id} ${node}`).toString('base64'), received: GENESIS_TIME + 9, ...over }
}

