/**
 * The listings file before a scan (issue 16 items 4 and 5): a file that
 * cannot be opened is a ListingsFileError naming why (for readListings and
 * the header check alike), and the header's columns are sorted into known
 * and ignored ones, each ignored one with the column it most likely meant.
 */
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readListings } from '../../../../node/match/index.js'
import { checkListingsColumns, classifyColumns, openListingsFile } from '../../../../node/match/listing-columns.js'
import { formatReject } from '../../../../node/match/decision.js'

describe('node/match/listing-columns', () => {
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'listing-columns-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('a missing file, a folder and an unreadable file are ListingsFileError with their reasons', async () => {
    await assert.rejects(openListingsFile(join(dir, 'missing.csv')), { name: 'ListingsFileError', reason: 'listings_missing' })
    mkdirSync(join(dir, 'folder'))
    await assert.rejects(openListingsFile(join(dir, 'folder')), { name: 'ListingsFileError', reason: 'listings_not_a_file' })
    writeFileSync(join(dir, 'locked.csv'), 'listing_id\n')
    chmodSync(join(dir, 'locked.csv'), 0o000)
    if (process.getuid?.() !== 0) await assert.rejects(openListingsFile(join(dir, 'locked.csv')), { name: 'ListingsFileError', reason: 'listings_unreadable' })
    // the streaming reader says the same at its first row
    await assert.rejects(async () => { for await (const _ of readListings(join(dir, 'missing.csv'))) break }, { name: 'ListingsFileError', reason: 'listings_missing' })
  })

  it('sorts header names into known and ignored columns, suggesting the one most likely meant', () => {
    assert.deepEqual(classifyColumns(['listing_id', 'seller_acount', 'Phone_Number', 'EMAIL', 'title']), {
      identifiers: ['email'],
      ignored: [{ name: 'seller_acount', suggestion: 'seller_account' }, { name: 'Phone_Number', suggestion: 'phone' }, { name: 'title' }]
    })
  })

  it('checkListingsColumns refuses when strict and something is ignored, or when no known identifier column is present', async () => {
    writeFileSync(join(dir, 'typo.csv'), 'listing_id,emial,phone\nL1,a@b.c,+44\n')
    assert.deepEqual((await checkListingsColumns(join(dir, 'typo.csv'), 'csv', false)).ignored, [{ name: 'emial', suggestion: 'email' }])
    await assert.rejects(checkListingsColumns(join(dir, 'typo.csv'), 'csv', true), { name: 'UnknownColumnsError', reason: 'unknown_columns' })
    writeFileSync(join(dir, 'none.jsonl'), '{"listing_id":"L1","mail":"a@b.c"}\n')
    await assert.rejects(checkListingsColumns(join(dir, 'none.jsonl'), 'jsonl', false), { name: 'UnknownColumnsError' })
    writeFileSync(join(dir, 'ok.csv'), 'listing_id,email\n')
    assert.deepEqual(await checkListingsColumns(join(dir, 'ok.csv'), 'csv', true), { identifiers: ['email'], ignored: [] })
  })

  it('a reject as CSV quotes what needs quoting', () => {
    assert.equal(formatReject({ line: 3, listingId: 'L,3', column: 'email', kind: 'email', why: 'bad_characters', bytes: 5, value: 'a "b"' }, 'csv'), '3,"L,3",email,email,bad_characters,5,"a ""b""",\n')
    assert.equal(formatReject({ line: 4, column: 'listing_id', why: 'missing_listing_id' }, 'jsonl'), '{"line":4,"column":"listing_id","why":"missing_listing_id"}\n')
  })
})
