/**
 * The roster service: the roster in force as this node sees it — adopting
 * version n+1 (from `alliance roster update`), the roster file of the
 * version in force, the gater's allowed peers, and which org each
 * connected peer belongs to.
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { Body } from '../../protocol/types.js'
import type { Ingestor } from '../ingest.js'
import type { ComponentLogger } from '../logger.js'
import type { Host, RosterPeer } from '../net/host.js'
import { installedRoster, parseRosterFile, sealedKeysOf, signedRosterOf, type RosterFile } from '../roster-file.js'
import type { Store } from '../store/types.js'
import type { ConsensusState } from './consensus-state.js'

/** Roster members' nodes as host peers. */
export function rosterPeers (chain: RosterChain): Array<RosterPeer & { org: string }> {
  return chain.current.roster.members.flatMap(m => m.nodes.map(n => ({
    peerId: peerIdFromMultihash(Digest.decode(n.peerId)).toString(),
    addrs: n.addrs,
    org: m.org
  })))
}

export interface RosterServiceComponents {
  dir: string
  state: ConsensusState
  ingestor: Ingestor
  store: Store
  host: Host
  logger: ComponentLogger
  /** Publishes own entries (the adopted version, and its sealed epoch key when it opens an epoch). */
  publish: (bodies: Body[]) => Promise<unknown>
}

export class RosterService {
  readonly #c: RosterServiceComponents
  #peerOrgs: { version: number, map: Map<string, string> } | undefined

  constructor (components: RosterServiceComponents) {
    this.#c = components
  }

  /** A new version is in force: only its members' nodes may connect. */
  async onRoster (): Promise<void> {
    await this.#c.host.setAllowedPeers(rosterPeers(this.#c.state.chain))
    this.#c.logger.info('roster updated', { version: this.#c.state.current.roster.version, epoch: this.#c.state.policy.epoch })
  }

  /** Org of each roster peer id, for the version in force (rebuilt when the roster changes). */
  orgOfPeer (peer: string): string | undefined {
    const v = this.#c.state.current.roster.version
    if (this.#peerOrgs?.version !== v) this.#peerOrgs = { version: v, map: new Map(rosterPeers(this.#c.state.chain).map(p => [p.peerId, p.org])) }
    return this.#peerOrgs.map.get(peer)
  }

  /** The roster file of the version in force (as adopted, or as installed for version 1). */
  async file (): Promise<RosterFile> {
    const chain = this.#c.state.chain
    const adopted = await this.#c.store.getMeta<RosterFile>('rosterFile')
    if (adopted !== undefined && parseRosterFile(adopted) !== undefined && signedRosterOf(adopted).roster.length > 0) {
      const { roster } = signedRosterOf(adopted)
      if (Buffer.compare(Buffer.from(roster), Buffer.from(chain.current.bytes)) === 0) return adopted
    }
    const installed = await installedRoster(this.#c.dir)
    if (chain.current.roster.version === 1) return installed.file
    // a version learnt from a peer's log: its file is rebuilt from the signed roster (sealed keys travel in key-epoch entries)
    const signed = chain.current.signed
    return { ...installed.file, roster: Buffer.from(signed.roster).toString('base64'), signatures: signed.signatures.map(s => ({ org: chain.versions[chain.versions.length - 2]?.memberOf(s.key)?.member.org ?? '', key: Buffer.from(s.key).toString('hex'), signature: Buffer.from(s.signature).toString('hex') })) }
  }

  /**
   * Adopts roster version n+1 (signed by the governance threshold of version
   * n) and publishes it in this node's log so every node adopts it too.
   * When the version opens a new key epoch, the file's sealed keys are
   * published with it (a `key-epoch` entry), so every member node — also
   * one offline today — finds its copy in the logs.
   */
  async adopt (input: unknown): Promise<{ version: number, changed: boolean }> {
    const file = parseRosterFile(input)
    const signed = signedRosterOf(file)
    const before = this.#c.state.policy.epoch
    const next = await this.#c.ingestor.addRoster(signed)
    if (next === undefined) return { version: this.#c.state.current.roster.version, changed: false }
    await this.#c.store.putMeta('rosterFile', file)
    const bodies: Body[] = [{ type: 'roster', signed }]
    const p = next.roster.policy
    if (p.epoch !== before && file.keyEpoch.epoch === p.epoch) {
      bodies.push({ type: 'key-epoch', suite: file.keyEpoch.suite, epoch: file.keyEpoch.epoch, commitment: new Uint8Array(Buffer.from(file.keyEpoch.commitment, 'hex')), sealed: sealedKeysOf(file) })
    }
    await this.#c.publish(bodies)
    return { version: next.roster.version, changed: true }
  }
}
