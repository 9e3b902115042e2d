import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mapToLines } from '../../../../node/cli/attest.js'
import { parseDuration } from '../../../../node/cli/duration.js'
import { MAX_ROW_CHARS, readIdentifiersFile } from '../../../../node/cli/identifiers-file.js'
import { EXIT, exitCodeOf } from '../../../../node/cli/output.js'
import { ApiRequestError, DaemonNotRunningError } from '../../../../node/api/errors.js'
import { CliUsageError, IdentifiersFileError } from '../../../../node/cli/errors.js'
import { InsufficientSignaturesError } from '../../../../protocol/roster/index.js'

describe('cli: durations', () => {
  it('parses 90d, 12h, 30m, 45s, 2w and sums', () => {
    assert.equal(parseDuration('90d'), 90 * 86_400_000)
    assert.equal(parseDuration('12h'), 12 * 3_600_000)
    assert.equal(parseDuration('30m'), 30 * 60_000)
    assert.equal(parseDuration('45s'), 45_000)
    assert.equal(parseDuration('2w'), 14 * 86_400_000)
    assert.equal(parseDuration(' 1D12h '), 36 * 3_600_000)
  })

  it('refuses garbage with a named error', () => {
    for (const s of ['', '90', 'd', '12 h', '-1d', '1.5h', '0d', '10y', '1d-', 'soon', '9999999999d']) {
      assert.throws(() => parseDuration(s), { name: 'InvalidDurationError' }, s)
    }
  })
})

describe('cli: identifiers files', () => {
  let tmp: string
  before(async () => { tmp = await mkdtemp(join(tmpdir(), 'alliance-ids-')) })
  after(async () => { await rm(tmp, { recursive: true, force: true }) })

  async function file (name: string, text: string): Promise<string> {
    const p = join(tmp, name)
    await writeFile(p, text)
    return p
  }

  it('reads quoted CSV fields, ignores extra columns and keeps line numbers', async () => {
    const p = await file('ok.csv', 'value,kind,claim,confidence,comment\n"ACME, Ltd",name,accomplice,50,"multi\nline"\n\n\nfake.example,DOMAIN,,,\n\nx.example,url,,,\n')
    const r = await readIdentifiersFile(p)
    assert.deepEqual(r.items, [{ kind: 'name', value: 'ACME, Ltd', claim: 'accomplice', confidence: 50 }, { kind: 'domain', value: 'fake.example' }, { kind: 'url', value: 'x.example' }])
    assert.deepEqual(r.lines, [2, 6, 8])
  })

  it('needs a header with kind and value', async () => {
    const p = await file('nohdr.csv', 'phone,+447700900123\n')
    await assert.rejects(readIdentifiersFile(p), (e: any) => e.name === 'IdentifiersFileError' && /missing: kind, value/.test(e.message))
  })

  it('lists every bad row by line without echoing identifier values', async () => {
    const rows = ['kind,value,reason,ttl,confidence']
    for (let i = 0; i < 12; i++) rows.push(`emali,secret${i}@example.com,,,`)
    rows.push('phone,secret-phone,-1,,', 'phone,secret-phone,,1y,', 'phone,secret-phone,,,101', 'phone,,,,')
    const p = await file('bad.csv', rows.join('\n') + '\n')
    await assert.rejects(readIdentifiersFile(p), (e: any) => {
      assert.equal(e.name, 'IdentifiersFileError')
      assert.equal(e.total, 16)
      assert.equal(e.rows.length, 16)
      assert.deepEqual(e.rows.slice(12).map((r: { line: number }) => r.line), [14, 15, 16, 17])
      assert.match(e.rows[12].message, /^reason "-1"/)
      assert.match(e.rows[13].message, /^ttl "1y"/)
      assert.match(e.rows[14].message, /^confidence "101"/)
      assert.equal(e.rows[15].message, 'value is empty')
      assert.match(e.message, /line 2: unknown kind "emali"/)
      assert.match(e.message, /and 6 more$/)
      assert.ok(!e.message.includes('secret') && !JSON.stringify(e.rows).includes('secret'))
      return true
    })
  })

  it('reports malformed CSV by line and code only', async () => {
    const p = await file('broken.csv', 'kind,value\nphone,+447700900123\nphone,"secret-value\n')
    await assert.rejects(readIdentifiersFile(p), (e: any) => e.name === 'IdentifiersFileError' && /line \d+: malformed CSV \(CSV_QUOTE_NOT_CLOSED\)/.test(e.message) && !e.message.includes('secret'))
  })

  it('JSONL: objects per line; anything else is a bad line', async () => {
    const p = await file('ids.jsonl', '{"kind":"email","value":"a@example.com","reason":"7"}\n[1,2]\nnot json secret\n')
    await assert.rejects(readIdentifiersFile(p), (e: any) => {
      assert.deepEqual(e.rows, [{ line: 2, message: 'not a JSON object' }, { line: 3, message: 'not a JSON object' }])
      return true
    })
    const ok = await file('ok.ndjson', '{"kind":"email","value":"a@example.com","reason":"7"}\r\n{"kind":"email","value":"b@example.com","reason":"Counterfeit"}\n')
    assert.deepEqual((await readIdentifiersFile(ok)).items, [{ kind: 'email', value: 'a@example.com', reason: 7 }, { kind: 'email', value: 'b@example.com', reason: 'counterfeit' }])
    const bad = await file('bad.jsonl', '{"kind":"email","value":"a@example.com","reason":"grey import!"}\n')
    await assert.rejects(readIdentifiersFile(bad), (e: any) => e.rows?.[0]?.line === 1)
  })

  /** Reads `path` and returns the error and the most the heap grew meanwhile (sampled at every chunk read). */
  async function readMeasured (path: string): Promise<{ err: any, heapGrowth: number }> {
    const base = process.memoryUsage().heapUsed
    let peak = base
    const err = await readIdentifiersFile(path, { onProgress: () => { peak = Math.max(peak, process.memoryUsage().heapUsed) } }).then(() => undefined, (e: unknown) => e)
    return { err, heapGrowth: peak - base }
  }

  it('a CSV quote never closed is refused after MAX_ROW_CHARS, in bounded memory (csv-parse max_record_size)', async () => {
    const p = join(tmp, 'unclosed.csv')
    const big = 48 * 1024 * 1024
    await writeFile(p, 'kind,value\nphone,"' + 'x'.repeat(big) + '\n')
    const { err, heapGrowth } = await readMeasured(p)
    assert.equal(err?.name, 'IdentifiersFileError')
    assert.match(err.message, new RegExp(`line 2: a row longer than ${MAX_ROW_CHARS} characters`))
    assert.ok(heapGrowth < 16 * 1024 * 1024, `the heap grew ${Math.round(heapGrowth / 1048576)} MiB reading a ${big / 1048576} MiB row`)
  })

  it('a JSONL line with no end is refused as it is read: bounded memory, the rows after it still checked', async () => {
    const p = join(tmp, 'long.jsonl')
    const big = 48 * 1024 * 1024
    await writeFile(p, '{"kind":"email","value":"a@example.com"}\n{"kind":"email","value":"' + 'y'.repeat(big) + '"}\n{"kind":"email","value":"b@example.com"}\nnot json\n')
    const { err, heapGrowth } = await readMeasured(p)
    assert.equal(err?.name, 'IdentifiersFileError')
    assert.deepEqual(err.rows, [{ line: 2, message: `longer than ${MAX_ROW_CHARS} characters` }, { line: 4, message: 'not a JSON object' }])
    assert.ok(heapGrowth < 16 * 1024 * 1024, `the heap grew ${Math.round(heapGrowth / 1048576)} MiB reading a ${big / 1048576} MiB line`)
  })

  it('refuses unknown extensions, missing files and files without rows', async () => {
    await assert.rejects(readIdentifiersFile(await file('ids.txt', 'x')), { name: 'IdentifiersFileError' })
    await assert.rejects(readIdentifiersFile(join(tmp, 'missing.csv')), { name: 'IdentifiersFileError' })
    await assert.rejects(readIdentifiersFile(await file('empty.csv', 'kind,value\n')), (e: any) => /no identifiers/.test(e.message))
    assert.equal((await readIdentifiersFile(await file('ids.txt', '{"kind":"url","value":"https://x.example/"}\n'), { format: 'jsonl' })).items.length, 1)
  })
})

