/**
 * roster.json: how a roster travels between orgs while it collects
 * signatures, and how it is installed on a node.
 *
 * ```json
 * { "format": "alliance-roster/1",
 *   "roster": "<base64 of the exact encoded Roster: what signatures cover>",
 *   "signatures": [{ "org": "brand-a", "key": "<hex>", "signature": "<hex>" }],
 *   "keyEpoch": { "suite": "hmac-sha256", "epoch": 1, "commitment": "<hex>",
 *                 "sealed": [{ "recipient": "<hex>", "enc": "<hex>", "ciphertext": "<hex>" }] },
 *   "summary": { … human-readable view, ignored when verifying … } }
 * ```
 *
 * `roster create` generates the alliance's first fingerprint epoch key,
 * seals it to every member node's X25519 key (HPKE) and forgets it: from
 * then on only member nodes can open it. The roster's policy carries the
 * key's commitment, so a node checks it opened the key every member uses.
 * `roster next --rotate-key` does the same for epoch n+1, sealed only to
 * the members of the new version (protocol/fingerprint/material.ts).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { bytesEqual, fromHex, toHex } from '../protocol/bytes.js'
import type { Signer } from '../protocol/ed25519.js'
import { createEpochMaterial, TOPRF_RISTRETTO255, type EpochMaterial } from '../protocol/fingerprint/index.js'
import { DEFAULT_QUOTA_SUBJECT } from '../protocol/roster/guardians.js'
import { keepSealedKey } from './services/fingerprints.js'
import { DEFAULT_POLICY, RosterChain, majority, signRoster, signaturesSoFar, unsignedRoster, verifyGenesis, type RosterVersion } from '../protocol/roster/index.js'
import { decodeRoster } from '../protocol/codec/index.js'
import type { Policy, Quota, Reason, Roster, SealedKey, SignedRoster } from '../protocol/types.js'
import { assertReasonContinuity, vocabularyOf } from '../protocol/roster/reasons.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { NodeError } from './errors.js'
import { ROSTER_FILE, cardSchema, writeJson, type MemberCard } from './home.js'
import type { ErrorCategory } from './errors.js'
import type { NodeKeys } from './keys.js'

export const ROSTER_FORMAT = 'alliance-roster/1'

export class RosterFileError extends NodeError {
  constructor (why: string) {
    super('roster_file', `roster file: ${why}`)
    this.name = 'RosterFileError'
  }

  override get category (): ErrorCategory { return 'input' }
}

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/)
const rosterFileSchema = z.object({
  format: z.literal(ROSTER_FORMAT),
  roster: z.string().min(1),
  signatures: z.array(z.object({ org: z.string(), key: hex, signature: hex })),
  keyEpoch: z.object({
    suite: z.string(),
    epoch: z.number().int().min(0),
    commitment: hex,
    sealed: z.array(z.object({ recipient: hex, enc: hex, ciphertext: hex }))
  }),
  summary: z.unknown().optional()
})
export type RosterFile = z.infer<typeof rosterFileSchema>

export interface CreateRosterOptions {
  alliance: string
  quorum: number
  cards: MemberCard[]
  /** Orgs needed to approve the next version. @default majority of members */
  governanceThreshold?: number
  policy?: Partial<Omit<Policy, 'epochKeyCommitment' | 'quorum' | 'governanceThreshold'>>
  /** When version 1 takes effect (ms). @default now */
  time?: number
  /** toprf-ristretto255: guardian orgs (each org's first card is its share-holding node), in share-index order. */
  guardians?: string[]
  /** toprf-ristretto255: shares needed (t). @default a majority of the guardians */
  threshold?: number
  /** toprf-ristretto255: evaluations per UTC day, per guardian. @default [*=1,000,000] */
  quotas?: Quota[]
}

/** toprf: a quota applies to every org not named unless the roster says otherwise. */
export const DEFAULT_QUOTAS: Quota[] = [{ subject: DEFAULT_QUOTA_SUBJECT, perDay: 1_000_000 }]

