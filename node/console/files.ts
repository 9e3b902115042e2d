/**
 * What the console moves as files rather than JSON: a report's evidence
 * file and its evidence bundle (downloads on the report page), and evidence
 * uploaded for a new report. All are POSTs with the session's CSRF token:
 * each download leaves a record in the report's chain of custody.
 *
 * - Evidence: the file the node holds (a recipient's checked copy, or the
 *   author's original), with the SHA-256 the author signed in
 *   `x-evidence-sha256`; the page hashes what it received and compares.
 * - Bundle: the same bundle `alliance report export` writes (the node's
 *   reportExport, into a private temporary folder under the node
 *   directory), streamed to the browser, then deleted.
 * - Upload: streamed to <dir>/console/evidence/<random>/<name> (0600, kept:
 *   a sent report's evidence must stay where it was, the node re-reads it
 *   for bundles); answers the absolute path for POST /v1/reports.
 */
import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ComponentLogger } from '../logger.js'
import { writeStreamToFile } from '../reports/files.js'
import type { NodeService } from '../service.js'

/** Largest evidence file the console takes in one upload (a bigger one: put it on the node's machine and use `alliance report send`). */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024

/** An evidence file of a report held by the node. */
export interface EvidenceFileView {
  /** Absolute path of the node's copy. */
  path: string
  name: string
  size: number
  mediaType: string
  /** SHA-256 the author signed (hex). */
  sha256: string
}

/** The node's reports, as far as the console's downloads need them. */
export interface ConsoleReports {
  /** Evidence file `index` of report `id`; logged in the report's chain of custody. */
  evidenceFile: (id: string, index: number, by: string) => Promise<EvidenceFileView>
}

type Guarded = (mutating: boolean, asPage: boolean, body: (req: FastifyRequest, reply: FastifyReply, session: { id: string, csrf: string }) => Promise<unknown>) => (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>

export interface ConsoleFilesInit {
  guarded: Guarded
  service: NodeService
  reports: ConsoleReports
  /** Private folder for bundles on their way out. */
  tmpDir: string
  /** Where uploaded evidence is kept. */
  uploadDir: string
  logger: ComponentLogger
}

const REPORT_ID = /^[0-9a-f]{32}$/

/** A file name safe for a header and a path: the last path segment, odd characters replaced. */
export function safeFileName (raw: string): string {
  const name = basename(raw.replace(/\\/g, '/')).replace(/[^\p{L}\p{N}._ -]/gu, '_').replace(/^\.+/, '_').slice(0, 200)
  return name.length === 0 ? 'evidence' : name
}

/** `attachment; filename=…` with an ASCII fallback and the UTF-8 name (RFC 6266). */
function disposition (name: string): string {
  return `attachment; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

async function * limited (source: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let n = 0
  for await (const chunk of source) {
    n += chunk.length
    if (n > max) throw Object.assign(new Error('upload too large'), { tooLarge: true })
    yield chunk
  }
}

export function registerConsoleFiles (app: FastifyInstance, o: ConsoleFilesInit): void {
  // an encapsulated context: only these routes take raw bodies
  void app.register(async (sub) => {
    sub.addContentTypeParser('application/octet-stream', (_req, payload, done) => { done(null, payload) })

    sub.post('/console/reports/:id/evidence/:index', o.guarded(true, false, async (req, reply) => {
      const { id, index } = req.params as { id: string, index: string }
      if (!REPORT_ID.test(id) || !/^\d{1,4}$/.test(index)) return await reply.code(400).send({ error: 'invalid_params', message: 'a report id is 32 hex digits and an evidence index a small whole number' })
      const ev = await o.reports.evidenceFile(id, Number(index), 'console')
      return await reply.header('content-type', 'application/octet-stream')
        .header('content-disposition', disposition(safeFileName(ev.name)))
        .header('x-evidence-sha256', ev.sha256)
        .header('content-length', String(ev.size))
        .send(createReadStream(ev.path))
    }))

    sub.post('/console/reports/:id/bundle', o.guarded(true, false, async (req, reply) => {
      const { id } = req.params as { id: string }
      if (!REPORT_ID.test(id)) return await reply.code(400).send({ error: 'invalid_report_id', message: 'a report id is 32 lower-case hex digits' })
      await mkdir(o.tmpDir, { recursive: true, mode: 0o700 })
      const folder = join(o.tmpDir, randomBytes(12).toString('hex'))
      await mkdir(folder, { mode: 0o700 })
      const cleanup = (): void => { void rm(folder, { recursive: true, force: true }) }
      try {
        const out = join(folder, 'report.bundle')
        const r = await o.service.reportExport(id, out)
        reply.raw.once('close', cleanup)
        return await reply.header('content-type', 'application/octet-stream')
          .header('content-disposition', disposition(`report-${id}.bundle`))
          .header('x-bundle-sha256', r.sha256)
          .header('content-length', String(r.bytes))
          .send(createReadStream(out))
      } catch (err) {
        cleanup()
        throw err
      }
    }))

    sub.post('/console/uploads', { bodyLimit: MAX_UPLOAD_BYTES }, o.guarded(true, false, async (req, reply) => {
      if (req.headers['content-type'] !== 'application/octet-stream') return await reply.code(415).send({ error: 'unsupported_media_type', message: 'send the file as application/octet-stream' })
      const rawName = req.headers['x-file-name']
      let name = 'evidence'
      try { if (typeof rawName === 'string') name = safeFileName(decodeURIComponent(rawName)) } catch { /* a malformed name: the default */ }
      const folder = join(o.uploadDir, randomBytes(12).toString('hex'))
      await mkdir(folder, { recursive: true, mode: 0o700 })
      const path = join(folder, name)
      try {
        const w = await writeStreamToFile(path, limited(req.body as AsyncIterable<Uint8Array>, MAX_UPLOAD_BYTES), { hash: true })
        o.logger.info('console evidence uploaded', { bytes: w.bytes })
        return { path, name, size: w.bytes, sha256: w.sha256 as string }
      } catch (err) {
        await rm(folder, { recursive: true, force: true })
        if ((err as { tooLarge?: boolean }).tooLarge === true) return await reply.code(413).send({ error: 'body_too_large', message: `an uploaded file may be at most ${MAX_UPLOAD_BYTES} bytes` })
        throw err
      }
    }))
  })
}