describe('cli: mapping answers and errors', () => {
  it('maps rejected indexes and accepted fingerprints back to file lines', () => {
    const res = { entries: 2, fingerprints: ['f0', 'f2'], rejected: [{ index: 3, kind: 'url', why: 'not_url', message: 'm3' }, { index: 1, kind: 'phone', why: 'not_e164', message: 'm1' }] }
    assert.deepEqual(mapToLines(res, [2, 5, 9, 10]), {
      rejected: [{ line: 5, kind: 'phone', why: 'not_e164', message: 'm1' }, { line: 10, kind: 'url', why: 'not_url', message: 'm3' }],
      accepted: [{ line: 2, fingerprint: 'f0' }, { line: 9, fingerprint: 'f2' }]
    })
  })

  it('exit codes: usage 2, no daemon 3, verification 4, the rest 1', () => {
    assert.equal(exitCodeOf(new CliUsageError('x')), EXIT.usage)
    assert.equal(exitCodeOf(new IdentifiersFileError('f', 'x')), EXIT.usage)
    assert.equal(exitCodeOf(new ApiRequestError(400, 'invalid_identifier', 'x')), EXIT.usage)
    assert.equal(exitCodeOf(new ApiRequestError(413, 'body_too_large', 'x')), EXIT.usage)
    assert.equal(exitCodeOf(new ApiRequestError(503, 'not_ready', 'x')), EXIT.failure)
    assert.equal(exitCodeOf(new DaemonNotRunningError('/d')), EXIT.noDaemon)
    assert.equal(exitCodeOf(new InsufficientSignaturesError(1, 2, ['b'])), EXIT.verification)
    assert.equal(exitCodeOf(new TypeError('boom')), EXIT.failure)
    assert.equal(exitCodeOf('a string'), EXIT.failure)
  })
})