/** The box key of each guardian org's share-holding node: its first node in the roster. */
function guardianNodes (members: Roster['members'], orgs: string[]): Array<{ org: string, boxKey: Uint8Array }> {
  if (new Set(orgs).size !== orgs.length) throw new RosterFileError('--guardians names an org twice')
  return orgs.map(org => {
    const m = members.find(x => x.org === org)
    if (m === undefined) throw new RosterFileError(`guardian ${org} is not a member org (members: ${members.map(x => x.org).join(', ')})`)
    return { org, boxKey: m.nodes[0].boxKey }
  })
}

function summary (r: Roster): unknown {
  return {
    alliance: r.alliance,
    version: r.version,
    takesEffect: new Date(r.time).toISOString(),
    quorum: r.policy.quorum,
    governanceThreshold: r.policy.governanceThreshold,
    suite: r.policy.suite,
    epoch: r.policy.epoch,
    reasons: r.policy.reasons.length > 0 ? r.policy.reasons.map(x => x.name) : `defaults (${vocabularyOf(r.policy).map(x => x.name).join(', ')})`,
    ...(r.policy.guardians.length > 0
      ? { guardians: r.policy.guardians.map(g => g.org), threshold: r.policy.guardianThreshold, quotas: Object.fromEntries(r.policy.quotas.map(q => [q.subject, q.perDay])) }
      : {}),
    members: r.members.map(m => ({ org: m.org, name: m.name, roles: m.roles, nodes: m.nodes.length }))
  }
}

/** Merges cards of one org (several nodes) into members; validates every card. */
function membersFromCards (cards: MemberCard[]): Roster['members'] {
  const byOrg = new Map<string, Roster['members'][number]>()
  for (const [i, raw] of cards.entries()) {
    const parsed = cardSchema.safeParse(raw)
    if (!parsed.success) throw new RosterFileError(`card ${i + 1} is invalid: ${parsed.error.issues.map(x => `${x.path.join('.')}: ${x.message}`).join('; ')}`)
    const c = parsed.data
    let peer
    try { peer = peerIdFromString(c.peerId) } catch { throw new RosterFileError(`card ${i + 1} (${c.org}): peerId is not a libp2p peer id`) }
    const node = { signKey: fromHex(c.signKey), boxKey: fromHex(c.boxKey), peerId: peer.toMultihash().bytes, addrs: c.addrs }
    const m = byOrg.get(c.org)
    if (m === undefined) byOrg.set(c.org, { org: c.org, name: c.name, roles: c.roles, nodes: [node] })
    else {
      m.nodes.push(node)
      for (const r of c.roles) if (!m.roles.includes(r)) m.roles.push(r)
    }
  }
  return [...byOrg.values()]
}

/** `alliance roster create`: a genesis roster with a fresh epoch key sealed to every node. Unsigned. */
export async function createRosterFile (opts: CreateRosterOptions): Promise<RosterFile> {
  const members = membersFromCards(opts.cards)
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...opts.policy,
    quorum: opts.quorum,
    governanceThreshold: opts.governanceThreshold ?? majority(members.length),
    epochKeyCommitment: new Uint8Array(0)
  }
  const toprf = policy.suite === TOPRF_RISTRETTO255
  if (!toprf && (opts.guardians !== undefined || opts.threshold !== undefined || opts.quotas !== undefined)) {
    throw new RosterFileError(`guardians, threshold and quotas belong to suite ${TOPRF_RISTRETTO255}; this roster uses ${policy.suite}`)
  }
  if (toprf && (opts.guardians === undefined || opts.guardians.length === 0)) throw new RosterFileError(`suite ${TOPRF_RISTRETTO255} needs --guardians <org>,<org>,… (the orgs whose nodes hold the key's shares)`)
  const guardians = toprf ? guardianNodes(members, opts.guardians ?? []) : undefined
  const threshold = toprf ? opts.threshold ?? majority(guardians?.length ?? 1) : undefined
  if (guardians !== undefined && threshold !== undefined && (threshold < 1 || threshold > guardians.length)) throw new RosterFileError(`--threshold must be 1..${guardians.length} (the guardians), got ${threshold}`)
  const material = await createEpochMaterial({
    alliance: opts.alliance,
    suite: policy.suite,
    epoch: policy.epoch,
    recipients: members.flatMap(m => m.nodes.map(n => n.boxKey)),
    ...(guardians !== undefined ? { guardians, threshold } : {})
  })
  Object.assign(policy, material.policy, { epochKeyCommitment: material.commitment }, toprf ? { quotas: opts.quotas ?? DEFAULT_QUOTAS } : {})
  const roster: Roster = { alliance: opts.alliance, version: 1, prev: new Uint8Array(0), time: opts.time ?? Date.now(), members, policy }
  let signed: SignedRoster
  try {
    signed = unsignedRoster(roster)
  } catch (err) {
    throw new RosterFileError((err as Error).message)
  }
  return {
    format: ROSTER_FORMAT,
    roster: Buffer.from(signed.roster).toString('base64'),
    signatures: [],
    keyEpoch: keyEpochOf(material),
    summary: summary(roster)
  }
}

