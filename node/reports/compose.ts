/**
 * The author's side of `send`, up to a signed report: the request checked
 * (recipients, evidence paths) before anything is read, the evidence
 * measured against the node's limit, then hashed, and the report built and
 * signed. Every refusal is a named error and nothing has been written.
 * outbox.ts encrypts the result into an envelope and queues it.
 */
import type { FileHandle } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import type { FileAccess } from '../file-access.js'
import { FileNotAllowedError } from '../errors.js'
import type { Signer } from '../../protocol/ed25519.js'
import {
  buildReport, digestEvidence, evidenceEntry, parseReportInput, signReport, validateRecipients,
  type EvidenceFile, type EvidenceInput, type Report, type ReportInput, type SignedReportResult
} from '../../protocol/report/index.js'
import type { RosterChain } from '../../protocol/roster/index.js'
import type { ReportSendRequest } from '../service.js'
import { EvidenceFileError, InvalidReportRequestError, ReportTooLargeError } from './errors.js'
import { READ_CHUNK_BYTES } from './files.js'

/** A send request that passed the checks that need no file: its input, the extra recipients (`--to`), every evidence file. */
export interface SendPlan {
  input: ReportInput
  to: string[]
  entries: EvidenceInput[]
}

/** Parses the report input and checks the recipients against the current roster (protocol/report's named errors, InvalidReportRequestError). */
export function planSend (req: ReportSendRequest, chain: RosterChain): SendPlan {
  const input = parseReportInput(req.report)
  const to = req.to ?? []
  const recipients = [...new Set([...input.recipients, ...to])]
  if (recipients.length === 0) throw new InvalidReportRequestError('name at least one law-enforcement recipient (--to <org>)')
  validateRecipients({ recipients }, chain.current)
  return { input, to, entries: [...input.evidence, ...(req.evidence ?? []).map(path => ({ path }))] }
}

export interface ComposeContext {
  chain: RosterChain
  org: string
  signer: Signer
  created: number
  maxReportBytes: number
  /** Where evidence may be read from (the node directory never). */
  files: FileAccess
}

/** A report built and signed from a plan; `entries[i]` is where evidence `i` is read from. */
export interface Composed {
  report: Report
  signed: SignedReportResult
  entries: EvidenceInput[]
  files: EvidenceFile[]
  /** total evidence bytes as measured before hashing */
  total: number
}

/**
 * Checks every rule but the evidence digests before any file is read, then
 * the evidence files' presence and total size (ReportTooLargeError over
 * `maxReportBytes`), then hashes them in READ_CHUNK_BYTES pieces and builds
 * and signs the report.
 */
export async function composeReport (plan: SendPlan, ctx: ComposeContext): Promise<Composed> {
  const { entries } = plan
  for (const e of entries) {
    if (!isAbsolute(e.path)) throw new InvalidReportRequestError(`evidence path ${JSON.stringify(e.path)} is not absolute; give paths on the node's machine (the CLI resolves them for you)`)
  }
  const base = { input: plan.input, alliance: ctx.chain.alliance, author: ctx.org, authorKey: ctx.signer.publicKey, created: ctx.created, recipients: plan.to }
  buildReport({ ...base, evidence: entries.map(e => evidenceEntry(e, { sha256: new Uint8Array(32), size: 0 })) })

  let total = 0
  for (const e of entries) {
    const fh = await openEvidence(ctx.files, e.path)
    try {
      total += (await fh.stat()).size
    } finally {
      await fh.close()
    }
  }
  if (total > ctx.maxReportBytes) throw new ReportTooLargeError(total, ctx.maxReportBytes)

  const files: EvidenceFile[] = []
  for (const e of entries) {
    const fh = await openEvidence(ctx.files, e.path)
    try {
      files.push(evidenceEntry(e, await digestEvidence(fh.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false }))))
    } catch (err) {
      throw new EvidenceFileError(e.path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
    } finally {
      await fh.close().catch(() => {})
    }
  }
  // a file may have grown between stat and hashing
  const hashed = files.reduce((a, f) => a + f.size, 0)
  if (hashed > ctx.maxReportBytes) throw new ReportTooLargeError(hashed, ctx.maxReportBytes)
  const report = buildReport({ ...base, evidence: files })
  return { report, signed: signReport(ctx.signer, report), entries, files, total }
}

/**
 * Opens an evidence file through the node's file policy (no-follow, a
 * regular file outside the node directory and inside `files.read`):
 * FileNotAllowedError for a refused place, EvidenceFileError for a file
 * that is missing or cannot be read.
 */
export async function openEvidence (files: FileAccess, path: string): Promise<FileHandle> {
  try {
    return await files.openRead(path, 'evidence file')
  } catch (err) {
    if (err instanceof FileNotAllowedError) {
      if (err.rule === 'not_a_file') throw new EvidenceFileError(path, 'is not a regular file', { cause: err })
      throw err
    }
    const code = (err as NodeJS.ErrnoException).code
    throw new EvidenceFileError(path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`, { cause: err })
  }
}

/** An evidence file's bytes, opened through the node's file policy again (the author's node reads each file twice: digest, then envelope). */
export async function * readEvidenceFile (files: FileAccess, path: string): AsyncGenerator<Uint8Array> {
  const fh = await openEvidence(files, path)
  try {
    yield * fh.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: false })
  } finally {
    await fh.close().catch(() => {})
  }
}
