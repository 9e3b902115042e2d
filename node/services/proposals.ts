/**
 * Roster proposals: version n+1 while it collects signatures.
 *
 * `alliance roster propose <dir> <roster.json>` hands a partly signed next
 * version to the node (POST /v1/roster/proposals). The node keeps it in
 * `<dir>/proposals/<roster id>.json` — an ordinary alliance-roster/1 file,
 * so it can be signed and installed from there — once it has checked that
 * the version extends the one in force (alliance, number, prev, policy
 * continuity: everything `verifyNext` checks but the signature count) and
 * that every signature on it verifies and comes from an org of the version
 * in force. A proposal of a version it already holds merges the new
 * signatures in. The console's Alliance page and `alliance roster proposals`
 * list them with who signed and who has not; a proposal disappears once the
 * chain moves past it (the version adopted, here or by any member, or
 * another version n+1 adopted instead).
 *
 * Proposals are local to the node: they do not travel. Signatures are
 * collected by passing the file from org to org (`alliance roster sign`),
 * as for the genesis.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesEqual, toHex } from '../../protocol/bytes.js'
import { decodeRoster } from '../../protocol/codec/index.js'
import { InsufficientSignaturesError, RosterChainError, rosterId, signaturesSoFar, verifyNext, type RosterVersion } from '../../protocol/roster/index.js'
import { vocabularyOf } from '../../protocol/roster/reasons.js'
import type { Roster } from '../../protocol/types.js'
import { NodeError, type ErrorCategory } from '../errors.js'
import { writeJson } from '../home.js'
import type { ComponentLogger } from '../logger.js'
import { parseRosterFile, signedRosterOf, type RosterFile } from '../roster-file.js'
import type { ConsensusState } from './consensus-state.js'

export const PROPOSALS_DIR = 'proposals'
/** Proposals of one version held at once: a few competing drafts, not a place to store files. */
export const MAX_PROPOSALS = 16

/** One version n+1 waiting for signatures, as `GET /v1/roster/proposals` shows it. */
export interface RosterProposalView {
  /** Roster id of the proposed version (hex); the file is `<dir>/proposals/<id>.json`. */
  id: string
  version: number
  takesEffect: string
  /** When the node last received it (a merge of signatures counts). */
  updatedAt: string
  /** What it changes against the version in force, one line each. */
  changes: string[]
  /** Orgs of the version in force whose valid signature it carries. */
  signedBy: string[]
  /** Orgs of the version in force that have not signed. */
  missing: string[]
  /** Signatures needed: the governance threshold of the version in force. */
  need: number
  /** Enough signatures: `alliance roster install <dir> <file>` adopts it. */
  ready: boolean
  /** Where the node keeps the file (on the node's machine). */
  file: string
}

/** A proposal the node holds too many of. */
export class TooManyProposalsError extends NodeError {
  constructor () {
    super('too_many_proposals', `the node holds ${MAX_PROPOSALS} roster proposals already; adopt one or remove files from its ${PROPOSALS_DIR}/ folder`)
    this.name = 'TooManyProposalsError'
  }

  override get category (): ErrorCategory { return 'conflict' }
}

export interface RosterProposalsComponents {
  dir: string
  state: ConsensusState
  logger: ComponentLogger
}

/** What version n+1 changes against version n, for people. */
export function rosterChanges (from: Roster, to: Roster): string[] {
  const out: string[] = []
  const before = new Map(from.members.map(m => [m.org, m]))
  const after = new Map(to.members.map(m => [m.org, m]))
  for (const [org] of after) if (!before.has(org)) out.push(`adds ${org}`)
  for (const [org] of before) if (!after.has(org)) out.push(`removes ${org}`)
  for (const [org, m] of after) {
    const was = before.get(org)
    if (was === undefined) continue
    const keys = (x: typeof m): string => x.nodes.map(n => toHex(n.signKey)).sort().join()
    if (keys(was) !== keys(m)) out.push(`changes the nodes of ${org} (${was.nodes.length} → ${m.nodes.length})`)
    if ([...was.roles].sort().join() !== [...m.roles].sort().join()) out.push(`changes the roles of ${org} to ${m.roles.join(', ')}`)
  }
  const p = from.policy
  const q = to.policy
  if (p.quorum !== q.quorum) out.push(`quorum ${p.quorum} → ${q.quorum}`)
  if (p.governanceThreshold !== q.governanceThreshold) out.push(`governance threshold ${p.governanceThreshold} → ${q.governanceThreshold}`)
  if (p.epoch !== q.epoch) out.push(`new fingerprint key epoch ${q.epoch} (key rotation)`)
  const was = new Set(vocabularyOf(p).map(r => r.name))
  const now = new Set(vocabularyOf(q).map(r => r.name))
  const addedReasons = [...now].filter(n => !was.has(n))
  const retired = [...was].filter(n => !now.has(n))
  if (addedReasons.length > 0) out.push(`adds reasons ${addedReasons.join(', ')}`)
  if (retired.length > 0) out.push(`retires reasons ${retired.join(', ')}`)
  if (p.maxLifetimeMs !== q.maxLifetimeMs) out.push(`maximum lifetime ${Math.round(p.maxLifetimeMs / 86_400_000)} → ${Math.round(q.maxLifetimeMs / 86_400_000)} days`)
  if (out.length === 0) out.push('no change of members or policy')
  return out
}

export class RosterProposals {
  readonly #c: RosterProposalsComponents
  #turn: Promise<unknown> = Promise.resolve()

  constructor (components: RosterProposalsComponents) {
    this.#c = components
  }

  get #folder (): string { return join(this.#c.dir, PROPOSALS_DIR) }

