/**
 * `alliance report evidence`: a report's evidence as plain files for police
 * tools. The node exports the evidence bundle (logged as `exported` in the
 * chain of custody); the bundle is verified here against the installed
 * roster's genesis while its evidence files stream out; only if everything
 * verifies are the files moved under their names, with manifest.json and a
 * SHA256SUMS file (`sha256sum -c SHA256SUMS`). The bundle stays beside them
 * for `alliance report verify`.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { toHex } from '../../protocol/bytes.js'
import { describeFailure, verifyBundle } from '../../protocol/report/index.js'
import { installedRoster } from '../roster-file.js'
import { BundleVerificationError } from '../reports/errors.js'
import { AS_OPTION, leaf, operatorOf, type Context } from './common.js'
import { result, table, type CommonOptions } from './output.js'

export function registerReportEvidence (report: Command, ctx: Context): void {
  leaf(report.command('evidence')
    .summary('the report\'s evidence files under their names, verified, with manifest.json and SHA256SUMS for police tools')
    .argument('<dir>', 'node directory (its daemon must be running)')
    .argument('<report-id>', 'report id (32 hex digits)')
    .requiredOption('--out <folder>', 'folder to write (created; must be empty)')
    .option(...AS_OPTION))
    .action(async (dir: string, id: string, opts: CommonOptions & { out: string, as?: string }) => {
      if (!/^[0-9a-f]{32}$/.test(id)) ctx.usage('a report id is 32 lower-case hex digits (alliance report outbox / inbox list them)')
      const out = resolve(opts.out)
      const present = await readdir(out).catch(() => [])
      if (present.length > 0) ctx.usage(`${out} is not empty; give a new folder (evidence is never mixed with other files)`)
      const genesisId = (await installedRoster(dir)).chain.versions[0].id
      const client = await ctx.client(dir)
      await mkdir(out, { recursive: true, mode: 0o700 })
      const bundle = join(out, `report-${id}.bundle`)
      const exported = await client.reportExport(id, bundle, operatorOf(opts.as))

      const partial = join(out, '.partial')
      await mkdir(partial, { mode: 0o700 })
      const files = new Map<number, { fh: FileHandle, hash: Hash }>()
      let verdict
      try {
        verdict = await verifyBundle(createReadStream(bundle, { highWaterMark: 1024 * 1024 }), {
          genesisId,
          onEvidence: async ({ index }, piece) => {
            let f = files.get(index)
            if (f === undefined) {
              f = { fh: await open(join(partial, String(index)), 'wx', 0o600), hash: createHash('sha256') }
              files.set(index, f)
            }
            await f.fh.write(piece)
            f.hash.update(piece)
          }
        })
      } finally {
        for (const f of files.values()) await f.fh.close()
      }
      if (!verdict.ok || verdict.report === undefined) {
        await rm(partial, { recursive: true, force: true })
        throw new BundleVerificationError(verdict.failures, describeFailure(verdict.failures[0] ?? { part: 'bundle', reason: 'malformed', detail: 'no report' }))
      }

      const evidenceDir = join(out, 'evidence')
      await mkdir(evidenceDir, { mode: 0o700 })
      const taken = new Set<string>()
      const manifestFiles: Array<{ name: string, file: string, size: number, sha256: string, mediaType: string, description: string }> = []
      for (const [index, file] of verdict.report.evidence.entries()) {
        // names are checked when a report is parsed (no / or control characters); two files may share one
        const name = taken.has(file.name) ? `${index + 1}-${file.name}` : file.name
        taken.add(name)
        const written = files.get(index)
        if (written === undefined) await writeFile(join(partial, String(index)), new Uint8Array(0), { mode: 0o600 }) // an empty file streams no piece
        const sha256 = written !== undefined ? written.hash.digest('hex') : createHash('sha256').digest('hex')
        if (sha256 !== toHex(file.sha256)) throw new BundleVerificationError([{ part: `evidence:${file.name}`, reason: 'digest_mismatch', detail: 'the extracted copy differs from the signed digest' }], `evidence:${file.name} extracted copy differs`)
        await rename(join(partial, String(index)), join(evidenceDir, name))
        manifestFiles.push({ name: file.name, file: `evidence/${name}`, size: file.size, sha256, mediaType: file.mediaType, description: file.description })
      }
      await rm(partial, { recursive: true, force: true })
      const manifest = {
        format: 'alliance-evidence-manifest/1',
        report: id,
        genesisId: toHex(genesisId),
        author: verdict.author ?? null,
        exportedBy: exported.exporter,
        bundle: { file: `report-${id}.bundle`, bytes: exported.bytes, sha256: exported.sha256 },
        receipts: verdict.receipts.map(r => ({ org: r.org, received: new Date(r.received).toISOString() })),
        verified: true,
        files: manifestFiles
      }
      await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })
      const sums = [...manifestFiles.map(f => `${f.sha256}  ${f.file}`), `${exported.sha256}  ${manifest.bundle.file}`]
      await writeFile(join(out, 'SHA256SUMS'), sums.join('\n') + '\n', { mode: 0o600 })
      await result(ctx.io, opts, () => [
        `${manifestFiles.length} evidence file${manifestFiles.length === 1 ? '' : 's'} of report ${id} written to ${out}/evidence, verified against the roster`,
        table(manifestFiles.map(f => [f.file, `${f.size} bytes  sha256 ${f.sha256}`])),
        `manifest: ${out}/manifest.json; check the copies with: (cd ${out} && sha256sum -c SHA256SUMS)`
      ].join('\n'), manifest)
    })
}