function keyEpochOf (m: EpochMaterial): RosterFile['keyEpoch'] {
  return { suite: m.suite, epoch: m.epoch, commitment: toHex(m.commitment), sealed: m.sealed.map(s => ({ recipient: toHex(s.recipient), enc: toHex(s.enc), ciphertext: toHex(s.ciphertext) })) }
}

export function parseRosterFile (json: unknown): RosterFile {
  const parsed = rosterFileSchema.safeParse(json)
  if (!parsed.success) throw new RosterFileError(`not an ${ROSTER_FORMAT} document: ${parsed.error.issues.map(x => `${x.path.join('.')}: ${x.message}`).join('; ')}`)
  return parsed.data
}

export async function readRosterFile (path: string): Promise<RosterFile> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch { throw new RosterFileError(`cannot read ${path}`) }
  let json: unknown
  try { json = JSON.parse(text) } catch { throw new RosterFileError(`${path} is not JSON`) }
  return parseRosterFile(json)
}

export function signedRosterOf (file: RosterFile): SignedRoster {
  return {
    roster: new Uint8Array(Buffer.from(file.roster, 'base64')),
    signatures: file.signatures.map(s => ({ key: fromHex(s.key), signature: fromHex(s.signature) }))
  }
}

export function sealedKeysOf (file: RosterFile): SealedKey[] {
  return file.keyEpoch.sealed.map(s => ({ recipient: fromHex(s.recipient), enc: fromHex(s.enc), ciphertext: fromHex(s.ciphertext) }))
}

/** `alliance roster sign`: adds this org's signature (replacing an earlier one by the same key). */
export function signRosterFile (file: RosterFile, signer: Signer, approvers?: RosterVersion): { file: RosterFile, org: string, signedBy: string[], missing: string[] } {
  const signed = signedRosterOf(file)
  const roster = decodeRoster(signed.roster)
  // genesis: the document's own members approve it; version n+1: the members of version n
  const approving = approvers !== undefined && roster.version > 1 ? approvers.roster.members : roster.members
  const me = approving.find(m => m.nodes.some(n => toHex(n.signKey) === toHex(signer.publicKey)))
  if (me === undefined) throw new RosterFileError('this node is not among the orgs that approve this roster version; only they sign it')
  const sig = signRoster(signer, signed.roster)
  const signatures = file.signatures.filter(s => s.key !== toHex(sig.key))
  signatures.push({ org: me.org, key: toHex(sig.key), signature: toHex(sig.signature) })
  const out = { ...file, signatures }
  const signedBy = signaturesSoFar(signedRosterOf(out), roster.version > 1 ? approvers : undefined)
  return { file: out, org: me.org, signedBy, missing: approving.map(m => m.org).filter(o => !signedBy.includes(o)) }
}