  /**
   * Checks a partly signed version n+1 and keeps it (merging signatures into
   * a proposal of the same version held already). Throws the roster
   * verification's named error, or RosterFileError, and keeps nothing.
   */
  async propose (input: unknown): Promise<RosterProposalView> {
    return await this.#serial(async () => {
      const file = parseRosterFile(input)
      const current = this.#c.state.current
      // every signature of the file given must verify on its own: a merge keeps the held signature of a key
      check(current, file)
      const held = await this.#read(this.#id(file))
      const merged = held === undefined ? file : mergeSignatures(held, file)
      const checked = check(current, merged)
      if (held === undefined && (await this.#files()).length >= MAX_PROPOSALS) {
        await this.#prune()
        if ((await this.#files()).length >= MAX_PROPOSALS) throw new TooManyProposalsError()
      }
      await mkdir(this.#folder, { recursive: true, mode: 0o700 })
      const path = join(this.#folder, `${checked.id}.json`)
      await writeJson(path, checked.file, 0o600)
      this.#c.logger.info('roster proposal kept', { version: checked.roster.version, id: checked.id, signedBy: checked.signedBy.length })
      return view(current, checked, path, new Date())
    })
  }

  /** Proposals of the next version, oldest first; drops those the chain has moved past. */
  async list (): Promise<RosterProposalView[]> {
    return await this.#serial(async () => {
      const current = this.#c.state.current
      const out: RosterProposalView[] = []
      for (const name of await this.#files()) {
        const path = join(this.#folder, name)
        const file = await this.#read(name.slice(0, -'.json'.length))
        let checked: Checked | undefined
        try {
          if (file !== undefined) checked = check(current, file)
        } catch (err) {
          this.#c.logger.info('roster proposal dropped', { file: name, why: (err as Error).message })
        }
        if (checked === undefined) {
          await rm(path, { force: true })
          continue
        }
        out.push(view(current, checked, path, (await stat(path)).mtime))
      }
      return out.sort((a, b) => a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : 0)
    })
  }

  async #prune (): Promise<void> {
    const current = this.#c.state.current
    for (const name of await this.#files()) {
      const file = await this.#read(name.slice(0, -'.json'.length))
      try {
        if (file !== undefined) { check(current, file); continue }
      } catch {}
      await rm(join(this.#folder, name), { force: true })
    }
  }

  #id (file: RosterFile): string {
    return toHex(rosterId(signedRosterOf(file).roster))
  }

  async #files (): Promise<string[]> {
    try {
      return (await readdir(this.#folder)).filter(n => /^[0-9a-f]{64}\.json$/.test(n))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }

  async #read (id: string): Promise<RosterFile | undefined> {
    let text: string
    try {
      text = await readFile(join(this.#folder, `${id}.json`), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    try {
      const file = parseRosterFile(JSON.parse(text))
      return this.#id(file) === id ? file : undefined
    } catch {
      return undefined // damaged or edited by hand: not a proposal any more (list() removes it)
    }
  }

  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const turn = this.#turn.then(fn)
    this.#turn = turn.catch(() => undefined)
    return await turn
  }
}

interface Checked {
  id: string
  file: RosterFile
  roster: Roster
  signedBy: string[]
}

/**
 * Everything verifyNext checks, except that too few signatures is fine.
 * The file's signatures are rewritten with the org each key belongs to.
 */
function check (current: RosterVersion, file: RosterFile): Checked {
  const signed = signedRosterOf(file)
  const roster = decodeRoster(signed.roster)
  if (roster.version <= current.roster.version) throw new RosterChainError(`version ${roster.version} is not ahead of version ${current.roster.version}, the one in force`)
  if (roster.version > current.roster.version + 1) throw new RosterChainError(`version ${roster.version} skips ahead: the version in force is ${current.roster.version}, so only version ${current.roster.version + 1} can be proposed`)
  if (!bytesEqual(roster.prev, current.id)) throw new RosterChainError(`prev does not name version ${current.roster.version} in force here (drafted from another version?)`)
  try {
    verifyNext(current, signed)
  } catch (err) {
    if (!(err instanceof InsufficientSignaturesError)) throw err
  }
  const p = roster.policy
  if (file.keyEpoch.suite !== p.suite || file.keyEpoch.epoch !== p.epoch || file.keyEpoch.commitment !== toHex(p.epochKeyCommitment)) {
    throw new RosterChainError('keyEpoch does not match the roster policy (suite, epoch or commitment)')
  }
  const signedBy = signaturesSoFar(signed, current)
  const signatures = file.signatures.map(s => ({ ...s, org: current.memberOf(hexBytes(s.key))?.member.org ?? s.org }))
  return { id: toHex(rosterId(signed.roster)), file: { ...file, signatures }, roster, signedBy }
}

function hexBytes (hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** `held` with the signatures of `file` it lacks (by key). */
function mergeSignatures (held: RosterFile, file: RosterFile): RosterFile {
  const keys = new Set(held.signatures.map(s => s.key))
  return { ...held, signatures: [...held.signatures, ...file.signatures.filter(s => !keys.has(s.key))] }
}

function view (current: RosterVersion, c: Checked, path: string, updated: Date): RosterProposalView {
  const need = current.roster.policy.governanceThreshold
  return {
    id: c.id,
    version: c.roster.version,
    takesEffect: new Date(c.roster.time).toISOString(),
    updatedAt: updated.toISOString(),
    changes: rosterChanges(current.roster, c.roster),
    signedBy: c.signedBy,
    missing: current.roster.members.map(m => m.org).filter(o => !c.signedBy.includes(o)),
    need,
    ready: c.signedBy.length >= need,
    file: path
  }
}