/** Verifies a fully signed genesis roster file. */
export function verifyRosterFile (file: RosterFile): RosterVersion {
  const v = verifyGenesis(signedRosterOf(file))
  const p = v.roster.policy
  if (file.keyEpoch.suite !== p.suite || file.keyEpoch.epoch !== p.epoch || file.keyEpoch.commitment !== toHex(p.epochKeyCommitment)) {
    throw new RosterFileError('keyEpoch does not match the roster policy (suite, epoch or commitment)')
  }
  return v
}

/**
 * `alliance roster install`: verifies the roster, opens this node's sealed
 * copy of the epoch key (checking the commitment), and writes roster.json and
 * keys/epoch-<n>.key (0600).
 */
export async function installRosterFile (dir: string, file: RosterFile, keys: NodeKeys): Promise<RosterVersion> {
  const v = verifyRosterFile(file)
  if (v.memberOf(keys.sign.publicKey) === undefined) throw new RosterFileError('this node\'s signing key is not in the roster; was its card included?')
  await keepSealedKey(dir, keys, { alliance: v.roster.alliance, policy: v.roster.policy, sealed: sealedKeysOf(file) })
  await writeJson(join(dir, ROSTER_FILE), file)
  return v
}

/** The installed roster of a node directory, verified. */
export async function installedRoster (dir: string): Promise<{ file: RosterFile, chain: RosterChain }> {
  const file = await readRosterFile(join(dir, ROSTER_FILE))
  verifyRosterFile(file)
  return { file, chain: RosterChain.fromGenesis(signedRosterOf(file)) }
}

export interface NextRosterOptions {
  /** Orgs to remove. */
  remove?: string[]
  /** Cards of nodes to add (new orgs or new nodes of existing orgs). */
  add?: MemberCard[]
  quorum?: number
  governanceThreshold?: number
  /** When the new version takes effect (ms). @default now */
  time?: number
  /**
   * Seals the current epoch's key to added nodes (only a member node holds
   * it: `sealHeldKey`). Without it, added nodes get no epoch key until the
   * next rotation. Not used with `rotateKey`.
   */
  sealForNewcomers?: (recipients: Uint8Array[]) => Promise<SealedKey[]>
  /**
   * Open epoch n+1 with a fresh key sealed only to the members of the new
   * version: removed members cannot fingerprint anything from then on, and
   * newcomers cannot reverse history made under earlier epochs.
   */
  rotateKey?: boolean
  /** toprf, with rotateKey: the guardian orgs of the new epoch. @default the current guardians still members */
  guardians?: string[]
  /** toprf, with rotateKey: t of the new epoch. @default the current threshold (at most the guardians) */
  threshold?: number
  /** toprf: new quotas (any version). @default unchanged */
  quotas?: Quota[]
  /** A new reason vocabulary (kept codes keep their names). @default unchanged */
  reasons?: Reason[]
}

/**
 * Version n+1 of the current roster with members removed or added; unsigned.
 * It must then be signed by the governance threshold of version n's orgs.
 */
export async function nextRosterFile (current: RosterVersion, currentFile: RosterFile, opts: NextRosterOptions): Promise<RosterFile> {
  const r = current.roster
  const remove = new Set(opts.remove ?? [])
  for (const org of remove) if (r.members.find(m => m.org === org) === undefined) throw new RosterFileError(`cannot remove ${org}: not a member`)
  let members = r.members.filter(m => !remove.has(m.org)).map(m => ({ ...m, nodes: [...m.nodes], roles: [...m.roles] }))
  const added = opts.add !== undefined && opts.add.length > 0 ? membersFromCards(opts.add) : []
  for (const a of added) {
    const existing = members.find(m => m.org === a.org)
    if (existing === undefined) members.push(a)
    else existing.nodes.push(...a.nodes)
  }
  members = members.sort((x, y) => x.org < y.org ? -1 : x.org > y.org ? 1 : 0)
  const next: Roster = {
    ...r,
    version: r.version + 1,
    prev: current.id,
    time: Math.max(opts.time ?? Date.now(), r.time),
    members,
    policy: {
      ...r.policy,
      quorum: opts.quorum ?? Math.min(r.policy.quorum, members.length),
      governanceThreshold: opts.governanceThreshold ?? Math.max(Math.min(r.policy.governanceThreshold, members.length), majority(members.length))
    }
  }
  if (opts.reasons !== undefined) {
    next.policy.reasons = opts.reasons
    assertReasonContinuity(r.policy, next.policy, (why) => new RosterFileError(why))
  }
  const toprf = r.policy.suite === TOPRF_RISTRETTO255
  if (toprf && opts.quotas !== undefined) next.policy.quotas = opts.quotas
  if (toprf && opts.rotateKey !== true) {
    if (opts.guardians !== undefined || opts.threshold !== undefined) throw new RosterFileError('guardians and threshold change only with a new key epoch: add --rotate-key')
    // the shares stay where they are: a guardian removed, or its share-holding node removed, needs a new deal
    const gone = r.policy.guardians.filter(g => !members.some(m => m.org === g.org && m.nodes.some(n => bytesEqual(n.boxKey, g.boxKey))))
    if (gone.length > 0) throw new RosterFileError(`guardian ${gone.map(g => g.org).join(', ')} would leave with its share of the key: add --rotate-key (a new epoch deals new shares)`)
  }
  if (opts.rotateKey === true) {
    let guardians: Array<{ org: string, boxKey: Uint8Array }> | undefined
    let threshold: number | undefined
    if (toprf) {
      guardians = guardianNodes(members, opts.guardians ?? r.policy.guardians.map(g => g.org).filter(o => members.some(m => m.org === o)))
      if (guardians.length === 0) throw new RosterFileError('no guardian is left in the new version: name the new epoch\'s guardians with --guardians')
      threshold = opts.threshold ?? Math.min(r.policy.guardianThreshold, guardians.length)
      if (threshold < 1 || threshold > guardians.length) throw new RosterFileError(`--threshold must be 1..${guardians.length} (the guardians), got ${threshold}`)
    }
    const material = await createEpochMaterial({
      alliance: r.alliance,
      suite: r.policy.suite,
      epoch: r.policy.epoch + 1,
      recipients: members.flatMap(m => m.nodes.map(n => n.boxKey)),
      ...(guardians !== undefined ? { guardians, threshold } : {})
    })
    next.policy.epoch = material.epoch
    next.policy.epochKeyCommitment = material.commitment
    Object.assign(next.policy, material.policy)
    let rotated: SignedRoster
    try {
      rotated = unsignedRoster(next)
    } catch (err) {
      throw new RosterFileError((err as Error).message)
    }
    return { format: ROSTER_FORMAT, roster: Buffer.from(rotated.roster).toString('base64'), signatures: [], keyEpoch: keyEpochOf(material), summary: summary(next) }
  }
  let signed: SignedRoster
  try {
    signed = unsignedRoster(next)
  } catch (err) {
    throw new RosterFileError((err as Error).message)
  }
  const keep = new Set(members.flatMap(m => m.nodes.map(n => toHex(n.boxKey))))
  const sealed = currentFile.keyEpoch.sealed.filter(s => keep.has(s.recipient))
  const have = new Set(sealed.map(s => s.recipient))
  const newcomers = members.flatMap(m => m.nodes.map(n => n.boxKey)).filter(k => !have.has(toHex(k)))
  // toprf: newcomers hold no key (only guardians hold shares), nothing to seal
  if (!toprf && newcomers.length > 0 && opts.sealForNewcomers !== undefined) {
    const more = await opts.sealForNewcomers(newcomers)
    sealed.push(...more.map(s => ({ recipient: toHex(s.recipient), enc: toHex(s.enc), ciphertext: toHex(s.ciphertext) })))
  }
  return { format: ROSTER_FORMAT, roster: Buffer.from(signed.roster).toString('base64'), signatures: [], keyEpoch: { ...currentFile.keyEpoch, sealed }, summary: summary(next) }
}
